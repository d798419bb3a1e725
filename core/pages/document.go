package pages

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Page is one page image ready for an OCR engine: either a file on disk
// (Path) or encoded bytes (Data), never both.
type Page struct {
	Number int // 1-based position in the document
	// Path is the file holding the page: the upload itself for a
	// single-page PNG, JPEG or TIFF, or the file Extract wrote.
	Path string
	// Data is a re-encoded page (PNG, or TIFF-G4 when bilevel) before
	// Extract writes it out.
	Data        []byte
	ContentType string // MIME type of the page image
	Width       int    // pixels
	Height      int    // pixels
	DPI         int    // 0 when the image does not say
	// Source is where the page's text is to come from: SourceOCR (Path is
	// an image for the OCR engine) or SourcePDFText (Path is a TextLayer,
	// the PDF page's own text with word boxes in the pixels of the page at
	// DPI; no engine runs). Empty means SourceOCR.
	Source string
	// PDFPath is the original page as a one-page PDF, written for a
	// SourcePDFText page when the Job asked (Job.PDFOut).
	PDFPath string
}

// Where a page's text comes from (Page.Source; the JSON output's per-page
// "source").
const (
	SourceOCR     = "ocr"
	SourcePDFText = "pdf_text"
)

// Document is an opened upload whose pages are decoded one at a time, so
// memory stays bounded by one page however many pages the file has. Its
// methods are safe for concurrent use; Close it when done.
type Document struct {
	src         source
	path        string
	contentType string
	lim         Limits
}

// source is one file format's way of producing pages.
type source interface {
	count() int
	page(ctx context.Context, i int) (Page, error)
	close() error
}

// Open checks an upload against lim without decoding any pixels: it counts
// the pages and reads every page's declared size, so a pixel flood or a
// 10,000-page file is refused before it costs memory. contentType comes
// from Sniff; an empty one is sniffed here.
//
// Errors are *domain.Error: too_many_pages and image_too_large
// (domain.ErrTooLarge), unreadable_input (domain.ErrBadInput),
// unsupported_type (domain.ErrUnsupportedType).
func Open(ctx context.Context, path, contentType string, lim Limits) (*Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lim = lim.withDefaults()
	if contentType == "" {
		ct, err := sniffFile(path)
		if err != nil {
			return nil, err
		}
		contentType = ct
	}
	var (
		src source
		err error
	)
	switch contentType {
	case TypePDF:
		src, err = openPDF(ctx, path, lim)
	case TypeTIFF:
		src, err = openTIFF(path, lim)
	case TypePNG, TypeJPEG, TypeGIF, TypeBMP, TypeWebP, TypePNM:
		src, err = openImage(path, contentType, lim)
	default:
		return nil, domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedType,
			"file type not supported: expected PNG, JPEG, TIFF, WebP, BMP or PDF")
	}
	if err != nil {
		return nil, err
	}
	return &Document{src: src, path: path, contentType: contentType, lim: lim}, nil
}

// PageCount is the number of pages, known from Open without decoding.
func (d *Document) PageCount() int { return d.src.count() }

// Page decodes page i (0-based) in this process. A page that cannot be
// decoded yields an unreadable_input *domain.Error. The server never calls
// it on an upload: it builds a Job for the page helper process instead,
// which runs Extract.
func (d *Document) Page(ctx context.Context, i int) (Page, error) {
	if i < 0 || i >= d.src.count() {
		return Page{}, domain.Errorf(domain.ErrInvalid, domain.CodePageOutOfRange,
			"page index %d out of range [0, %d)", i, d.src.count())
	}
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	return d.src.page(ctx, i)
}

// Close releases what the document holds; it never deletes the file.
func (d *Document) Close() error { return d.src.close() }

// sniffFile runs Sniff on a file's first bytes.
func sniffFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("read upload: %w", err)
	}
	return Sniff(head[:n])
}
