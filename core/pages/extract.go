package pages

import (
	"context"
	"fmt"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Job names one page to decode and where to put it. The server builds it
// with Document.Job from what Open read in the headers; the page helper
// process runs it with Extract. All paths are chosen by the server.
type Job struct {
	Path        string `json:"path"`         // the stored upload
	ContentType string `json:"content_type"` // from Sniff
	Index       int    `json:"index"`        // 0-based page
	Pages       int    `json:"pages"`        // page count from Open
	// DPI is the resolution a PDF page is rendered at (Limits.PDFDPI, lowered
	// for a large page); 0 for images.
	DPI           int     `json:"dpi,omitempty"`
	MaxMegapixels float64 `json:"max_megapixels"`
	// Out is where a re-encoded page is written (created, never
	// overwritten); pages handed on as uploaded leave it alone. A PDF page
	// read from its own text layer writes its TextLayer here instead.
	Out string `json:"out"`
	// PDFText is the task's pdf_text mode for a PDF page ("" = skip): it
	// decides, page by page, between the page's own text and OCR.
	PDFText domain.PDFText `json:"pdf_text,omitempty"`
	// PDFOut, when set, is where a PDF page read from its text layer is
	// also written as a one-page PDF of the original page (for the task's
	// searchable PDF); OCRed pages leave it alone.
	PDFOut string `json:"pdf_out,omitempty"`
	// CacheDir is wazero's compilation cache for PDFium (set by the page
	// helper's runner; "" compiles the module in memory).
	CacheDir string `json:"cache_dir,omitempty"`
}

// Job returns the Job for page i, to be written to out. A PDF page too
// large to render within the pixel limit is refused here (image_too_large).
func (d *Document) Job(i int, out string) (Job, error) {
	if i < 0 || i >= d.src.count() {
		return Job{}, domain.Errorf(domain.ErrInvalid, domain.CodePageOutOfRange,
			"page index %d out of range [0, %d)", i, d.src.count())
	}
	j := Job{Path: d.path, ContentType: d.contentType, Index: i, Pages: d.src.count(),
		MaxMegapixels: d.lim.MaxMegapixels, Out: out}
	if s, ok := d.src.(*pdfSource); ok {
		dpi, err := s.dpiFor(i)
		if err != nil {
			return Job{}, err
		}
		j.DPI = dpi
	}
	return j, nil
}

// Extract decodes the page a Job names and returns it as a file: the upload
// itself when it is handed on as uploaded (a single-page PNG, JPEG or TIFF,
// still decoded once to prove it readable), else j.Out, written here. It is
// what the page helper process runs; errors are *domain.Error for a page
// that cannot be read or is too large.
func Extract(ctx context.Context, j Job) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	lim := Limits{MaxMegapixels: j.MaxMegapixels}.withDefaults()
	var src source
	switch j.ContentType {
	case TypePDF:
		if j.DPI <= 0 {
			return Page{}, fmt.Errorf("extract PDF page %d: no resolution given", j.Index+1)
		}
		src = &pdfSource{path: j.Path, lim: lim, dpi: j.DPI, cacheDir: j.CacheDir, pdfText: j.PDFText, pdfOut: j.PDFOut}
	case TypeTIFF:
		src = &tiffSource{path: j.Path, pages: j.Pages}
	case TypePNG, TypeJPEG, TypeGIF, TypeBMP, TypeWebP, TypePNM:
		src = &imageSource{path: j.Path, contentType: j.ContentType}
	default:
		return Page{}, domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedType, "file type not supported")
	}
	p, err := src.page(ctx, j.Index)
	if err != nil {
		return Page{}, err
	}
	if p.Data == nil {
		return p, nil
	}
	if j.Out == "" {
		return Page{}, fmt.Errorf("extract page %d: no output file given", j.Index+1)
	}
	if err := writeNew(j.Out, p.Data); err != nil {
		if p.PDFPath != "" {
			os.Remove(p.PDFPath)
		}
		return Page{}, fmt.Errorf("write page %d: %w", j.Index+1, err)
	}
	p.Path, p.Data = j.Out, nil
	return p, nil
}

// writeNew creates path (never overwriting) with data; a failed write
// leaves nothing.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
	}
	return werr
}
