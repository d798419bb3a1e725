package outputs

import (
	"bufio"
	"io"
	"strings"
)

// WriteText writes the plain-text output: each page's text with trailing
// blank lines trimmed and one final newline, pages separated by a form
// feed as tesseract does, so tools that split on \f find the pages.
func WriteText(w io.Writer, pages []Page) error {
	bw := bufio.NewWriter(w)
	for i, p := range pages {
		if i > 0 {
			_ = bw.WriteByte('\f')
		}
		text := strings.TrimRight(p.Text, " \t\r\n\f")
		if text != "" {
			_, _ = bw.WriteString(text)
			_ = bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}
