package pages

import "github.com/ocrbox/ocrbox/core/domain"

// Defaults applied to zero Limits fields, so a zero Limits is still safe.
const (
	DefaultMaxPages      = 1000
	DefaultMaxMegapixels = 100 // an A3 page at 600 dpi is ~70 MP
	DefaultPDFDPI        = 300 // what OCR engines are tuned for
)

// Limits bounds what one document may cost before any pixel is decoded.
type Limits struct {
	// MaxPages refuses documents with more pages (0: DefaultMaxPages).
	MaxPages int
	// MaxMegapixels refuses images whose declared width*height is larger,
	// and caps the resolution PDF pages are rasterised at
	// (0: DefaultMaxMegapixels).
	MaxMegapixels float64
	// PDFDPI is the resolution PDF pages are rasterised at (0: DefaultPDFDPI).
	PDFDPI int
	// PDF reads a PDF's page count and sizes at Open, outside this process
	// (the server's is the page helper). Nil reads them in this process
	// with PDFium: for tests and tools, never the server.
	PDF PDFInspector
}

func (l Limits) withDefaults() Limits {
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	if l.MaxMegapixels <= 0 {
		l.MaxMegapixels = DefaultMaxMegapixels
	}
	if l.PDFDPI <= 0 {
		l.PDFDPI = DefaultPDFDPI
	}
	return l
}

// maxPixels is MaxMegapixels in pixels.
func (l Limits) maxPixels() float64 { return l.MaxMegapixels * 1e6 }

// checkPages refuses a document with more pages than allowed.
func (l Limits) checkPages(n int) error {
	if n > l.MaxPages {
		return domain.Errorf(domain.ErrTooLarge, domain.CodeTooManyPages,
			"document has %d pages; at most %d are allowed", n, l.MaxPages)
	}
	return nil
}

// checkSize refuses a page whose declared size is a pixel flood. The
// product is computed in float64 so hostile 32-bit dimensions cannot wrap.
func (l Limits) checkSize(page, w, h int) error {
	if w <= 0 || h <= 0 {
		return unreadable("page %d declares an empty image (%dx%d)", page, w, h)
	}
	if float64(w)*float64(h) > l.maxPixels() {
		return domain.Errorf(domain.ErrTooLarge, domain.CodeImageTooLarge,
			"page %d is %dx%d pixels (%.1f megapixels); at most %g megapixels are allowed",
			page, w, h, float64(w)*float64(h)/1e6, l.MaxMegapixels)
	}
	return nil
}

// unreadable builds the permanent error for a corrupt or truncated input.
func unreadable(format string, args ...any) *domain.Error {
	return domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, format, args...)
}
