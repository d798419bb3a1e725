package main

import (
	"math"
	"testing"
)

func TestCER(t *testing.T) {
	for _, tc := range []struct {
		ref, hyp string
		want     float64
	}{
		{"abc", "abc", 0},
		{"a  b\n\nc", "a b c", 0}, // whitespace is collapsed
		{"abcd", "abed", 0.25},
		{"abcd", "", 1},
		{"", "", 0},
		{"kitten", "sitting", 3.0 / 6},
		{"Grüße", "Gruße", 0.2}, // runes, not bytes
	} {
		if got := cer(tc.ref, tc.hyp); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("cer(%q, %q) = %v, want %v", tc.ref, tc.hyp, got, tc.want)
		}
	}
}
