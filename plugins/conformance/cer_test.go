package conformance

import (
	"math"
	"testing"
)

func TestCER(t *testing.T) {
	tests := []struct {
		ref, hyp string
		want     float64
	}{
		{"", "", 0},
		{"", "x", 1},
		{"abcd", "abcd", 0},
		{"abcd", "abxd", 0.25},
		{"ab cd", "ab\n\n  cd ", 0},        // layout does not count
		{"fox jumps", "foxjumps", 1.0 / 9}, // a missing space does
		{"abcd", "", 1},
		{"über", "uber", 0.25}, // runes, not bytes
	}
	for _, tc := range tests {
		if got := CER(tc.ref, tc.hyp); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("CER(%q, %q) = %v, want %v", tc.ref, tc.hyp, got, tc.want)
		}
	}
}
