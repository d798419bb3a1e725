// Package enginetest holds what the built-in engines' tests share: where the
// OCR corpus is and how a missing dependency is reported.
package enginetest

import (
	"os"
	"path/filepath"
	"testing"
)

// CorpusDir is the shared OCR corpus: ../shared beside the repository clone,
// here and in CI. go test runs in the package directory, and every engine
// package sits at plugins/<name>, so the path is relative to that.
const CorpusDir = "../../../shared/testdata/ocr"

// RequireOrSkip fails when CI=true, because a missing dependency there means
// a broken pipeline rather than a developer machine without it; elsewhere
// the test is skipped.
func RequireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// CorpusFile reads a file of the shared corpus.
func CorpusFile(t testing.TB, name string) []byte {
	t.Helper()
	if _, err := os.Stat(CorpusDir); err != nil {
		RequireOrSkip(t, "OCR corpus not found at %s: %v", CorpusDir, err)
	}
	b, err := os.ReadFile(filepath.Join(CorpusDir, name))
	if err != nil {
		t.Fatalf("read corpus file: %v", err)
	}
	return b
}
