package worker_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// textPNG renders lines of black text on white with the 7x13 bitmap font,
// magnified scale times so tesseract sees letters of a readable size.
func textPNG(t *testing.T, scale int, lines ...string) []byte {
	t.Helper()
	const margin, lineHeight = 10, 18
	width := 0
	for _, l := range lines {
		width = max(width, font.MeasureString(basicfont.Face7x13, l).Ceil())
	}
	small := image.NewGray(image.Rect(0, 0, width+2*margin, len(lines)*lineHeight+2*margin))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13}
	for i, l := range lines {
		d.Dot = fixed.P(margin, margin+(i+1)*lineHeight-5)
		d.DrawString(l)
	}
	b := small.Bounds()
	big := image.NewGray(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
	for y := range big.Bounds().Dy() {
		for x := range big.Bounds().Dx() {
			big.SetGray(x, y, small.GrayAt(x/scale, y/scale))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, big); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// grayPNG is a small gray page whose pixels depend on seed, so pages with
// different seeds have different bytes.
func grayPNG(t *testing.T, seed int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.SetGray(x, y, color.Gray{Y: uint8(40 + (x*y+seed*37)%180)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngWithMarker inserts a tEXt chunk holding marker after the IHDR chunk:
// decoders ignore it, but it travels in the page bytes a single-page PNG
// is sent to the engine as.
func pngWithMarker(t *testing.T, pngData []byte, marker string) []byte {
	t.Helper()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, length, type, data, crc
	if len(pngData) < ihdrEnd || string(pngData[12:16]) != "IHDR" {
		t.Fatal("not a PNG starting with IHDR")
	}
	var buf bytes.Buffer
	buf.Write(pngData[:ihdrEnd])
	data := append([]byte("Comment\x00"), marker...)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte("tEXt"))
	crc.Write(data)
	buf.WriteString("tEXt")
	buf.Write(data)
	_ = binary.Write(&buf, binary.BigEndian, crc.Sum32())
	buf.Write(pngData[ihdrEnd:])
	return buf.Bytes()
}
