package pages

import (
	"context"
	"fmt"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
)

// tiffSource reads pages from the TIFF file on disk one directory at a
// time, so a 500-page fax costs one page of memory.
type tiffSource struct {
	path  string
	pages int
}

// openTIFF counts the pages and checks every page's declared size in one
// walk of the directory chain, in Go: any page of a multi-page TIFF can be
// the pixel flood, and a truncated file (a link pointing past its end) is
// caught here rather than read as a shorter valid one.
func openTIFF(path string, lim Limits) (*tiffSource, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	dirs, err := tiffDirs(path, lim.MaxPages)
	switch {
	case err != nil && len(dirs) == 0:
		return nil, unreadable("TIFF file cannot be read: it is corrupt or truncated")
	case err != nil:
		return nil, unreadable("TIFF file is truncated or corrupt: a page after page %d is missing", len(dirs))
	case len(dirs) == 0:
		return nil, unreadable("TIFF file has no pages: it is corrupt")
	case len(dirs) > lim.MaxPages:
		return nil, domain.Errorf(domain.ErrTooLarge, domain.CodeTooManyPages,
			"document has more than %d pages; at most %d are allowed", lim.MaxPages, lim.MaxPages)
	}
	for i, h := range dirs {
		if err := lim.checkSize(i+1, h.Width, h.Height); err != nil {
			return nil, err
		}
	}
	return &tiffSource{path: path, pages: len(dirs)}, nil
}

func (s *tiffSource) count() int { return s.pages }

func (s *tiffSource) close() error { return nil }

// page decodes page i (in the page helper process). A single-page TIFF is
// handed on as uploaded (engines read TIFF, and re-encoding would only cost
// time); pages of a multi-page file are re-encoded one by one, bilevel ones
// as G4.
func (s *tiffSource) page(_ context.Context, i int) (Page, error) {
	x, err := tiffPage(s.path, i)
	if err != nil {
		return Page{}, unreadable("TIFF page %d cannot be decoded: the file is corrupt or truncated", i+1)
	}
	defer x.free()
	p := Page{Number: i + 1, Width: x.width(), Height: x.height(), DPI: x.dpi()}
	if x.colourAbove(GrayAbovePixels) {
		return grayPage(x, p)
	}
	if s.pages == 1 {
		p.Path, p.ContentType = s.path, TypeTIFF
		return p, nil
	}
	p.Data, p.ContentType, err = encode(x, p.DPI)
	if err != nil {
		return Page{}, fmt.Errorf("encode page %d: %w", i+1, err)
	}
	return p, nil
}
