package tesseract

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// corpusDir is the shared OCR corpus: ../shared beside the repository
// clone, here and in CI. go test runs in the package directory, so the path
// is relative to this file's folder (runtime.Caller would break with
// -trimpath).
const corpusDir = "../../../shared/testdata/ocr"

// requireOrSkip fails when CI=true, because a missing dependency there means
// a broken pipeline rather than a developer machine without it.
func requireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// corpusFile reads a file of the shared corpus.
func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		requireOrSkip(t, "OCR corpus not found at %s: %v", corpusDir, err)
	}
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatalf("read corpus file: %v", err)
	}
	return b
}

// newTestEngine returns a configured engine that is closed after the test.
func newTestEngine(t testing.TB, settings map[string]string) *Engine {
	t.Helper()
	e := New(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := e.Configure(t.Context(), settings); err != nil {
		requireOrSkip(t, "configure tesseract: %v", err)
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
			requireOrSkip(t, "tesseract language %q not installed (have %v)", l, info.GetLanguages())
		}
	}
}

// requireTool skips (or fails in CI) unless name is on PATH.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		requireOrSkip(t, "%s not installed: %v", name, err)
	}
}

// cer is the character error rate of got against want (conformance.CER).
func cer(got, want string) float64 { return conformance.CER(want, got) }

func TestCER(t *testing.T) {
	tests := []struct {
		got, want string
		cer       float64
	}{
		{"hello world", "hello  world\n", 0},
		{"hallo world", "hello world", 1.0 / 11},
		{"", "abcd", 1},
		{"abcd", "", 1},
		{"", "", 0},
		{"über", "uber", 0.25},
	}
	for _, tt := range tests {
		if got := cer(tt.got, tt.want); got != tt.cer {
			t.Errorf("cer(%q, %q) = %v, want %v", tt.got, tt.want, got, tt.cer)
		}
	}
}
