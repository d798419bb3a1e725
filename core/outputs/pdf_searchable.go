package outputs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ocrbox/ocrbox/core/domain"
)

// SearchablePDF is what the task's searchable PDF is made of.
//
// For a PDF upload the output is the uploaded document itself — its pages,
// fonts and images as they were, nothing re-rasterised — with each OCRed
// page's invisible text laid over it. For an image upload every page is
// the page image in its own encoding (JPEG as it is, CCITT G4 as it is,
// other pixels Flate-compressed losslessly) at its own resolution, with the
// text over it. Either way a page the engine found turned is shown upright
// through its /Rotate, and the text sits on the words (placement).
type SearchablePDF struct {
	// Original is the uploaded PDF; nil for image uploads.
	Original io.ReadSeeker
	Pages    []PDFPage
	// PDFA marks the document PDF/A-2B (pdfa.go).
	PDFA bool
	Meta Meta
}

// PDFPage is one page's part of the searchable PDF.
type PDFPage struct {
	// Result is the page's stored OCR result: its size, resolution,
	// orientation and skew place the text layer.
	Result Page
	// TextPDF loads the engine's one-page PDF: the text layer alone
	// (sdk.OptionPDFTextOnly) or, from an engine that does not know the
	// option, a whole page. A PDF page whose own text was used
	// (Result.Source == SourcePDFText) is left as it is, with no layer;
	// its TextPDF, if any, is the original page, used only when the
	// document falls back to whole pages. Nil: no layer.
	TextPDF func() ([]byte, error)
	// Image loads the page image the engine read (image uploads only).
	Image func() ([]byte, error)
}

// errWholePages makes WriteSearchablePDF fall back to the engine's whole
// pages.
var errWholePages = errors.New("engine returned whole pages")

// WriteSearchablePDF assembles the task's searchable PDF into w.
//
// When the engine returned whole pages instead of text layers (an engine
// that does not know sdk.OptionPDFTextOnly, or pages stored before it
// existed) the document is those pages merged, as before, with the PDF/A
// markers added when asked. pdfcpu holds the document in memory while it
// is built: 1.2–1.7 × the upload's size plus the text layers (measured),
// which is why ocrbox runs it in a page helper process (PDFFiles).
//
// The result says whether the file was marked PDF/A: an uploaded PDF that
// cannot be archival as it is (a font not embedded) is written without the
// markers, even when asked, rather than claim what it is not.
func WriteSearchablePDF(ctx context.Context, w io.Writer, in SearchablePDF) (PDFResult, error) {
	if len(in.Pages) == 0 {
		return PDFResult{}, domain.Errorf(domain.ErrInvalid, domain.CodeNoPages, "no pages for the PDF")
	}
	var (
		doc *model.Context
		err error
	)
	if in.Original != nil {
		doc, err = overlayPDF(ctx, in)
	} else {
		doc, err = imagesPDF(ctx, in)
	}
	if errors.Is(err, errWholePages) {
		doc, err = mergeWholePages(ctx, in)
	}
	if err != nil {
		return PDFResult{}, err
	}
	var res PDFResult
	if in.PDFA {
		if res.NotPDFA = notArchivable(doc); res.NotPDFA != "" {
			in.PDFA = false
		}
	}
	res.PDFA = in.PDFA
	return res, writeDoc(doc, w, in)
}

// PDFResult is what WriteSearchablePDF made.
type PDFResult struct {
	PDFA    bool   // marked PDF/A-2B
	NotPDFA string // why not, when PDF/A was asked for
}

// overlayPDF lays each page's text over the uploaded PDF's page.
func overlayPDF(ctx context.Context, in SearchablePDF) (*model.Context, error) {
	doc, err := readPDF(in.Original, pdfConf())
	if err != nil {
		return nil, domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "the PDF cannot be read: %v", err)
	}
	if err := doc.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("pdf page count: %w", err)
	}
	if doc.PageCount != len(in.Pages) {
		return nil, fmt.Errorf("pdf has %d pages, OCR results for %d", doc.PageCount, len(in.Pages))
	}
	for i, p := range in.Pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p.TextPDF == nil || p.Result.Source == SourcePDFText {
			continue
		}
		layer, err := loadLayer(doc, p)
		if err != nil {
			return nil, err
		}
		d, _, inh, err := doc.PageDict(i+1, false)
		if err != nil || d == nil || inh == nil || inh.MediaBox == nil {
			return nil, fmt.Errorf("pdf page %d: no page or no MediaBox (%v)", i+1, err)
		}
		rotate := normRotate(inh.Rotate)
		box := rasterBox(inh.MediaBox, visibleCrop(inh.MediaBox, inh.CropBox), rotate,
			p.Result.DPI, p.Result.ImageWidth, p.Result.ImageHeight)
		if err := overlay(doc, d, inh.Resources, layer, placement(layer, box, rotate, float64(p.Result.DPI))); err != nil {
			return nil, fmt.Errorf("pdf page %d: %w", i+1, err)
		}
		if turn := p.Result.Orientation.Degrees; turn%90 == 0 && turn%360 != 0 {
			// Shown upright: viewers turn the page clockwise by /Rotate.
			d.Update("Rotate", types.Integer(normRotate(rotate+360-turn)))
		}
	}
	return doc, nil
}

