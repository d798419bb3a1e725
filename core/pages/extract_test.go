package pages

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestExtractJobs runs Document.Job then Extract, as the server and the
// page helper do between them: pages handed on as uploaded point at the
// upload and write nothing; re-encoded pages are written to Out only.
func TestExtractJobs(t *testing.T) {
	dir := testenv.Corpus(t)
	tests := []struct {
		file    string
		page    int
		asIs    bool
		wantCT  string
		wantDPI int
	}{
		{"pages/phototest-rotated-L.png", 0, true, TypePNG, 0},
		{"pages/8087_054.3B.tif", 0, true, TypeTIFF, 300},
		{"multipage/four-pages.tif", 2, false, "", 0},
		{"multipage/three-pages.pdf", 1, false, "", 300},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(dir, tc.file)
			doc, err := Open(ctx, path, "", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer doc.Close()
			out := filepath.Join(t.TempDir(), "page")
			job, err := doc.Job(tc.page, out)
			if err != nil {
				t.Fatal(err)
			}
			if job.DPI != 0 && job.DPI != 300 {
				t.Errorf("job DPI = %d", job.DPI)
			}
			p, err := Extract(ctx, job)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(out)
			if tc.asIs {
				if p.Path != path || statErr == nil {
					t.Errorf("page at %q (out exists: %v), want the upload itself and no file written", p.Path, statErr == nil)
				}
			} else if p.Path != out || statErr != nil || p.Data != nil {
				t.Errorf("page at %q with %d bytes of Data (%v), want it written to Out", p.Path, len(p.Data), statErr)
			}
			if tc.wantCT != "" && p.ContentType != tc.wantCT {
				t.Errorf("content type %q, want %q", p.ContentType, tc.wantCT)
			}
			if tc.wantDPI != 0 && p.DPI != tc.wantDPI {
				t.Errorf("DPI %d, want %d", p.DPI, tc.wantDPI)
			}
			if p.Number != tc.page+1 {
				t.Errorf("Number %d, want %d", p.Number, tc.page+1)
			}
			assertDecodes(t, p)
		})
	}
}

// TestExtractUnreadable: a page the decoder cannot read is a permanent
// unreadable_input error, and Out is left absent.
func TestExtractUnreadable(t *testing.T) {
	t.Parallel()
	bmp := bmpFixture(64, 32)[:200]
	path := writeTemp(t, "bad.bmp", bmp)
	doc, err := Open(context.Background(), path, "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "page")
	job, err := doc.Job(0, out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Extract(context.Background(), job)
	wantDomainError(t, err, domain.ErrBadInput, "unreadable_input")
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed page left its output file")
	}
}

// TestOpenHeadersInGo: Open's header readers are Go and stream the first
// bytes; a PNM and a WebP header are enough to size the page.
func TestOpenHeadersInGo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		w, h int
	}{
		{"pgm with comment", append([]byte("P5\n# scanner\n 64\t32\n255\n"), bytes.Repeat([]byte{9}, 64*32)...), 64, 32},
		{"pbm", append([]byte("P4 17 3\n"), make([]byte, 9)...), 17, 3},
		// A lossless WebP header (VP8L): 14-bit width-1 and height-1.
		{"webp", webpVP8LHeader(300, 200), 300, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(context.Background(), writeTemp(t, "img", tc.data), "", Limits{MaxMegapixels: float64(tc.w*tc.h-1) / 1e6})
			de := wantDomainError(t, err, domain.ErrTooLarge, "image_too_large")
			if want := []byte(fmt.Sprintf("%dx%d", tc.w, tc.h)); !bytes.Contains([]byte(de.Message), want) {
				t.Errorf("message %q does not name %s", de.Message, want)
			}
		})
	}
}

// webpVP8LHeader is a RIFF/WEBP file with a VP8L chunk whose header
// declares w x h; no image data follows.
func webpVP8LHeader(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	chunk := []byte{0x2f, byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24), 0, 0, 0}
	var b bytes.Buffer
	b.WriteString("RIFF")
	le32(&b, uint32(4+8+len(chunk)))
	b.WriteString("WEBPVP8L")
	le32(&b, uint32(len(chunk)))
	b.Write(chunk)
	return b.Bytes()
}

func le32(b *bytes.Buffer, v uint32) {
	b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// TestLargeColourPageGoesGray: a colour page above GrayAbovePixels is
// handed on as 8-bit gray PNG, not as uploaded (checked here on a small
// page with the threshold at 0).
func TestLargeColourPageGoesGray(t *testing.T) {
	t.Parallel()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	x, err := decodeFile(writeTemp(t, "colour.png", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.free()
	if !x.colourAbove(0) || x.colourAbove(64*32) {
		t.Fatal("colourAbove does not compare the pixel count")
	}
	p, err := grayPage(x, Page{Number: 1, Width: 64, Height: 32})
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != TypePNG || p.Path != "" {
		t.Fatalf("page %s at %q, want PNG data", p.ContentType, p.Path)
	}
	g, _, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.(*image.Gray); !ok || g.Bounds().Dx() != 64 {
		t.Fatalf("decoded as %T %v, want 64x32 *image.Gray", g, g.Bounds())
	}
}
