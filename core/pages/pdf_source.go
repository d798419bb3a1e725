package pages

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ocrbox/ocrbox/core/domain"
)

// pdfcpu otherwise writes config.yml and fonts into the user's config
// directory on first use: a server must not write outside its data dir.
// An init function runs before any goroutine, so this cannot race.
func init() { api.DisableConfigDir() }

// pdfSource rasterises one PDF page per Page call with pdftoppm.
type pdfSource struct {
	path     string
	pdftoppm string
	dims     [][2]float64 // page width, height in points, rotation applied
	lim      Limits
}

// openPDF reads the page tree with pdfcpu (pure Go, no pixels) to count the
// pages and learn their sizes; rendering waits for Page.
func openPDF(ctx context.Context, path string, lim Limits) (*pdfSource, error) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, domain.Errorf(domain.ErrFeatureDisabled, "pdf_unsupported",
			"PDF support needs poppler-utils (pdftoppm), which is not installed on this server")
	}
	dims, err := pdfPageDims(ctx, path, lim)
	if err != nil {
		return nil, err
	}
	return &pdfSource{path: path, pdftoppm: bin, dims: dims, lim: lim}, nil
}

// pdfPageDims returns every page's size. pdfcpu holds the whole object
// table in memory while it reads (raw streams, not decoded), so the
// context is dropped as soon as the sizes are known.
func pdfPageDims(ctx context.Context, path string, lim Limits) (dims [][2]float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	// pdfcpu panics on some malformed page trees; a hostile upload must
	// not take the host down.
	defer func() {
		if r := recover(); r != nil {
			dims, err = nil, unreadable("PDF cannot be read: the file is corrupt")
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	pc, err := pdfcpu.ReadWithContext(ctx, f, conf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if strings.Contains(err.Error(), "password") {
			return nil, unreadable("PDF is password-protected: remove the password and upload it again")
		}
		return nil, unreadable("PDF cannot be read: the file is corrupt or truncated")
	}
	if err := pc.EnsurePageCount(); err != nil || pc.PageCount <= 0 {
		return nil, unreadable("PDF has no readable pages: the file is corrupt")
	}
	// Before PageDims, which allocates per declared page.
	if err := lim.checkPages(pc.PageCount); err != nil {
		return nil, err
	}
	pd, err := pc.PageDims()
	if err != nil || len(pd) != pc.PageCount {
		return nil, unreadable("PDF page sizes cannot be read: the file is corrupt")
	}
	dims = make([][2]float64, len(pd))
	for i, d := range pd {
		if !(d.Width > 0 && d.Height > 0) {
			return nil, unreadable("PDF page %d has no size: the file is corrupt", i+1)
		}
		dims[i] = [2]float64{d.Width, d.Height}
	}
	return dims, nil
}

func (s *pdfSource) count() int { return len(s.dims) }

func (s *pdfSource) close() error { return nil }

// dpiFor is the resolution page i is rendered at: PDFDPI, or lower when a
// large page would exceed MaxMegapixels at that resolution.
func (s *pdfSource) dpiFor(i int) (int, error) {
	w, h := s.dims[i][0]/72, s.dims[i][1]/72 // inches
	dpi := s.lim.PDFDPI
	if px := w * h * float64(dpi) * float64(dpi); px > s.lim.maxPixels() {
		dpi = int(math.Floor(math.Sqrt(s.lim.maxPixels() / (w * h))))
	}
	if dpi < 1 {
		return 0, domain.Errorf(domain.ErrTooLarge, "image_too_large",
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
	g, err := s.render(ctx, i, dpi)
	if err != nil {
		return Page{}, err
	}
	data, ct, err := encodeGray(g, dpi)
	if err != nil {
		return Page{}, fmt.Errorf("encode PDF page %d: %w", i+1, err)
	}
	return Page{Number: i + 1, Data: data, ContentType: ct, Width: g.width, Height: g.height, DPI: dpi}, nil
}
