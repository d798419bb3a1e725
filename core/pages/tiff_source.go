package pages

import (
	"context"
	"fmt"
	"os"
)

// tiffSource reads pages from the TIFF file on disk one directory at a
// time, so a 500-page fax costs one page of memory.
type tiffSource struct {
	path  string
	pages int
}

// openTIFF counts the pages with libtiff (through leptonica), checks the
// directory chain agrees, and checks every page's declared size: any page
// of a multi-page TIFF can be the pixel flood.
func openTIFF(path string, lim Limits) (*tiffSource, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	n, err := tiffCount(path)
	if err != nil || n <= 0 {
		return nil, unreadable("TIFF file cannot be read: it is corrupt or truncated")
	}
	if err := lim.checkPages(n); err != nil {
		return nil, err
	}
	dirs, err := tiffDirs(path, lim.MaxPages)
	if err != nil || len(dirs) != n {
		return nil, unreadable("TIFF file is truncated or corrupt: a page after page %d is missing", min(n, len(dirs)))
	}
	for i, h := range dirs {
		if err := lim.checkSize(i+1, h.Width, h.Height); err != nil {
			return nil, err
		}
	}
	return &tiffSource{path: path, pages: n}, nil
}

func (s *tiffSource) count() int { return s.pages }

func (s *tiffSource) close() error { return nil }

// page decodes page i. A single-page TIFF is sent as uploaded (engines
// read TIFF, and re-encoding would only cost time); pages of a multi-page
// file are re-encoded one by one, bilevel ones as G4.
func (s *tiffSource) page(_ context.Context, i int) (Page, error) {
	x, err := tiffPage(s.path, i)
	if err != nil {
		return Page{}, unreadable("TIFF page %d cannot be decoded: the file is corrupt or truncated", i+1)
	}
	defer x.free()
	p := Page{Number: i + 1, Width: x.width(), Height: x.height(), DPI: x.dpi()}
	if s.pages == 1 {
		p.Data, err = os.ReadFile(s.path)
		if err != nil {
			return Page{}, fmt.Errorf("read upload: %w", err)
		}
		p.ContentType = TypeTIFF
		return p, nil
	}
	p.Data, p.ContentType, err = encode(x, p.DPI)
	if err != nil {
		return Page{}, fmt.Errorf("encode page %d: %w", i+1, err)
	}
	return p, nil
}
