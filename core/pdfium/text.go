package pdfium

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// Word is one word of a page's own text, its box in the pixels of the page
// rendered at the DPI Text was given (origin top-left, page rotation
// applied: the same coordinates an OCR engine reports for that raster).
type Word struct {
	Text           string
	X0, Y0, X1, Y1 int
	// Line counts the page's lines from 1, in PDFium's reading order.
	Line int
	// Invisible is a word drawn in text render mode 3 or 7 (not painted):
	// an OCR layer laid over a scan, as OCRmyPDF or a scanner writes it.
	Invisible bool
}

// PageText is a page's own text layer.
type PageText struct {
	Width, Height int // the page in pixels at the DPI asked for
	// Visible and Invisible count the page's characters with a real
	// Unicode value (not spaces), painted and not painted.
	Visible, Invisible int
	// Unmapped counts characters PDFium could not turn into Unicode (a font
	// without a usable ToUnicode map): such "text" is noise, not text.
	Unmapped int
	Words    []Word
}

// HasText reports whether the page has usable text: at least one mapped
// character, and most characters mapped. visibleOnly ignores an invisible
// OCR layer.
func (t PageText) HasText(visibleOnly bool) bool {
	n := t.Visible
	if !visibleOnly {
		n += t.Invisible
	}
	return n > 0 && n >= t.Unmapped
}

// Text reads page i's text with word boxes at dpi.
func (d *Document) Text(i, dpi int) (PageText, error) {
	w, h, err := d.PixelSize(i, dpi)
	if err != nil {
		return PageText{}, err
	}
	pt := PageText{Width: w, Height: h}
	toPx, err := d.pageToPixels(i, w, h)
	if err != nil {
		return PageText{}, err
	}
	inst := d.e.inst
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: d.page(i)})
	if err != nil {
		return PageText{}, fmt.Errorf("%w: text of page %d: %w", ErrCorrupt, i+1, err)
	}
	defer inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	cnt, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return PageText{}, fmt.Errorf("%w: text of page %d: %w", ErrCorrupt, i+1, err)
	}
	// A text object's render mode is asked once, not once per character.
	modes := map[references.FPDF_PAGEOBJECT]bool{}
	invisible := func(k int) bool {
		obj, err := inst.FPDFText_GetTextObject(&requests.FPDFText_GetTextObject{TextPage: tp.TextPage, Index: k})
		if err != nil || obj.TextObject == "" {
			return false
		}
		if inv, ok := modes[obj.TextObject]; ok {
			return inv
		}
		m, err := inst.FPDFTextObj_GetTextRenderMode(&requests.FPDFTextObj_GetTextRenderMode{PageObject: obj.TextObject})
		inv := err == nil && (m.TextRenderMode == enums.FPDF_TEXTRENDERMODE_INVISIBLE || m.TextRenderMode == enums.FPDF_TEXTRENDERMODE_CLIP)
		modes[obj.TextObject] = inv
		return inv
	}
	var (
		b    wordBuilder
		line = 1
	)
	b.toPx = toPx
	for k := 0; k < cnt.Count; k++ {
		u, err := inst.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp.TextPage, Index: k})
		if err != nil {
			return PageText{}, fmt.Errorf("%w: text of page %d: %w", ErrCorrupt, i+1, err)
		}
		r := rune(u.Unicode)
		switch {
		case r == '\n' || r == '\r':
			b.flush(&pt, line)
			if r == '\r' || !b.lastCR { // "\r\n" is one line break
				line++
			}
			b.lastCR = r == '\r'
			continue
		case unicode.IsSpace(r):
			b.flush(&pt, line)
			b.lastCR = false
			continue
		}
		b.lastCR = false
		if r == 0 || r == unicode.ReplacementChar || !unicode.IsPrint(r) && !unicode.IsMark(r) {
			pt.Unmapped++
			continue
		}
		box, err := inst.FPDFText_GetCharBox(&requests.FPDFText_GetCharBox{TextPage: tp.TextPage, Index: k})
		if err != nil {
			return PageText{}, fmt.Errorf("%w: text of page %d: %w", ErrCorrupt, i+1, err)
		}
		inv := invisible(k)
		if inv {
			pt.Invisible++
		} else {
			pt.Visible++
		}
		b.add(r, inv, box.Left, box.Right, box.Bottom, box.Top)
	}
	b.flush(&pt, line)
	// Number the lines that have words 1, 2, 3…: blank lines leave gaps.
	prev, n := 0, 0
	for k := range pt.Words {
		if pt.Words[k].Line != prev {
			prev, n = pt.Words[k].Line, n+1
		}
		pt.Words[k].Line = n
	}
	return pt, nil
}

