package outputs

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

// tessPage is a page div as tesseract's GetHOCRText returns it when every
// page is OCRed on its own: always page 1.
const tessPage = `  <div class='ocr_page' id='page_1' title='image "/tmp/ocrbox-123/page.png"; bbox 0 0 640 480; ppageno 0; scan_res 300 300'>
   <div class='ocr_carea' id='block_1_1' title="bbox 36 92 618 361">
    <p class='ocr_par' id='par_1_1' lang='eng' title="bbox 36 92 618 184">
     <span class='ocr_line' id='line_1_1' title="bbox 36 92 580 122; baseline 0 -7">
      <span class='ocrx_word' id='word_1_1' title='bbox 36 92 96 116; x_wconf 95'>%s</span>
      <span class='ocrx_word' id='word_1_2' title='bbox 109 92 129 116; x_wconf 96'>is</span>
     </span>
    </p>
   </div>
  </div>
`

// hocrSummary parses an hOCR document strictly, as an XML tool would, and
// returns its ocr_page titles, all ids and all word texts.
func hocrSummary(t *testing.T, doc []byte) (pageTitles, ids, words []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	inWord := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("hOCR is not well-formed XML: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			var class, title string
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "title":
					title = a.Value
				case "id":
					ids = append(ids, a.Value)
				}
			}
			if class == "ocr_page" {
				pageTitles = append(pageTitles, title)
			}
			inWord = class == "ocrx_word"
			if inWord {
				words = append(words, "")
			}
		case xml.CharData:
			if inWord {
				words[len(words)-1] += string(el)
			}
		case xml.EndElement:
			inWord = false
		}
	}
	return pageTitles, ids, words
}

func TestWriteHOCR(t *testing.T) {
	t.Parallel()
	pages := []Page{
		{Number: 1, Width: 640, Height: 480, HOCR: fmt.Sprintf(tessPage, "This")},
		{Number: 2, Width: 640, Height: 480, HOCR: fmt.Sprintf(tessPage, "Tom &amp; Jerry &lt;3&gt;")},
		// HTML-flavoured: an entity XML does not know and a void element;
		// and markup a browser would run, which must not survive.
		{Number: 3, Width: 640, Height: 480, HOCR: fmt.Sprintf(tessPage,
			`a&nbsp;b<br><script>alert(1)</script><img src="http://x/" onerror="alert(2)"><span onclick="alert(3)"></span>`)},
		// Broken fragment: falls back to the words.
		{Number: 4, Width: 100, Height: 50, HOCR: "<div class='ocr_page'><span>unclosed",
			Words: []Word{
				{Text: "x<y", BBox: [4]int{1, 2, 10, 12}, Confidence: 80, Block: 1, Paragraph: 1, Line: 1},
				{Text: "z", BBox: [4]int{12, 2, 20, 12}, Confidence: -1, Block: 1, Paragraph: 1, Line: 2},
				{Text: "w", BBox: [4]int{1, 30, 9, 40}, Confidence: 70, Block: 2, Paragraph: 1, Line: 1},
			}},
		// No hOCR; a word with a control character and invalid UTF-8.
		{Number: 5, Width: 100, Height: 50, Words: []Word{{Text: "bad\x01\xff", BBox: [4]int{1, 1, 5, 5}}}},
		// No hOCR and no words (a blank page) still gets its div.
		{Number: 6, Width: 100, Height: 50},
	}
	var buf bytes.Buffer
	m := Meta{Filename: "scan 'one' & <two>.tif", Engine: "tesseract 5.3.0"}
	if err := WriteHOCR(&buf, pages, m); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	titles, ids, words := hocrSummary(t, out)

	if len(titles) != len(pages) {
		t.Fatalf("%d ocr_page divs, want %d", len(titles), len(pages))
	}
	for i, title := range titles {
		if !strings.Contains(title, fmt.Sprintf("ppageno %d", i)) {
			t.Errorf("page %d title %q lacks ppageno %d", i+1, title, i)
		}
		if strings.Contains(title, "/tmp/") {
			t.Errorf("page %d title leaks the engine's file name: %q", i+1, title)
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
	for _, id := range []string{"page_1", "page_2", "block_2_1", "word_3_2", "page_4", "line_4_2", "block_4_2", "page_5", "page_6"} {
		if !seen[id] {
			t.Errorf("missing id %q in %v", id, ids)
		}
	}
	// hocrSummary stops collecting a word's text at its first end tag (<br/>).
	wantWords := []string{"This", "is", "Tom & Jerry <3>", "is", "a\u00a0b", "is", "x<y", "z", "w", "bad\uFFFD\uFFFD"}
	if strings.Join(words, "|") != strings.Join(wantWords, "|") {
		t.Errorf("words = %q, want %q", words, wantWords)
	}
	for _, want := range []string{"<meta name='ocr-system' content='tesseract 5.3.0'/>",
		"ocr-capabilities", "<meta name='ocr-number-of-pages' content='6'/>"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("head lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "<img", "onerror", "onclick", "http://x/"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("engine markup %q survived", bad)
		}
	}
	// The synthesised page has line boxes built from its words.
	if !regexp.MustCompile(`id='line_4_1' title='bbox 1 2 10 12'`).Match(out) {
		t.Errorf("synthesised line lacks its bbox:\n%s", out)
	}
}

func TestHOCRIDRename(t *testing.T) {
	t.Parallel()
	m := idMapper{engine: "1", ours: "7"}
	tests := map[string]string{
		"page_1":     "page_7",
		"block_1_3":  "block_7_3",
		"word_1_120": "word_7_120",
		"word_12":    "word_7_12",  // engine without page numbers
		"line_2_5":   "line_7_2_5", // a different scheme stays unique
		"mystery":    "mystery_7",
	}
	for in, want := range tests {
		if got := m.rename(in); got != want {
			t.Errorf("rename(%q) = %q, want %q", in, got, want)
		}
	}
}
