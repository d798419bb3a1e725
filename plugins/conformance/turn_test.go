package conformance

import (
	"image"
	"image/color"
	"testing"
)

// TestTurn: the canvas holds the turned page (to a pixel: the sine of 90°
// is not exact in floating point), and a mark in the top left corner ends
// where a clockwise turn puts it.
func TestTurn(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 40, 20))
	for i := range src.Pix {
		src.Pix[i] = 0xff
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			src.SetGray(x, y, color.Gray{})
		}
	}
	for _, tc := range []struct {
		deg       float64
		w, h      int
		markX, mY int // a pixel inside the turned mark
	}{
		{0, 40, 20, 1, 1},
		{90, 20, 40, 18, 1},   // top left → top right
		{180, 40, 20, 38, 18}, // → bottom right
	} {
		got := Turn(src, tc.deg)
		if b := got.Bounds(); b.Dx()-tc.w > 1 || b.Dx() < tc.w || b.Dy()-tc.h > 1 || b.Dy() < tc.h {
			t.Errorf("%v°: canvas %dx%d, want %dx%d", tc.deg, b.Dx(), b.Dy(), tc.w, tc.h)
			continue
		}
		if v := got.GrayAt(tc.markX, tc.mY).Y; v > 0x40 {
			t.Errorf("%v°: pixel (%d,%d) is %#x, want the dark mark", tc.deg, tc.markX, tc.mY, v)
		}
		if v := got.GrayAt(tc.w/2, tc.h/2).Y; v < 0xc0 {
			t.Errorf("%v°: the middle is %#x, want white", tc.deg, v)
		}
	}
}
