//go:build ignore

// makepdfs writes the PDF fixtures of this directory; run it from the
// repository root: go run ./core/pdfium/testdata/makepdfs.go
//
//   - born-digital.pdf: one letter page of Helvetica text (text render mode 0)
//   - rotated.pdf: the same page with /Rotate 90
//   - ocr-layer.pdf: one page whose only text is invisible (3 Tr), as an
//     earlier OCR run leaves it over a scan
//   - mixed.pdf: born-digital.pdf's page, then the corpus's scanned
//     three-pages.pdf page 1 (merged with pdfcpu)
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// Lines is the born-digital page's text, one PDF text line each.
var Lines = []string{
	"Born digital page for ocrbox.",
	"The quick brown fox jumps over the lazy dog.",
	"Invoice 2041: total 318.50 EUR, due 12 March.",
}

func main() {
	api.DisableConfigDir()
	dir := filepath.Join("core", "pdfium", "testdata")
	must(os.WriteFile(filepath.Join(dir, "born-digital.pdf"), page(Lines, 0, 0), 0o644))
	must(os.WriteFile(filepath.Join(dir, "rotated.pdf"), page(Lines, 0, 90), 0o644))
	must(os.WriteFile(filepath.Join(dir, "ocr-layer.pdf"), page([]string{"Hidden OCR layer text."}, 3, 0), 0o644))
	tmp, err := os.MkdirTemp("", "makepdfs")
	must(err)
	defer os.RemoveAll(tmp)
	scan := filepath.Join(tmp, "scan.pdf")
	must(api.TrimFile(filepath.Join("..", "shared", "testdata", "ocr", "multipage", "three-pages.pdf"), scan, []string{"1"}, nil))
	must(api.MergeCreateFile([]string{filepath.Join(dir, "born-digital.pdf"), scan}, filepath.Join(dir, "mixed.pdf"), false, nil))
}

// page is a one-page PDF: the lines in 20 pt Helvetica at text render
// mode mode, the page turned by rotate degrees.
func page(lines []string, mode, rotate int) []byte {
	var content bytes.Buffer
	fmt.Fprintf(&content, "BT /F1 20 Tf %d Tr 72 700 Td 28 TL\n", mode)
	for _, l := range lines {
		fmt.Fprintf(&content, "(%s) Tj T*\n", l)
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>", rotate),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
