package pages

import (
	"context"
	"errors"
	"fmt"
)

// imageSource is a single-page raster file on disk: it is the page.
type imageSource struct {
	path        string
	contentType string
}

// openImage checks the declared size from the file's header, read in Go.
func openImage(path, contentType string, lim Limits) (*imageSource, error) {
	h, err := fileHeader(path, contentType)
	if err != nil {
		if errors.Is(err, errOpen) {
			return nil, err
		}
		return nil, unreadable("%s image header cannot be read: the file is corrupt or truncated", formatName(contentType))
	}
	if err := lim.checkSize(1, h.Width, h.Height); err != nil {
		return nil, err
	}
	return &imageSource{path: path, contentType: contentType}, nil
}

func (s *imageSource) count() int { return 1 }

func (s *imageSource) close() error { return nil }

// page decodes the image even when the file itself is handed on, so a
// truncated file fails here with a clear message rather than in the engine.
// It runs in the page helper process, never in the server.
func (s *imageSource) page(_ context.Context, _ int) (Page, error) {
	x, err := decodeFile(s.path)
	if err != nil {
		return Page{}, unreadable("%s image cannot be decoded: the file is corrupt or truncated", formatName(s.contentType))
	}
	defer x.free()
	p := Page{Number: 1, Width: x.width(), Height: x.height(), DPI: x.dpi()}
	switch {
	case x.colourAbove(GrayAbovePixels):
		return grayPage(x, p)
	case s.contentType == TypePNG, s.contentType == TypeJPEG:
		p.Path, p.ContentType = s.path, s.contentType
		return p, nil
	}
	p.Data, p.ContentType, err = encode(x, p.DPI)
	if err != nil {
		return Page{}, fmt.Errorf("encode page 1: %w", err)
	}
	return p, nil
}

// GrayAbovePixels: a colour page larger than this (an A4 page at 600 dpi is
// ~35 megapixels) is handed to the engine as 8-bit gray rather than as
// uploaded. OCR needs no colour, and an engine decoding 4 bytes a pixel
// (plus its decoder's rows, plus tesseract's own copy) would hold several
// times the page; smaller pages go as they are.
const GrayAbovePixels = 40_000_000

// grayPage re-encodes a large colour page as 8-bit gray.
func grayPage(x pix, p Page) (Page, error) {
	g, err := x.gray()
	if err != nil {
		return Page{}, fmt.Errorf("gray page %d: %w", p.Number, err)
	}
	defer g.free()
	p.Data, p.ContentType, err = encode(g, p.DPI)
	if err != nil {
		return Page{}, fmt.Errorf("encode page %d: %w", p.Number, err)
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
