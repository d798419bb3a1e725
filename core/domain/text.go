package domain

import (
	"strings"
	"unicode"
)

// PlainText makes a name that someone else chose (an uploaded file's name,
// a display name from an identity provider) safe to show: invalid UTF-8,
// control characters and invisible format characters are dropped. The
// format characters (Unicode category Cf) include the bidi controls
// U+202A–U+202E and U+2066–U+2069, which make "invoice\u202egnp.exe" show
// as "invoiceexe.png", and the zero-width ones (U+200B–U+200D, U+2060,
// U+FEFF) that make two names look the same.
func PlainText(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}
