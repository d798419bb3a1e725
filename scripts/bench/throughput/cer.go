package main

import "strings"

// collapse joins the text's words with single spaces: layout (line breaks,
// indentation, blank lines between blocks) is not what CER should measure.
func collapse(s string) []rune {
	return []rune(strings.Join(strings.Fields(s), " "))
}

// cer is the character error rate of hyp against ref: the Levenshtein
// distance over runes of the whitespace-collapsed texts divided by the
// reference length.
func cer(ref, hyp string) float64 {
	r, h := collapse(ref), collapse(hyp)
	if len(r) == 0 {
		if len(h) == 0 {
			return 0
		}
		return 1
	}
	return float64(levenshtein(r, h)) / float64(len(r))
}

// levenshtein is the edit distance (insert, delete, substitute, each 1)
// with two rows of memory.
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
