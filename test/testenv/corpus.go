package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// corpusRel is where the shared OCR corpus lives relative to the module
// root: ../shared beside the repository clone, on developer machines and in
// CI alike.
var corpusRel = filepath.Join("..", "shared", "testdata", "ocr")

var moduleRoot = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
})

// CorpusDir returns the absolute path of the shared OCR corpus (pages/,
// multipage/, …), found from the module root rather than a path relative
// to the package, so it is the same for every package's tests. An error
// says why there is none; the caller decides whether that fails (TestMain)
// or goes through RequireOrSkip.
func CorpusDir() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("OCR corpus: %w", err)
	}
	dir := filepath.Join(root, corpusRel)
	if _, err := os.Stat(dir); err != nil {
		return dir, fmt.Errorf("OCR corpus missing at %s (it lives in ../shared/testdata/ocr beside the checkout): %w", dir, err)
	}
	return dir, nil
}

// Corpus is CorpusDir for a test: a missing corpus fails it under CI=true
// and skips it elsewhere.
func Corpus(t testing.TB) string {
	t.Helper()
	dir, err := CorpusDir()
	if err != nil {
		RequireOrSkip(t, "%v", err)
	}
	return dir
}

// CorpusFile reads the corpus file at name (slash-separated, e.g.
// "pages/phototest.tif"); a missing corpus is handled as in Corpus, a
// missing file in it fails the test.
func CorpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Corpus(t), filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("read corpus file: %v", err)
	}
	return b
}
