package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// TestSearchablePDF uploads the corpus through the real binary (issue 14
// §3) and reads the searchable PDFs as a user's tools would: a PDF keeps
// its own CCITT scans, a TIFF its Group 4 data, a JPEG its DCT data; the
// output stays within 1.2 × the input plus the text layers; the words lie
// where the JSON output says; PDF/A-2B markers are there by default and
// qpdf and pdfcpu find the file sound; the page upside down shows upright.
func TestSearchablePDF(t *testing.T) {
	t.Parallel()
	needTools(t, "qpdf", "pdfimages", "pdftotext", "pdfinfo")
	s := sharedServer(t)
	c, u := newUser(t, s, "searchable", "Searchable PDF")
	type want struct {
		encodings []string // pdfimages' enc column, page by page
		sized     bool     // the 1.2× target applies
		rotate    int      // the page's /Rotate
	}
	cases := []struct {
		up upload
		want
	}{
		{corpusUpload(t, "multipage/three-pages.pdf"), want{[]string{"ccitt", "ccitt", "ccitt"}, true, 0}},
		// Pages 3 and 4 are uncompressed strips; the page helper re-encodes
		// them as Group 4, which is embedded as it is.
		{corpusUpload(t, "multipage/four-pages.tif"), want{[]string{"ccitt", "ccitt", "ccitt", "ccitt"}, true, 0}},
		// An uncompressed single page is the upload itself: Flate, 1 bit.
		// (The single Group 4 pages are four-pages.tif's first two; the
		// unit tests in core/outputs cover every corpus TIFF on its own.)
		{corpusUpload(t, "pages/eurotext.tif"), want{[]string{"image"}, true, 0}},
		{upload{Name: "phototest.jpg", Data: jpegOf(t, "pages/phototest-rotated-180.png")}, want{[]string{"jpeg"}, true, 180}},
		{corpusUpload(t, "pages/phototest-rotated-180.png"), want{[]string{"image"}, false, 180}},
	}
	var files []upload
	for _, tc := range cases {
		files = append(files, tc.up)
	}
	tasks := c.upload(t, [][2]string{{"outputs", "txt,json,pdf"}}, files...)
	for i, tc := range cases {
		t.Run(tc.up.Name, func(t *testing.T) {
			if got := taskPDFOutput(t, c, tasks[i].ID); got != "pdfa" {
				t.Errorf("task pdf_output %q, want the default pdfa", got)
			}
			tk := c.waitStatus(t, tasks[i].ID, "completed", 5*time.Minute)
			pdf := filepath.Join(t.TempDir(), "out.pdf")
			if err := os.WriteFile(pdf, c.downloadKind(t, tk, "pdf"), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := pdfImageEncodings(t, pdf); strings.Join(got, " ") != strings.Join(tc.encodings, " ") {
				t.Errorf("image encodings %v, want %v", got, tc.encodings)
			}
			layers := textLayerBytes(t, taskDir(s.cfg.DataDir, u.ID, tk.ID), len(tc.encodings))
			out, _ := os.Stat(pdf)
			ratio := float64(out.Size()) / float64(len(tc.up.Data))
			t.Logf("%s: input %d B, output %d B (%.2f×), text layers %d B", tc.up.Name, len(tc.up.Data), out.Size(), ratio, layers)
			if limit := 1.2*float64(len(tc.up.Data)) + float64(layers); tc.sized && float64(out.Size()) > limit {
				t.Errorf("output %d B > 1.2 × input + text layers = %.0f B", out.Size(), limit)
			}
			var doc pdfJSONDoc
			if err := json.Unmarshal(c.downloadKind(t, tk, "json"), &doc); err != nil || len(doc.Pages) != len(tc.encodings) {
				t.Fatalf("JSON output: %v, %d pages", err, len(doc.Pages))
			}
			for n, p := range doc.Pages {
				if r := pageRotate(t, pdf, n+1); r != tc.rotate {
					t.Errorf("page %d /Rotate %d, want %d", n+1, r, tc.rotate)
				}
				checkWordsAligned(t, pdf, n+1, p)
			}
			if tc.rotate == 180 {
				text := run(t, "pdftotext", "-layout", pdf, "-")
				if !strings.Contains(collapseSpace(text), "quick brown dog") {
					t.Errorf("the page upside down does not read upright:\n%s", text)
				}
			}
			checkPDFAMarkers(t, pdf, true)
		})
	}
}

// TestSearchablePDFPlain: pdf_output=pdf makes the same pages without the
// PDF/A markers; a pdf_output that is neither is a 422.
func TestSearchablePDFPlain(t *testing.T) {
	t.Parallel()
	needTools(t, "qpdf", "pdfimages")
	s := sharedServer(t)
	c, _ := newUser(t, s, "plainpdf", "Plain PDF")
	r := c.uploadRaw(t, [][2]string{{"pdf_output", "pdf/x"}}, corpusUpload(t, "pages/phototest.tif"))
	if r.Status != 422 || r.apiError(t).Error.Code != "invalid_parameter" {
		t.Errorf("pdf_output=pdf/x: %d %s, want 422 invalid_parameter", r.Status, r.Body)
	}
	tasks := c.upload(t, [][2]string{{"outputs", "pdf"}, {"pdf_output", "pdf"}}, corpusUpload(t, "pages/phototest.tif"))
	if got := taskPDFOutput(t, c, tasks[0].ID); got != "pdf" {
		t.Errorf("task pdf_output %q, want pdf", got)
	}
	tk := c.waitStatus(t, tasks[0].ID, "completed", 5*time.Minute)
	pdf := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(pdf, c.downloadKind(t, tk, "pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := pdfImageEncodings(t, pdf); strings.Join(got, " ") != "image" {
		t.Errorf("image encodings %v, want the page at 1 bit (Flate)", got)
	}
	checkPDFAMarkers(t, pdf, false)
}

type pdfJSONDoc struct {
	Pages []pdfJSONPage `json:"pages"`
}

// pdfJSONPage is what the alignment check needs of a JSON output page.
type pdfJSONPage struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	Words  []struct {
		Text string `json:"text"`
		BBox [4]int `json:"bbox"`
	} `json:"words"`
}

func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required (scripts/install-deps): %v", n, err)
			}
			t.Skipf("%s not installed", n)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func taskPDFOutput(t *testing.T, c *client, id string) string {
	t.Helper()
	var v struct {
		PDFOutput string `json:"pdf_output"`
	}
	c.get(t, "/tasks/"+id).JSON(t, &v)
	return v.PDFOutput
}

