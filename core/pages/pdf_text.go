package pages

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pdfium"
)

// ContentTypeTextLayer is a Page's ContentType when its file is a
// TextLayer rather than an image.
const ContentTypeTextLayer = "application/vnd.ocrbox.text-layer+json"

// TextLayer is a PDF page's own text as the page helper hands it to the
// server: words with boxes in the pixels of the page rendered at DPI
// (origin top-left, /Rotate applied), the coordinates an OCR engine would
// report for that raster, so hOCR and JSON look alike whichever way a page
// was read.
type TextLayer struct {
	Width  int         `json:"width"`
	Height int         `json:"height"`
	DPI    int         `json:"dpi"`
	Words  []LayerWord `json:"words"`
}

// LayerWord is one word of a TextLayer.
type LayerWord struct {
	Text string `json:"text"`
	BBox [4]int `json:"bbox"` // x0, y0, x1, y1
	Line int    `json:"line"` // 1-based, in the PDF's reading order
}

// ReadTextLayer reads the TextLayer file of a SourcePDFText page.
func ReadTextLayer(path string) (TextLayer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return TextLayer{}, fmt.Errorf("read text layer: %w", err)
	}
	var tl TextLayer
	if err := json.Unmarshal(data, &tl); err != nil {
		return TextLayer{}, fmt.Errorf("decode text layer: %w", err)
	}
	return tl, nil
}

// useText decides from a page's text whether mode reads the page from it
// (OCRmyPDF's semantics: skip uses any text, redo only visible text, force
// none) and returns the words to use.
func useText(pt pdfium.PageText, mode domain.PDFText) ([]pdfium.Word, bool) {
	switch mode {
	case domain.PDFTextForce:
		return nil, false
	case domain.PDFTextRedo:
		if !pt.HasText(true) {
			return nil, false
		}
		var words []pdfium.Word
		for _, w := range pt.Words {
			if !w.Invisible { // the earlier OCR layer is not trusted
				words = append(words, w)
			}
		}
		return words, true
	default:
		return pt.Words, pt.HasText(false)
	}
}

// textPage reads page i from its text layer when the mode says so: it
// returns ok false for a page to rasterise and OCR.
func (s *pdfSource) textPage(doc *pdfium.Document, i, dpi int) (Page, bool, error) {
	if s.pdfText == domain.PDFTextForce {
		return Page{}, false, nil
	}
	pt, err := doc.Text(i, dpi)
	if err != nil {
		return Page{}, false, pdfError(err, i+1)
	}
	words, ok := useText(pt, s.pdfText)
	if !ok {
		return Page{}, false, nil
	}
	tl := TextLayer{Width: pt.Width, Height: pt.Height, DPI: dpi, Words: make([]LayerWord, 0, len(words))}
	for _, w := range words {
		tl.Words = append(tl.Words, LayerWord{Text: w.Text, BBox: [4]int{w.X0, w.Y0, w.X1, w.Y1}, Line: w.Line})
	}
	data, err := json.Marshal(tl)
	if err != nil {
		return Page{}, false, fmt.Errorf("encode text layer of page %d: %w", i+1, err)
	}
	p := Page{Number: i + 1, Data: data, ContentType: ContentTypeTextLayer, Width: pt.Width, Height: pt.Height,
		DPI: dpi, Source: SourcePDFText}
	if s.pdfOut != "" {
		pdf, err := doc.ExtractPage(i)
		if err != nil {
			return Page{}, false, pdfError(err, i+1)
		}
		if err := writeNew(s.pdfOut, pdf); err != nil {
			return Page{}, false, fmt.Errorf("write page %d pdf: %w", i+1, err)
		}
		p.PDFPath = s.pdfOut
	}
	return p, true, nil
}
