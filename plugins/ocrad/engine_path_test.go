package ocrad

import (
	"testing"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

// TestRecognizeFromPath: a page sent by path is read by leptonica from the
// file, with the same result as its bytes; an unreadable file is a bad
// image, a missing one is not (the host's fault, retried).
func TestRecognizeFromPath(t *testing.T) {
	t.Parallel()
	enginetest.CheckReadsPath(t, newTestEngine(t, nil))
}
