package pages

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pdfium"
)

// PDFInspector reads a PDF's page sizes outside the calling process: the
// server's is the page helper (pagehelper.Runner.InspectPDF), so PDFium
// never parses an upload in the server. It returns every page's width and
// height in points, /Rotate applied, or a *domain.Error for a file that
// cannot be read; it may stop counting past maxPages and return
// maxPages+1 sizes.
type PDFInspector interface {
	InspectPDF(ctx context.Context, path string, maxPages int) ([][2]float64, error)
}

// pdfSource rasterises one PDF page per Page call with PDFium.
type pdfSource struct {
	path string
	dims [][2]float64 // page width, height in points, rotation applied
	lim  Limits
	// dpi, when set, is the resolution every page is rendered at: the page
	// helper gets it from the server's Job instead of reading the sizes again.
	dpi int
	// cacheDir is wazero's compilation cache (the helper's Job says).
	cacheDir string
	// pdfText and pdfOut come from the Job: the task's pdf_text mode, and
	// where a page read from its text is written as a one-page PDF.
	pdfText domain.PDFText
	pdfOut  string
}

// openPDF reads the page count and sizes (no content streams, no pixels)
// through lim.PDF, or in this process when there is none (tests, tools).
func openPDF(ctx context.Context, path string, lim Limits) (*pdfSource, error) {
	var (
		dims [][2]float64
		err  error
	)
	if lim.PDF != nil {
		dims, err = lim.PDF.InspectPDF(ctx, path, lim.MaxPages)
	} else {
		dims, err = InspectPDF(ctx, path, lim.MaxPages, "")
	}
	if err != nil {
		return nil, err
	}
	if len(dims) == 0 {
		return nil, unreadable("PDF has no readable pages: the file is corrupt")
	}
	if err := lim.checkPages(len(dims)); err != nil {
		return nil, err
	}
	for i, d := range dims {
		if !(d[0] > 0 && d[1] > 0) || math.IsInf(d[0], 0) || math.IsInf(d[1], 0) {
			return nil, unreadable("PDF page %d has no size: the file is corrupt", i+1)
		}
	}
	return &pdfSource{path: path, dims: dims, lim: lim}, nil
}

// engine is this process's PDFium: one module instance, used by one
// caller at a time (go-pdfium keeps the last page open per instance, so
// two documents used at once would close each other's pages). The page
// helper does one job per process; tests share it.
var engine struct {
	sync.Mutex
	e *pdfium.Engine
}

// startEngine starts this process's PDFium if it is not running; the
// caller holds engine's lock.
func startEngine(cacheDir string) error {
	if engine.e != nil {
		return nil
	}
	e, err := pdfium.Start(context.Background(), pdfium.Options{CacheDir: cacheDir})
	if err != nil {
		return fmt.Errorf("start PDFium: %w", err)
	}
	engine.e = e
	return nil
}

// WarmPDF starts PDFium in this process, compiling the module into
// cacheDir's compilation cache if it is not there yet: the page helper runs
// it once at server start, so the first PDF upload does not wait ~3 s of
// CPU (much more on a busy machine) for the compilation.
func WarmPDF(cacheDir string) error {
	engine.Lock()
	defer engine.Unlock()
	return startEngine(cacheDir)
}

// withPDF opens path with this process's PDFium and runs fn on it, holding
// the engine for the duration.
func withPDF(ctx context.Context, path, cacheDir string, fn func(*pdfium.Document) error) error {
	engine.Lock()
	defer engine.Unlock()
	if err := startEngine(cacheDir); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	doc, err := engine.e.Open(path)
	if err != nil {
		return pdfError(err, 0)
	}
	defer doc.Close()
	return fn(doc)
}

