package main

import (
	"strings"
	"unicode"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// wordRecall is the share of the reference's words found in hypothesis:
// both split on white space, lowercased, punctuation around a word
// stripped, and each reference word matched at most as often as the
// hypothesis has it (a multiset). Order does not count, so a tool that
// reads columns in another order than the ground truth is not punished;
// the CER next to it does count order. Issue 14's table uses this measure.
func wordRecall(reference, hypothesis string) float64 {
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

// cer is the character error rate, the same function as every ocrbox test
// and the throughput benchmark use.
func cer(reference, hypothesis string) float64 { return conformance.CER(reference, hypothesis) }
