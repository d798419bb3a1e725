package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered for DecodeConfig: a GIF's size is read without decoding
	_ "image/jpeg"
	_ "image/png"
	"os"
)

// imageSource is a single-page raster file, held in memory: it is the page.
type imageSource struct {
	data        []byte
	contentType string
}

func openImage(path, contentType string, lim Limits) (*imageSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	h, err := imageHeader(data, contentType)
	if err != nil {
		return nil, unreadable("%s image header cannot be read: the file is corrupt or truncated", formatName(contentType))
	}
	if err := lim.checkSize(1, h.Width, h.Height); err != nil {
		return nil, err
	}
	return &imageSource{data: data, contentType: contentType}, nil
}

// imageHeader reads the declared size. Go's own decoders do PNG, JPEG and
// GIF, and BMP is parsed here: leptonica's header reader decodes a whole
// GIF or BMP to learn its size. Leptonica reads WebP and PNM headers.
func imageHeader(data []byte, contentType string) (header, error) {
	switch contentType {
	case TypePNG, TypeJPEG, TypeGIF:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return header{}, err
		}
		return header{Width: cfg.Width, Height: cfg.Height}, nil
	case TypeBMP:
		return bmpHeader(data)
	}
	return memHeader(data)
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

func (s *imageSource) count() int { return 1 }

func (s *imageSource) close() error { return nil }

// page decodes the image even when its own bytes are sent on, so a
// truncated file fails here with a clear message rather than in the engine.
func (s *imageSource) page(_ context.Context, _ int) (Page, error) {
	x, err := decodeMem(s.data)
	if err != nil {
		return Page{}, unreadable("%s image cannot be decoded: the file is corrupt or truncated", formatName(s.contentType))
	}
	defer x.free()
	p := Page{Number: 1, Width: x.width(), Height: x.height(), DPI: x.dpi()}
	switch s.contentType {
	case TypePNG, TypeJPEG:
		p.Data, p.ContentType = s.data, s.contentType
		return p, nil
	}
	p.Data, p.ContentType, err = encode(x, p.DPI)
	if err != nil {
		return Page{}, fmt.Errorf("encode page 1: %w", err)
	}
	return p, nil
}

// formatName is the user-facing name of a content type, for messages.
func formatName(contentType string) string {
	switch contentType {
	case TypePNG:
		return "PNG"
	case TypeJPEG:
		return "JPEG"
	case TypeTIFF:
		return "TIFF"
	case TypeBMP:
		return "BMP"
	case TypeWebP:
		return "WebP"
	case TypeGIF:
		return "GIF"
	case TypePNM:
		return "PNM"
	case TypePDF:
		return "PDF"
	}
	return contentType
}
