package domain_test

import (
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "Ada Lovelace", "Ada Lovelace"},
		{"right-to-left override", "invoice\u202egnp.exe", "invoicegnp.exe"},
		{"every bidi embedding and override", "a\u202ab\u202bc\u202cd\u202de\u202ef", "abcdef"},
		{"bidi isolates", "a\u2066b\u2067c\u2068d\u2069e", "abcde"},
		{"marks", "a\u200eb\u200fc\u061cd", "abcd"},
		{"zero-width", "ad\u200bmin\u200c\u200d\u2060\ufeff", "admin"},
		{"controls", "a\x00b\x1b[1mc\u0085", "ab[1mc"},
		{"invalid UTF-8", "caf\xe9", "caf"},
		{"letters of every script kept", "Übersicht – 東京 – עברית – العربية", "Übersicht – 東京 – עברית – العربية"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
