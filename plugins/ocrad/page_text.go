package ocrad

import (
	"bytes"
	"strings"
)

// pageText joins ocrad's lines into the page text: one line per line, a
// blank line between text blocks (the paragraphs, columns or regions its
// layout analysis found), no blank lines at either end. Ocrad's bytes are
// ISO-8859-1, whose code points are the first 256 of Unicode, so each byte
// becomes the rune of the same value.
func pageText(blocks [][][]byte) string {
	var b strings.Builder
	for _, lines := range blocks {
		var block strings.Builder
		for _, line := range lines {
			line = bytes.TrimRight(line, " \r\n")
			if len(line) == 0 {
				continue
			}
			if block.Len() > 0 {
				block.WriteByte('\n')
			}
			writeLatin1(&block, line)
		}
		if block.Len() == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(block.String())
	}
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	return b.String()
}

// writeLatin1 appends ISO-8859-1 bytes as UTF-8. The C1 controls
// (0x80-0x9F), which ocrad never means as text, become U+FFFD.
func writeLatin1(b *strings.Builder, s []byte) {
	for _, c := range s {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(rune(c))
		}
	}
}
