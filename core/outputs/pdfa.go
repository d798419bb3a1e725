package outputs

import (
	_ "embed"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// srgbICC is the output intent's profile: sRGB IEC61966-2.1 from Debian's
// icc-profiles-free (zlib licence; srgb.icc.txt says where it comes from).
//
//go:embed srgb.icc
var srgbICC []byte

// srgbCondition names the output condition srgbICC describes.
const srgbCondition = "sRGB IEC61966-2.1"

// writeDoc writes the assembled document, unencrypted, as PDF/A-2B when
// in.PDFA.
//
// PDF/A-2B asks for what ocrbox adds itself: XMP metadata with
// pdfaid:part 2 and conformance B, mirroring the document information
// dictionary; an output intent with an embedded ICC profile (sRGB: the
// scans and images are DeviceGray or DeviceRGB); a document ID (pdfcpu
// writes one); no encryption; fonts embedded (the text layer's glyph-less
// font is); no JavaScript or other actions. What an uploaded PDF brings
// with it — its own fonts, colour spaces, transparency, annotations — is
// kept as it is. The one check made on it is for fonts that are not
// embedded (notArchivable), the common case of a born-digital PDF using
// the standard 14 fonts: such a document is written without the markers.
// Other breaches (DeviceCMYK, transparency without a group colour space)
// are not looked for. ocrbox checks its output with qpdf and pdfcpu, not
// with veraPDF (docs/tasks.md).
func writeDoc(doc *model.Context, w io.Writer, in SearchablePDF) error {
	// Never write the upload's encryption back: PDF/A forbids it, and the
	// owner password of a PDF that opened without one protects nothing.
	doc.Cmd = model.DECRYPT
	doc.Encrypt = nil
	if in.PDFA {
		now := pdfTime()
		if err := markPDFA(doc, in.Meta, now); err != nil {
			return fmt.Errorf("pdf/a: %w", err)
		}
	}
	if err := api.WriteContext(doc, w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// pdfTime is the time pdfcpu will stamp the information dictionary with
// (CreationDate, ModDate: "now" to the second, when it writes). The XMP
// metadata must say the same, so a time in the last tenth of a second is
// not used: the write starts within microseconds, in the same second.
func pdfTime() time.Time {
	now := time.Now()
	if now.Nanosecond() > 900e6 {
		time.Sleep(time.Duration(1e9-now.Nanosecond()) + time.Millisecond)
		now = time.Now()
	}
	return now.Truncate(time.Second)
}

// infoKeys are the information dictionary entries with an XMP twin that
// PDF/A wants consistent; pdfcpu sets Producer, CreationDate and ModDate.
var infoKeys = []string{"Title", "Author", "Subject", "Keywords", "Creator"}

// markPDFA adds the PDF/A-2B metadata and output intent to doc and drops
// what PDF/A-2 forbids at the document level.
func markPDFA(doc *model.Context, meta Meta, now time.Time) error {
	xt := doc.XRefTable
	root, err := xt.Catalog()
	if err != nil {
		return err
	}
	info := map[string]string{}
	if doc.Info != nil {
		if d, err := xt.DereferenceDict(*doc.Info); err == nil && d != nil {
			for _, k := range infoKeys {
				if o, ok := d[k]; ok {
					if s, err := xt.DereferenceStringOrHexLiteral(o, model.V10, nil); err == nil && strings.TrimSpace(s) != "" {
						info[k] = s
					}
				}
			}
		}
	}
	if info["Title"] == "" && meta.Filename != "" {
		info["Title"] = meta.Filename
	}
	if info["Creator"] == "" {
		info["Creator"] = "ocrbox"
	}
	d := types.NewDict()
	for k, v := range info {
		d[k] = types.NewHexLiteral([]byte(types.EncodeUTF16String(v)))
	}
	ir, err := newRef(xt, d)
	if err != nil {
		return err
	}
	doc.Info = ir

	// The metadata stream is not compressed: PDF/A-2 forbids a Filter on it.
	xmp := []byte(xmpPacket(info, "pdfcpu "+model.VersionStr, now))
	n := int64(len(xmp))
	md := types.StreamDict{Dict: types.Dict{"Type": types.Name("Metadata"), "Subtype": types.Name("XML"),
		"Length": types.Integer(n)}, Raw: xmp, Content: xmp, StreamLength: &n}
	mref, err := newRef(xt, md)
	if err != nil {
		return err
	}
	root["Metadata"] = *mref

	icc, err := newFlateStream(xt, types.Dict{"N": types.Integer(3)}, srgbICC)
	if err != nil {
		return err
	}
	root["OutputIntents"] = types.Array{types.Dict{
		"Type": types.Name("OutputIntent"), "S": types.Name("GTS_PDFA1"),
		"OutputConditionIdentifier": types.StringLiteral(srgbCondition),
		"Info":                      types.StringLiteral(srgbCondition),
		"RegistryName":              types.StringLiteral("http://www.color.org"),
		"DestOutputProfile":         *icc,
	}}

	// Actions that run code or other files are not archivable.
	delete(root, "AA")
	if oa, ok := root["OpenAction"]; ok {
		if a, err := xt.DereferenceDict(oa); err == nil && a != nil {
			if s := a.NameEntry("S"); s != nil && *s != "GoTo" {
				delete(root, "OpenAction")
			}
		}
	}
	if names, err := xt.DereferenceDict(root["Names"]); err == nil && names != nil {
		delete(names, "JavaScript")
		delete(names, "EmbeddedFiles")
	}
	return nil
}

// xmpPacket is the document's XMP metadata: the PDF/A identification and
// the twins of the information dictionary's entries.
func xmpPacket(info map[string]string, producer string, now time.Time) string {
	var b strings.Builder
	x := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	date := now.Format("2006-01-02T15:04:05-07:00")
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
`)
	fmt.Fprintf(&b, "   <pdf:Producer>%s</pdf:Producer>\n", x(producer))
	fmt.Fprintf(&b, "   <xmp:CreateDate>%s</xmp:CreateDate>\n   <xmp:ModifyDate>%s</xmp:ModifyDate>\n   <xmp:MetadataDate>%s</xmp:MetadataDate>\n", date, date, date)
	if v := info["Creator"]; v != "" {
		fmt.Fprintf(&b, "   <xmp:CreatorTool>%s</xmp:CreatorTool>\n", x(v))
	}
	if v := info["Keywords"]; v != "" {
		fmt.Fprintf(&b, "   <pdf:Keywords>%s</pdf:Keywords>\n", x(v))
	}
	if v := info["Title"]; v != "" {
		fmt.Fprintf(&b, "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", x(v))
	}
	if v := info["Author"]; v != "" {
		fmt.Fprintf(&b, "   <dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", x(v))
	}
	if v := info["Subject"]; v != "" {
		fmt.Fprintf(&b, "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", x(v))
	}
	b.WriteString("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n")
	b.WriteString("<?xpacket end=\"w\"?>")
	return b.String()
}

// notArchivable names what keeps doc from PDF/A as it is — a font whose
// program is not embedded (PDF/A-2 6.2.11.4) — or is empty.
func notArchivable(doc *model.Context) string {
	for _, e := range doc.XRefTable.Table {
		if e == nil || e.Free {
			continue
		}
		d, ok := e.Object.(types.Dict)
		if !ok || d.Type() == nil || *d.Type() != "Font" {
			continue
		}
		st := d.NameEntry("Subtype")
		if st == nil || *st == "Type0" || *st == "Type3" {
			continue // a Type0's program is its descendant's, a Type3's its own content
		}
		fd, err := doc.DereferenceDict(d["FontDescriptor"])
		if err != nil || fd == nil || (fd["FontFile"] == nil && fd["FontFile2"] == nil && fd["FontFile3"] == nil) {
			name := "?"
			if n := d.NameEntry("BaseFont"); n != nil {
				name = *n
			}
			return fmt.Sprintf("font %s is not embedded", name)
		}
	}
	return ""
}
