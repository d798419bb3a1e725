package pagehelper

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestAssemblePDFInHelper: the real helper assembles the searchable PDF of
// a real three-page scan (the corpus's three-pages.pdf, CCITT pages) with
// tesseract's text layers: the pages are the original's (still CCITT), the
// size stays within 1.2 × the input plus the layers, a PDF reader finds
// the OCR's words on the page, the file is PDF/A-2B and passes qpdf, and it
// is the document the server would have written itself (its dates aside).
func TestAssemblePDFInHelper(t *testing.T) {
	t.Parallel()
	testenv.RequirePrograms(t, "pdftoppm", "tesseract", "pdfimages", "pdftotext", "qpdf", "pdfinfo")
	src := filepath.Join(corpus(t), "multipage", "three-pages.pdf")
	dir := t.TempDir()
	page, layer := textLayer(t, src, dir)
	f := outputs.PDFFiles{Original: src, PDFA: true, Meta: outputs.Meta{Filename: "three-pages.pdf", TaskID: "t1"}}
	for n := 1; n <= 3; n++ {
		// Page 1's layer on every page: OCR of the dense page 3 takes ~20 s.
		p := page
		p.Number = n
		f.Pages = append(f.Pages, outputs.PDFFile{Result: p, TextPDF: layer})
	}
	out := filepath.Join(dir, "result.pdf")
	res, err := assembleTo(t, newRunner(t, Options{}), f, out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.PDFA || res.NotPDFA != "" {
		t.Errorf("result %+v, want PDF/A", res)
	}

	encs := run(t, "pdfimages", "-list", out)
	if n := strings.Count(encs, " ccitt "); n != 3 {
		t.Errorf("%d CCITT images, want the three scans as they were:\n%s", n, encs)
	}
	in, lay, size := fileSize(t, src), fileSize(t, layer), fileSize(t, out)
	t.Logf("three-pages.pdf: input %d B, output %d B, text layers 3 × %d B", in, size, lay)
	if limit := 1.2*float64(in) + 3*float64(lay); float64(size) > limit {
		t.Errorf("output %d B > 1.2 × input + text layers = %.0f B", size, limit)
	}
	text := run(t, "pdftotext", "-f", "1", "-l", "1", out, "-")
	found, tried := 0, 0
	for _, w := range page.Words {
		if len(w.Text) < 4 {
			continue
		}
		tried++
		if strings.Contains(text, w.Text) {
			found++
		}
	}
	if tried == 0 || found < tried*9/10 {
		t.Errorf("a reader finds %d of the OCR's %d words on page 1", found, tried)
	}
	if chk := run(t, "qpdf", "--check", out); !strings.Contains(chk, "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check:\n%s", chk)
	}
	if meta := run(t, "pdfinfo", "-meta", out); !strings.Contains(meta, "<pdfaid:part>2</pdfaid:part>") {
		t.Errorf("no PDF/A-2 identification in the XMP:\n%s", meta)
	}

	// The same document as the server would have written in-process.
	same := filepath.Join(dir, "in-process.pdf")
	w, err := os.Create(same)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outputs.WriteSearchablePDFFiles(context.Background(), w, f); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The dates in the document differ when the second turned between the
	// two, and the compressed object stream holding them by a byte or two.
	if got := fileSize(t, same); got < size-16 || got > size+16 {
		t.Errorf("in-process assembly %d B, the helper's %d B", got, size)
	}
	if a, b := run(t, "pdftotext", out, "-"), run(t, "pdftotext", same, "-"); a != b {
		t.Errorf("the helper's PDF reads differently from the in-process one")
	}
}

// TestAssemblePDFFailures: a document pdfcpu cannot read is the same
// permanent *domain.Error as in the server; an assembler that crashes or
// runs out of its address space is a transient *Error saying which.
func TestAssemblePDFFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(corpus(t), "multipage", "three-pages.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pdf")
	if err := os.WriteFile(cut, src[:len(src)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	layer := filepath.Join(dir, "layer.pdf")
	if err := os.WriteFile(layer, []byte("%PDF-1.4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := outputs.PDFFiles{Original: cut, Pages: []outputs.PDFFile{{Result: outputs.Page{Number: 1, DPI: 300}, TextPDF: layer}}}
	asBudget := assembleLimits(int64(len(src)/3+9), 1).as >> 20
	tests := []struct {
		fault string
		want  string // *Error's message; "" a permanent unreadable_input
	}{
		{"", ""},
		{"segv", "the PDF assembler crashed (segmentation fault)"},
		{"alloc", fmt.Sprintf("assembling the PDF needed more than its memory limit (%d MiB)", asBudget)},
	}
	for _, tc := range tests {
		t.Run("fault="+tc.fault, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, Options{Env: []string{faultKey + "=" + tc.fault}})
			_, err := assembleTo(t, r, f, filepath.Join(t.TempDir(), "out.pdf"))
			if tc.want == "" {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != domain.CodeUnreadableInput || errors.Is(err, domain.ErrTransient) {
					t.Fatalf("err = %v (%T), want a permanent unreadable_input", err, err)
				}
				return
			}
			var he *Error
			if !errors.As(err, &he) || !errors.Is(err, domain.ErrTransient) {
				t.Fatalf("err = %v (%T), want a transient *Error", err, err)
			}
			if he.Message != tc.want {
				t.Errorf("message %q, want %q", he.Message, tc.want)
			}
		})
	}
}

// assembleTo runs r.AssemblePDF into a new file at path, as the worker
// hands it one.
func assembleTo(t *testing.T, r *Runner, f outputs.PDFFiles, path string) (outputs.PDFResult, error) {
	t.Helper()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	return r.AssemblePDF(context.Background(), f, out)
}

// textLayer renders page 1 of pdf at 300 dpi as the page helper does and
// has the tesseract CLI make its text-only PDF, as ocrbox's engine does; it
// returns the page result (size and words) and the layer's path.
func textLayer(t *testing.T, pdf, dir string) (outputs.Page, string) {
	t.Helper()
	img := filepath.Join(dir, "render")
	run(t, "pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-gray", "-png", "-singlefile", pdf, img)
	base := filepath.Join(dir, "page-0001")
	cmd := exec.Command("tesseract", img+".png", base, "-l", "eng", "--dpi", "300", "-c", "textonly_pdf=1", "pdf", "tsv")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tesseract: %v\n%s", err, out)
	}
	tsv, err := os.Open(base + ".tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer tsv.Close()
	cr := csv.NewReader(tsv)
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = '\t', true, -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	p := outputs.Page{Number: 1, DPI: 300}
	for _, row := range rows[1:] {
		if len(row) < 12 {
			continue
		}
		level, _ := strconv.Atoi(row[0])
		switch level {
		case 1:
			p.Width, _ = strconv.Atoi(row[8])
			p.Height, _ = strconv.Atoi(row[9])
		case 5:
			if w := strings.TrimSpace(row[11]); w != "" {
				p.Words = append(p.Words, outputs.Word{Text: w})
			}
		}
	}
	p.ImageWidth, p.ImageHeight = p.Width, p.Height
	return p, base + ".pdf"
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
