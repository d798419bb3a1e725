// Package outputs assembles a task's output files (txt, hocr, json, pdf)
// from its per-page OCR results.
//
// The worker stores each page's result as it arrives (a Page as JSON, plus
// the engine's one-page PDF in a file of its own), so a crash loses at most
// the page in flight; the writers here then stream the pages into the final
// documents in page order.
package outputs

import (
	"fmt"
	"math"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Page is one page's OCR result as the worker stores it between the engine
// call and assembly.
type Page struct {
	Number         int     `json:"number"` // 1-based
	Width          int     `json:"width"`  // pixels of the image OCRed
	Height         int     `json:"height"`
	DPI            int     `json:"dpi"`
	Text           string  `json:"text"`
	HOCR           string  `json:"hocr"` // the engine's hOCR for this page, usually one ocr_page div
	Words          []Word  `json:"words"`
	MeanConfidence float64 `json:"mean_confidence"`
	// Orientation and Skew say how the engine turned the page upright
	// before recognising it; Width, Height and the word boxes are then the
	// upright page's. Zero for engines that do not turn pages, and in pages
	// stored before they existed.
	Orientation Orientation `json:"orientation"`
	Skew        float64     `json:"skew"` // degrees the page was turned clockwise to straighten it
	// ImageWidth and ImageHeight are the size of the image the engine was
	// handed, before it turned or straightened it: for a PDF page, the
	// raster of the page as displayed at DPI. The searchable PDF's text
	// layer is placed by them (0 in pages stored before they existed).
	ImageWidth  int `json:"image_width,omitempty"`
	ImageHeight int `json:"image_height,omitempty"`
	// Source says where the page's text came from: empty for the engine's
	// OCR; SourcePDFText for a PDF page whose own text layer was used, which
	// the searchable PDF keeps as it is, with no layer added.
	Source string `json:"source,omitempty"`
}

// SourcePDFText marks a page whose text was the PDF's own text layer.
const SourcePDFText = "pdf_text"

// Orientation is how far a page arrived turned clockwise from upright:
// Degrees is 0, 90, 180 or 270, Confidence the detector's (0 when it did
// not run or could not tell).
type Orientation struct {
	Degrees    int     `json:"degrees"`
	Confidence float64 `json:"confidence"`
}

// PageJSONName is the file name, in the task's directory, of page n's
// stored Page (1-based). The files stay after the task completes.
func PageJSONName(n int) string { return fmt.Sprintf("page-%04d.json", n) }

// Word is one recognised word with its box in page pixels.
type Word struct {
	Text       string  `json:"text"`
	BBox       [4]int  `json:"bbox"`       // x0, y0, x1, y1; origin top-left
	Confidence float64 `json:"confidence"` // 0..100; negative when the engine gives none
	Block      int     `json:"block"`
	Paragraph  int     `json:"paragraph"`
	Line       int     `json:"line"`
}

// Meta describes the task in the assembled documents.
type Meta struct {
	TaskID    string
	Filename  string
	Engine    string // e.g. "tesseract 5.3.0"
	Lang      string // e.g. "eng+deu"
	CreatedAt time.Time
}

// FromResponse converts an engine's answer for page number (1-based),
// rendered at dpi (0 if unknown), into the stored form. The one-page PDF
// in r is not copied: the worker keeps it in a separate file.
func FromResponse(number, dpi int, r *sdk.RecognizeResponse) Page {
	p := Page{Number: number, DPI: dpi, Words: []Word{}}
	if r == nil {
		return p
	}
	p.Width, p.Height = int(r.GetWidth()), int(r.GetHeight())
	p.Text, p.HOCR = r.GetText(), r.GetHocr()
	p.MeanConfidence = roundConf(r.GetMeanConfidence())
	p.Orientation = Orientation{Degrees: int(r.GetOrientation()), Confidence: roundConf(r.GetOrientationConfidence())}
	p.Skew = roundConf(r.GetSkew())
	p.Words = make([]Word, 0, len(r.GetWords()))
	for _, w := range r.GetWords() {
		p.Words = append(p.Words, Word{
			Text:       w.GetText(),
			BBox:       [4]int{int(w.GetX0()), int(w.GetY0()), int(w.GetX1()), int(w.GetY1())},
			Confidence: roundConf(w.GetConfidence()),
			Block:      int(w.GetBlock()),
			Paragraph:  int(w.GetParagraph()),
			Line:       int(w.GetLine()),
		})
	}
	return p
}

// roundConf keeps two decimals: the wire carries float32, and widening it
// prints as 96.12000274658203 in JSON.
func roundConf(c float32) float64 {
	return math.Round(float64(c)*100) / 100
}
