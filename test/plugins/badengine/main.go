// Command badengine is a deliberately misbehaving OCR engine plugin for the
// integration tests: it crashes or hangs on pages of certain widths and
// recognises nothing useful otherwise. It speaks the real plugin protocol
// through the SDK, like any external engine.
//
//	width 101  the process panics mid-call (a crash)
//	width 103  the call never returns and ignores cancellation (a hang)
//	otherwise  text "page WxH" with one word covering the page
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Widths that trigger misbehaviour.
const (
	crashWidth = 101
	hangWidth  = 103
)

type engine struct{}

func (engine) Configure(context.Context, map[string]string) error { return nil }

func (engine) Info(context.Context) (*sdk.EngineInfo, error) {
	return &sdk.EngineInfo{Name: "badengine", Version: "0.1", Languages: []string{"eng"}, Outputs: []string{"txt", "hocr", "json"}}, nil
}

func (engine) Recognize(_ context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(r.GetImage()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sdk.ErrBadImage, err)
	}
	switch cfg.Width {
	case crashWidth:
		// The Go runtime writes a panic straight to file descriptor 2, as a
		// C library's abort would: the host must still log it.
		go func() { panic("badengine: crashing on purpose") }()
		select {}
	case hangWidth:
		select {} // ignores ctx: only a kill ends this
	}
	text := fmt.Sprintf("page %dx%d", cfg.Width, cfg.Height)
	return &sdk.RecognizeResponse{Text: text, Words: []*sdk.Word{{Text: text, X0: 0, Y0: 0,
		X1: int32(cfg.Width), Y1: int32(cfg.Height), Confidence: -1}}}, nil
}

func main() { sdk.ServeEngine(engine{}) }
