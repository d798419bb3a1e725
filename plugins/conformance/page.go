package conformance

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// PageLines is the text of the page the kit renders when no page is given.
var PageLines = []string{
	"The quick brown fox jumps over",
	"the lazy dog. Pack my box with",
	"five dozen liquor jugs, 2026.",
}

// RenderPage draws lines in Go Regular at 300 dpi on a white page: a clean
// page every reasonable engine reads, made here so the kit needs no files.
func RenderPage(lines []string) ([]byte, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 16, DPI: 300, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	lineH := face.Metrics().Height.Ceil() * 3 / 2
	w, h := 2480, 200+lineH*len(lines)+200
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	for i, line := range lines {
		d.Dot = fixed.P(150, 200+lineH*(i+1))
		d.DrawString(line)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode page: %w", err)
	}
	return buf.Bytes(), nil
}

// PaddedPNG returns a valid PNG of a small white image whose file is about
// size bytes, padded with a private ancillary chunk that decoders skip: it
// tests the transport of a message near the size limit, not the engine's
// speed on a giant page.
func PaddedPNG(size int) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	// The IHDR chunk ends at 8 (signature) + 25; insert the padding after it.
	const afterIHDR = 33
	pad := size - len(b) - 12
	if pad < 0 {
		pad = 0
	}
	chunk := pngChunk("prVt", make([]byte, pad))
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, b[afterIHDR:]...), nil
}

func pngChunk(typ string, data []byte) []byte {
	out := make([]byte, 0, 12+len(data))
	n := len(data)
	out = append(out, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	out = append(out, typ...)
	out = append(out, data...)
	crc := crc32.ChecksumIEEE(append([]byte(typ), data...))
	return append(out, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
}
