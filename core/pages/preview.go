package pages

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <allheaders.h>
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pdfium"
)

// MaxPreviewWidth is the widest page image Preview renders.
const MaxPreviewWidth = 2000

// Preview renders page j.Index for a person to look at (the result
// viewer, GET /tasks/{id}/pages/{n}/image): at most width pixels wide
// (never enlarged), turned clockwise by quarters×90° (the page upright as
// the engine read it), as PNG written to j.Out (created, never
// overwritten). It runs in the page helper process like Extract; a page
// that cannot be read is a *domain.Error. Bilevel and gray pages are
// scaled to gray (anti-aliased), colour pages stay colour; PDF pages are
// rendered in gray, as for OCR.
func Preview(ctx context.Context, j Job, width, quarters int) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	if width <= 0 || width > MaxPreviewWidth {
		return Page{}, fmt.Errorf("preview width %d out of range", width)
	}
	if j.Out == "" {
		return Page{}, fmt.Errorf("preview page %d: no output file given", j.Index+1)
	}
	lim := Limits{MaxMegapixels: j.MaxMegapixels}.withDefaults()
	var (
		x   pix
		err error
	)
	switch j.ContentType {
	case TypePDF:
		x, err = previewPDF(ctx, j, width, lim)
	case TypeTIFF:
		if x, err = tiffPage(j.Path, j.Index); err != nil {
			err = unreadable("TIFF page %d cannot be decoded: the file is corrupt or truncated", j.Index+1)
		}
	case TypePNG, TypeJPEG, TypeGIF, TypeBMP, TypeWebP, TypePNM:
		if x, err = decodeFile(j.Path); err != nil {
			err = unreadable("%s image cannot be decoded: the file is corrupt or truncated", formatName(j.ContentType))
		}
	default:
		return Page{}, domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedType, "file type not supported")
	}
	if err != nil {
		return Page{}, err
	}
	defer x.free()
	y, err := previewPix(x, width, quarters)
	if err != nil {
		return Page{}, fmt.Errorf("preview page %d: %w", j.Index+1, err)
	}
	defer y.free()
	var (
		data *C.l_uint8
		size C.size_t
	)
	if C.pixWriteMemPng(&data, &size, y.p, 0) != 0 {
		return Page{}, fmt.Errorf("preview page %d: encode PNG: %w", j.Index+1, errLept)
	}
	png := C.GoBytes(unsafe.Pointer(data), C.int(size))
	C.lept_free(unsafe.Pointer(data))
	if err := writeNew(j.Out, png); err != nil {
		return Page{}, fmt.Errorf("write preview of page %d: %w", j.Index+1, err)
	}
	return Page{Number: j.Index + 1, Path: j.Out, ContentType: TypePNG, Width: y.width(), Height: y.height()}, nil
}

// previewPix turns x by quarters and scales it down so that it is at most
// width wide once turned (gray or colour, area-averaged); the caller frees the result (a new image even when neither
// applies).
func previewPix(x pix, width, quarters int) (pix, error) {
	q := ((quarters % 4) + 4) % 4
	across := x.width() // what becomes the image's width once turned
	if q%2 == 1 {
		across = x.height()
	}
	cur := pix{p: C.pixClone(x.p)}
	if across > width {
		src := cur
		if d := C.pixGetDepth(src.p); d != 32 {
			// Bilevel, gray, colour-mapped: to 8-bit gray (a colour map
			// becomes its luminance), so the reduction is anti-aliased.
			g := C.pixConvertTo8(src.p, 0)
			src.free()
			if g == nil {
				return pix{}, errLept
			}
			src = pix{p: g}
		}
		w, h := C.l_int32(width), C.l_int32(0)
		if q%2 == 1 {
			w, h = 0, C.l_int32(width)
		}
		s := C.pixScaleToSize(src.p, w, h)
		src.free()
		if s == nil {
			return pix{}, errLept
		}
		cur = pix{p: s}
	}
	if q != 0 {
		r := C.pixRotateOrth(cur.p, C.l_int32(q))
		cur.free()
		if r == nil {
			return pix{}, errLept
		}
		cur = pix{p: r}
	}
	return cur, nil
}

// previewPDF renders PDF page j.Index in gray at the resolution that makes
// it about width pixels wide (a little more; previewPix scales it exactly),
// within the pixel limit.
func previewPDF(ctx context.Context, j Job, width int, lim Limits) (pix, error) {
	var x pix
	err := withPDF(ctx, j.Path, j.CacheDir, func(doc *pdfium.Document) error {
		pw, ph, err := doc.PageSize(j.Index)
		if err != nil {
			return pdfError(err, j.Index+1)
		}
		if !(pw > 0 && ph > 0) {
			return unreadable("PDF page %d has no size: the file is corrupt", j.Index+1)
		}
		dpi := int(math.Ceil(float64(width) * 72 / pw))
		if maxDPI := int(math.Floor(math.Sqrt(lim.maxPixels() / (pw / 72 * ph / 72)))); dpi > maxDPI {
			dpi = maxDPI
		}
		if dpi < 1 {
			return domain.Errorf(domain.ErrTooLarge, domain.CodeImageTooLarge, "PDF page %d is too large to render", j.Index+1)
		}
		g, err := doc.RenderGray(j.Index, dpi, lim.maxPixels()*1.01)
		if err != nil {
			return pdfError(err, j.Index+1)
		}
		x, err = grayPix(g.Width, g.Height, g.Pix)
		return err
	})
	return x, err
}
