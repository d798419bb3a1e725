package pdfium

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// engine is shared by the tests: one instance, like one page helper.
var engine *Engine

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pdfium-cache")
	if err != nil {
		panic(err)
	}
	engine, err = Start(context.Background(), Options{CacheDir: dir})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	engine.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// corpus is the path of a file of the shared OCR corpus.
func corpus(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testenv.Corpus(t), filepath.FromSlash(name))
}

func open(t *testing.T, path string) *Document {
	t.Helper()
	d, err := engine.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestPageCountAndSizes(t *testing.T) {
	tests := []struct {
		path  string
		pages int
		w, h  float64 // page 1, points
	}{
		{"testdata/born-digital.pdf", 1, 612, 792},
		{"testdata/rotated.pdf", 1, 792, 612}, // /Rotate 90: landscape
		{"testdata/mixed.pdf", 2, 612, 792},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			d := open(t, tc.path)
			n, err := d.PageCount()
			if err != nil || n != tc.pages {
				t.Fatalf("pages %d (%v), want %d", n, err, tc.pages)
			}
			w, h, err := d.PageSize(0)
			if err != nil || w != tc.w || h != tc.h {
				t.Errorf("page 1 %gx%g pt (%v), want %gx%g", w, h, err, tc.w, tc.h)
			}
		})
	}
	d := open(t, corpus(t, "multipage/three-pages.pdf"))
	if n, _ := d.PageCount(); n != 3 {
		t.Errorf("three-pages.pdf: %d pages", n)
	}
}

func TestRenderGray(t *testing.T) {
	d := open(t, corpus(t, "multipage/three-pages.pdf"))
	g, err := d.RenderGray(0, 300, 100e6)
	if err != nil {
		t.Fatal(err)
	}
	if g.Width != 960 || g.Height != 720 || len(g.Pix) != g.Width*g.Height {
		t.Fatalf("%dx%d, %d bytes", g.Width, g.Height, len(g.Pix))
	}
	white, black := 0, 0
	for _, v := range g.Pix {
		switch {
		case v > 200:
			white++
		case v < 60:
			black++
		}
	}
	if white < len(g.Pix)/2 || black < len(g.Pix)/100 {
		t.Errorf("not a page of dark text on white: %d white, %d black of %d", white, black, len(g.Pix))
	}
	if _, err := d.RenderGray(0, 300, 1e5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the pixel limit: %v", err)
	}
}

// TestText: the born-digital page's words, in order, with boxes where the
// text is drawn (72 pt from the left, first baseline 92 pt from the top).
func TestText(t *testing.T) {
	want := "Born digital page for ocrbox. The quick brown fox jumps over the lazy dog. Invoice 2041: total 318.50 EUR, due 12 March."
	tests := []struct {
		path       string
		w, h       int
		firstBox   func(w Word) bool
		visible    bool
		invisible  bool
		wantPrefix string
	}{
		{"testdata/born-digital.pdf", 2550, 3300, func(w Word) bool {
			// 72 pt = 300 px from the left; baseline 700 pt up = 383 px down.
			return w.X0 >= 295 && w.X0 <= 310 && w.Y1 >= 370 && w.Y1 <= 395 && w.Y0 > 300
		}, true, false, want},
		{"testdata/rotated.pdf", 3300, 2550, func(w Word) bool {
			// Turned 90° clockwise: the first line runs top to bottom near
			// the right edge (PDFium reads the lines of this sideways page
			// last to first, so only the words are compared below).
			return w.Text == "Born" && w.Y0 >= 295 && w.Y0 <= 310 && w.X1 > 2900 && w.Y1-w.Y0 > w.X1-w.X0
		}, true, false, want},
		{"testdata/ocr-layer.pdf", 2550, 3300, func(w Word) bool { return w.X0 >= 295 && w.X0 <= 310 }, false, true,
			"Hidden OCR layer text."},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			d := open(t, tc.path)
			pt, err := d.Text(0, 300)
			if err != nil {
				t.Fatal(err)
			}
			if pt.Width != tc.w || pt.Height != tc.h {
				t.Errorf("%dx%d px, want %dx%d", pt.Width, pt.Height, tc.w, tc.h)
			}
			var words []string
			first := pt.Words[0]
			for _, w := range pt.Words {
				if w.Text == "Born" {
					first = w
				}
				words = append(words, w.Text)
				if w.Invisible != tc.invisible {
					t.Errorf("word %q invisible=%v", w.Text, w.Invisible)
				}
			}
			if tc.path == "testdata/rotated.pdf" {
				slices.Sort(words)
				w := strings.Fields(tc.wantPrefix)
				slices.Sort(w)
				tc.wantPrefix = strings.Join(w, " ")
			}
			if got := strings.Join(words, " "); got != tc.wantPrefix {
				t.Errorf("text %q\nwant %q", got, tc.wantPrefix)
			}
			if !tc.firstBox(first) {
				t.Errorf("first word %+v not where it is drawn", first)
			}
			if pt.HasText(true) != tc.visible || !pt.HasText(false) {
				t.Errorf("HasText(visible only) %v, any %v; counts %+v", pt.HasText(true), pt.HasText(false), pt)
			}
			if tc.visible && pt.Words[len(pt.Words)-1].Line != 3 {
				t.Errorf("last word on line %d, want 3", pt.Words[len(pt.Words)-1].Line)
			}
		})
	}
	// A scanned page has no text at all.
	d := open(t, "testdata/mixed.pdf")
	pt, err := d.Text(1, 300)
	if err != nil || pt.HasText(false) || len(pt.Words) != 0 {
		t.Errorf("scanned page: %+v, %v", pt, err)
	}
}

func TestExtractPage(t *testing.T) {
	d := open(t, "testdata/mixed.pdf")
	data, err := d.ExtractPage(0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p1.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	one := open(t, path)
	if n, _ := one.PageCount(); n != 1 {
		t.Fatalf("%d pages", n)
	}
	pt, err := one.Text(0, 72)
	if err != nil || len(pt.Words) < 5 || pt.Words[0].Text != "Born" {
		t.Errorf("extracted page text %+v, %v", pt.Words, err)
	}
}

// TestHostile: broken files fail with ErrCorrupt, quickly, and the engine
// stays usable.
func TestHostile(t *testing.T) {
	src, err := os.ReadFile("testdata/born-digital.pdf")
	if err != nil {
		t.Fatal(err)
	}
	deep := "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + strings.Repeat("[", 100000) + " >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	tests := map[string][]byte{
		"empty":     {},
		"garbage":   []byte(strings.Repeat("not a pdf at all ", 1000)),
		"truncated": src[:len(src)/3],
		"deep":      []byte(deep),
		"huge count": []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [2 0 R] /Count 999999999 >>\nendobj\n" +
			"trailer\n<< /Root 1 0 R >>\n%%EOF\n"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.pdf")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			d, err := engine.Open(path)
			if err == nil {
				defer d.Close()
				n, cerr := d.PageCount()
				if cerr == nil && n > 0 {
					_, err = d.RenderGray(0, 150, 100e6)
				} else {
					err = errors.Join(ErrCorrupt, cerr)
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	// Still usable.
	if _, err := open(t, "testdata/born-digital.pdf").Text(0, 72); err != nil {
		t.Fatal(err)
	}
}
