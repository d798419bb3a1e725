package outputs

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
)

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// voidElements never have content; they are written self-closed, as XHTML
// wants and HTML parsers accept.
var voidElements = map[string]bool{"br": true, "img": true, "hr": true, "wbr": true,
	"meta": true, "link": true, "input": true, "area": true, "base": true, "col": true, "param": true}

// Only hOCR's own markup is copied from an engine: the document is served
// to browsers, and a plugin's script, link or event handler must not ride
// along. Other elements are unwrapped (their text kept), other attributes
// dropped.
var (
	allowedElements = map[string]bool{"div": true, "p": true, "span": true, "br": true,
		"em": true, "strong": true, "sub": true, "sup": true}
	allowedAttrs = map[string]bool{"class": true, "id": true, "title": true, "lang": true,
		"xml:lang": true, "dir": true}
)

var (
	ppageno = regexp.MustCompile(`ppageno \d+`)
	// The engine saw a temporary file or none; its name would leak a
	// server path and mean nothing to the reader.
	imageProp = regexp.MustCompile(`image "[^"]*";?\s*`)
)

// hocrPageDiv re-serialises the first ocr_page div of the engine's hOCR for
// page p. Going through a tokenizer rather than pasting the string means a
// malformed or HTML-flavoured fragment (&nbsp;, <br>) cannot make the whole
// document invalid: it either re-serialises as XML or is rejected.
func hocrPageDiv(p Page) ([]byte, bool) {
	if strings.TrimSpace(p.HOCR) == "" {
		return nil, false
	}
	dec := xml.NewDecoder(strings.NewReader(p.HOCR))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.AutoClose = xml.HTMLAutoClose
	var (
		b    bytes.Buffer
		open []string // elements open inside the page; "" for unwrapped ones
		ids  idMapper
	)
	b.WriteString("  ")
	for {
		tok, err := dec.Token()
		if err != nil { // io.EOF included: no complete ocr_page div
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch {
			case len(open) == 0 && !hasClass(t, "ocr_page"):
				continue
			case len(open) == 0:
				ids = newIDMapper(t, p.Number)
				name = "div"
			case !allowedElements[name]:
				name = ""
			}
			if voidElements[t.Name.Local] {
				if name != "" {
					writeStart(&b, name, t, &ids, false, p.Number, "/>")
				}
				continue
			}
			if name != "" {
				writeStart(&b, name, t, &ids, len(open) == 0, p.Number, ">")
			}
			open = append(open, name)
		case xml.EndElement:
			if len(open) == 0 || voidElements[t.Name.Local] {
				continue
			}
			name := open[len(open)-1]
			open = open[:len(open)-1]
			if name != "" {
				b.WriteString("</" + name + ">")
			}
			if len(open) == 0 {
				return b.Bytes(), true
			}
		case xml.CharData:
			if len(open) > 0 {
				escapeTo(&b, string(t))
			}
		}
	}
}

func hasClass(t xml.StartElement, class string) bool {
	for _, a := range t.Attr {
		if a.Name.Local == "class" && a.Name.Space == "" {
			for _, c := range strings.Fields(a.Value) {
				if c == class {
					return true
				}
			}
		}
	}
	return false
}

// writeStart writes t's start tag as name with allowed attributes and
// renumbered ids; namespace declarations go (the document declares XHTML
// once at the top).
func writeStart(b *bytes.Buffer, name string, t xml.StartElement, ids *idMapper, isPage bool, number int, end string) {
	b.WriteString("<" + name)
	hasID := false
	for _, a := range t.Attr {
		name := a.Name.Local
		if a.Name.Space == xmlNamespace {
			name = "xml:" + name
		} else if a.Name.Space != "" {
			continue
		}
		if !allowedAttrs[name] {
			continue
		}
		val := a.Value
		switch {
		case name == "id" && isPage:
			val, hasID = "page_"+strconv.Itoa(number), true
		case name == "id":
			val = ids.rename(val)
		case name == "title" && isPage:
			val = ppageno.ReplaceAllString(val, "ppageno "+strconv.Itoa(number-1))
			val = imageProp.ReplaceAllString(val, "")
		}
		b.WriteString(" " + name + "='")
		escapeTo(b, val)
		b.WriteString("'")
	}
	if isPage && !hasID {
		b.WriteString(" id='page_" + strconv.Itoa(number) + "'")
	}
	b.WriteString(end)
}

// idMapper renames the ids of one page. Tesseract numbers them
// <kind>_<page>_<n> (page_<page> for the page itself); the engine's page
// number K, read from the page div's id, is replaced by ours, and any other
// id gets ours inserted after its kind, so ids stay unique across pages.
type idMapper struct {
	engine string // the engine's page number, as written
	ours   string
}

func newIDMapper(page xml.StartElement, number int) idMapper {
	m := idMapper{ours: strconv.Itoa(number)}
	for _, a := range page.Attr {
		if a.Name.Local == "id" {
			if k, ok := strings.CutPrefix(a.Value, "page_"); ok {
				m.engine = k
			}
		}
	}
	return m
}

func (m idMapper) rename(id string) string {
	kind, rest, ok := strings.Cut(id, "_")
	if !ok {
		return id + "_" + m.ours
	}
	if kind == "page" && rest == m.engine {
		return "page_" + m.ours
	}
	if k, r, ok := strings.Cut(rest, "_"); ok && k == m.engine {
		return kind + "_" + m.ours + "_" + r
	}
	return kind + "_" + m.ours + "_" + rest
}