// loadLayer reads and imports page p's text layer into doc.
func loadLayer(doc *model.Context, p PDFPage) (*textLayer, error) {
	b, err := p.TextPDF()
	if err != nil {
		return nil, fmt.Errorf("load page %d pdf: %w", p.Result.Number, err)
	}
	layer, err := importTextLayer(doc, b, p.Result)
	if errors.Is(err, errNotTextOnly) {
		return nil, errWholePages
	}
	return layer, err
}

// overlay draws layer over page d with matrix m, leaving the page's own
// content streams untouched: they are wrapped in q … Q (so whatever
// graphics state they leave behind cannot move the text) and the layer is
// drawn after them. res is the page's effective (maybe inherited)
// resource dictionary; the page gets its own copy, with the layer added,
// so pages that shared one are unaffected.
func overlay(doc *model.Context, d, res types.Dict, layer *textLayer, m [6]float64) error {
	xt := doc.XRefTable
	own := types.NewDict()
	for k, v := range res {
		own[k] = v
	}
	xo := types.NewDict()
	if x, err := xt.DereferenceDict(own["XObject"]); err == nil && x != nil {
		for k, v := range x {
			xo[k] = v
		}
	}
	name := "OCRboxText"
	for n := 1; xo[name] != nil; n++ {
		name = fmt.Sprintf("OCRboxText%d", n)
	}
	xo[name] = layer.ref
	own["XObject"] = xo
	d["Resources"] = own

	var contents types.Array
	if c, found := d.Find("Contents"); found {
		o, err := xt.Dereference(c)
		if err != nil {
			return fmt.Errorf("page contents: %w", err)
		}
		switch o := o.(type) {
		case types.Array:
			contents = append(contents, o...)
		case types.StreamDict:
			contents = append(contents, c)
		case nil:
		default:
			return fmt.Errorf("page contents are a %T", o)
		}
	}
	pre, err := newFlateStream(xt, types.NewDict(), []byte("q\n"))
	if err != nil {
		return err
	}
	draw := fmt.Sprintf("\nQ\nq %s cm /%s Do Q\n", matrixString(m), name)
	if len(contents) == 0 {
		draw = fmt.Sprintf("q %s cm /%s Do Q\n", matrixString(m), name)
	}
	post, err := newFlateStream(xt, types.NewDict(), []byte(draw))
	if err != nil {
		return err
	}
	if len(contents) > 0 {
		contents = append(types.Array{*pre}, contents...)
	}
	d["Contents"] = append(contents, *post)
	return nil
}

func matrixString(m [6]float64) string {
	s := make([]string, len(m))
	for i, v := range m {
		s[i] = types.Float(v).String()
	}
	return strings.Join(s, " ")
}

// normRotate brings a /Rotate into 0, 90, 180, 270.
func normRotate(r int) int {
	r = (r%360 + 360) % 360
	return r - r%90
}

// visibleCrop is the CropBox as viewers use it: clipped to the MediaBox.
func visibleCrop(media, crop *types.Rectangle) *types.Rectangle {
	if crop == nil || media == nil {
		return crop
	}
	r := types.NewRectangle(max(crop.LL.X, media.LL.X), max(crop.LL.Y, media.LL.Y),
		min(crop.UR.X, media.UR.X), min(crop.UR.Y, media.UR.Y))
	if r.Width() <= 0 || r.Height() <= 0 {
		return media
	}
	return r
}