// pdfError turns pdfium's errors into the user's: page is 1-based, 0 for
// the whole file.
func pdfError(err error, page int) error {
	switch {
	case errors.Is(err, pdfium.ErrPassword):
		return unreadable("PDF is password-protected: remove the password and upload it again")
	case errors.Is(err, pdfium.ErrCorrupt) && page > 0:
		return unreadable("PDF page %d cannot be read: the file is corrupt or truncated", page)
	case errors.Is(err, pdfium.ErrCorrupt):
		return unreadable("PDF cannot be read: the file is corrupt or truncated")
	}
	return err
}

// InspectPDF reads a PDF's page count and every page's size in points
// (/Rotate applied) with PDFium in this process; cacheDir is wazero's
// compilation cache ("" for none). More than maxPages pages are not sized:
// it returns maxPages+1 zero sizes, enough for the caller to refuse the
// file. The page helper runs it for the server.
func InspectPDF(ctx context.Context, path string, maxPages int, cacheDir string) ([][2]float64, error) {
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	var dims [][2]float64
	err := withPDF(ctx, path, cacheDir, func(doc *pdfium.Document) error {
		n, err := doc.PageCount()
		if err != nil {
			return pdfError(err, 0)
		}
		if n <= 0 {
			return unreadable("PDF has no readable pages: the file is corrupt")
		}
		if n > maxPages {
			dims = make([][2]float64, maxPages+1)
			return nil
		}
		dims = make([][2]float64, n)
		for i := range dims {
			if err := ctx.Err(); err != nil {
				return err
			}
			w, h, err := doc.PageSize(i)
			if err != nil {
				return pdfError(err, i+1)
			}
			dims[i] = [2]float64{w, h}
		}
		return nil
	})
	return dims, err
}

func (s *pdfSource) count() int { return len(s.dims) }

func (s *pdfSource) close() error { return nil }

// dpiFor is the resolution page i is rendered at: PDFDPI, or lower when a
// large page would exceed MaxMegapixels at that resolution.
func (s *pdfSource) dpiFor(i int) (int, error) {
	if s.dpi > 0 {
		return s.dpi, nil
	}
	w, h := s.dims[i][0]/72, s.dims[i][1]/72 // inches
	dpi := s.lim.PDFDPI
	if px := w * h * float64(dpi) * float64(dpi); px > s.lim.maxPixels() {
		dpi = int(math.Floor(math.Sqrt(s.lim.maxPixels() / (w * h))))
	}
	if dpi < 1 {
		return 0, domain.Errorf(domain.ErrTooLarge, domain.CodeImageTooLarge,
			"PDF page %d is %.0fx%.0f inches, too large to render within %g megapixels",
			i+1, w, h, s.lim.MaxMegapixels)
	}
	return dpi, nil
}

func (s *pdfSource) page(ctx context.Context, i int) (Page, error) {
	dpi, err := s.dpiFor(i)
	if err != nil {
		return Page{}, err
	}
	var p Page
	err = withPDF(ctx, s.path, s.cacheDir, func(doc *pdfium.Document) error {
		var ok bool
		if p, ok, err = s.textPage(doc, i, dpi); err != nil || ok {
			return err
		}
		p, err = s.render(doc, i, dpi)
		return err
	})
	return p, err
}

// render rasterises page i of an open document at dpi and encodes it.
func (s *pdfSource) render(doc *pdfium.Document, i, dpi int) (Page, error) {
	g, err := doc.RenderGray(i, dpi, s.lim.maxPixels()*1.01) // rounding slack
	switch {
	case errors.Is(err, pdfium.ErrTooLarge):
		return Page{}, domain.Errorf(domain.ErrTooLarge, domain.CodeImageTooLarge,
			"PDF page %d renders larger than %g megapixels", i+1, s.lim.MaxMegapixels)
	case err != nil:
		return Page{}, pdfError(err, i+1)
	}
	data, ct, err := encodeGray(grayImage{width: g.Width, height: g.Height, pix: g.Pix}, dpi)
	if err != nil {
		return Page{}, fmt.Errorf("encode PDF page %d: %w", i+1, err)
	}
	return Page{Number: i + 1, Data: data, ContentType: ct, Width: g.Width, Height: g.Height, DPI: dpi}, nil
}
