package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

func randomGray(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(r.IntN(256))
	}
	return g
}

// Four quarter turns give the page back pixel for pixel, and one quarter
// turn moves the top-left corner to the top right (clockwise).
func TestRotateExact(t *testing.T) {
	src := randomGray(7, 5)
	img := src
	for range 4 {
		img = rotateExact(img, 90)
	}
	if !bytes.Equal(img.Pix, src.Pix) || img.Bounds() != src.Bounds() {
		t.Fatal("four quarter turns changed the image")
	}
	r90 := rotateExact(src, 90)
	if r90.Bounds().Dx() != 5 || r90.Bounds().Dy() != 7 || r90.GrayAt(4, 0) != src.GrayAt(0, 0) {
		t.Errorf("90°: top-left pixel not at the top right")
	}
	r180, r270 := rotateExact(src, 180), rotateExact(src, 270)
	if r180.GrayAt(6, 4) != src.GrayAt(0, 0) || r270.GrayAt(0, 6) != src.GrayAt(0, 0) {
		t.Errorf("180°/270°: top-left pixel misplaced")
	}
}

// The PNG carries the resolution in pHYs and the JPEG in JFIF, and both
// still decode to the page's size.
func TestEncodingsKeepResolution(t *testing.T) {
	src := randomGray(30, 20)
	p, err := encodePNG(src, 300)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(p, []byte("pHYs")) {
		t.Error("no pHYs chunk")
	}
	if img, err := png.Decode(bytes.NewReader(p)); err != nil || img.Bounds() != src.Bounds() {
		t.Errorf("png: %v %v", err, img)
	}
	j, err := encodeJPEG(src, 40)
	if err != nil {
		t.Fatal(err)
	}
	j = withJFIFDensity(j, 300)
	if !bytes.Equal(j[6:11], []byte("JFIF\x00")) || j[13] != 1 || j[14] != 1 || j[15] != 44 {
		t.Errorf("JFIF header % x", j[:20])
	}
	if img, err := jpeg.Decode(bytes.NewReader(j)); err != nil || img.Bounds() != src.Bounds() {
		t.Errorf("jpeg: %v", err)
	}
}

func TestWordRecall(t *testing.T) {
	for _, tc := range []struct {
		ref, hyp string
		want     float64
	}{
		{"The cat, the hat.", "the CAT the hat", 1},
		{"the the cat", "the cat", 2.0 / 3},
		{"a b c d", "d c", 0.5},
		{"", "anything", 1},
	} {
		if got := wordRecall(tc.ref, tc.hyp); got != tc.want {
			t.Errorf("wordRecall(%q, %q) = %v, want %v", tc.ref, tc.hyp, got, tc.want)
		}
	}
}

// A scan wrapped as a PDF has the page size of the paper, not one point
// per pixel; a mixed PDF has the born-digital pages, then the scan.
func TestPDFs(t *testing.T) {
	p, err := encodePNG(randomGray(600, 300), 300)
	if err != nil {
		t.Fatal(err)
	}
	scan, err := scannedPDF(p, 600, 300, 300)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := api.PageDims(bytes.NewReader(scan), nil)
	if err != nil || len(dims) != 1 || math.Abs(dims[0].Width-144) > 0.01 || math.Abs(dims[0].Height-72) > 0.01 {
		t.Fatalf("scan page dims %v (%v), want 144×72 pt", dims, err)
	}
	born, truths, err := bornDigital(strings.Repeat("line\n", bornLines+1))
	if err != nil || len(truths) != 2 {
		t.Fatalf("born-digital: %d pages (%v), want 2", len(truths), err)
	}
	mixed, err := mergePDFs(born, scan)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := api.PageCount(bytes.NewReader(mixed), nil); err != nil || n != 3 {
		t.Fatalf("mixed: %d pages (%v), want 3", n, err)
	}
}
