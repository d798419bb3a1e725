package outputs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// TestSRGBProfile: the embedded profile is the one srgb.icc.txt names
// (icc-profiles-free's sRGB.icc), an RGB display profile.
func TestSRGBProfile(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256(srgbICC)
	if got := hex.EncodeToString(sum[:]); got != "2a92d4bae450b76d8b0aa42193df974d75f62738ecebf74f01c5e75b12a95796" {
		t.Errorf("srgb.icc sha256 %s: not the file srgb.icc.txt describes", got)
	}
	if len(srgbICC) < 128 || string(srgbICC[12:16]) != "mntr" || string(srgbICC[16:20]) != "RGB " || string(srgbICC[36:40]) != "acsp" {
		t.Error("srgb.icc is not an RGB display ICC profile")
	}
}

// checkPDFA checks a searchable PDF for the PDF/A-2B markers (want) or
// their absence, and that qpdf and pdfcpu find the file sound. veraPDF,
// the full PDF/A validator, is not run (it is not packaged for Debian).
func checkPDFA(t *testing.T, path string, want bool) {
	t.Helper()
	if out := tool(t, "qpdf", "--check", path); !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check:\n%s", out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.Validate(f, conf); err != nil {
		t.Errorf("pdfcpu validate (strict): %v", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	doc, err := api.ReadContext(f, pdfConf())
	if err != nil {
		t.Fatal(err)
	}
	root, err := doc.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var xmp string
	if sd, _, err := doc.DereferenceStreamDict(root["Metadata"]); err == nil && sd != nil {
		if sd.FilterPipeline != nil {
			t.Error("the XMP metadata stream is compressed; PDF/A-2 forbids a Filter on it")
		}
		xmp = string(sd.Raw)
	}
	hasAID := strings.Contains(xmp, "<pdfaid:part>2</pdfaid:part>") && strings.Contains(xmp, "<pdfaid:conformance>B</pdfaid:conformance>")
	intents, _ := doc.DereferenceArray(root["OutputIntents"])
	if !want {
		checkFonts(t, path)
		if strings.Contains(xmp, "pdfaid") || len(intents) != 0 {
			t.Errorf("pdf_output=pdf carries PDF/A markers: pdfaid %v, %d output intents", strings.Contains(xmp, "pdfaid"), len(intents))
		}
		return
	}
	if !hasAID {
		t.Errorf("no pdfaid part 2 conformance B in the XMP:\n%s", xmp)
	}
	if len(intents) != 1 {
		t.Fatalf("%d output intents, want 1", len(intents))
	}
	oi, err := doc.DereferenceDict(intents[0])
	if err != nil {
		t.Fatal(err)
	}
	if s := oi.NameEntry("S"); s == nil || *s != "GTS_PDFA1" {
		t.Errorf("output intent subtype %v, want GTS_PDFA1", s)
	}
	icc, _, err := doc.DereferenceStreamDict(oi["DestOutputProfile"])
	if err != nil || icc == nil || icc.IntEntry("N") == nil || *icc.IntEntry("N") != 3 {
		t.Errorf("output intent profile missing or not 3-component: %v", err)
	}
	if doc.ID == nil || len(doc.ID) != 2 {
		t.Error("no document ID in the trailer")
	}
	if doc.Encrypt != nil {
		t.Error("the PDF is encrypted")
	}
	if head := headBytes(t, path, 16); !regexp.MustCompile(`^%PDF-1\.[4-7]`).MatchString(head) {
		t.Errorf("header %q: PDF/A-2 wants PDF 1.4-1.7", head)
	}
	// The information dictionary and the XMP must agree (PDF/A-2 6.6.3).
	info, err := doc.DereferenceDict(*doc.Info)
	if err != nil {
		t.Fatal(err)
	}
	for key, tag := range map[string]string{"Producer": "pdf:Producer", "Creator": "xmp:CreatorTool"} {
		v, _ := doc.DereferenceStringOrHexLiteral(info[key], model.V10, nil)
		if !strings.Contains(xmp, "<"+tag+">"+v+"</"+tag+">") {
			t.Errorf("Info %s %q is not the XMP's %s", key, v, tag)
		}
	}
	for key, tag := range map[string]string{"CreationDate": "xmp:CreateDate", "ModDate": "xmp:ModifyDate"} {
		v, _ := doc.DereferenceStringOrHexLiteral(info[key], model.V10, nil)
		d, ok := types.DateTime(v, true)
		m := regexp.MustCompile("<" + tag + ">([^<]+)<").FindStringSubmatch(xmp)
		if !ok || m == nil {
			t.Errorf("Info %s %q or XMP %s missing", key, v, tag)
			continue
		}
		x, err := time.Parse(time.RFC3339, m[1])
		if err != nil || !x.Equal(d) {
			t.Errorf("Info %s %q is not the XMP's %s %q", key, v, tag, m[1])
		}
	}
	checkFonts(t, path)
}

// checkFonts: every font embedded (pdffonts: the "emb" column), and
// poppler finds no broken cross-reference entries on the way.
func checkFonts(t *testing.T, path string) {
	t.Helper()
	fonts := tool(t, "pdffonts", path)
	if strings.Contains(fonts, "Error") {
		t.Errorf("pdffonts:\n%s", fonts)
	}
	for i, line := range strings.Split(fonts, "\n") {
		if f := strings.Fields(line); i >= 2 && len(f) >= 5 && !strings.Contains(line, " yes ") {
			t.Errorf("font not embedded: %s", line)
		}
	}
}

func headBytes(t *testing.T, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:min(n, len(b))])
}

// TestPDFANotClaimed: a born-digital PDF whose font is not embedded cannot
// be PDF/A as it is; asked for PDF/A, it is written without the markers
// and the result says why.
func TestPDFANotClaimed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A hand-made page in Helvetica, not embedded.
	objs := []string{
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
		"<</Length 44>>\nstream\nBT /F1 24 Tf 40 100 Td (Hello archive) Tj ET\nendstream",
		"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	if err := os.WriteFile(dir+"/fixed.pdf", []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tool(t, "qpdf", "--check", dir+"/fixed.pdf")
	f, err := os.Open(dir + "/fixed.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	res, err := WriteSearchablePDF(t.Context(), &out, SearchablePDF{Original: f, PDFA: true,
		Pages: []PDFPage{{Result: Page{Number: 1, Source: SourcePDFText}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.PDFA || !strings.Contains(res.NotPDFA, "Helvetica") {
		t.Errorf("result %+v, want no PDF/A because of Helvetica", res)
	}
	if strings.Contains(out.String(), "pdfaid") || !strings.HasPrefix(out.String(), "%PDF-") {
		t.Error("the output claims PDF/A or is no PDF")
	}
}
