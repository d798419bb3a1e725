package outputs

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// errNotTextOnly: the engine's page PDF carries an image, so it is a whole
// page (an engine that does not know sdk.OptionPDFTextOnly), not a layer.
var errNotTextOnly = errors.New("page PDF is not a text layer")

// textLayer is an engine's one-page text-only PDF made into a form
// XObject of the document being assembled.
type textLayer struct {
	ref  types.IndirectRef // the form XObject
	box  types.Rectangle   // its BBox: the engine's page, in the engine's points
	page Page              // the OCR result the layer belongs to
}

// importTextLayer copies the engine's text-only page PDF into dst as a form
// XObject: the page's content stream, its resources (the embedded
// glyph-less font and its ToUnicode map) copied object by object.
func importTextLayer(dst *model.Context, pagePDF []byte, pg Page) (*textLayer, error) {
	src, err := readPDF(bytes.NewReader(pagePDF), pdfConf())
	if err != nil {
		return nil, fmt.Errorf("read page %d text layer: %w", pg.Number, err)
	}
	if err := src.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("read page %d text layer: %w", pg.Number, err)
	}
	if src.PageCount != 1 {
		return nil, fmt.Errorf("page %d text layer has %d pages, want 1", pg.Number, src.PageCount)
	}
	d, _, inh, err := src.PageDict(1, false)
	if err != nil || d == nil || inh == nil || inh.MediaBox == nil {
		return nil, fmt.Errorf("read page %d text layer: no page (%v)", pg.Number, err)
	}
	res := inh.Resources
	if res == nil {
		res = types.NewDict()
	}
	if hasImages(src.XRefTable, res) {
		return nil, errNotTextOnly
	}
	content, err := src.PageContent(d, 1)
	if err != nil && !errors.Is(err, model.ErrNoContent) {
		return nil, fmt.Errorf("read page %d text layer content: %w", pg.Number, err)
	}
	c := copier{src: src.XRefTable, dst: dst.XRefTable, done: map[int]int{}}
	resCopy, err := c.copy(res)
	if err != nil {
		return nil, fmt.Errorf("copy page %d text layer: %w", pg.Number, err)
	}
	box := *inh.MediaBox
	form := types.NewDict()
	form.InsertName("Type", "XObject")
	form.InsertName("Subtype", "Form")
	form.Insert("BBox", box.Array())
	form.Insert("Resources", resCopy)
	ref, err := newFlateStream(dst.XRefTable, form, content)
	if err != nil {
		return nil, fmt.Errorf("page %d text layer: %w", pg.Number, err)
	}
	return &textLayer{ref: *ref, box: box, page: pg}, nil
}

// hasImages reports whether a resource dictionary names an image XObject,
// directly or in a form it draws.
func hasImages(xt *model.XRefTable, res types.Dict) bool {
	xo, err := xt.DereferenceDict(res["XObject"])
	if err != nil || xo == nil {
		return false
	}
	for _, o := range xo {
		sd, _, err := xt.DereferenceStreamDict(o)
		if err != nil || sd == nil {
			continue
		}
		switch st := sd.Dict.NameEntry("Subtype"); {
		case st != nil && *st == "Image":
			return true
		case st != nil && *st == "Form":
			if r, err := xt.DereferenceDict(sd.Dict["Resources"]); err == nil && r != nil && hasImages(xt, r) {
				return true
			}
		}
	}
	return false
}

// newFlateStream adds a stream holding content, Flate-compressed, with the
// entries of d, and returns its reference.
func newFlateStream(xt *model.XRefTable, d types.Dict, content []byte) (*types.IndirectRef, error) {
	sd, err := xt.NewStreamDictForBuf(content)
	if err != nil {
		return nil, err
	}
	for k, v := range d {
		sd.Dict[k] = v
	}
	if err := sd.Encode(); err != nil {
		return nil, err
	}
	return newRef(xt, *sd)
}

// copier copies objects from one PDF into another, each indirect object
// once (done maps source to destination object numbers), so shared and
// cyclic references survive.
type copier struct {
	src, dst *model.XRefTable
	done     map[int]int
}

