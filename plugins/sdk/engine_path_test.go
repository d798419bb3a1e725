package sdk_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
)

// pathEngine reads image paths itself and reports what it was given.
type pathEngine struct{ errEngine }

func (pathEngine) ReadsImagePath() bool { return true }

func (pathEngine) Recognize(_ context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	return &sdk.RecognizeResponse{Text: r.GetImagePath(), Width: int32(len(r.GetImage()))}, nil
}

// TestImagePath: every Go engine says it accepts paths; one that wants
// bytes gets the file's bytes from the SDK, one that reads paths gets the
// path untouched.
func TestImagePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "page.png")
	if err := os.WriteFile(path, make([]byte, 1234), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bytesEng := sdktest.DispenseEngine(t, errEngine{})
	info, err := bytesEng.Info(ctx)
	if err != nil || !info.GetAcceptsPath() {
		t.Fatalf("Info: accepts_path %v, %v; want true", info.GetAcceptsPath(), err)
	}
	resp, err := bytesEng.Recognize(ctx, &sdk.RecognizeRequest{ImagePath: path})
	if err != nil || resp.GetText() != "1234 bytes" {
		t.Fatalf("bytes engine got %q, %v; want the file's 1234 bytes", resp.GetText(), err)
	}
	if _, err := bytesEng.Recognize(ctx, &sdk.RecognizeRequest{ImagePath: path + ".gone"}); err == nil {
		t.Fatal("a missing page file must fail the call")
	}

	pathEng := sdktest.DispenseEngine(t, pathEngine{})
	resp, err = pathEng.Recognize(ctx, &sdk.RecognizeRequest{ImagePath: path})
	if err != nil || resp.GetText() != path || resp.GetWidth() != 0 {
		t.Fatalf("path engine got %q and %d bytes, %v; want the path and no bytes", resp.GetText(), resp.GetWidth(), err)
	}
}