// mergeWholePages is the document made of the engine's whole pages, each
// kept as the engine made it (MergePDF).
func mergeWholePages(ctx context.Context, in SearchablePDF) (*model.Context, error) {
	rs := make([]io.ReadSeeker, 0, len(in.Pages))
	for _, p := range in.Pages {
		if p.TextPDF == nil {
			return nil, fmt.Errorf("page %d has no PDF from the engine", p.Result.Number)
		}
		b, err := p.TextPDF()
		if err != nil {
			return nil, fmt.Errorf("load page %d pdf: %w", p.Result.Number, err)
		}
		rs = append(rs, bytes.NewReader(b))
	}
	var merged bytes.Buffer
	if err := MergePDF(ctx, &merged, rs); err != nil {
		return nil, err
	}
	doc, err := readPDF(bytes.NewReader(merged.Bytes()), pdfConf())
	if err != nil {
		return nil, fmt.Errorf("read merged pdf: %w", err)
	}
	return doc, nil
}

// pdfConf is how every PDF here is read and written: relaxed validation
// (uploads come from every kind of producer), object and xref streams on
// write (smaller files).
func pdfConf() *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.WriteObjectStream = true
	conf.WriteXRefStream = true
	return conf
}

// imagesPDF builds a document of the uploaded image's pages: each page the
// image in its own encoding at its own resolution, the text over it.
func imagesPDF(ctx context.Context, in SearchablePDF) (*model.Context, error) {
	doc, err := pdfcpu.CreateContextWithXRefTable(pdfConf(), &types.Dim{Width: 612, Height: 792})
	if err != nil {
		return nil, fmt.Errorf("new pdf: %w", err)
	}
	xt := doc.XRefTable
	pagesRef, err := xt.Pages()
	if err != nil || pagesRef == nil {
		return nil, fmt.Errorf("new pdf: no page tree (%v)", err)
	}
	pages, err := xt.DereferenceDict(*pagesRef)
	if err != nil {
		return nil, fmt.Errorf("new pdf: %w", err)
	}
	var kids types.Array
	for _, p := range in.Pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var layer *textLayer
		if p.TextPDF != nil && p.Result.Source != SourcePDFText {
			// First: a whole page from the engine means no layers at all.
			if layer, err = loadLayer(doc, p); err != nil {
				return nil, err
			}
		}
		if p.Image == nil {
			return nil, fmt.Errorf("page %d: no page image", p.Result.Number)
		}
		b, err := p.Image()
		if err != nil {
			return nil, fmt.Errorf("load page %d image: %w", p.Result.Number, err)
		}
		img, err := embedImage(b)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", p.Result.Number, err)
		}
		ref, err := imageStream(xt, img)
		if err != nil {
			return nil, fmt.Errorf("page %d image: %w", p.Result.Number, err)
		}
		dpi := img.pageDPI()
		w, h := round4(float64(img.width)*72/dpi), round4(float64(img.height)*72/dpi)
		box := types.NewRectangle(0, 0, w, h)
		content, err := newFlateStream(xt, types.NewDict(),
			fmt.Appendf(nil, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", types.Float(w), types.Float(h)))
		if err != nil {
			return nil, err
		}
		d := types.Dict{"Type": types.Name("Page"), "Parent": *pagesRef, "MediaBox": box.Array(),
			"Resources": types.Dict{"XObject": types.Dict{"Im0": *ref}}, "Contents": *content}
		if layer != nil {
			if err := overlay(doc, d, d["Resources"].(types.Dict), layer, placement(layer, *box, 0, dpi)); err != nil {
				return nil, fmt.Errorf("page %d: %w", p.Result.Number, err)
			}
		}
		if turn := p.Result.Orientation.Degrees; turn%90 == 0 && turn%360 != 0 {
			d["Rotate"] = types.Integer(normRotate(360 - turn))
		}
		pr, err := newRef(xt, d)
		if err != nil {
			return nil, err
		}
		kids = append(kids, *pr)
	}
	pages["Kids"] = kids
	pages["Count"] = types.Integer(len(kids))
	delete(pages, "MediaBox")
	xt.PageCount = len(kids)
	return doc, nil
}

// imageStream adds a page image as an image XObject, its data as it is.
func imageStream(xt *model.XRefTable, img *pageImage) (*types.IndirectRef, error) {
	n := int64(len(img.raw))
	sd := types.StreamDict{Dict: img.dict, Raw: img.raw, StreamLength: &n}
	sd.Dict["Length"] = types.Integer(n)
	return newRef(xt, sd)
}

// readPDF reads a whole PDF for rewriting. pdfcpu's ReadContext alone
// leaves the objects of compressed object streams half-loaded, and writing
// such a context back breaks them (measured: a qpdf --object-streams file
// lost its font); validation loads every object, so it comes first.
func readPDF(rs io.ReadSeeker, conf *model.Configuration) (*model.Context, error) {
	return api.ReadAndValidate(rs, conf)
}
