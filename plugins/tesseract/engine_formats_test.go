package tesseract

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

// TestRecognizeImageFormats checks the image types Info advertises by
// re-encoding phototest (from its 90°-rotated PNG, as the standard library
// cannot read TIFF) and OCRing each encoding.
func TestRecognizeImageFormats(t *testing.T) {
	t.Parallel()
	page := uprightPhototest(t)
	truth := string(enginetest.CorpusFile(t, "pages/phototest.txt"))
	tests := []struct {
		contentType string
		encode      func(*image.Gray) ([]byte, error)
	}{
		{"image/png", func(g *image.Gray) ([]byte, error) {
			var b bytes.Buffer
			err := png.Encode(&b, g)
			return b.Bytes(), err
		}},
		{"image/jpeg", func(g *image.Gray) ([]byte, error) {
			var b bytes.Buffer
			err := jpeg.Encode(&b, g, &jpeg.Options{Quality: 90})
			return b.Bytes(), err
		}},
		{"image/bmp", encodeBMP},
		{"image/x-portable-anymap", encodePGM},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			data, err := tt.encode(page)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: data, ContentType: tt.contentType, Languages: []string{"eng"}})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			if resp.GetWidth() != 640 || resp.GetHeight() != 480 {
				t.Errorf("size = %dx%d, want 640x480", resp.GetWidth(), resp.GetHeight())
			}
			if got := cer(resp.GetText(), truth); got > 0.02 {
				t.Errorf("CER = %.2f%%, want <= 2%%\n%s", got*100, resp.GetText())
			}
		})
	}
}

// TestReadPixWebP checks that leptonica was built with WebP, which Info
// advertises. The standard library has no WebP encoder, so these are the
// well-known 1x1 feature-detection images, too small to OCR.
func TestReadPixWebP(t *testing.T) {
	t.Parallel()
	for name, b64 := range map[string]string{
		"lossy":    "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA",
		"lossless": "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==",
	} {
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		p := readPix(data)
		if p == nil {
			t.Errorf("%s WebP not decoded", name)
			continue
		}
		if p.width() != 1 || p.height() != 1 {
			t.Errorf("%s WebP is %dx%d, want 1x1", name, p.width(), p.height())
		}
		p.destroy()
	}
}

func TestSourceResolution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		requested int32
		fromFile  int
		want      int
	}{
		{150, 200, 150}, // the host rasterised it: it knows
		{0, 200, 200},   // file's own
		{0, 70, 70},     // lowest believable
		{0, 69, 300},    // placeholder
		{0, 0, 300},     // none
		{0, 2400, 2400}, // highest believable
		{0, 10000, 300}, // nonsense
		{-1, 200, 200},  // negative is unset
	}
	for _, tt := range tests {
		if got := sourceResolution(tt.requested, tt.fromFile); got != tt.want {
			t.Errorf("sourceResolution(%d, %d) = %d, want %d", tt.requested, tt.fromFile, got, tt.want)
		}
	}
}

// uprightPhototest decodes phototest-rotated-R.png (turned 90° clockwise)
// and turns it back.
func uprightPhototest(t *testing.T) *image.Gray {
	t.Helper()
	src, err := png.Decode(bytes.NewReader(enginetest.CorpusFile(t, "pages/phototest-rotated-R.png")))
	if err != nil {
		t.Fatalf("decode png: %v", err)
	}
	b := src.Bounds() // 480x640
	dst := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			// Source pixel (x, y) of a clockwise turn came from (y, w-1-x).
			dst.Set(y, b.Dx()-1-x, src.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// encodePGM writes binary PGM (P5), one of the PNM formats.
func encodePGM(g *image.Gray) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P5\n%d %d\n255\n", g.Rect.Dx(), g.Rect.Dy())
	for y := range g.Rect.Dy() {
		b.Write(g.Pix[y*g.Stride : y*g.Stride+g.Rect.Dx()])
	}
	return b.Bytes(), nil
}

// encodeBMP writes an uncompressed 24-bit BMP.
func encodeBMP(g *image.Gray) ([]byte, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	row := (3*w + 3) &^ 3
	var b bytes.Buffer
	hdr := []any{
		[2]byte{'B', 'M'}, uint32(54 + row*h), uint32(0), uint32(54), // file header
		uint32(40), int32(w), int32(h), uint16(1), uint16(24), uint32(0), // info header
		uint32(row * h), int32(11811), int32(11811), uint32(0), uint32(0), // 300 dpi
	}
	for _, v := range hdr {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			return nil, err
		}
	}
	line := make([]byte, row)
	for y := h - 1; y >= 0; y-- { // bottom-up
		for x := range w {
			v := g.GrayAt(x, y).Y
			line[3*x], line[3*x+1], line[3*x+2] = v, v, v
		}
		b.Write(line)
	}
	return b.Bytes(), nil
}
