package integration

import (
	"strings"
	"unicode/utf8"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// collapseSpace replaces every run of white space (spaces, newlines, form
// feeds, …) with one space and trims the ends, as the corpus README does
// before measuring.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// cer is the character error rate of hypothesis against reference
// (conformance.CER, the one measure of every test and benchmark).
func cer(reference, hypothesis string) float64 { return conformance.CER(reference, hypothesis) }

// validText reports whether s is valid UTF-8 without NUL bytes.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
