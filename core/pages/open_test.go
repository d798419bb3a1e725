package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	_ "image/png"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestOpenCorpus opens real scans and checks every page is an image the
// engine can decode, with the size the source declares.
func TestOpenCorpus(t *testing.T) {
	dir := testenv.Corpus(t)
	tests := []struct {
		file     string
		sizes    [][2]int // width, height per page
		dpi      int      // expected DPI of every page, 0 = don't check
		original bool     // the page must be the upload itself
	}{
		{"pages/phototest.tif", [][2]int{{640, 480}}, 0, true},
		{"pages/8087_054.3B.tif", [][2]int{{2560, 3300}}, 300, true},
		{"pages/phototest-rotated-L.png", [][2]int{{480, 640}}, 0, true},
		{"multipage/four-pages.tif", [][2]int{{3312, 2550}, {2560, 3300}, {1024, 800}, {640, 480}}, 0, false},
		// img2pdf pages: 3.2x2.4 in, 3.41x2.67 in, 8.53x11 in, rendered at 300 dpi.
		{"multipage/three-pages.pdf", [][2]int{{960, 720}, {1024, 800}, {2560, 3300}}, 300, false},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(dir, tc.file)
			doc, err := Open(ctx, path, "", Limits{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer doc.Close()
			if got := doc.PageCount(); got != len(tc.sizes) {
				t.Fatalf("PageCount = %d, want %d", got, len(tc.sizes))
			}
			for i, want := range tc.sizes {
				p, err := doc.Page(ctx, i)
				if err != nil {
					t.Fatalf("Page(%d): %v", i, err)
				}
				if p.Number != i+1 {
					t.Errorf("page %d: Number = %d", i, p.Number)
				}
				if abs(p.Width-want[0]) > 1 || abs(p.Height-want[1]) > 1 {
					t.Errorf("page %d: %dx%d, want %dx%d", i+1, p.Width, p.Height, want[0], want[1])
				}
				if tc.dpi != 0 && p.DPI != tc.dpi {
					t.Errorf("page %d: DPI = %d, want %d", i+1, p.DPI, tc.dpi)
				}
				if tc.original != (p.Path == path && p.Data == nil) {
					t.Errorf("page %d: Path %q, %d bytes of Data; want the upload itself: %v", i+1, p.Path, len(p.Data), tc.original)
				}
				if ct, _ := Sniff(pageBytes(t, p)); ct != p.ContentType {
					t.Errorf("page %d: ContentType %q but data sniffs as %q", i+1, p.ContentType, ct)
				}
				assertDecodes(t, p)
			}
		})
	}
}

// pageBytes is the encoded page, wherever it is.
func pageBytes(t *testing.T, p Page) []byte {
	t.Helper()
	if p.Path != "" {
		return readFile(t, p.Path)
	}
	return p.Data
}

// assertDecodes re-opens a page's bytes as its own one-page document, the
// way an engine would read them, and checks the size survives.
func assertDecodes(t *testing.T, p Page) {
	t.Helper()
	path := writeTemp(t, "page", pageBytes(t, p))
	doc, err := Open(context.Background(), path, p.ContentType, Limits{})
	if err != nil {
		t.Fatalf("page %d does not reopen: %v", p.Number, err)
	}
	defer doc.Close()
	q, err := doc.Page(context.Background(), 0)
	if err != nil {
		t.Fatalf("page %d does not decode: %v", p.Number, err)
	}
	if q.Width != p.Width || q.Height != p.Height {
		t.Errorf("page %d decodes as %dx%d, want %dx%d", p.Number, q.Width, q.Height, p.Width, p.Height)
	}
}

func TestOpenMaxPages(t *testing.T) {
	dir := testenv.Corpus(t)
	tests := []struct {
		file string
		max  int
	}{
		{"multipage/four-pages.tif", 3},
		{"multipage/three-pages.pdf", 2},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			_, err := Open(context.Background(), filepath.Join(dir, tc.file), "", Limits{MaxPages: tc.max})
			de := wantDomainError(t, err, domain.ErrTooLarge, "too_many_pages")
			if !bytes.Contains([]byte(de.Message), []byte("at most 2")) && !bytes.Contains([]byte(de.Message), []byte("at most 3")) {
				t.Errorf("message %q does not state the limit", de.Message)
			}
		})
	}
}

func TestPageConcurrentAndCancelled(t *testing.T) {
	dir := testenv.Corpus(t)
	doc, err := Open(context.Background(), filepath.Join(dir, "multipage/four-pages.tif"), TypeTIFF, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	var wg sync.WaitGroup
	errs := make([]error, doc.PageCount())
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = doc.Page(context.Background(), i)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := doc.Page(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Page with cancelled ctx = %v, want context.Canceled", err)
	}
	_, err = doc.Page(context.Background(), 4)
	wantDomainError(t, err, domain.ErrInvalid, "page_out_of_range")
}

// TestConvertedFormats checks formats engines may not read are handed on as
// PNG, or as G4 TIFF when bilevel.
func TestConvertedFormats(t *testing.T) {
	t.Parallel()
	gray := append([]byte("P5\n64 32\n255\n"), bytes.Repeat([]byte{0x40, 0xC0}, 64*32/2)...)
	bilevel := append([]byte("P4\n64 32\n"), bytes.Repeat([]byte{0xF0}, 8*32)...)
	tests := []struct {
		name, ct string
		data     []byte
		wantCT   string
	}{
		{"pgm", TypePNM, gray, TypePNG},
		{"pbm", TypePNM, bilevel, TypeTIFF},
		{"gif", TypeGIF, gifFixture(t), TypePNG},
		{"bmp", TypeBMP, bmpFixture(64, 32), TypePNG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Open(context.Background(), writeTemp(t, tc.name, tc.data), "", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer doc.Close()
			p, err := doc.Page(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if p.ContentType != tc.wantCT || p.Width != 64 || p.Height != 32 {
				t.Fatalf("got %s %dx%d, want %s 64x32", p.ContentType, p.Width, p.Height, tc.wantCT)
			}
			if p.ContentType == TypePNG {
				if _, _, err := image.Decode(bytes.NewReader(p.Data)); err != nil {
					t.Fatalf("PNG does not decode with Go: %v", err)
				}
			}
			assertDecodes(t, p)
		})
	}
}

// bmpFixture builds a valid bottom-up 24-bit BMP with a gray gradient.
func bmpFixture(w, h int) []byte {
	row := (w*3 + 3) &^ 3
	b := make([]byte, 54+row*h)
	le := binary.LittleEndian
	copy(b, "BM")
	le.PutUint32(b[2:], uint32(len(b)))
	le.PutUint32(b[10:], 54)
	le.PutUint32(b[14:], 40)
	le.PutUint32(b[18:], uint32(w))
	le.PutUint32(b[22:], uint32(h))
	le.PutUint16(b[26:], 1)
	le.PutUint16(b[28:], 24)
	le.PutUint32(b[34:], uint32(row*h))
	for y := 0; y < h; y++ {
		for x := 0; x < w*3; x++ {
			b[54+y*row+x] = uint8(x)
		}
	}
	return b
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
