package conformance

import "strings"

// CER is the character error rate of hypothesis against reference, as a
// fraction: the Levenshtein distance (insert, delete, substitute, each 1)
// between the texts with every run of white space collapsed to one space,
// divided by the reference's length in characters. Layout (line breaks,
// blank lines) does not count; a missing space between words does. The
// corpus README measures the same way; every ocrbox test and benchmark
// uses this one function.
func CER(reference, hypothesis string) float64 {
	ref := []rune(strings.Join(strings.Fields(reference), " "))
	hyp := []rune(strings.Join(strings.Fields(hypothesis), " "))
	if len(ref) == 0 {
		if len(hyp) == 0 {
			return 0
		}
		return 1
	}
	return float64(levenshtein(ref, hyp)) / float64(len(ref))
}

// levenshtein is the edit distance between a and b in O(len(b)) memory.
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
