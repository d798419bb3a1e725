package outputs

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ocrTextLayer runs the tesseract CLI on an image as ocrbox's engine does
// for a searchable PDF: the text-only PDF (textonly_pdf) and the words
// with their boxes (TSV), at dpi (0: the file's). It returns the page
// result as the worker stores it and the text layer.
func ocrTextLayer(t testing.TB, img string, dpi int) (Page, []byte) {
	t.Helper()
	needTool(t, "tesseract")
	base := filepath.Join(t.TempDir(), "page")
	args := []string{img, base, "-l", "eng", "-c", "textonly_pdf=1"}
	if dpi > 0 {
		args = append(args, "--dpi", strconv.Itoa(dpi))
	}
	cmd := exec.Command("tesseract", append(args, "pdf", "tsv")...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tesseract %s: %v\n%s", img, err, out)
	}
	pdf, err := os.ReadFile(base + ".pdf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(base + ".tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	p := Page{Number: 1, DPI: dpi}
	for _, row := range rows[1:] {
		if len(row) < 12 {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			n[i], _ = strconv.Atoi(row[i])
		}
		switch n[0] {
		case 1: // page
			p.Width, p.Height = n[8], n[9]
		case 5:
			if strings.TrimSpace(row[11]) == "" {
				continue
			}
			conf, _ := strconv.ParseFloat(row[10], 64)
			p.Words = append(p.Words, Word{Text: row[11], BBox: [4]int{n[6], n[7], n[6] + n[8], n[7] + n[9]},
				Confidence: conf, Block: n[2], Paragraph: n[3], Line: n[4]})
		}
	}
	p.ImageWidth, p.ImageHeight = p.Width, p.Height
	return p, pdf
}

func loader(b []byte) func() ([]byte, error) {
	return func() ([]byte, error) { return b, nil }
}

func fileLoader(t *testing.T, path string) func() ([]byte, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return loader(b)
}

// writeSearchable assembles in and writes the result into a file.
func writeSearchable(t *testing.T, in SearchablePDF) string {
	t.Helper()
	var out bytes.Buffer
	res, err := WriteSearchablePDF(context.Background(), &out, in)
	if err != nil {
		t.Fatalf("WriteSearchablePDF: %v", err)
	}
	if res.PDFA != in.PDFA {
		t.Errorf("PDF/A %v, asked %v: %s", res.PDFA, in.PDFA, res.NotPDFA)
	}
	path := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	needTool(t, name)
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// imageEncodings lists the encoding of every image in the PDF, page by
// page, as pdfimages reports it (ccitt, jpeg, image = Flate, …).
func imageEncodings(t *testing.T, pdf string) []string {
	t.Helper()
	var encs []string
	for i, line := range strings.Split(tool(t, "pdfimages", "-list", pdf), "\n") {
		f := strings.Fields(line)
		if i < 2 || len(f) < 9 {
			continue
		}
		encs = append(encs, f[2]+":"+f[8]) // type (image, smask…) and encoding
	}
	return encs
}

// pdfWord is a word as a PDF reader finds it: text and box in points from
// the displayed page's top-left corner.
type pdfWord struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// pdfWords extracts page n's words with their boxes (pdftotext -bbox).
func pdfWords(t *testing.T, pdf string, n int) []pdfWord {
	t.Helper()
	out := tool(t, "pdftotext", "-bbox", "-f", fmt.Sprint(n), "-l", fmt.Sprint(n), pdf, "-")
	var words []pdfWord
	for _, m := range bboxWord.FindAllStringSubmatch(out, -1) {
		v := make([]float64, 4)
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		words = append(words, pdfWord{html.UnescapeString(m[5]), v[0], v[1], v[2], v[3]})
	}
	return words
}

// checkAligned compares the words a PDF reader finds on the page with the
// OCR word boxes (pixels of the upright image at dpi): a word is where the
// OCR saw it when the centre of the reader's box for it lies inside the
// OCR box, grown by margin points (tesseract's own searchable PDF is read
// about 2 pt left of and above its boxes' centres: the glyph-less font's
// metrics). At least 90 % of the words must be. It returns how many were.
func checkAligned(t *testing.T, got []pdfWord, p Page, dpi, margin float64) int {
	t.Helper()
	k := 72 / dpi
	byText := map[string][]pdfWord{}
	for _, w := range got {
		byText[w.text] = append(byText[w.text], w)
	}
	matched, tried := 0, 0
	for _, w := range p.Words {
		cands := byText[w.Text]
		if len(w.Text) < 2 {
			continue
		}
		tried++
		x0, y0 := float64(w.BBox[0])*k-margin, float64(w.BBox[1])*k-margin
		x1, y1 := float64(w.BBox[2])*k+margin, float64(w.BBox[3])*k+margin
		for _, c := range cands {
			cx, cy := (c.xMin+c.xMax)/2, (c.yMin+c.yMax)/2
			if cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1 {
				matched++
				break
			}
		}
		if os.Getenv("DEBUG_ALIGN") != "" && len(cands) > 0 {
			c := cands[0]
			t.Logf("%s: reader %.1f,%.1f-%.1f,%.1f OCR %.1f,%.1f-%.1f,%.1f", w.Text, c.xMin, c.yMin, c.xMax, c.yMax,
				x0+margin, y0+margin, x1-margin, y1-margin)
		}
	}
	if tried == 0 || float64(matched) < 0.9*float64(tried) {
		t.Errorf("%d of %d words where the OCR found them", matched, tried)
	}
	return matched
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
