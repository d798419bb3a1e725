// Package testenv is what tests ask of the machine they run on: whether a
// missing dependency (a program, a model, the OCR corpus) fails the test or
// skips it, a log sink goroutines can share, and where the shared OCR corpus
// is. Every package's tests use it, so the rule "CI=true never skips" lives
// in one place.
//
// It imports only the standard library, so any package's tests may use it,
// plugins and the SDK included.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run in the CI pipeline (CI=true). There a
// missing dependency is a broken pipeline, not a developer machine without
// it, so nothing may be skipped for it.
func CI() bool { return os.Getenv("CI") == "true" }

// RequireOrSkip ends a test whose dependency is missing: it fails when
// CI=true and skips elsewhere, with the same message either way. Use it
// where a dependency is found missing; TestMain functions, which have no
// testing.TB, ask CI themselves.
func RequireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true requires it: "+format, args...)
		return // Fatalf does not return; a stand-in TB in a test might
	}
	t.Skipf(format, args...)
}

// RequirePrograms ends the test through RequireOrSkip unless every named
// program is on PATH (qpdf, pdftotext, tesseract, …).
func RequirePrograms(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			RequireOrSkip(t, "%s not installed (scripts/install-deps): %v", n, err)
		}
	}
}

// Slow leaves a test out of `go test -short` (scripts/test --short, the
// quick loop while working): tests that start real servers (the binary,
// Dex, an LDAP server) or take more than a few seconds. `.ci/run` and the
// full scripts/test run them all.
func Slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow test: left out by -short")
	}
}
