package outputs

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoders for the pages that cannot be passed through
	"math"

	_ "golang.org/x/image/tiff"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pageImage is a page image as a PDF image XObject: raw is the stream's
// data as it goes into the file, dict its entries but Length.
type pageImage struct {
	dict          types.Dict
	raw           []byte
	width, height int
	dpiX, dpiY    float64 // 0 when the file does not say (or says nonsense)
	encoding      string  // how it was embedded, for tests and logs
}

// Ways a page image is embedded.
const (
	encDCT     = "jpeg"      // the JPEG file as it is (DCTDecode)
	encCCITT   = "ccitt-g4"  // the TIFF's Group 4 data as it is (CCITTFaxDecode)
	encPNG     = "png-flate" // the PNG's zlib data as it is (FlateDecode, PNG predictors)
	encFlate   = "flate"     // uncompressed or decoded pixels, Flate-compressed here
	encFlate1  = "flate-1bit"
	minPageDPI = 70 // below, as tesseract: a placeholder, not a resolution
	maxPageDPI = 2400
)

// embedImage turns the page image the engine read into an image XObject,
// keeping the file's own encoding wherever PDF has it: a JPEG as DCT
// (never recompressed), a Group 4 TIFF as CCITT, a PNG's compressed rows as
// Flate with PNG predictors. Anything else — an uncompressed or LZW TIFF,
// a PNG with alpha or interlacing — is decoded and stored losslessly with
// Flate, bilevel pages at 1 bit a pixel.
//
// Only JPEG, PNG and TIFF reach here: the page helper hands the engine
// those as uploaded and re-encodes every other page as PNG or Group 4
// TIFF (core/pages).
func embedImage(b []byte) (*pageImage, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		if img, err := jpegImage(b); err != nil || img != nil {
			return img, err
		}
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		if img, err := pngImage(b); err != nil || img != nil {
			return img, err
		}
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		if img, err := tiffImage(b); err != nil || img != nil {
			return img, err
		}
	default:
		return nil, errors.New("page image is not a JPEG, PNG or TIFF")
	}
	return decodedImage(b)
}

// jpegImage passes a gray or colour JPEG through; a CMYK one (nil) is
// decoded, since PDF/A with an sRGB output intent cannot show DeviceCMYK.
func jpegImage(b []byte) (*pageImage, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("page image: %w", err)
	}
	cs := "DeviceRGB"
	switch cfg.ColorModel {
	case color.GrayModel:
		cs = "DeviceGray"
	case color.CMYKModel:
		return nil, nil
	}
	d := imageDict(cfg.Width, cfg.Height, 8)
	d.InsertName("ColorSpace", cs)
	d.InsertName("Filter", "DCTDecode")
	img := &pageImage{dict: d, raw: b, width: cfg.Width, height: cfg.Height, encoding: encDCT}
	img.dpiX, img.dpiY = jfifDensity(b)
	return img, nil
}

// jfifDensity reads the JFIF header's pixel density.
func jfifDensity(b []byte) (float64, float64) {
	// SOI, then APP0: FFE0, length, "JFIF\0", version(2), units, Xdensity, Ydensity.
	if len(b) < 18 || b[2] != 0xFF || b[3] != 0xE0 || string(b[6:11]) != "JFIF\x00" {
		return 0, 0
	}
	x, y := float64(binary.BigEndian.Uint16(b[14:])), float64(binary.BigEndian.Uint16(b[16:]))
	switch b[13] {
	case 1:
		return x, y
	case 2:
		return x * 2.54, y * 2.54
	}
	return 0, 0
}

