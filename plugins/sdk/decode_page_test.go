package sdk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestDecodePage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	bad := filepath.Join(dir, "bad.png")
	for name, data := range map[string]string{good: "GOOD", bad: "junk"} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The decoders read "GOOD" and nothing else, and say where it came from.
	fromFile := func(path string) (string, bool) {
		b, err := os.ReadFile(path)
		return "file:" + string(b), err == nil && string(b) == "GOOD"
	}
	fromBytes := func(b []byte) (string, bool) { return "bytes:" + string(b), string(b) == "GOOD" }

	tests := []struct {
		name    string
		req     *sdk.RecognizeRequest
		want    string
		badPage bool   // wraps ErrBadImage
		errHas  string // in the message
	}{
		{"file", &sdk.RecognizeRequest{ImagePath: good}, "file:GOOD", false, ""},
		{"bytes win over a path", &sdk.RecognizeRequest{ImagePath: bad, Image: []byte("GOOD")}, "bytes:GOOD", false, ""},
		{"bytes", &sdk.RecognizeRequest{Image: []byte("GOOD")}, "bytes:GOOD", false, ""},
		{"undecodable file", &sdk.RecognizeRequest{ImagePath: bad, ContentType: "image/png"}, "", true, `content type "image/png"`},
		{"undecodable bytes", &sdk.RecognizeRequest{Image: []byte("junk")}, "", true, "4 bytes"},
		{"no page at all", &sdk.RecognizeRequest{}, "", true, "0 bytes"},
		{"missing file is the host's fault", &sdk.RecognizeRequest{ImagePath: filepath.Join(dir, "gone.png")}, "", false, "page file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sdk.DecodePage(tt.req, fromFile, fromBytes)
			if tt.errHas == "" && !tt.badPage {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			if errors.Is(err, sdk.ErrBadImage) != tt.badPage {
				t.Fatalf("errors.Is(ErrBadImage) = %v, want %v (%v)", !tt.badPage, tt.badPage, err)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("error %q does not say %q", err, tt.errHas)
			}
		})
	}
}
