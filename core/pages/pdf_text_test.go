package pages

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestPDFTextModes runs Document.Job then Extract on every fixture page in
// every pdf_text mode: which pages are read from their own text and which
// are rasterised for OCR, and what the text layer holds.
func TestPDFTextModes(t *testing.T) {
	const born = "Born digital page for ocrbox. The quick brown fox jumps over the lazy dog. Invoice 2041: total 318.50 EUR, due 12 March."
	fix := func(name string) string { return filepath.Join("..", "pdfium", "testdata", name) }
	tests := []struct {
		file     string
		page     int
		mode     domain.PDFText
		wantText string // "" = rasterised for OCR
	}{
		{fix("born-digital.pdf"), 0, "", born},
		{fix("born-digital.pdf"), 0, domain.PDFTextSkip, born},
		{fix("born-digital.pdf"), 0, domain.PDFTextRedo, born},
		{fix("born-digital.pdf"), 0, domain.PDFTextForce, ""},
		{fix("ocr-layer.pdf"), 0, domain.PDFTextSkip, "Hidden OCR layer text."},
		{fix("ocr-layer.pdf"), 0, domain.PDFTextRedo, ""},
		{fix("ocr-layer.pdf"), 0, domain.PDFTextForce, ""},
		{fix("mixed.pdf"), 0, domain.PDFTextSkip, born},
		{fix("mixed.pdf"), 1, domain.PDFTextSkip, ""},
		{fix("mixed.pdf"), 1, domain.PDFTextRedo, ""},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file)+"/"+string(tc.mode)+"/"+string(rune('1'+tc.page)), func(t *testing.T) {
			ctx := context.Background()
			doc, err := Open(ctx, tc.file, "", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer doc.Close()
			dir := t.TempDir()
			j, err := doc.Job(tc.page, filepath.Join(dir, "page"))
			if err != nil {
				t.Fatal(err)
			}
			j.PDFText, j.PDFOut = tc.mode, filepath.Join(dir, "page.pdf")
			p, err := Extract(ctx, j)
			if err != nil {
				t.Fatal(err)
			}
			_, pdfErr := os.Stat(j.PDFOut)
			if tc.wantText == "" {
				if p.Source != "" || p.ContentType == ContentTypeTextLayer || pdfErr == nil {
					t.Fatalf("source %q, type %s, pdf written %v; want a raster for OCR", p.Source, p.ContentType, pdfErr == nil)
				}
				assertDecodes(t, p)
				return
			}
			if p.Source != SourcePDFText || p.ContentType != ContentTypeTextLayer || p.Path != j.Out || p.PDFPath != j.PDFOut || pdfErr != nil {
				t.Fatalf("page %+v (pdf %v), want a text layer at Out and the page PDF at PDFOut", p, pdfErr)
			}
			tl, err := ReadTextLayer(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			var words []string
			for _, w := range tl.Words {
				words = append(words, w.Text)
				if w.BBox[0] >= w.BBox[2] || w.BBox[1] >= w.BBox[3] || w.BBox[2] > tl.Width || w.BBox[3] > tl.Height {
					t.Errorf("word %q box %v outside %dx%d", w.Text, w.BBox, tl.Width, tl.Height)
				}
			}
			if got := strings.Join(words, " "); got != tc.wantText {
				t.Errorf("text %q, want %q", got, tc.wantText)
			}
			if tl.Width != 2550 || tl.Height != 3300 || tl.DPI != 300 || p.Width != 2550 || p.DPI != 300 {
				t.Errorf("layer %dx%d at %d dpi, page %dx%d", tl.Width, tl.Height, tl.DPI, p.Width, p.Height)
			}
		})
	}
}

// TestPDFHostile: a PDF declaring a huge page count is refused at Open
// (too_many_pages) without sizing every page; broken ones are
// unreadable_input; none hangs.
func TestPDFHostile(t *testing.T) {
	kids := strings.Repeat("3 0 R ", 5000)
	many := "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [" + kids + "] /Count 5000 >>\nendobj\n" +
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	deep := "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + strings.Repeat("[", 200000) + " >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	tests := []struct {
		name string
		data string
		code string
	}{
		{"many pages", many, "too_many_pages"},
		{"deep nesting", deep, "unreadable_input"},
		{"no pages", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", "unreadable_input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := openAll(writeTemp(t, "x.pdf", []byte(tc.data)))
			wantDomainError(t, err, map[string]error{"too_many_pages": domain.ErrTooLarge, "unreadable_input": domain.ErrBadInput}[tc.code], tc.code)
		})
	}
}