// pngImage passes a non-interlaced gray, RGB or palette PNG's compressed
// rows through: PDF's Flate with predictor 15 is PNG's own row filtering.
// nil (no error) asks for decoding: alpha, interlacing.
func pngImage(b []byte) (*pageImage, error) {
	var (
		w, h                        int
		depth, colorType, interlace byte
		palette, idat               []byte
		dpiX, dpiY                  float64
		seenIHDR                    bool
	)
	for p := 8; p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n < 0 || p+12+n > len(b) {
			return nil, errors.New("page image: PNG chunk out of bounds")
		}
		typ, data := string(b[p+4:p+8]), b[p+8:p+8+n]
		if crc32.ChecksumIEEE(b[p+4:p+8+n]) != binary.BigEndian.Uint32(b[p+8+n:]) {
			return nil, fmt.Errorf("page image: PNG %s chunk is corrupt", typ)
		}
		switch typ {
		case "IHDR":
			if n < 13 {
				return nil, errors.New("page image: short PNG header")
			}
			w, h = int(binary.BigEndian.Uint32(data)), int(binary.BigEndian.Uint32(data[4:]))
			depth, colorType, interlace = data[8], data[9], data[12]
			seenIHDR = true
		case "PLTE":
			palette = data
		case "pHYs":
			if n >= 9 && data[8] == 1 { // pixels per metre
				dpiX = float64(binary.BigEndian.Uint32(data)) * 0.0254
				dpiY = float64(binary.BigEndian.Uint32(data[4:])) * 0.0254
			}
		case "IDAT":
			idat = append(idat, data...)
		}
		p += 12 + n
	}
	if !seenIHDR || w <= 0 || h <= 0 || len(idat) == 0 {
		return nil, errors.New("page image: PNG without header or pixels")
	}
	if interlace != 0 {
		return nil, nil
	}
	d := imageDict(w, h, int(depth))
	colors := 1
	switch colorType {
	case 0:
		d.InsertName("ColorSpace", "DeviceGray")
	case 2:
		d.InsertName("ColorSpace", "DeviceRGB")
		colors = 3
	case 3:
		if len(palette) < 3 || len(palette)%3 != 0 {
			return nil, errors.New("page image: PNG palette missing")
		}
		d.Insert("ColorSpace", types.Array{types.Name("Indexed"), types.Name("DeviceRGB"),
			types.Integer(len(palette)/3 - 1), types.NewHexLiteral(palette)})
	default: // alpha
		return nil, nil
	}
	d.InsertName("Filter", "FlateDecode")
	d.Insert("DecodeParms", types.Dict{"Predictor": types.Integer(15), "Colors": types.Integer(colors),
		"BitsPerComponent": types.Integer(int(depth)), "Columns": types.Integer(w)})
	return &pageImage{dict: d, raw: idat, width: w, height: h, dpiX: dpiX, dpiY: dpiY, encoding: encPNG}, nil
}

// tiffImage passes a single-strip Group 4 TIFF through as CCITT and packs
// an uncompressed bilevel one with Flate; nil (no error) asks for
// decoding.
func tiffImage(b []byte) (*pageImage, error) {
	f, err := readTIFFIFD(b)
	if err != nil {
		return nil, fmt.Errorf("page image: %w", err)
	}
	w, h := f.get(tagWidth), f.get(tagHeight)
	if w <= 0 || h <= 0 {
		return nil, errors.New("page image: TIFF without size")
	}
	dpiX, dpiY := f.resolution()
	img := &pageImage{width: w, height: h, dpiX: dpiX, dpiY: dpiY}
	bilevel := f.get(tagBitsPerSample) <= 1 && f.get(tagSamplesPerPixel) <= 1
	strips, err := f.strips(b)
	if err != nil {
		return nil, fmt.Errorf("page image: %w", err)
	}
	photometric := f.get(tagPhotometric)
	switch {
	case bilevel && f.get(tagCompression) == 4 && len(strips) == 1 && f.get(tagFillOrder) <= 1:
		d := imageDict(w, h, 1)
		d.InsertName("ColorSpace", "DeviceGray")
		d.InsertName("Filter", "CCITTFaxDecode")
		parms := types.Dict{"K": types.Integer(-1), "Columns": types.Integer(w), "Rows": types.Integer(h)}
		if photometric == 1 { // BlackIsZero: the coded white runs are the dark ones
			parms["BlackIs1"] = types.Boolean(true)
		}
		d.Insert("DecodeParms", parms)
		img.dict, img.raw, img.encoding = d, strips[0], encCCITT
		return img, nil
	case bilevel && f.get(tagCompression) <= 1 && f.get(tagFillOrder) <= 1:
		rows := bytes.Join(strips, nil)
		if len(rows) < (w+7)/8*h {
			return nil, errors.New("page image: TIFF strips shorter than the image")
		}
		d := imageDict(w, h, 1)
		d.InsertName("ColorSpace", "DeviceGray")
		if photometric == 0 { // WhiteIsZero: PDF's gray has 0 for black
			d.Insert("Decode", types.NewNumberArray(1, 0))
		}
		if err := flateImage(img, d, rows[:(w+7)/8*h], encFlate1); err != nil {
			return nil, err
		}
		return img, nil
	}
	return nil, nil
}

