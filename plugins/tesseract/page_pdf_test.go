package tesseract

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// TestRecognizeTextOnlyPDF: with sdk.OptionPDFTextOnly the page PDF holds
// the words and the embedded glyph-less font but no image, on a page the
// size of the image recognised (phototest.tif: 640x480 at 200 dpi).
func TestRecognizeTextOnlyPDF(t *testing.T) {
	requireTool(t, "pdftotext")
	requireTool(t, "pdfimages")
	requireTool(t, "pdffonts")
	requireTool(t, "pdfinfo")
	e := newTestEngine(t, nil)
	resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"eng"}, WantPdf: true,
		Options: map[string]string{sdk.OptionPDFTextOnly: "true"},
	})
	if err != nil {
		t.Fatalf("Recognize: %v", err)
	}
	path := filepath.Join(t.TempDir(), "text.pdf")
	if err := os.WriteFile(path, resp.GetPdf(), 0o600); err != nil {
		t.Fatal(err)
	}
	if text := runTool(t, "pdftotext", path, "-"); !strings.Contains(text, "quick brown") {
		t.Errorf("pdftotext: %q lacks the words", text)
	}
	if imgs := runTool(t, "pdfimages", "-list", path); strings.Count(imgs, "\n") > 2 {
		t.Errorf("text-only PDF has images:\n%s", imgs)
	}
	// pdffonts: name, type, encoding, emb (yes), sub, uni.
	if fonts := runTool(t, "pdffonts", path); !strings.Contains(fonts, "GlyphLessFont") || !strings.Contains(fonts, "yes") {
		t.Errorf("the text layer's font is not embedded:\n%s", fonts)
	}
	if info := runTool(t, "pdfinfo", path); !strings.Contains(info, "230.4 x 172.8 pts") {
		t.Errorf("page size is not the image's at 200 dpi:\n%s", info)
	}
	if len(resp.GetPdf()) > 8<<10 {
		t.Errorf("text-only PDF is %d bytes; the image seems to be in it", len(resp.GetPdf()))
	}

	_, err = e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"eng"}, WantPdf: true,
		Options: map[string]string{sdk.OptionPDFTextOnly: "yes please"},
	})
	if !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("a bad %s: %v, want ErrUnsupported", sdk.OptionPDFTextOnly, err)
	}
}