// affine maps page space (points) to device pixels: x' = a*x + c*y + e,
// y' = b*x + d*y + f.
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(x, y float64) (float64, float64) {
	return m.a*x + m.c*y + m.e, m.b*x + m.d*y + m.f
}

// pageToPixels asks PDFium where three page points land on a w×h raster
// (FPDF_PageToDevice applies the page's /Rotate and box origin, as
// rendering does) and derives the affine map. The points are far apart so
// the integer answers give sub-pixel precision.
func (d *Document) pageToPixels(i, w, h int) (affine, error) {
	const far = 10000.0
	at := func(x, y float64) (float64, float64, error) {
		r, err := d.e.inst.FPDF_PageToDevice(&requests.FPDF_PageToDevice{Page: d.page(i), SizeX: w, SizeY: h,
			Rotate: enums.FPDF_PAGE_ROTATION_NONE, PageX: x, PageY: y})
		if err != nil {
			return 0, 0, fmt.Errorf("%w: page %d: %w", ErrCorrupt, i+1, err)
		}
		return float64(r.DeviceX), float64(r.DeviceY), nil
	}
	e, f, err := at(0, 0)
	if err != nil {
		return affine{}, err
	}
	x1, y1, err := at(far, 0)
	if err != nil {
		return affine{}, err
	}
	x2, y2, err := at(0, far)
	if err != nil {
		return affine{}, err
	}
	return affine{a: (x1 - e) / far, b: (y1 - f) / far, c: (x2 - e) / far, d: (y2 - f) / far, e: e, f: f}, nil
}

// wordBuilder collects one word's characters and box.
type wordBuilder struct {
	toPx           affine
	text           strings.Builder
	x0, y0, x1, y1 float64
	n, invisible   int
	lastCR         bool
}

func (b *wordBuilder) add(r rune, inv bool, left, right, bottom, top float64) {
	if inv {
		b.invisible++
	}
	b.text.WriteRune(r)
	// The box's four corners: under /Rotate 90 a page's left edge becomes
	// the raster's top.
	for _, p := range [4][2]float64{{left, bottom}, {right, bottom}, {left, top}, {right, top}} {
		x, y := b.toPx.apply(p[0], p[1])
		if b.n == 0 {
			b.x0, b.y0, b.x1, b.y1 = x, y, x, y
		}
		b.x0, b.y0 = math.Min(b.x0, x), math.Min(b.y0, y)
		b.x1, b.y1 = math.Max(b.x1, x), math.Max(b.y1, y)
		b.n++
	}
}

func (b *wordBuilder) flush(pt *PageText, line int) {
	if b.text.Len() == 0 {
		return
	}
	clamp := func(v float64, hi int) int { return max(0, min(hi, int(math.Round(v)))) }
	pt.Words = append(pt.Words, Word{Text: b.text.String(), Line: line,
		X0: clamp(b.x0, pt.Width), Y0: clamp(b.y0, pt.Height), X1: clamp(b.x1, pt.Width), Y1: clamp(b.y1, pt.Height),
		Invisible: b.invisible*2 > b.n/4}) // most of its characters
	b.text.Reset()
	b.n, b.invisible = 0, 0
}
