package outputs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"
)

// jsonHeader is the document-level part of the JSON output.
type jsonHeader struct {
	TaskID    string     `json:"task_id"`
	Filename  string     `json:"filename"`
	Engine    string     `json:"engine"`
	Lang      string     `json:"lang"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
}

// jsonPage is a Page as the JSON output shows it: hOCR has its own output.
type jsonPage struct {
	Number         int         `json:"number"`
	Width          int         `json:"width"`
	Height         int         `json:"height"`
	DPI            int         `json:"dpi"`
	Text           string      `json:"text"`
	MeanConfidence float64     `json:"mean_confidence"`
	Orientation    Orientation `json:"orientation"`
	Skew           float64     `json:"skew"`
	// Source is where the page's text came from: "ocr" (the engine) or
	// "pdf_text" (the PDF page's own text layer, pdf_text=skip|redo).
	Source string `json:"source"`
	Words  []Word `json:"words"`
}

// SourceOCR is the JSON output's "source" of a page the engine read (a
// stored Page's empty Source).
const SourceOCR = "ocr"

// WriteJSON writes the JSON output:
//
//	{"task_id":…,"filename":…,"engine":…,"lang":…,"created_at":…,
//	 "pages":[{"number":1,"width":…,"height":…,"dpi":…,"text":…,
//	   "mean_confidence":…,"orientation":{"degrees":…,"confidence":…},
//	   "skew":…,"source":"ocr"|"pdf_text","words":[{"text":…,"bbox":[x0,y0,x1,y1],
//	   "confidence":…,"block":…,"paragraph":…,"line":…}]}]}
//
// Pages are encoded one at a time, so a 500-page result is never held as
// one JSON value in memory.
func WriteJSON(w io.Writer, pages []Page, m Meta) error {
	bw := bufio.NewWriter(w)
	h := jsonHeader{TaskID: m.TaskID, Filename: m.Filename, Engine: m.Engine, Lang: m.Lang}
	if !m.CreatedAt.IsZero() {
		t := m.CreatedAt.UTC()
		h.CreatedAt = &t
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // OCR text often has < and &; keep it readable
	if err := enc.Encode(h); err != nil {
		return err
	}
	head := bytes.TrimRight(buf.Bytes(), "\n")
	// Reopen the header object to append the pages array.
	_, _ = bw.Write(head[:len(head)-1])
	_, _ = bw.WriteString(`,"pages":[`)
	for i, p := range pages {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		words := p.Words
		if words == nil {
			words = []Word{} // [] rather than null: clients iterate it
		}
		source := p.Source
		if source == "" {
			source = SourceOCR
		}
		buf.Reset()
		if err := enc.Encode(jsonPage{Number: p.Number, Width: p.Width, Height: p.Height, DPI: p.DPI,
			Text: p.Text, MeanConfidence: p.MeanConfidence, Orientation: p.Orientation, Skew: p.Skew,
			Source: source, Words: words}); err != nil {
			return err
		}
		_, _ = bw.Write(bytes.TrimRight(buf.Bytes(), "\n"))
	}
	_, _ = bw.WriteString("]}\n")
	return bw.Flush()
}
