package conformance

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// Turn turns src clockwise by deg degrees (bilinear) onto a white canvas
// just large enough to hold it, as a page fed askew (or upside down) into
// a scanner: the pages the orientation tests and the page-variant
// benchmark make from the corpus.
func Turn(src image.Image, deg float64) *image.Gray {
	b := src.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	sin, cos := math.Sincos(deg * math.Pi / 180)
	dw := math.Ceil(math.Abs(w*cos) + math.Abs(h*sin))
	dh := math.Ceil(math.Abs(w*sin) + math.Abs(h*cos))
	dst := image.NewGray(image.Rect(0, 0, int(dw), int(dh)))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	// dst = R·(src − c) + c′, y pointing down, so positive deg is clockwise.
	cx, cy, dx, dy := w/2, h/2, dw/2, dh/2
	m := f64.Aff3{
		cos, -sin, dx - cos*cx + sin*cy,
		sin, cos, dy - sin*cx - cos*cy,
	}
	draw.BiLinear.Transform(dst, m, src, b, draw.Over, nil)
	return dst
}
