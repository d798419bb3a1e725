// Package ocrad is ocrbox's second built-in OCR engine: GNU Ocrad, a
// feature-based recogniser from a different family than tesseract, linked as
// a C library (libocrad, Debian libocrad-dev; statically in the release
// build) and served as an sdk.OCREngine. It needs no models and no external
// program.
//
// What ocrad's library gives, and so what this engine returns:
//
//   - text only, per block and line. The C API has no call that returns
//     character, word or line boxes, so responses carry no words; the host's
//     JSON output then has the page text and size with an empty word list,
//     and hOCR (built from words) and PDF (the engine's job) are not offered.
//   - no confidence: SupportsConfidence is false and mean_confidence is -1,
//     the SDK's "none" value.
//   - no languages: ocrad has no language models and recognises the
//     ISO-8859-1 (Latin-1) character set whatever the page's language. Info
//     lists the languages written in that character set, so that uploads
//     naming one of them (the default "eng" included) are accepted and any
//     other is refused before the upload is stored; the language never
//     changes recognition.
//
// Ocrad is fast (a 300 dpi page in well under a second) and cannot be
// interrupted, so ctx is checked between the steps of a page rather than
// inside recognition. Every page gets its own OCRAD descriptor; the library
// keeps no other state that recognition writes (its one static buffer, in
// the UTF-8 output mode, is avoided), so pages may run concurrently.
//
// Licence: libocrad is GPL-2.0-or-later. A binary that links it (every
// build of ocrbox since this engine is registered, statically the release
// binary) is a combined work that must be distributed under the GPL.
//
// Settings, all optional:
//
//	layout     "true" (default) runs ocrad's page layout analysis, so
//	           columns and text blocks come out one after the other;
//	           "false" reads the page as one block
//	threshold  black/white threshold for greyscale and colour pages,
//	           0-255, or "auto" (default: ocrad chooses per page)
package ocrad

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Engine is the ocrad OCR engine. Its methods are safe for concurrent use.
type Engine struct {
	logger *slog.Logger

	mu  sync.RWMutex
	cfg config
}

// New returns an engine with the default settings. A nil logger discards.
func New(logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{logger: logger.With("component", "ocrad"), cfg: defaultConfig()}
}

// Configure applies settings (see the package comment). It replaces all of
// them: a key left out returns to its default.
func (e *Engine) Configure(ctx context.Context, settings map[string]string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("configure ocrad: %w", err)
	}
	cfg, err := parseConfig(settings)
	if err != nil {
		return fmt.Errorf("configure ocrad: %w", err)
	}
	e.mu.Lock()
	e.cfg = cfg
	e.mu.Unlock()
	e.logger.Info("ocrad configured", "version", ocradVersion(), "layout", cfg.layout, "threshold", cfg.thresholdString())
	return nil
}

func (e *Engine) config() config {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cfg
}

// Info describes the engine; see the package comment for why the lists are
// what they are.
func (e *Engine) Info(ctx context.Context) (*sdk.EngineInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ocrad info: %w", err)
	}
	return &sdk.EngineInfo{
		Name:      "ocrad",
		Version:   ocradVersion(),
		Languages: append([]string(nil), latin1Languages...),
		// What leptonica decodes (it sniffs the bytes, whatever the
		// content type says).
		ImageTypes: []string{"image/png", "image/jpeg", "image/tiff", "image/bmp",
			"image/webp", "image/x-portable-anymap"},
		Outputs:            []string{"txt", "json"},
		SupportsConfidence: false,
	}, nil
}

var _ sdk.OCREngine = (*Engine)(nil)
