package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// source is one corpus page, decoded, with its ground truth.
type source struct {
	name  string // file name without extension, e.g. "phototest"
	path  string
	truth string
	img   *image.Gray
	dpi   int // from the TIFF's resolution tags; 0 when it has none
}

func loadSource(path, truthPath, name string) (*source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	truth, err := os.ReadFile(truthPath)
	if err != nil {
		return nil, fmt.Errorf("ground truth of %s: %w", path, err)
	}
	img, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	// Gray, whatever the scan was (the UNLV pages are bilevel): every
	// variant is made from and written as the same 8-bit gray image, so a
	// row differs from "upright" only by what the row says.
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return &source{name: name, path: path, truth: string(truth), img: g, dpi: tiffDPI(data)}, nil
}

// rotateExact turns img clockwise by a multiple of 90°, pixel for pixel.
func rotateExact(img *image.Gray, deg int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var dst *image.Gray
	switch deg {
	case 90, 270:
		dst = image.NewGray(image.Rect(0, 0, h, w))
	default:
		dst = image.NewGray(image.Rect(0, 0, w, h))
	}
	for y := range h {
		row := img.Pix[(y)*img.Stride:]
		for x := range w {
			v := row[x]
			switch deg {
			case 90: // (x, y) → (h-1-y, x)
				dst.Pix[x*dst.Stride+h-1-y] = v
			case 180:
				dst.Pix[(h-1-y)*dst.Stride+w-1-x] = v
			case 270: // (x, y) → (y, w-1-x)
				dst.Pix[(w-1-x)*dst.Stride+y] = v
			default:
				dst.Pix[y*dst.Stride+x] = v
			}
		}
	}
	return dst
}

// skew turns img clockwise by deg degrees onto a white canvas, as a page
// fed askew into a scanner (conformance.Turn, as the orientation tests).
func skew(img *image.Gray, deg float64) *image.Gray { return conformance.Turn(img, deg) }

// encodePNG writes img as PNG with a pHYs chunk when dpi is known, so that
// every tool sees the scan's real resolution (Go's encoder writes none).
func encodePNG(img image.Image, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if dpi <= 0 {
		return data, nil
	}
	// pHYs goes before the first IDAT; IHDR is always 8+25 bytes in.
	const afterIHDR = 8 + 25
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	body := binary.BigEndian.AppendUint32(nil, ppm)
	body = binary.BigEndian.AppendUint32(body, ppm)
	body = append(body, 1) // unit: metre
	out := append([]byte{}, data[:afterIHDR]...)
	out = append(out, pngChunk("pHYs", body)...)
	return append(out, data[afterIHDR:]...), nil
}

func pngChunk(typ string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// encodeJPEG writes img as a baseline JPEG at quality q. JPEG has its own
// density field, but Go's encoder leaves it out; the tools are told the
// resolution where they need it (OCRmyPDF's --image-dpi).
func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	return buf.Bytes(), err
}

// tiffDPI reads the first IFD's XResolution and ResolutionUnit; 0 when
// absent (x/image/tiff decodes the pixels but not these tags).
func tiffDPI(data []byte) int {
	if len(data) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(data[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int(bo.Uint32(data[4:]))
	if ifd+2 > len(data) {
		return 0
	}
	n := int(bo.Uint16(data[ifd:]))
	var xres float64
	unit := 2 // inch, the TIFF default
	for i := range n {
		e := ifd + 2 + 12*i
		if e+12 > len(data) {
			return 0
		}
		tag, val := bo.Uint16(data[e:]), bo.Uint32(data[e+8:])
		switch tag {
		case 282: // XResolution, RATIONAL at offset val
			if int(val)+8 <= len(data) {
				num, den := bo.Uint32(data[val:]), bo.Uint32(data[val+4:])
				if den != 0 {
					xres = float64(num) / float64(den)
				}
			}
		case 296: // ResolutionUnit, SHORT stored in the value field
			unit = int(bo.Uint16(data[e+8:]))
		}
	}
	switch unit {
	case 2:
		return int(math.Round(xres))
	case 3:
		return int(math.Round(xres * 2.54))
	}
	return 0
}
