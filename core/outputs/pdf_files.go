package outputs

import (
	"context"
	"fmt"
	"io"
	"os"
)

// PDFFiles is a searchable PDF described by the files it is made of, so it
// can be assembled in another process: the server hands it to the page
// helper as JSON (core/pagehelper), which runs WriteSearchablePDFFiles.
// pdfcpu holds the whole document in memory while it builds it — the
// upload plus every page's text layer, 1.2–1.7× the upload's size (measured) — and that
// must not be the server's heap. Every path is chosen by the server.
type PDFFiles struct {
	// Original is the uploaded PDF; empty for image uploads.
	Original string    `json:"original,omitempty"`
	Pages    []PDFFile `json:"pages"`
	PDFA     bool      `json:"pdfa,omitempty"`
	Meta     Meta      `json:"meta"`
}

// PDFFile is one page's part of PDFFiles (see PDFPage).
type PDFFile struct {
	// Result places the page's text layer; only its size, resolution,
	// orientation, skew and source are used (Placement).
	Result Page `json:"result"`
	// TextPDF is the engine's one-page PDF; empty: no layer.
	TextPDF string `json:"text_pdf,omitempty"`
	// Image is the page image the engine read (image uploads only).
	Image string `json:"image,omitempty"`
}

// Placement is p without its text, hOCR and words: what the searchable PDF
// needs of a page result, a few hundred bytes however dense the page.
func (p Page) Placement() Page {
	p.Text, p.HOCR, p.Words = "", "", nil
	return p
}

// WriteSearchablePDFFiles assembles the searchable PDF that f describes
// into w (WriteSearchablePDF), reading each file when it is needed.
func WriteSearchablePDFFiles(ctx context.Context, w io.Writer, f PDFFiles) (PDFResult, error) {
	doc := SearchablePDF{PDFA: f.PDFA, Meta: f.Meta}
	if f.Original != "" {
		in, err := os.Open(f.Original)
		if err != nil {
			return PDFResult{}, fmt.Errorf("open input: %w", err)
		}
		defer in.Close()
		doc.Original = in
	}
	load := func(path string) func() ([]byte, error) {
		if path == "" {
			return nil
		}
		return func() ([]byte, error) { return os.ReadFile(path) }
	}
	doc.Pages = make([]PDFPage, 0, len(f.Pages))
	for _, p := range f.Pages {
		doc.Pages = append(doc.Pages, PDFPage{Result: p.Result, TextPDF: load(p.TextPDF), Image: load(p.Image)})
	}
	return WriteSearchablePDF(ctx, w, doc)
}
