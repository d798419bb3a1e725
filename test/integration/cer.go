package integration

import (
	"strings"
	"unicode/utf8"
)

// collapseSpace replaces every run of white space (spaces, newlines, form
// feeds, …) with one space and trims the ends, as the corpus README does
// before measuring.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// levenshtein is the edit distance (insertions, deletions, substitutions)
// between the rune sequences a and b, in O(len(b)) memory.
func levenshtein(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		ai := a[i-1]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if ai == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// cer is the character error rate of hypothesis against reference, as a
// fraction: the Levenshtein distance of the white-space-collapsed texts
// divided by the reference length in characters.
func cer(reference, hypothesis string) float64 {
	ref := []rune(collapseSpace(reference))
	hyp := []rune(collapseSpace(hypothesis))
	if len(ref) == 0 {
		if len(hyp) == 0 {
			return 0
		}
		return 1
	}
	return float64(levenshtein(ref, hyp)) / float64(len(ref))
}

// validText reports whether s is valid UTF-8 without NUL bytes.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
