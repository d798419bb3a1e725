package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
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
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	_ "golang.org/x/image/tiff"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestSearchablePDF uploads the corpus through the real binary (issue 14
// §3) and reads the searchable PDFs as a user's tools would: a PDF keeps
// its own CCITT scans, a TIFF its Group 4 data, a JPEG its DCT data; the
// output stays within 1.2 × the input plus the text layers; the words lie
// where the JSON output says; PDF/A-2B markers are there by default and
// qpdf and pdfcpu find the file sound; the page upside down shows upright.
func TestSearchablePDF(t *testing.T) {
	t.Parallel()
	testenv.RequirePrograms(t, "qpdf", "pdfimages", "pdftotext", "pdfinfo")
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
		{corpusUpload(t, "pages/phototest-rotated-R.png"), want{[]string{"image"}, false, 270}},
		{corpusUpload(t, "pages/phototest-rotated-L.png"), want{[]string{"image"}, false, 90}},
		// Askew by 5°: the engine straightens it, the PDF shows it as it
		// came, the layer turned with it.
		{upload{Name: "phototest-skewed.png", Data: skewedPNG(t, "pages/phototest.tif", 5)}, want{[]string{"image"}, false, 0}},
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
				if strings.Contains(tc.up.Name, "skewed") && (p.Skew > -4 || p.Skew < -6) {
					t.Errorf("skew %.1f°, want about -5° (turned back)", p.Skew)
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
	testenv.RequirePrograms(t, "qpdf", "pdfimages")
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
	Width  int     `json:"width"`
	Height int     `json:"height"`
	DPI    int     `json:"dpi"`
	Skew   float64 `json:"skew"`
	Words  []struct {
		Text string `json:"text"`
		BBox [4]int `json:"bbox"`
	} `json:"words"`
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
// word boxes (pixels of the upright, straightened page): for at least 90 %
// of the words the centre of the reader's box is within the JSON box's
// half width and height, plus 2 pt, of where that box lies on the shown
// page. The shown page is the page turned upright by its /Rotate but not
// straightened: the JSON box's centre is turned back by the page's skew
// about the page's centre.
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
	// Points per pixel: the page is the image at its resolution (300 when
	// the file says none), which straightening does not change.
	dpi := float64(p.DPI)
	if dpi == 0 {
		dpi = 300
	}
	k := 72 / dpi
	if p.Skew == 0 {
		k = w / float64(p.Width)
	}
	sin, cos := math.Sincos(p.Skew * math.Pi / 180)
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
	// Each JSON word where it lies on the shown page, and how far off a
	// reader's box may be.
	type spot struct {
		text           string
		cx, cy, hw, hh float64
	}
	var spots []spot
	tried := 0
	for _, wd := range p.Words {
		if len(wd.Text) < 2 {
			continue
		}
		tried++
		// The box's centre from the straightened page's centre, in points,
		// turned back counter-clockwise by the skew (y points down).
		ux := (float64(wd.BBox[0]+wd.BBox[2])/2 - float64(p.Width)/2) * k
		uy := (float64(wd.BBox[1]+wd.BBox[3])/2 - float64(p.Height)/2) * k
		spots = append(spots, spot{wd.Text, w/2 + ux*cos + uy*sin, h/2 - ux*sin + uy*cos,
			float64(wd.BBox[2]-wd.BBox[0])/2*k + 2, float64(wd.BBox[3]-wd.BBox[1])/2*k + 2})
	}
	// Every word the reader finds must be on a JSON word that has its text
	// (poppler splits some words of a skewed line into pieces: "brow",
	// "n"), and there must be about as many.
	read, onSpot := 0, 0
	for text, boxes := range found {
		if len(text) < 2 {
			continue
		}
		for _, b := range boxes {
			read++
			hit := false
			for _, sp := range spots {
				if strings.Contains(sp.text, text) && math.Abs((b.x0+b.x1)/2-sp.cx) <= sp.hw && math.Abs((b.y0+b.y1)/2-sp.cy) <= sp.hh {
					onSpot++
					hit = true
					break
				}
			}
			if !hit && os.Getenv("DEBUG_ALIGN") != "" {
				t.Logf("reader %q at %.1f,%.1f is on no JSON word", text, (b.x0+b.x1)/2, (b.y0+b.y1)/2)
			}
		}
	}
	if tried == 0 || float64(onSpot) < 0.9*float64(read) || float64(onSpot) < 0.8*float64(tried) {
		t.Errorf("page %d: %d of the reader's %d words on the JSON's %d word boxes", n, onSpot, read, tried)
	}
}

// skewedPNG turns a corpus image clockwise by deg degrees (bilinear, on a
// white canvas grown to hold it), as a page fed askew into a scanner.
func skewedPNG(t *testing.T, rel string, deg float64) []byte {
	t.Helper()
	src, _, err := image.Decode(bytes.NewReader(corpus(t, rel)))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	sw, sh := float64(b.Dx()), float64(b.Dy())
	sin, cos := math.Sincos(deg * math.Pi / 180)
	dw, dh := math.Ceil(sw*cos+sh*sin), math.Ceil(sw*sin+sh*cos)
	dst := image.NewGray(image.Rect(0, 0, int(dw), int(dh)))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	// Maps source to destination pixels: about the centres, y down, so a
	// positive angle turns clockwise.
	m := f64.Aff3{cos, -sin, dw/2 - cos*sw/2 + sin*sh/2, sin, cos, dh/2 - sin*sw/2 - cos*sh/2}
	xdraw.BiLinear.Transform(dst, m, src, b, xdraw.Over, nil)
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
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
