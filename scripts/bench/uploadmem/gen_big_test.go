package main

import (
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	_ "golang.org/x/image/tiff"
)

// TestBigKindsDecode: the big PNG and TIFF are valid images of about the
// asked size, with the text in black on white.
func TestBigKindsDecode(t *testing.T) {
	for name, gen := range map[string]func(string, int64) (int, error){"png": bigPNG, "tiff": bigTIFF} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "big."+name)
			const size = 3 << 20
			if _, err := gen(path, size); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() < size*95/100 || st.Size() > size*105/100 {
				t.Errorf("%d bytes, want about %d", st.Size(), size)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, _, err := image.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			dark := 0
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y += 2 {
				for x := b.Min.X; x < b.Max.X; x += 2 {
					if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
						dark++
					}
				}
			}
			if dark == 0 {
				t.Error("no text on the page")
			}
		})
	}
}
