package pages

import (
	"bytes"
	"image"
	"testing"
)

// TestEncodeGray: a rendered page that is pure black and white travels as
// G4 TIFF, anything with gray levels as PNG, and both decode to their size.
func TestEncodeGray(t *testing.T) {
	t.Parallel()
	const w, h = 37, 19 // odd sizes catch row-padding mistakes
	bilevel := make([]byte, w*h)
	gray := make([]byte, w*h)
	for i := range bilevel {
		if i%3 == 0 {
			bilevel[i] = 255
		}
		gray[i] = uint8(i)
	}
	for _, tc := range []struct {
		pix  []byte
		want string
	}{{bilevel, TypeTIFF}, {gray, TypePNG}} {
		data, ct, err := encodeGray(grayImage{width: w, height: h, pix: tc.pix}, 150)
		if err != nil || ct != tc.want {
			t.Fatalf("encodeGray = %s, %v; want %s", ct, err, tc.want)
		}
		p := Page{Number: 1, Data: data, ContentType: ct, Width: w, Height: h}
		assertDecodes(t, p)
		if ct == TypePNG {
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			g, ok := img.(*image.Gray)
			if !ok || !bytes.Equal(g.Pix, gray) {
				t.Fatalf("PNG pixels differ from the raster (type %T)", img)
			}
		}
	}
}
