package tesseract

import (
	"log/slog"
	"os/exec"
	"slices"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/conformance"
	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

// newTestEngine returns a configured engine that is closed after the test.
func newTestEngine(t testing.TB, settings map[string]string) *Engine {
	t.Helper()
	e := New(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := e.Configure(t.Context(), settings); err != nil {
		enginetest.RequireOrSkip(t, "configure tesseract: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// requireLanguages skips (or fails in CI) unless the models are installed.
func requireLanguages(t testing.TB, e *Engine, langs ...string) {
	t.Helper()
	info, err := e.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	for _, l := range langs {
		if !slices.Contains(info.GetLanguages(), l) {
			enginetest.RequireOrSkip(t, "tesseract language %q not installed (have %v)", l, info.GetLanguages())
		}
	}
}

// requireTool skips (or fails in CI) unless name is on PATH.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		enginetest.RequireOrSkip(t, "%s not installed: %v", name, err)
	}
}

// cer is the character error rate of got against want (conformance.CER).
func cer(got, want string) float64 { return conformance.CER(want, got) }
