package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bornDigitalText is the text of core/pdfium/testdata/born-digital.pdf,
// one line per PDF text line (core/pdfium/testdata/makepdfs.go).
const bornDigitalText = "Born digital page for ocrbox.\nThe quick brown fox jumps over the lazy dog.\nInvoice 2041: total 318.50 EUR, due 12 March.\n"

// pdfFixture reads a PDF made by core/pdfium/testdata/makepdfs.go.
func pdfFixture(t *testing.T, name string) upload {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "core", "pdfium", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return upload{Name: name, Data: data}
}

// jsonPages is the part of the JSON output these tests read.
type jsonPages struct {
	Pages []struct {
		Width  int    `json:"width"`
		Height int    `json:"height"`
		DPI    int    `json:"dpi"`
		Text   string `json:"text"`
		Source string `json:"source"`
		Words  []struct {
			Text string `json:"text"`
			BBox [4]int `json:"bbox"`
			Line int    `json:"line"`
		} `json:"words"`
	} `json:"pages"`
}

// TestPDFsWithoutHelperPrograms runs PDFs through a server whose PATH is
// an empty directory — no pdftoppm, no pdfinfo, nothing (issue 14 §4, §2):
// a scanned PDF is OCRed; a born-digital PDF's text comes from its own
// text layer, exactly, with word boxes where the words are drawn and no
// OCR; a mixed PDF gives both texts in page order; pdf_text=force OCRs the
// born-digital page too; a page whose only text is an invisible OCR layer
// is read from it by default and OCRed again with pdf_text=redo; an
// unknown pdf_text is a 422.
func TestPDFsWithoutHelperPrograms(t *testing.T) {
	t.Parallel()
	needDeps(t)
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: filepath.Join(t.TempDir(), "data"),
		Env: []string{"PATH=" + t.TempDir()}})
	c, _ := newUser(t, s, "pdftext", "PDF text")

	if r := c.uploadRaw(t, [][2]string{{"pdf_text", "sometimes"}}, pdfFixture(t, "born-digital.pdf")); r.Status != 422 ||
		!strings.Contains(string(r.Body), "pdf_text") {
		t.Fatalf("pdf_text=sometimes: %d %s, want 422 naming pdf_text", r.Status, r.Body)
	}

	outputs := [][2]string{{"outputs", "txt,hocr,json"}}
	skip := c.upload(t, outputs, pdfFixture(t, "born-digital.pdf"), pdfFixture(t, "mixed.pdf"), corpusUpload(t, "multipage/three-pages.pdf"))
	force := c.upload(t, append(outputs, [2]string{"pdf_text", "force"}), pdfFixture(t, "born-digital.pdf"))
	// ocr-layer.pdf: a page whose only text is invisible, as an earlier
	// OCR run leaves it: skip reads it, redo OCRs the page again.
	layerSkip := c.upload(t, outputs, pdfFixture(t, "ocr-layer.pdf"))
	layerRedo := c.upload(t, append(outputs, [2]string{"pdf_text", "redo"}), pdfFixture(t, "ocr-layer.pdf"))
	var pt struct {
		PDFText string `json:"pdf_text"`
	}
	if r := c.get(t, "/tasks/"+force[0].ID); r.Status != 200 {
		t.Fatalf("get task: %d", r.Status)
	} else if r.JSON(t, &pt); pt.PDFText != "force" {
		t.Errorf("task pdf_text %q, want force", pt.PDFText)
	}

	read := func(tk task) (string, jsonPages) {
		t.Helper()
		done := c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
		var doc jsonPages
		if err := json.Unmarshal(c.downloadKind(t, done, "json"), &doc); err != nil {
			t.Fatalf("%s: JSON output: %v", tk.Filename, err)
		}
		hocr := string(c.downloadKind(t, done, "hocr"))
		if len(doc.Pages) > 0 && doc.Pages[0].Source == "pdf_text" && !strings.Contains(hocr, "ocrx_word") {
			t.Errorf("%s: hOCR without the page's words", tk.Filename)
		}
		return string(c.downloadKind(t, done, "txt")), doc
	}

	t.Run("born-digital", func(t *testing.T) {
		text, doc := read(skip[0])
		if text != bornDigitalText {
			t.Errorf("text %q\nwant %q", text, bornDigitalText)
		}
		if len(doc.Pages) != 1 || doc.Pages[0].Source != "pdf_text" || len(doc.Pages[0].Words) != 22 {
			t.Fatalf("JSON pages %+v, want one pdf_text page of 22 words", doc.Pages)
		}
		p := doc.Pages[0]
		// Letter at 300 dpi; "Born" starts 72 pt (300 px) from the left on
		// a baseline 92 pt (383 px) from the top.
		if w := p.Words[0]; p.Width != 2550 || p.Height != 3300 || p.DPI != 300 || w.Text != "Born" ||
			w.BBox[0] < 295 || w.BBox[0] > 310 || w.BBox[3] < 370 || w.BBox[3] > 395 || w.Line != 1 {
			t.Errorf("page %dx%d at %d dpi, first word %+v", p.Width, p.Height, p.DPI, p.Words[0])
		}
	})
	t.Run("mixed", func(t *testing.T) {
		text, doc := read(skip[1])
		if len(doc.Pages) != 2 || doc.Pages[0].Source != "pdf_text" || doc.Pages[1].Source != "ocr" {
			t.Fatalf("JSON pages: %d, sources %v", len(doc.Pages), sources(doc))
		}
		born, scan := strings.Index(text, "Invoice 2041"), strings.Index(collapseSpace(text), "quick brown dog")
		if !strings.HasPrefix(text, bornDigitalText) || born < 0 || scan < 0 {
			t.Errorf("text does not hold the born-digital page then the scanned one:\n%s", text)
		}
	})
	t.Run("scanned", func(t *testing.T) {
		text, doc := read(skip[2])
		if len(doc.Pages) != 3 || strings.Join(sources(doc), ",") != "ocr,ocr,ocr" {
			t.Fatalf("JSON pages: %d, sources %v", len(doc.Pages), sources(doc))
		}
		truth := string(corpus(t, "multipage/three-pages.txt"))
		if r := cer(collapseSpace(truth), collapseSpace(text)); r > 0.15 {
			t.Errorf("CER %.3f against the ground truth:\n%s", r, text)
		}
	})
	t.Run("invisible layer", func(t *testing.T) {
		text, doc := read(layerSkip[0])
		if len(doc.Pages) != 1 || doc.Pages[0].Source != "pdf_text" || text != "Hidden OCR layer text.\n" {
			t.Errorf("skip: sources %v, text %q; want the layer's text", sources(doc), text)
		}
		text, doc = read(layerRedo[0])
		if len(doc.Pages) != 1 || doc.Pages[0].Source != "ocr" || strings.Contains(text, "Hidden") {
			t.Errorf("redo: sources %v, text %q; want the page OCRed (it shows nothing)", sources(doc), text)
		}
	})
	t.Run("force", func(t *testing.T) {
		text, doc := read(force[0])
		if len(doc.Pages) != 1 || doc.Pages[0].Source != "ocr" {
			t.Fatalf("JSON pages: %d, sources %v; want the born-digital page OCRed", len(doc.Pages), sources(doc))
		}
		if r := cer(collapseSpace(bornDigitalText), collapseSpace(text)); r > 0.05 {
			t.Errorf("OCR of the born-digital page: CER %.3f\n%s", r, text)
		}
	})
}

func sources(doc jsonPages) []string {
	var s []string
	for _, p := range doc.Pages {
		s = append(s, p.Source)
	}
	return s
}
