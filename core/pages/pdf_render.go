package pages

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// pdfPageTimeout bounds one pdftoppm run: a normal page takes well under a
// second, and a hostile one must not hold a worker forever.
const pdfPageTimeout = 2 * time.Minute

// errRenderTooLarge is returned by readPGM when pdftoppm announces more
// pixels than the limit allows, before the pixels are read.
var errRenderTooLarge = errors.New("rendered page exceeds the pixel limit")

// grayImage is an 8-bit raster, one byte per pixel, row after row.
type grayImage struct {
	width, height int
	pix           []byte
}

// render runs pdftoppm for one page and reads its raw PGM output. Raw PGM
// (~0.14 s for a 300 dpi letter page) rather than pdftoppm's PNG (~1.5 s,
// libpng at its default level) because leptonica then encodes it faster.
func (s *pdfSource) render(parent context.Context, i, dpi int) (grayImage, error) {
	ctx, cancel := context.WithTimeout(parent, pdfPageTimeout)
	defer cancel()
	n := strconv.Itoa(i + 1)
	cmd := exec.CommandContext(ctx, s.pdftoppm, "-q", "-r", strconv.Itoa(dpi),
		"-f", n, "-l", n, "-gray", s.path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return grayImage{}, fmt.Errorf("render PDF page %d: %w", i+1, err)
	}
	if err := cmd.Start(); err != nil {
		return grayImage{}, fmt.Errorf("render PDF page %d: start pdftoppm: %w", i+1, err)
	}
	g, readErr := readPGM(out, s.lim.maxPixels()*1.01) // rounding slack
	if readErr != nil {
		_ = cmd.Process.Kill() // stop rendering pixels nobody will read
	}
	_, _ = io.Copy(io.Discard, out)
	waitErr := cmd.Wait()
	switch {
	case parent.Err() != nil: // the caller gave up: not the file's fault
		return grayImage{}, parent.Err()
	case ctx.Err() != nil:
		return grayImage{}, unreadable("PDF page %d took longer than %s to render", i+1, pdfPageTimeout)
	case errors.Is(readErr, errRenderTooLarge):
		return grayImage{}, domain.Errorf(domain.ErrTooLarge, "image_too_large",
			"PDF page %d renders larger than %g megapixels", i+1, s.lim.MaxMegapixels)
	case waitErr != nil || readErr != nil:
		return grayImage{}, unreadable("PDF page %d cannot be rendered: the file is corrupt or truncated", i+1)
	}
	return g, nil
}

// readPGM parses binary 8-bit PGM (P5) and refuses a raster above
// maxPixels from its header, before allocating for it.
func readPGM(r io.Reader, maxPixels float64) (grayImage, error) {
	br := bufio.NewReader(r)
	var fields [4]int
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "P5" {
		return grayImage{}, errors.New("not a binary PGM")
	}
	for k := 1; k < 4; k++ {
		v, err := pnmInt(br)
		if err != nil {
			return grayImage{}, err
		}
		fields[k] = v
	}
	w, h, maxval := fields[1], fields[2], fields[3]
	if w <= 0 || h <= 0 || maxval != 255 {
		return grayImage{}, errors.New("unexpected PGM header")
	}
	if float64(w)*float64(h) > maxPixels {
		return grayImage{}, errRenderTooLarge
	}
	g := grayImage{width: w, height: h, pix: make([]byte, w*h)}
	if _, err := io.ReadFull(br, g.pix); err != nil {
		return grayImage{}, fmt.Errorf("read PGM pixels: %w", err)
	}
	return g, nil
}

// pnmInt reads one whitespace-delimited decimal header field; the single
// whitespace byte after the last field is consumed with it, as PNM wants.
func pnmInt(br *bufio.Reader) (int, error) {
	var digits []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch {
		case c >= '0' && c <= '9':
			if len(digits) > 9 {
				return 0, errors.New("PGM header field too long")
			}
			digits = append(digits, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(digits) > 0 {
				return strconv.Atoi(string(digits))
			}
		default:
			return 0, errors.New("bad PGM header")
		}
	}
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
