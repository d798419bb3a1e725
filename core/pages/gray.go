package pages

// grayImage is an 8-bit raster, one byte per pixel, row after row.
type grayImage struct {
	width, height int
	pix           []byte
}

// encodeGray encodes a rendered page: G4 TIFF when every pixel is black or
// white (a scanned bilevel page at its native resolution, ~10x smaller
// than PNG), PNG otherwise.
func encodeGray(g grayImage, dpi int) ([]byte, string, error) {
	x, err := grayPix(g.width, g.height, g.pix)
	if err != nil {
		return nil, "", err
	}
	defer x.free()
	if isBilevel(g.pix) {
		b, err := toBilevel(x)
		if err != nil {
			return nil, "", err
		}
		defer b.free()
		return encode(b, dpi)
	}
	return encode(x, dpi)
}

func isBilevel(pix []byte) bool {
	for _, v := range pix {
		if v != 0 && v != 255 {
			return false
		}
	}
	return true
}