func (c *copier) copy(o types.Object) (types.Object, error) {
	switch o := o.(type) {
	case types.IndirectRef:
		n := o.ObjectNumber.Value()
		if m, ok := c.done[n]; ok {
			return *types.NewIndirectRef(m, 0), nil
		}
		obj, err := c.src.Dereference(o)
		if err != nil {
			return nil, err
		}
		// Reserve the number first: the object may refer to itself.
		m, err := c.dst.InsertObject(nil)
		if err != nil {
			return nil, err
		}
		c.done[n] = m
		var cp types.Object
		if obj != nil {
			if cp, err = c.copy(obj.Clone()); err != nil {
				return nil, err
			}
		}
		c.dst.Table[m].Object = cp
		return *types.NewIndirectRef(m, 0), nil
	case types.Dict:
		d := types.NewDict()
		for k, v := range o {
			cv, err := c.copy(v)
			if err != nil {
				return nil, err
			}
			d[k] = cv
		}
		return d, nil
	case types.StreamDict:
		sd := o.Clone().(types.StreamDict)
		for k, v := range o.Dict {
			cv, err := c.copy(v)
			if err != nil {
				return nil, err
			}
			sd.Dict[k] = cv
		}
		return sd, nil
	case types.Array:
		a := make(types.Array, len(o))
		for i, v := range o {
			cv, err := c.copy(v)
			if err != nil {
				return nil, err
			}
			a[i] = cv
		}
		return a, nil
	}
	if o == nil {
		return nil, nil
	}
	return o.Clone(), nil
}

// placement is the matrix that lays a text layer over a page: from the
// engine's page (the image as recognised, turned upright and straightened)
// into the user space of the page it belongs to.
//
// The engine turned the image it was given (the raster of the PDF page as
// displayed, or the uploaded image) clockwise by (skew - orientation)
// degrees about its centre: first the quarter turns that made it upright,
// then the straightening, on a canvas grown around the same centre
// (plugins/tesseract page_upright.go). Rotations about one point commute,
// so undoing it is one turn about the centre. The image's centre is the
// centre of box, the page area it shows (the CropBox or MediaBox the
// rasteriser drew); rotate is the page's /Rotate the rasteriser applied, and
// dpi the image's resolution.
func placement(l *textLayer, box types.Rectangle, rotate int, dpi float64) [6]float64 {
	p := l.page
	// Pixels of the recognised image per point of the engine's page: the
	// engine sizes its page by the resolution it was told, whatever it was.
	k := 72.0 / dpi
	if l.box.Width() > 0 && p.Width > 0 {
		k *= float64(p.Width) / l.box.Width()
	}
	phi := (float64(rotate) + p.Skew - float64(p.Orientation.Degrees)) * math.Pi / 180
	cos, sin := math.Cos(phi), math.Sin(phi)
	a, b, c, d := k*cos, k*sin, -k*sin, k*cos
	tc, pc := l.box.Center(), box.Center()
	e := pc.X - (a*tc.X + c*tc.Y)
	f := pc.Y - (b*tc.X + d*tc.Y)
	return [6]float64{round4(a), round4(b), round4(c), round4(d), round4(e), round4(f)}
}

func round4(f float64) float64 {
	r := math.Round(f*1e4) / 1e4
	if r == 0 {
		return 0 // no "-0" in the content stream
	}
	return r
}

// rasterBox picks the page area the rasteriser drew, by the raster's size:
// the CropBox (what viewers show, what PDFium renders) or the MediaBox
// (what pdftoppm renders unless told -cropbox). When both fit, or the
// raster's size is unknown, the CropBox.
func rasterBox(media, crop *types.Rectangle, rotate, dpi, width, height int) types.Rectangle {
	if crop == nil {
		return *media
	}
	if media == nil || width <= 0 || height <= 0 || dpi <= 0 {
		return *crop
	}
	miss := func(r *types.Rectangle) float64 {
		w, h := r.Width(), r.Height()
		if rotate%180 != 0 {
			w, h = h, w
		}
		return math.Abs(w*float64(dpi)/72-float64(width)) + math.Abs(h*float64(dpi)/72-float64(height))
	}
	if miss(media) < miss(crop)-2 {
		return *media
	}
	return *crop
}

// newRef adds obj as a new object at the end of the table. pdfcpu's
// IndRefForNewObject reuses numbers from the free list, which in a PDF read
// back from a merge may name objects still in use.
func newRef(xt *model.XRefTable, obj types.Object) (*types.IndirectRef, error) {
	n, err := xt.InsertObject(obj)
	if err != nil {
		return nil, err
	}
	return types.NewIndirectRef(n, 0), nil
}
