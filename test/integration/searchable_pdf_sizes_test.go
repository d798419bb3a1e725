package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestSearchablePDFSizeTable prints the searchable PDF's size for the
// corpus files of issue 14's size target, as a Markdown table row each —
// the numbers of docs/benchmarks.md ("Searchable PDF size"). It only runs
// when OCRBOX_PDF_SIZE_TABLE=1; with OCRBOX_TEST_BIN pointing at an older
// binary it measures that one.
func TestSearchablePDFSizeTable(t *testing.T) {
	if os.Getenv("OCRBOX_PDF_SIZE_TABLE") != "1" {
		t.Skip("a measurement: OCRBOX_PDF_SIZE_TABLE=1 runs it")
	}
	testenv.RequirePrograms(t, "pdfimages")
	s := sharedServer(t)
	c, _ := newUser(t, s, "pdfsizes", "PDF sizes")
	files := []string{"multipage/three-pages.pdf", "multipage/four-pages.tif",
		"pages/8071_093.3B.tif", "pages/8087_054.3B.tif", "pages/eurotext.tif", "pages/phototest.tif"}
	var ups []upload
	for _, f := range files {
		ups = append(ups, corpusUpload(t, f))
	}
	tasks := c.upload(t, [][2]string{{"outputs", "pdf"}}, ups...)
	for i, f := range files {
		tk := c.waitStatus(t, tasks[i].ID, "completed", 10*time.Minute)
		pdf := c.downloadKind(t, tk, "pdf")
		path := t.TempDir() + "/out.pdf"
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("| %s | %d | %d | %.2f× | %s |", f, len(ups[i].Data), len(pdf),
			float64(len(pdf))/float64(len(ups[i].Data)), strings.Join(pdfImageEncodings(t, path), ", "))
	}
}
