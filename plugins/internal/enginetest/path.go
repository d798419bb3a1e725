package enginetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// PathEngine is an engine that reads pages by path itself.
type PathEngine interface {
	ReadsImagePath() bool
	Recognize(ctx context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error)
}

// CheckReadsPath checks that a page sent by path is read from the file with
// the same result as its bytes, that an unreadable file is a bad image, and
// that a missing one is not (the host's fault, retried).
func CheckReadsPath(t *testing.T, e PathEngine) {
	t.Helper()
	dir := t.TempDir()
	good := filepath.Join(dir, "phototest.tif")
	data := CorpusFile(t, "pages/phototest.tif")
	if err := os.WriteFile(good, data, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "cut.png")
	png := CorpusFile(t, "pages/phototest-rotated-R.png")
	if err := os.WriteFile(bad, png[:len(png)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if !e.ReadsImagePath() {
		t.Fatal("the engine must read paths itself")
	}
	byPath, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{ImagePath: good, Languages: []string{"eng"}})
	if err != nil {
		t.Fatal(err)
	}
	byBytes, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: data, Languages: []string{"eng"}})
	if err != nil {
		t.Fatal(err)
	}
	if byPath.GetText() != byBytes.GetText() || !strings.Contains(strings.Join(strings.Fields(byPath.GetText()), " "), "quick brown") {
		t.Errorf("by path:\n%s\nby bytes:\n%s", byPath.GetText(), byBytes.GetText())
	}
	if _, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{ImagePath: bad, Languages: []string{"eng"}}); !errors.Is(err, sdk.ErrBadImage) {
		t.Errorf("truncated file: %v, want ErrBadImage", err)
	}
	_, err = e.Recognize(t.Context(), &sdk.RecognizeRequest{ImagePath: filepath.Join(dir, "gone.png"), Languages: []string{"eng"}})
	if err == nil || errors.Is(err, sdk.ErrBadImage) {
		t.Errorf("missing file: %v, want a retryable error", err)
	}
}
