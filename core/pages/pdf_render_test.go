package pages

import (
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"
)

func TestReadPGM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		w, h    int
		wantErr error // nil: success; errAny: any error
	}{
		{"ok", "P5\n3 2\n255\n" + "\x00\x01\x02\x03\x04\x05", 3, 2, nil},
		{"ok with odd whitespace", "P5 3\t2\r\n255\n" + "abcdef", 3, 2, nil},
		{"flood refused from header", "P5\n100000 100000\n255\n", 0, 0, errRenderTooLarge},
		{"truncated pixels", "P5\n3 2\n255\n\x00\x01", 0, 0, errAny},
		{"16-bit", "P5\n3 2\n65535\n", 0, 0, errAny},
		{"not PGM", "P6\n3 2\n255\n", 0, 0, errAny},
		{"huge number", "P5\n99999999999999999999 2\n255\n", 0, 0, errAny},
		{"empty", "", 0, 0, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := readPGM(strings.NewReader(tc.in), 1e6)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("readPGM: %v", err)
			case tc.wantErr == nil:
				if g.width != tc.w || g.height != tc.h || len(g.pix) != tc.w*tc.h {
					t.Fatalf("got %dx%d with %d bytes", g.width, g.height, len(g.pix))
				}
			case err == nil:
				t.Fatal("readPGM succeeded, want an error")
			case tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("readPGM: %v, want %v", err, tc.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

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
