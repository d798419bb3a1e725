package search

import (
	"slices"
	"testing"
)

func TestTextTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Quick", []string{"quick"}},
		{"The quick brown fox, the QUICK one.", []string{"quick", "brown", "fox", "one"}},
		{"Größe", []string{"größe"}},
		{"  ", nil},
		{"dog's", []string{"dog's"}},
	}
	for _, tc := range tests {
		if got := TextTerms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("TextTerms(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
