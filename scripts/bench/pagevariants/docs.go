package main

import (
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
)

// variant is one row of the table: how a page is damaged or packaged.
type variant struct {
	key, label string
	// rotation: a page turned or skewed, held to the upright page's recall
	// by --assert (issue 14 §1).
	rotation bool
}

var variants = []variant{
	{"upright", "upright (as scanned)", false},
	{"rot90", "turned 90°", true},
	{"rot180", "turned 180°", true},
	{"rot270", "turned 270°", true},
	{"skew3", "skewed 3°", true},
	{"skew7", "skewed 7°", true},
	{"jpeg40", "JPEG quality 40", false},
	{"born", "born-digital PDF", false},
	{"mixed", "mixed PDF (born-digital + scan)", false},
}

// doc is one input file: a variant of one corpus page.
type doc struct {
	variant variant
	page    string // the corpus page it was made from
	path    string
	pdf     bool
	pages   int
	dpi     int
	truth   string
}

// makeDocs writes every requested variant of every page into dir. Skew
// alternates direction from page to page (clockwise on the first), so
// both directions are in each skew row.
func makeDocs(dir string, srcs []*source, keys map[string]bool) ([]*doc, error) {
	var docs []*doc
	add := func(v variant, s *source, ext string, data []byte, pdf bool, pages int, truth string) error {
		p := filepath.Join(dir, fmt.Sprintf("%s-%s.%s", s.name, v.key, ext))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		docs = append(docs, &doc{variant: v, page: s.name, path: p, pdf: pdf, pages: pages, dpi: s.dpiOr300(), truth: truth})
		return nil
	}
	for _, v := range variants {
		if !keys[v.key] {
			continue
		}
		for i, s := range srcs {
			var img image.Image
			sign := 1.0
			if i%2 == 1 {
				sign = -1
			}
			switch v.key {
			case "upright":
				img = s.img
			case "rot90":
				img = rotateExact(s.img, 90)
			case "rot180":
				img = rotateExact(s.img, 180)
			case "rot270":
				img = rotateExact(s.img, 270)
			case "skew3":
				img = skew(s.img, 3*sign)
			case "skew7":
				img = skew(s.img, 7*sign)
			case "jpeg40":
				data, err := encodeJPEG(s.img, 40)
				if err != nil {
					return nil, err
				}
				if err := add(v, s, "jpg", withJFIFDensity(data, s.dpiOr300()), false, 1, s.truth); err != nil {
					return nil, err
				}
				continue
			case "born":
				pdf, truths, err := bornDigital(s.truth)
				if err != nil {
					return nil, err
				}
				if err := add(v, s, "pdf", pdf, true, len(truths), strings.Join(truths, "\n")); err != nil {
					return nil, err
				}
				continue
			case "mixed":
				// The first born-digital page of this page's text, then the
				// next page's scan (itself when only one page is chosen).
				born, truths, err := bornDigital(s.truth)
				if err != nil {
					return nil, err
				}
				first, err := firstPage(born)
				if err != nil {
					return nil, err
				}
				next := srcs[(i+1)%len(srcs)]
				png, err := encodePNG(next.img, next.dpi)
				if err != nil {
					return nil, err
				}
				scan, err := scannedPDF(png, next.img.Bounds().Dx(), next.img.Bounds().Dy(), next.dpiOr300())
				if err != nil {
					return nil, err
				}
				mixed, err := mergePDFs(first, scan)
				if err != nil {
					return nil, err
				}
				if err := add(v, s, "pdf", mixed, true, 2, truths[0]+"\n"+next.truth); err != nil {
					return nil, err
				}
				continue
			}
			data, err := encodePNG(img, s.dpi)
			if err != nil {
				return nil, err
			}
			if err := add(v, s, "png", data, false, 1, s.truth); err != nil {
				return nil, err
			}
		}
	}
	return docs, nil
}

func (s *source) dpiOr300() int {
	if s.dpi > 0 {
		return s.dpi
	}
	return 300
}

// withJFIFDensity puts a JFIF APP0 segment with the resolution right after
// SOI (Go's encoder writes none), so the JPEG row differs from upright only
// by the compression.
func withJFIFDensity(jpg []byte, dpi int) []byte {
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1}
	app0 = binary.BigEndian.AppendUint16(app0, uint16(dpi))
	app0 = binary.BigEndian.AppendUint16(app0, uint16(dpi))
	app0 = append(app0, 0, 0)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app0...)
	return append(out, jpg[2:]...)
}