// decodedImage decodes a page image the PDF cannot take as it is and
// stores its pixels with Flate: bilevel at 1 bit, gray at 8, anything else
// as 8-bit RGB over white.
func decodedImage(b []byte) (*pageImage, error) {
	src, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("page image: %w", err)
	}
	r := src.Bounds()
	w, h := r.Dx(), r.Dy()
	img := &pageImage{width: w, height: h}
	img.dpiX, img.dpiY = fileDPI(b)
	gray, bilevel := true, true
	for y := r.Min.Y; y < r.Max.Y && (gray || bilevel); y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := src.At(x, y).RGBA()
			if cr != cg || cg != cb {
				gray, bilevel = false, false
				break
			}
			if cr != 0 && cr != 0xFFFF {
				bilevel = false
			}
		}
	}
	d := imageDict(w, h, 8)
	var pix []byte
	enc := encFlate
	switch {
	case bilevel:
		d = imageDict(w, h, 1)
		d.InsertName("ColorSpace", "DeviceGray")
		stride := (w + 7) / 8
		pix = make([]byte, stride*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if v, _, _, _ := src.At(r.Min.X+x, r.Min.Y+y).RGBA(); v != 0 {
					pix[y*stride+x/8] |= 0x80 >> (x % 8)
				}
			}
		}
		enc = encFlate1
	case gray:
		d.InsertName("ColorSpace", "DeviceGray")
		pix = make([]byte, 0, w*h)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				pix = append(pix, color.GrayModel.Convert(overWhite(src.At(x, y))).(color.Gray).Y)
			}
		}
	default:
		d.InsertName("ColorSpace", "DeviceRGB")
		pix = make([]byte, 0, 3*w*h)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := overWhite(src.At(x, y))
				pix = append(pix, c.R, c.G, c.B)
			}
		}
	}
	if err := flateImage(img, d, pix, enc); err != nil {
		return nil, err
	}
	return img, nil
}

// overWhite flattens a pixel with alpha onto a white page.
func overWhite(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	white := 0xFFFF - a
	return color.RGBA{uint8((r + white) >> 8), uint8((g + white) >> 8), uint8((b + white) >> 8), 0xFF}
}

// fileDPI reads a decoded file's resolution where it is cheap to find.
func fileDPI(b []byte) (float64, float64) {
	if bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")) {
		if f, err := readTIFFIFD(b); err == nil {
			return f.resolution()
		}
	}
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		if i := bytes.Index(b, []byte("pHYs")); i > 0 && i+13 <= len(b) && b[i+12] == 1 {
			return float64(binary.BigEndian.Uint32(b[i+4:])) * 0.0254, float64(binary.BigEndian.Uint32(b[i+8:])) * 0.0254
		}
	}
	return 0, 0
}

func flateImage(img *pageImage, d types.Dict, pix []byte, enc string) error {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if _, err := zw.Write(pix); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	d.InsertName("Filter", "FlateDecode")
	img.dict, img.raw, img.encoding = d, buf.Bytes(), enc
	return nil
}

func imageDict(w, h, bpc int) types.Dict {
	return types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
		"Width": types.Integer(w), "Height": types.Integer(h), "BitsPerComponent": types.Integer(bpc)}
}

// pageDPI is the resolution the page is laid out at: the file's when
// believable (tesseract's own range), else 300, what scanners mostly use.
// One value for both axes: a page image with unequal ones is rare enough to
// show a little stretched.
func (img *pageImage) pageDPI() float64 {
	for _, v := range []float64{img.dpiX, img.dpiY} {
		if v >= minPageDPI && v <= maxPageDPI && !math.IsNaN(v) {
			return v
		}
	}
	return 300
}
