package outputs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// corpus returns the shared OCR test corpus beside the repo clone.
func corpus(t testing.TB) string { return testenv.Corpus(t) }

// needTool fails in CI and skips elsewhere when an external tool is missing.
func needTool(t testing.TB, name string) { testenv.RequirePrograms(t, name) }

func readSeekers(t *testing.T, paths ...string) []io.ReadSeeker {
	t.Helper()
	var rs []io.ReadSeeker
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, bytes.NewReader(b))
	}
	return rs
}

// TestMergePDFOrder splits the corpus PDF into one-page PDFs with pdfcpu
// and merges them back in reverse: page sizes show the order held.
func TestMergePDFOrder(t *testing.T) {
	t.Parallel()
	src := filepath.Join(corpus(t), "multipage", "three-pages.pdf")
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"3", "2", "1"} {
		out := filepath.Join(dir, "page"+n+".pdf")
		if err := api.TrimFile(src, out, []string{n}, nil); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, out)
	}
	var merged bytes.Buffer
	if err := MergePDF(context.Background(), &merged, readSeekers(t, paths...)); err != nil {
		t.Fatal(err)
	}
	conf := model.NewDefaultConfiguration()
	dims, err := api.PageDims(bytes.NewReader(merged.Bytes()), conf)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{614.4, 245.76, 230.4} // widths of source pages 3, 2, 1
	if len(dims) != 3 {
		t.Fatalf("%d pages, want 3", len(dims))
	}
	for i, d := range dims {
		if fmt.Sprintf("%.2f", d.Width) != fmt.Sprintf("%.2f", want[i]) {
			t.Errorf("page %d width %.2f, want %.2f", i+1, d.Width, want[i])
		}
	}
}

func TestMergePDFEdges(t *testing.T) {
	t.Parallel()
	err := MergePDF(context.Background(), io.Discard, nil)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("no pages: %v, want ErrInvalid", err)
	}
	one := []byte("%PDF-1.5 exactly these bytes")
	var out bytes.Buffer
	if err := MergePDF(context.Background(), &out, []io.ReadSeeker{bytes.NewReader(one)}); err != nil || !bytes.Equal(out.Bytes(), one) {
		t.Errorf("single page: %v, output %q", err, out.Bytes())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = MergePDF(ctx, io.Discard, []io.ReadSeeker{bytes.NewReader(one), bytes.NewReader(one)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	err = MergePDF(context.Background(), io.Discard, []io.ReadSeeker{bytes.NewReader(one), bytes.NewReader([]byte("junk"))})
	if err == nil {
		t.Error("merging junk succeeded")
	}
}

// TestAssembleTesseractOutputs is an integration test: real one-page
// searchable PDFs and hOCR from the tesseract CLI are assembled; the PDF is
// checked with poppler the way a user's PDF reader would see it.
func TestAssembleTesseractOutputs(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"tesseract", "pdfinfo", "pdftotext"} {
		needTool(t, tool)
	}
	dir := t.TempDir()
	var paths []string
	var pages []Page
	for i, img := range []string{"phototest.tif", "eurotext.tif"} {
		base := filepath.Join(dir, strings.TrimSuffix(img, ".tif"))
		cmd := exec.Command("tesseract", filepath.Join(corpus(t), "pages", img), base, "-l", "eng", "pdf", "hocr")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tesseract %s: %v\n%s", img, err, out)
		}
		paths = append(paths, base+".pdf")
		// The CLI writes a whole hOCR document, page_1 ids included.
		hocr, err := os.ReadFile(base + ".hocr")
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, Page{Number: i + 1, HOCR: string(hocr)})
	}

	var doc bytes.Buffer
	if err := WriteHOCR(&doc, pages, Meta{Engine: "tesseract"}); err != nil {
		t.Fatal(err)
	}
	titles, ids, words := hocrSummary(t, doc.Bytes())
	if len(titles) != 2 || len(words) < 50 {
		t.Errorf("hOCR has %d pages and %d words, want 2 pages of text", len(titles), len(words))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
	if !seen["word_2_1"] || !seen["page_2"] {
		t.Errorf("page 2 ids not renumbered: %v", ids[:min(len(ids), 10)])
	}
	merged := filepath.Join(dir, "merged.pdf")
	f, err := os.Create(merged)
	if err != nil {
		t.Fatal(err)
	}
	if err := MergePDF(context.Background(), f, readSeekers(t, paths...)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	info, err := exec.Command("pdfinfo", merged).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	if !regexp.MustCompile(`(?m)^Pages:\s+2$`).Match(info) {
		t.Errorf("pdfinfo does not report 2 pages:\n%s", info)
	}
	for page, want := range map[int]string{1: "quick brown dog", 2: "jumps"} {
		n := fmt.Sprint(page)
		text, err := exec.Command("pdftotext", "-f", n, "-l", n, merged, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		if !strings.Contains(string(text), want) {
			t.Errorf("page %d text lost %q:\n%s", page, want, text)
		}
	}
}
