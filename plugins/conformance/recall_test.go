package conformance

import (
	"math"
	"testing"
)

func TestWordRecall(t *testing.T) {
	tests := []struct {
		name, ref, hyp string
		want           float64
	}{
		{"empty reference", "", "anything", 1},
		{"nothing read", "the quick fox", "", 0},
		{"all, any order", "the quick fox", "fox quick the", 1},
		{"case and punctuation", "The (quick) fox.", "the quick, FOX", 1},
		{"each as often as it occurs", "the the fox", "the fox", 2.0 / 3},
		{"punctuation only is no word", "fox --", "fox", 1},
		{"digits count", "page 12", "page 13", 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WordRecall(tt.ref, tt.hyp); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("WordRecall(%q, %q) = %v, want %v", tt.ref, tt.hyp, got, tt.want)
			}
		})
	}
}
