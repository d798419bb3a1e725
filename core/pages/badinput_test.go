package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestPixelFloodRefusedFromHeader: a 30000x30000 PNG (900 MP, 900 MB as
// 8-bit gray) with a 100-byte body must be refused from its header alone.
func TestPixelFloodRefusedFromHeader(t *testing.T) {
	path := writeTemp(t, "flood.png", floodPNG(30000, 30000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Open(context.Background(), path, "", Limits{MaxMegapixels: 50})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	de := wantDomainError(t, err, domain.ErrTooLarge, "image_too_large")
	if !strings.Contains(de.Message, "30000x30000") {
		t.Errorf("message %q does not name the size", de.Message)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50<<20 {
		t.Errorf("refusing the flood allocated %d MB", alloc>>20)
	}
	if elapsed > time.Second {
		t.Errorf("refusing the flood took %s", elapsed)
	}
}

// TestPixelFloodFormats: every format's declared size is checked from its
// header, including those leptonica would decode whole to learn it (BMP).
func TestPixelFloodFormats(t *testing.T) {
	t.Parallel()
	bmp := make([]byte, 54+64)
	copy(bmp, "BM")
	binary.LittleEndian.PutUint32(bmp[2:], uint32(len(bmp)))
	binary.LittleEndian.PutUint32(bmp[10:], 54)
	binary.LittleEndian.PutUint32(bmp[14:], 40) // BITMAPINFOHEADER
	binary.LittleEndian.PutUint32(bmp[18:], 20000)
	binary.LittleEndian.PutUint32(bmp[22:], uint32(0xFFFFFFFF-20000+1)) // -20000: top-down
	binary.LittleEndian.PutUint16(bmp[26:], 1)
	binary.LittleEndian.PutUint16(bmp[28:], 24)
	gifHead := []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;")
	tests := []struct {
		name string
		data []byte
	}{
		{"png", floodPNG(20000, 20000)},
		{"pgm", append([]byte("P5\n20000 20000\n255\n"), make([]byte, 64)...)},
		{"bmp", bmp},
		{"gif", gifHead},
		{"tiff", tiffPages([][2]uint32{{20000, 20000}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(context.Background(), writeTemp(t, tc.name, tc.data), "", Limits{MaxMegapixels: 100})
			wantDomainError(t, err, domain.ErrTooLarge, "image_too_large")
		})
	}
}

// TestPixelFloodOnLaterTIFFPage: every page header of a multi-page TIFF is
// checked, not just the first.
func TestPixelFloodOnLaterTIFFPage(t *testing.T) {
	t.Parallel()
	path := writeTemp(t, "flood.tif", tiffPages([][2]uint32{{8, 8}, {8, 8}, {60000, 60000}}))
	_, err := Open(context.Background(), path, "", Limits{})
	de := wantDomainError(t, err, domain.ErrTooLarge, "image_too_large")
	if !strings.Contains(de.Message, "page 3") {
		t.Errorf("message %q does not name page 3", de.Message)
	}

	// The same file without the flood page opens and decodes.
	doc, err := Open(context.Background(), writeTemp(t, "ok.tif", tiffPages([][2]uint32{{8, 8}, {16, 8}})), "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	if doc.PageCount() != 2 {
		t.Fatalf("PageCount = %d, want 2", doc.PageCount())
	}
	if p, err := doc.Page(context.Background(), 1); err != nil || p.Width != 16 {
		t.Fatalf("Page(1) = %dx%d, %v", p.Width, p.Height, err)
	}
}

// TestPDFDPILoweredForLargePages: a page too large at PDFDPI is rendered at
// the highest DPI that fits MaxMegapixels instead of being refused.
func TestPDFDPILoweredForLargePages(t *testing.T) {
	dir := testenv.Corpus(t)
	doc, err := Open(context.Background(), filepath.Join(dir, "multipage/three-pages.pdf"), TypePDF,
		Limits{MaxMegapixels: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	p, err := doc.Page(context.Background(), 2) // 8.53x11 in: 8.4 MP at 300 dpi
	if err != nil {
		t.Fatal(err)
	}
	if p.DPI >= 300 || p.DPI < 140 || float64(p.Width*p.Height) > 2e6 {
		t.Errorf("page 3 rendered at %d dpi as %dx%d, want < 300 dpi within 2 MP", p.DPI, p.Width, p.Height)
	}
	if p, err := doc.Page(context.Background(), 0); err != nil || p.DPI != 300 {
		t.Errorf("small page 1: DPI %d, %v; want 300", p.DPI, err)
	}
}

// TestUnreadableInputs: corrupt and truncated files fail with
// unreadable_input, at Open or at the latest at Page.
func TestUnreadableInputs(t *testing.T) {
	dir := testenv.Corpus(t)
	png := readFile(t, filepath.Join(dir, "pages/phototest-rotated-L.png"))
	tif := readFile(t, filepath.Join(dir, "multipage/four-pages.tif"))
	pdf := readFile(t, filepath.Join(dir, "multipage/three-pages.pdf"))
	jpg := jpegFixture(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"png truncated in IDAT", png[:len(png)/2]},
		{"png header only", png[:40]},
		{"png magic then garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0x5A}, 500)...)},
		{"jpeg truncated", jpg[:len(jpg)/3]},
		{"tiff truncated", tif[:len(tif)/3]},
		{"tiff magic then garbage", append([]byte("II*\x00\xff\xff\xff\x7f"), bytes.Repeat([]byte{1}, 100)...)},
		{"pdf truncated", pdf[:len(pdf)/2]},
		{"pdf header then garbage", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage "), 200)...)},
		{"bmp truncated", bmpFixture(64, 32)[:200]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := openAll(writeTemp(t, "input", tc.data))
			de := wantDomainError(t, err, domain.ErrBadInput, "unreadable_input")
			if de.Message == "" || strings.Contains(de.Message, "leptonica") {
				t.Errorf("message %q is not for users", de.Message)
			}
		})
	}
}

// openAll opens a file and decodes every page, returning the first error.
func openAll(path string) error {
	ctx := context.Background()
	doc, err := Open(ctx, path, "", Limits{})
	if err != nil {
		return err
	}
	defer doc.Close()
	for i := 0; i < doc.PageCount(); i++ {
		if _, err := doc.Page(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func TestGarbageIsUnsupported(t *testing.T) {
	t.Parallel()
	err := openAll(writeTemp(t, "garbage", bytes.Repeat([]byte("not an image "), 100)))
	wantDomainError(t, err, domain.ErrUnsupportedType, "unsupported_type")
	err = openAll(writeTemp(t, "empty", nil))
	wantDomainError(t, err, domain.ErrInvalid, "empty_file")
}

func TestEncryptedPDF(t *testing.T) {
	dir := testenv.Corpus(t)
	out := filepath.Join(t.TempDir(), "locked.pdf")
	conf := model.NewAESConfiguration("secret", "owner", 256)
	if err := api.EncryptFile(filepath.Join(dir, "multipage/three-pages.pdf"), out, conf); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), out, "", Limits{})
	de := wantDomainError(t, err, domain.ErrBadInput, "unreadable_input")
	if !strings.Contains(de.Message, "password") {
		t.Errorf("message %q does not mention the password", de.Message)
	}
}

// TestPDFWithoutPoppler: PDFs are read by PDFium in this binary, with no
// helper program on PATH. Not parallel: it empties PATH.
func TestPDFWithoutPoppler(t *testing.T) {
	dir := testenv.Corpus(t)
	t.Setenv("PATH", t.TempDir())
	doc, err := Open(context.Background(), filepath.Join(dir, "multipage/three-pages.pdf"), TypePDF, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	p, err := doc.Page(context.Background(), 0)
	if err != nil || p.Width != 960 || p.Height != 720 {
		t.Fatalf("page 1 %dx%d, %v", p.Width, p.Height, err)
	}
}

func jpegFixture(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gifFixture(t *testing.T) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 64, 32), color.Palette{color.White, color.Black, color.Gray{0x80}})
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 3)
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
