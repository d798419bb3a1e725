package conformance

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

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
	return float64(levenshtein.ComputeDistance(string(ref), string(hyp))) / float64(len(ref))
}
