package conformance

import (
	"strings"
	"unicode"
)

// WordRecall is the share of reference's words found in hypothesis, each
// as often as it occurs there: words are compared lowercased and without
// the punctuation around them, and their order does not count. It is the
// measure of issue 14's orientation table — whether a page turned upright
// reads at all — where CER would also charge layout and reading order. An
// empty reference has nothing to miss: 1.
func WordRecall(reference, hypothesis string) float64 {
	have := map[string]int{}
	for _, w := range words(hypothesis) {
		have[w]++
	}
	ref := words(reference)
	if len(ref) == 0 {
		return 1
	}
	found := 0
	for _, w := range ref {
		if have[w] > 0 {
			have[w]--
			found++
		}
	}
	return float64(found) / float64(len(ref))
}

// words splits s at white space into lowercased words with their
// surrounding punctuation trimmed, dropping what is only punctuation.
func words(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		f = strings.ToLower(strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
