// Package enginetest holds what the built-in engines' tests share beyond
// test/testenv: the check that an engine reads pages by path
// (CheckReadsPath) and the pages every engine must refuse
// (CheckRecognizeErrors with BadImageCases). RequireOrSkip and CorpusFile
// forward to test/testenv for plugins/tesseract's tests, which still call
// them by these names.
package enginetest

import (
	"testing"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// RequireOrSkip is testenv.RequireOrSkip: a missing dependency fails under
// CI=true and skips elsewhere.
func RequireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.RequireOrSkip(t, format, args...)
}

// CorpusFile is testenv.CorpusFile: a file of the shared OCR corpus.
func CorpusFile(t testing.TB, name string) []byte {
	t.Helper()
	return testenv.CorpusFile(t, name)
}
