package testimage

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"

	"golang.org/x/image/tiff"
)

// TestGrayTIFF: a TIFF reader takes the file, its first page has the
// documented size, and following the IFD chain finds n pages, no two with
// the same pixels.
func TestGrayTIFF(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		data := GrayTIFF(n)
		img, err := tiff.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%d pages: decode: %v", n, err)
		}
		if img.Bounds() != image.Rect(0, 0, GrayTIFFWidth, GrayTIFFHeight) {
			t.Errorf("%d pages: first page %v", n, img.Bounds())
		}
		if _, ok := img.(*image.Gray); !ok {
			t.Errorf("%d pages: first page is a %T, want gray", n, img)
		}
		seen := map[string]bool{}
		pages := 0
		for off := binary.LittleEndian.Uint32(data[4:]); off != 0; pages++ {
			if pages > n {
				t.Fatalf("%d pages: the IFD chain does not end", n)
			}
			entries := int(binary.LittleEndian.Uint16(data[off:]))
			strip := binary.LittleEndian.Uint32(data[int(off)+2+5*12+8:]) // StripOffsets' value
			px := string(data[strip : strip+GrayTIFFWidth*GrayTIFFHeight])
			if seen[px] {
				t.Errorf("%d pages: page %d repeats an earlier page", n, pages+1)
			}
			seen[px] = true
			off = binary.LittleEndian.Uint32(data[int(off)+2+entries*12:])
		}
		if pages != n {
			t.Errorf("GrayTIFF(%d) has %d pages", n, pages)
		}
	}
}
