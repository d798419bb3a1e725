package enginetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Recognizer is the part of an engine CheckRecognizeErrors drives.
type Recognizer interface {
	Recognize(ctx context.Context, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error)
}

// ErrorCase is one request an engine must refuse: with an error wrapping
// Err whose message contains Msg.
type ErrorCase struct {
	Name string
	Req  *sdk.RecognizeRequest
	Err  error
	Msg  string
}

// BadImageCases are the pages every engine refuses as ErrBadImage: text
// posing as a PNG, the first half of png (a real PNG), its header alone,
// and no page at all.
func BadImageCases(png []byte) []ErrorCase {
	const msg = "image cannot be read"
	return []ErrorCase{
		{"garbage bytes", &sdk.RecognizeRequest{Image: []byte("this is not an image, just some text"), ContentType: "image/png"}, sdk.ErrBadImage, msg},
		{"truncated png", &sdk.RecognizeRequest{Image: png[:len(png)/2], ContentType: "image/png"}, sdk.ErrBadImage, msg},
		{"png header only", &sdk.RecognizeRequest{Image: png[:64]}, sdk.ErrBadImage, msg},
		{"empty image", &sdk.RecognizeRequest{}, sdk.ErrBadImage, msg},
	}
}

// CheckRecognizeErrors sends each case to e and requires its error; after
// each it recognises good (phototest) in English and requires "quick brown",
// so a refused page cannot leave the engine broken for the next one.
func CheckRecognizeErrors(t *testing.T, e Recognizer, good []byte, cases []ErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := e.Recognize(t.Context(), tc.Req)
			if !errors.Is(err, tc.Err) {
				t.Fatalf("error = %v, want %v", err, tc.Err)
			}
			if !strings.Contains(err.Error(), tc.Msg) {
				t.Errorf("error %q does not mention %s", err, tc.Msg)
			}
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: good, Languages: []string{"eng"}})
			if err != nil {
				t.Fatalf("next page: %v", err)
			}
			if !strings.Contains(resp.GetText(), "quick brown") {
				t.Errorf("next page text:\n%s", resp.GetText())
			}
		})
	}
}
