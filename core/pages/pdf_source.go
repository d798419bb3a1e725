package pages

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

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
	// dpi, when set, is the resolution every page is rendered at: the page
	// helper gets it from the server's Job instead of reading the sizes again.
	dpi int
}

// openPDF reads the page tree with pdfinfo (no pixels, no content streams)
// to count the pages and learn their sizes; rendering waits for Page.
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

// pdfInfoTimeout bounds one pdfinfo run.
const pdfInfoTimeout = 30 * time.Second

// pdfPageDims returns every page's size, read by poppler's pdfinfo in its
// own process: it parses the page tree without loading content streams, so
// a 200 MB upload costs a few MB (pdfcpu, used before, held every object in
// host memory: 1–2.5× the file size, see docs/benchmarks.md), and a hostile
// file cannot crash the host.
func pdfPageDims(ctx context.Context, path string, lim Limits) ([][2]float64, error) {
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		return nil, domain.Errorf(domain.ErrFeatureDisabled, "pdf_unsupported",
			"PDF support needs poppler-utils (pdfinfo), which is not installed on this server")
	}
	ctx, cancel := context.WithTimeout(ctx, pdfInfoTimeout)
	defer cancel()
	// Ask for one page more than allowed, so too many pages is detected
	// without listing thousands of them.
	last := lim.MaxPages + 1
	if last <= 1 {
		last = DefaultMaxPages + 1
	}
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, bin, "-f", "1", "-l", strconv.Itoa(last), path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, unreadable("PDF cannot be read: reading its page tree took too long")
		}
		return nil, ctx.Err()
	}
	if err != nil {
		if strings.Contains(strings.ToLower(stderr.String()), "password") {
			return nil, unreadable("PDF is password-protected: remove the password and upload it again")
		}
		return nil, unreadable("PDF cannot be read: the file is corrupt or truncated")
	}
	return parsePDFInfo(string(out), lim)
}

// parsePDFInfo reads "Pages: N" and the per-page
// "Page    1 size: 612 x 792 pts" / "Page    1 rot:  90" lines.
func parsePDFInfo(out string, lim Limits) ([][2]float64, error) {
	pages := -1
	sizes := map[int][2]float64{}
	rots := map[int]int{}
	for _, line := range strings.Split(out, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch {
		case key == "Pages":
			pages, _ = strconv.Atoi(val)
		case strings.HasPrefix(key, "Page ") && strings.HasSuffix(key, " size"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(key, "Page "), " size")))
			var w, h float64
			if _, serr := fmt.Sscanf(val, "%g x %g", &w, &h); err == nil && serr == nil {
				sizes[n] = [2]float64{w, h}
			}
		case strings.HasPrefix(key, "Page ") && strings.HasSuffix(key, " rot"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(key, "Page "), " rot")))
			r, rerr := strconv.Atoi(val)
			if err == nil && rerr == nil {
				rots[n] = r
			}
		}
	}
	if pages <= 0 {
		return nil, unreadable("PDF has no readable pages: the file is corrupt")
	}
	if err := lim.checkPages(pages); err != nil {
		return nil, err
	}
	dims := make([][2]float64, pages)
	for i := range dims {
		d, ok := sizes[i+1]
		if !ok || !(d[0] > 0 && d[1] > 0) {
			return nil, unreadable("PDF page %d has no size: the file is corrupt", i+1)
		}
		if r := ((rots[i+1] % 360) + 360) % 360; r == 90 || r == 270 {
			d[0], d[1] = d[1], d[0]
		}
		dims[i] = d
	}
	return dims, nil
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
