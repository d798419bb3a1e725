package pages

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered for DecodeConfig: a GIF's size is read without decoding
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"strconv"

	"golang.org/x/image/webp"
)

// errOpen marks a failure to open the upload itself: ours, not the file's.
var errOpen = errors.New("open upload")

// header is the size an image declares before any pixel is decoded.
type header struct {
	Width, Height int
}

// fileHeader reads the declared size of a single-image file in pure Go,
// streaming only its first bytes: the server never hands untrusted bytes to
// a C decoder, and never reads a whole upload into memory. Go's decoders do
// PNG, JPEG, GIF and WebP; BMP and PNM are parsed here.
func fileHeader(path, contentType string) (header, error) {
	f, err := os.Open(path)
	if err != nil {
		return header{}, fmt.Errorf("%w: %w", errOpen, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 4096)
	switch contentType {
	case TypePNG, TypeJPEG, TypeGIF:
		cfg, _, err := image.DecodeConfig(br)
		if err != nil {
			return header{}, err
		}
		return header{Width: cfg.Width, Height: cfg.Height}, nil
	case TypeWebP:
		cfg, err := webp.DecodeConfig(br)
		if err != nil {
			return header{}, err
		}
		return header{Width: cfg.Width, Height: cfg.Height}, nil
	case TypeBMP:
		var head [26]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return header{}, errors.New("short BMP header")
		}
		return bmpHeader(head[:])
	case TypePNM:
		return pnmHeader(br)
	}
	return header{}, fmt.Errorf("no header reader for %s", contentType)
}

// bmpHeader reads the size from a BMP's info header: 16-bit fields in the
// old OS/2 core header, signed 32-bit ones (negative height = top-down)
// in every later version.
func bmpHeader(data []byte) (header, error) {
	if len(data) < 26 {
		return header{}, errors.New("short BMP header")
	}
	le := binary.LittleEndian
	if le.Uint32(data[14:]) == 12 {
		return header{Width: int(le.Uint16(data[18:])), Height: int(le.Uint16(data[20:]))}, nil
	}
	w, h := int64(int32(le.Uint32(data[18:]))), int64(int32(le.Uint32(data[22:])))
	if h < 0 {
		h = -h
	}
	return header{Width: int(w), Height: int(h)}, nil
}

// pnmHeader reads a netpbm header: "P1".."P6", then width and height as
// decimal fields separated by whitespace and "#" comments.
func pnmHeader(br *bufio.Reader) (header, error) {
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil || magic[0] != 'P' || magic[1] < '1' || magic[1] > '6' {
		return header{}, errors.New("not a PNM file")
	}
	var dims [2]int
	for k := range dims {
		v, err := pnmField(br)
		if err != nil {
			return header{}, err
		}
		dims[k] = v
	}
	return header{Width: dims[0], Height: dims[1]}, nil
}

// pnmField reads one decimal header field, skipping whitespace and
// comments before it.
func pnmField(br *bufio.Reader) (int, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch {
		case c == '#':
			for c != '\n' && c != '\r' {
				if c, err = br.ReadByte(); err != nil {
					return 0, err
				}
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c >= '0' && c <= '9':
			if err := br.UnreadByte(); err != nil {
				return 0, err
			}
			return pnmInt(br)
		default:
			return 0, errors.New("bad PNM header")
		}
	}
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
				return 0, errors.New("PNM header field too long")
			}
			digits = append(digits, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(digits) > 0 {
				return strconv.Atoi(string(digits))
			}
		default:
			return 0, errors.New("bad PNM header")
		}
	}
}
