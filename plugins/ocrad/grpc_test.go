package ocrad

import (
	"errors"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
)

// TestThroughGRPC runs the engine behind the real go-plugin gRPC adapters,
// as the host sees it: Info with the protocol version, text across the
// wire, no words, and the error classes mapped to the host's sentinels.
func TestThroughGRPC(t *testing.T) {
	t.Parallel()
	eng := sdktest.DispenseEngine(t, New(nil))
	if err := eng.Configure(t.Context(), map[string]string{"layout": "true"}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	info, err := eng.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.GetName() != "ocrad" || info.GetProtocolVersion() != sdk.ProtocolVersion || info.GetSupportsConfidence() {
		t.Errorf("info = %v", info)
	}
	page := renderPage(t, renderedLines...)
	resp, err := eng.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page, ContentType: "image/png", Languages: []string{"eng"}, PageNumber: 1})
	if err != nil {
		t.Fatalf("Recognize: %v", err)
	}
	if !strings.Contains(resp.GetText(), "über") || len(resp.GetWords()) != 0 || resp.GetMeanConfidence() >= 0 {
		t.Errorf("response: text %q, %d words, mean confidence %v", resp.GetText(), len(resp.GetWords()), resp.GetMeanConfidence())
	}
	tests := []struct {
		name string
		req  *sdk.RecognizeRequest
		want error
	}{
		{"bad image", &sdk.RecognizeRequest{Image: []byte("not an image")}, sdk.ErrBadImage},
		{"unsupported language", &sdk.RecognizeRequest{Image: page, Languages: []string{"rus"}}, sdk.ErrUnsupported},
		{"pdf", &sdk.RecognizeRequest{Image: page, WantPdf: true}, sdk.ErrUnsupported},
	}
	for _, tt := range tests {
		_, err := eng.Recognize(t.Context(), tt.req)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.want)
		}
	}
	// The host reports a bad setting at start-up with the plugin's message.
	if err := eng.Configure(t.Context(), map[string]string{"threshold": "300"}); err == nil || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("bad setting: error = %v, want one naming threshold", err)
	}
}
