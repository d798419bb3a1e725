package outputs

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSearchablePDF lays a text layer over each page of the corpus's
// three-page scanned PDF and writes it as PDF/A-2B: the pdfcpu work of one
// task's searchable PDF (docs/release.md weighs building pdfcpu without
// inlining against this). The layer is tesseract's for phototest, made
// once before the clock starts.
func BenchmarkSearchablePDF(b *testing.B) {
	orig, err := os.ReadFile(filepath.Join(corpus(b), "multipage", "three-pages.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	page, layer := ocrTextLayer(b, filepath.Join(corpus(b), "pages", "phototest.tif"), 300)
	for b.Loop() {
		in := SearchablePDF{Original: bytes.NewReader(orig), PDFA: true, Meta: Meta{Filename: "three-pages.pdf"}}
		for n := 1; n <= 3; n++ {
			p := page
			p.Number = n
			in.Pages = append(in.Pages, PDFPage{Result: p, TextPDF: loader(layer)})
		}
		if _, err := WriteSearchablePDF(context.Background(), io.Discard, in); err != nil {
			b.Fatal(err)
		}
	}
}
