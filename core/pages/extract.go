package pages

import (
	"context"
	"fmt"
	"os"
	"os/exec"

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
	// overwritten); pages handed on as uploaded leave it alone.
	Out string `json:"out"`
}

// Job returns the Job for page i, to be written to out. A PDF page too
// large to render within the pixel limit is refused here (image_too_large).
func (d *Document) Job(i int, out string) (Job, error) {
	if i < 0 || i >= d.src.count() {
		return Job{}, domain.Errorf(domain.ErrInvalid, "page_out_of_range",
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
		bin, err := exec.LookPath("pdftoppm")
		if err != nil {
			return Page{}, domain.Errorf(domain.ErrFeatureDisabled, "pdf_unsupported",
				"PDF support needs poppler-utils (pdftoppm), which is not installed on this server")
		}
		if j.DPI <= 0 {
			return Page{}, fmt.Errorf("extract PDF page %d: no resolution given", j.Index+1)
		}
		src = &pdfSource{path: j.Path, pdftoppm: bin, lim: lim, dpi: j.DPI}
	case TypeTIFF:
		src = &tiffSource{path: j.Path, pages: j.Pages}
	case TypePNG, TypeJPEG, TypeGIF, TypeBMP, TypeWebP, TypePNM:
		src = &imageSource{path: j.Path, contentType: j.ContentType}
	default:
		return Page{}, domain.Errorf(domain.ErrUnsupportedType, "unsupported_type", "file type not supported")
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
	f, err := os.OpenFile(j.Out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Page{}, fmt.Errorf("write page %d: %w", j.Index+1, err)
	}
	_, werr := f.Write(p.Data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(j.Out)
		return Page{}, fmt.Errorf("write page %d: %w", j.Index+1, werr)
	}
	p.Path, p.Data = j.Out, nil
	return p, nil
}
