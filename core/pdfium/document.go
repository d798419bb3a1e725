package pdfium

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"

	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// Document is one opened PDF. Close it when done.
type Document struct {
	e   *Engine
	f   *closeOnce
	doc references.FPDF_DOCUMENT
}

// Open opens the PDF at path. PDFium reads it through the open file, on
// demand: a large upload is not loaded whole.
func (e *Engine) Open(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pdfium: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pdfium: %w", err)
	}
	res, err := e.inst.OpenDocument(&requests.OpenDocument{FileReader: f, FileReaderSize: st.Size()})
	if err != nil {
		f.Close()
		return nil, mapOpenErr(err)
	}
	return &Document{e: e, f: &closeOnce{f: f}, doc: res.Document}, nil
}

// Close closes the document and its file.
func (d *Document) Close() error {
	_, err := d.e.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
	d.f.close()
	return err
}

// PageCount is the number of pages the page tree declares.
func (d *Document) PageCount() (int, error) {
	res, err := d.e.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: d.doc})
	if err != nil {
		return 0, fmt.Errorf("%w: page count: %w", ErrCorrupt, err)
	}
	return res.PageCount, nil
}

// PageSize is page i's width and height in points (1/72 inch), its
// /Rotate applied (a landscape page turned 90° is reported portrait), read
// without parsing the page's content.
func (d *Document) PageSize(i int) (w, h float64, err error) {
	res, err := d.e.inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: d.doc, Index: i})
	if err != nil {
		return 0, 0, fmt.Errorf("%w: page %d size: %w", ErrCorrupt, i+1, err)
	}
	return float64(res.Size.Width), float64(res.Size.Height), nil
}

func (d *Document) page(i int) requests.Page {
	return requests.Page{ByIndex: &requests.PageByIndex{Document: d.doc, Index: i}}
}

// PixelSize is page i's size in pixels at dpi, as RenderGray renders it:
// rounded to the nearest pixel, as pdftoppm does (go-pdfium's own rounds
// up, and PDFium's float32 sizes made a 720-pixel page 721).
func (d *Document) PixelSize(i, dpi int) (w, h int, err error) {
	pw, ph, err := d.PageSize(i)
	if err != nil {
		return 0, 0, err
	}
	s := float64(dpi) / 72
	return int(math.Round(pw * s)), int(math.Round(ph * s)), nil
}

// ErrTooLarge is a page that would render to more pixels than allowed.
var ErrTooLarge = errors.New("rendered page exceeds the pixel limit")

// Gray is an 8-bit raster, one byte per pixel, row after row (no padding).
type Gray struct {
	Width, Height int
	Pix           []byte
}

// RenderGray rasterises page i at dpi to 8-bit gray on white, refusing
// (ErrTooLarge) before rendering when the page would exceed maxPixels.
func (d *Document) RenderGray(i, dpi int, maxPixels float64) (Gray, error) {
	w, h, err := d.PixelSize(i, dpi)
	if err != nil {
		return Gray{}, err
	}
	if w <= 0 || h <= 0 {
		return Gray{}, fmt.Errorf("%w: page %d has no size", ErrCorrupt, i+1)
	}
	if maxPixels > 0 && float64(w)*float64(h) > maxPixels {
		return Gray{}, ErrTooLarge
	}
	res, err := d.e.inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: d.page(i), Width: w, Height: h,
		ImageFormat: requests.RenderImageFormatGrayscale})
	if err != nil {
		return Gray{}, fmt.Errorf("%w: render page %d: %w", ErrCorrupt, i+1, err)
	}
	defer res.Cleanup() // the pixels live in the module's memory until then
	img, ok := res.Result.RenderedImage.(*image.Gray)
	if !ok {
		return Gray{}, fmt.Errorf("pdfium: render page %d: got %T, want *image.Gray", i+1, res.Result.RenderedImage)
	}
	b := img.Bounds()
	g := Gray{Width: b.Dx(), Height: b.Dy(), Pix: make([]byte, b.Dx()*b.Dy())}
	for y := 0; y < g.Height; y++ {
		copy(g.Pix[y*g.Width:(y+1)*g.Width], img.Pix[y*img.Stride:y*img.Stride+g.Width])
	}
	return g, nil
}

// ExtractPage returns page i alone as a PDF of its own: the original page
// (content, fonts, images), not a rendering.
func (d *Document) ExtractPage(i int) ([]byte, error) {
	nd, err := d.e.inst.FPDF_CreateNewDocument(&requests.FPDF_CreateNewDocument{})
	if err != nil {
		return nil, fmt.Errorf("pdfium: new document: %w", err)
	}
	defer d.e.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: nd.Document})
	if _, err := d.e.inst.FPDF_ImportPagesByIndex(&requests.FPDF_ImportPagesByIndex{Source: d.doc,
		Destination: nd.Document, PageIndices: []int{i}, Index: 0}); err != nil {
		return nil, fmt.Errorf("%w: copy page %d: %w", ErrCorrupt, i+1, err)
	}
	res, err := d.e.inst.FPDF_SaveAsCopy(&requests.FPDF_SaveAsCopy{Document: nd.Document, Flags: requests.SaveFlagNoIncremental})
	if err != nil || res.FileBytes == nil {
		return nil, fmt.Errorf("%w: save page %d: %v", ErrCorrupt, i+1, err)
	}
	return *res.FileBytes, nil
}
