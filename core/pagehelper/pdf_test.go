package pagehelper

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
)

// TestPDFInHelper: with no helper program on PATH, the helper reads a
// PDF's page sizes (inspect job), renders a scanned page and reads a
// born-digital page from its own text, using and filling the compilation
// cache; the first start compiles PDFium, later ones load it.
func TestPDFInHelper(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache", "wasm")
	r := newRunner(t, Options{CacheDir: cache, Env: []string{"PATH=" + t.TempDir()}})
	ctx := context.Background()
	mixed := filepath.Join("..", "pdfium", "testdata", "mixed.pdf")

	start := time.Now()
	sizes, err := r.InspectPDF(ctx, mixed, 10)
	cold := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 2 || sizes[0] != [2]float64{612, 792} || sizes[1][0] < 230 || sizes[1][0] > 231 {
		t.Fatalf("sizes %v", sizes)
	}
	if st, err := os.Stat(cache); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir: %v, %v", st, err)
	}
	start = time.Now()
	sizes, err = r.InspectPDF(ctx, filepath.Join(corpus(t), "multipage/three-pages.pdf"), 10)
	warm := time.Since(start)
	if err != nil || len(sizes) != 3 {
		t.Fatalf("three-pages.pdf: %v, %v", sizes, err)
	}
	t.Logf("inspect: cold cache %s, warm cache %s", cold.Round(time.Millisecond), warm.Round(time.Millisecond))

	doc, err := pages.Open(ctx, mixed, "", pages.Limits{PDF: r})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	dir := t.TempDir()
	for i, want := range []string{pages.SourcePDFText, ""} {
		j, err := doc.Job(i, filepath.Join(dir, "page"+string(rune('1'+i))))
		if err != nil {
			t.Fatal(err)
		}
		j.PDFOut = j.Out + ".pdf"
		p, err := r.Extract(ctx, j)
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if p.Source != want {
			t.Errorf("page %d source %q, want %q", i+1, p.Source, want)
		}
		_, pdfErr := os.Stat(j.PDFOut)
		if want == pages.SourcePDFText {
			tl, err := pages.ReadTextLayer(p.Path)
			if err != nil || len(tl.Words) != 22 || tl.Words[0].Text != "Born" || p.PDFPath != j.PDFOut || pdfErr != nil {
				t.Errorf("page %d: %d words (%v), pdf %q (%v)", i+1, len(tl.Words), err, p.PDFPath, pdfErr)
			}
		} else if p.Width != 960 || p.Height != 720 || pdfErr == nil {
			t.Errorf("page %d %dx%d, pdf written %v", i+1, p.Width, p.Height, pdfErr == nil)
		}
	}
}

// TestInspectUnreadablePDF: a broken PDF is a permanent unreadable_input
// from the inspect job, as from a page.
func TestInspectUnreadablePDF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1.4\ngarbage garbage garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, Options{CacheDir: filepath.Join(t.TempDir(), "wasm")})
	_, err := r.InspectPDF(context.Background(), path, 10)
	wantCode(t, err, domain.ErrBadInput, "unreadable_input")
}

func wantCode(t *testing.T, err error, kind error, code string) {
	t.Helper()
	de, ok := err.(*domain.Error)
	if !ok || de.Kind != kind || de.Code != code {
		t.Fatalf("err = %v (%T), want %s", err, err, code)
	}
}