// jpegOf re-encodes a corpus image as a JPEG upload.
func jpegOf(t *testing.T, rel string) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(corpus(t, rel)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfImageEncodings is pdfimages' encoding of each image, in order.
func pdfImageEncodings(t *testing.T, pdf string) []string {
	t.Helper()
	var encs []string
	for i, line := range strings.Split(run(t, "pdfimages", "-list", pdf), "\n") {
		if f := strings.Fields(line); i >= 2 && len(f) >= 9 {
			encs = append(encs, f[8])
		}
	}
	return encs
}

// textLayerBytes sums the engine's stored text-only page PDFs.
func textLayerBytes(t *testing.T, dir string, pages int) int64 {
	t.Helper()
	var n int64
	for p := 1; p <= pages; p++ {
		st, err := os.Stat(filepath.Join(dir, fmt.Sprintf("page-%04d.pdf", p)))
		if err != nil {
			t.Fatalf("page %d text layer: %v", p, err)
		}
		n += st.Size()
	}
	return n
}

var pageRotRe = regexp.MustCompile(`Page\s+\d+ rot:\s+(\d+)`)

func pageRotate(t *testing.T, pdf string, n int) int {
	t.Helper()
	m := pageRotRe.FindStringSubmatch(run(t, "pdfinfo", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), pdf))
	if m == nil {
		t.Fatalf("pdfinfo reports no rotation for page %d", n)
	}
	r, _ := strconv.Atoi(m[1])
	return r
}

var pageSizeRe = regexp.MustCompile(`Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts`)
var bboxWordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// checkWordsAligned: the words a PDF reader finds on page n (pdftotext
// -bbox, points from the shown page's top-left) lie on the JSON output's
// word boxes (pixels of the upright page): for at least 90 % of the words
// the centre of the reader's box falls inside the JSON box grown by 2 pt.
func checkWordsAligned(t *testing.T, pdf string, n int, p pdfJSONPage) {
	t.Helper()
	m := pageSizeRe.FindStringSubmatch(run(t, "pdfinfo", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), pdf))
	if m == nil {
		t.Fatalf("pdfinfo: no size for page %d", n)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	if r := pageRotate(t, pdf, n); r%180 != 0 {
		w, h = h, w
	}
	kx, ky := w/float64(p.Width), h/float64(p.Height)
	type box struct{ x0, y0, x1, y1 float64 }
	found := map[string][]box{}
	for _, m := range bboxWordRe.FindAllStringSubmatch(run(t, "pdftotext", "-bbox", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), pdf, "-"), -1) {
		v := make([]float64, 4)
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		text := html.UnescapeString(m[5])
		found[text] = append(found[text], box{v[0], v[1], v[2], v[3]})
	}
	tried, ok := 0, 0
	for _, wd := range p.Words {
		if len(wd.Text) < 2 {
			continue
		}
		tried++
		for _, b := range found[wd.Text] {
			cx, cy := (b.x0+b.x1)/2, (b.y0+b.y1)/2
			if cx >= float64(wd.BBox[0])*kx-2 && cx <= float64(wd.BBox[2])*kx+2 &&
				cy >= float64(wd.BBox[1])*ky-2 && cy <= float64(wd.BBox[3])*ky+2 {
				ok++
				break
			}
		}
	}
	if tried == 0 || float64(ok) < 0.9*float64(tried) {
		t.Errorf("page %d: %d of %d words where the JSON output has them", n, ok, tried)
	}
}

// checkPDFAMarkers looks for the PDF/A-2B markers (or their absence) and
// has qpdf and pdfcpu check the file. veraPDF is not run: not packaged.
func checkPDFAMarkers(t *testing.T, pdf string, want bool) {
	t.Helper()
	if out := run(t, "qpdf", "--check", pdf); !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check:\n%s", out)
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.ValidateFile(pdf, conf); err != nil {
		t.Errorf("pdfcpu validate (strict): %v", err)
	}
	raw, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	// The XMP stream is never compressed, so its markers show in the bytes.
	has := bytes.Contains(raw, []byte("<pdfaid:part>2</pdfaid:part>")) && bytes.Contains(raw, []byte("<pdfaid:conformance>B</pdfaid:conformance>"))
	if has != want {
		t.Errorf("pdfaid part 2 conformance B in the file: %v, want %v", has, want)
	}
	doc, err := api.ReadContextFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	root, err := doc.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	intents, _ := doc.DereferenceArray(root["OutputIntents"])
	if (len(intents) == 1) != want {
		t.Errorf("%d output intents; PDF/A wanted: %v", len(intents), want)
	}
	if want && (doc.ID == nil || doc.Encrypt != nil) {
		t.Errorf("PDF/A needs a document ID and no encryption: ID %v, encrypted %v", doc.ID, doc.Encrypt != nil)
	}
}
