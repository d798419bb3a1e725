//go:build embedtessdata

package tesseract

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

// TestEmbeddedModel runs the release build's engine against a tessdata
// directory that has neither eng.traineddata nor pdf.ttf: English and PDF
// output must come from the binary. Run with
// `go test -tags embedtessdata ./plugins/tesseract/` after scripts/release
// has staged the files.
func TestEmbeddedModel(t *testing.T) {
	dir := t.TempDir()
	deu := filepath.Join(debianTessdataDir, "deu"+traineddataSuffix)
	b, err := os.ReadFile(deu)
	if err != nil {
		enginetest.RequireOrSkip(t, "need %s as the one model on disk: %v", deu, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deu"+traineddataSuffix), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, map[string]string{SettingTessdataDir: dir})
	info, err := e.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if !slices.Equal(info.GetLanguages(), []string{"deu", "eng"}) || !slices.Contains(info.GetOutputs(), "pdf") {
		t.Fatalf("languages %v, outputs %v; want deu+eng and pdf", info.GetLanguages(), info.GetOutputs())
	}

	resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"eng"}, PageNumber: 1, WantPdf: true,
	})
	if err != nil {
		t.Fatalf("Recognize eng from memory: %v", err)
	}
	if text := strings.Join(strings.Fields(resp.GetText()), " "); !strings.Contains(text, "quick brown dog") {
		t.Errorf("text lacks %q:\n%s", "quick brown dog", resp.GetText())
	}
	if !bytes.HasPrefix(resp.GetPdf(), []byte("%PDF-")) {
		t.Errorf("pdf starts with %q", resp.GetPdf()[:min(8, len(resp.GetPdf()))])
	}

	_, err = e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"eng", "deu"}, PageNumber: 1,
	})
	if !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("eng+deu with eng built in: err = %v, want ErrUnsupported", err)
	}
	if _, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"deu"}, PageNumber: 1,
	}); err != nil {
		t.Errorf("deu from disk: %v", err)
	}
}
