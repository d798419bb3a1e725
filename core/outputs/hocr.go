package outputs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// hocrHead is the standard hOCR document head, as tesseract writes it.
const hocrHead = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
 <head>
  <title>%s</title>
  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
  <meta name='ocr-system' content='%s'/>
  <meta name='ocr-capabilities' content='ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf'/>
  <meta name='ocr-number-of-pages' content='%d'/>
 </head>
 <body>
`

// WriteHOCR writes one XHTML hOCR document with one ocr_page div per page.
// Each page's div is taken from the engine's hOCR and re-serialised as
// well-formed XML, with ids renumbered for its page (page_N, block_N_…,
// word_N_…): engines OCR pages one at a time, so every page arrives as
// page 1 and the ids would collide. A page without usable hOCR gets a div
// built from its words, so the document always has every page.
func WriteHOCR(w io.Writer, pages []Page, m Meta) error {
	bw := bufio.NewWriter(w)
	system := m.Engine
	if system == "" {
		system = "ocrbox"
	}
	fmt.Fprintf(bw, hocrHead, escape(m.Filename), escape(system), len(pages))
	for _, p := range pages {
		div, ok := hocrPageDiv(p)
		if !ok {
			div = wordsPageDiv(p)
		}
		_, _ = bw.Write(div)
		_ = bw.WriteByte('\n')
	}
	_, _ = bw.WriteString(" </body>\n</html>\n")
	return bw.Flush()
}

// escape makes s safe as XML text or as a single- or double-quoted
// attribute value.
func escape(s string) string {
	var b bytes.Buffer
	escapeTo(&b, s)
	return b.String()
}

// escapeTo writes s escaped for XML. Unlike xml.EscapeText it keeps
// newlines and tabs as they are (hOCR is indented text), and it replaces
// invalid UTF-8 and characters XML 1.0 forbids with U+FFFD, so no OCR
// output can make the document unparseable.
func escapeTo(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteRune(r)
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r) // invalid UTF-8 decodes as RuneError already
		}
	}
}

// pageTitle is the ocr_page title for page p.
func pageTitle(p Page) string {
	return fmt.Sprintf("bbox 0 0 %d %d; ppageno %d", p.Width, p.Height, p.Number-1)
}

// wordsPageDiv builds a page div from the engine's words, opening a new
// block, paragraph or line whenever the word's numbers change; each gets
// the union of its words' boxes, which hOCR readers need for layout.
func wordsPageDiv(p Page) []byte {
	boxes := map[[4]int][4]int{} // level and the numbers up to it -> bbox
	for _, w := range p.Words {
		for level := 0; level < 3; level++ {
			k := groupKey(w, level)
			if b, ok := boxes[k]; ok {
				boxes[k] = [4]int{min(b[0], w.BBox[0]), min(b[1], w.BBox[1]), max(b[2], w.BBox[2]), max(b[3], w.BBox[3])}
			} else {
				boxes[k] = w.BBox
			}
		}
	}
	var b bytes.Buffer
	n := p.Number
	fmt.Fprintf(&b, "  <div class='ocr_page' id='page_%d' title='%s'>", n, pageTitle(p))
	opens := [3]string{
		"\n   <div class='ocr_carea' id='block_%d_%d' title='%s'>",
		"\n    <p class='ocr_par' id='par_%d_%d' title='%s'>",
		"\n     <span class='ocr_line' id='line_%d_%d' title='%s'>",
	}
	closers := [3]string{"</div>", "</p>", "</span>"}
	var ids [4]int // block, paragraph, line, word counters for unique ids
	open := 0      // how many of block, paragraph, line are open
	for i, w := range p.Words {
		level := 0 // the first of block, paragraph, line that changes
		for i > 0 && level < 3 && groupKey(w, level) == groupKey(p.Words[i-1], level) {
			level++
		}
		for ; open > level; open-- {
			b.WriteString(closers[open-1])
		}
		for ; open < 3; open++ {
			ids[open]++
			fmt.Fprintf(&b, opens[open], n, ids[open], bboxTitle(boxes[groupKey(w, open)]))
		}
		ids[3]++
		title := bboxTitle(w.BBox)
		if w.Confidence >= 0 {
			title += fmt.Sprintf("; x_wconf %.0f", w.Confidence)
		}
		fmt.Fprintf(&b, "\n      <span class='ocrx_word' id='word_%d_%d' title='%s'>%s</span>",
			n, ids[3], title, escape(w.Text))
	}
	for ; open > 0; open-- {
		b.WriteString(closers[open-1])
	}
	b.WriteString("\n  </div>")
	return b.Bytes()
}

// groupKey identifies the block (level 0), paragraph (1) or line (2) of w.
func groupKey(w Word, level int) [4]int {
	k := [4]int{level, w.Block, -1, -1}
	if level >= 1 {
		k[2] = w.Paragraph
	}
	if level >= 2 {
		k[3] = w.Line
	}
	return k
}

func bboxTitle(b [4]int) string {
	return fmt.Sprintf("bbox %d %d %d %d", b[0], b[1], b[2], b[3])
}
