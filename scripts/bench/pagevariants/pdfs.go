package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfcpu otherwise writes config.yml and fonts into the user's config
// directory on first use; a benchmark must not leave files behind.
func init() { api.DisableConfigDir() }

// Born-digital layout: US Letter, 10 pt Times-Roman (a standard font every
// PDF reader and rasteriser has), at most bornLines lines a page, as a
// word processor would print a plain document.
const (
	bornFont     = "Times-Roman"
	bornFontSize = 10
	bornLines    = 58
	bornMargin   = 72 // pt
)

// bornDigital lays out text as a PDF with a real text layer, one page per
// bornLines lines, and returns it with the text of each page (the ground
// truth of that page).
func bornDigital(text string) ([]byte, []string, error) {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	type font struct {
		Name string `json:"name"`
		Size int    `json:"size"`
	}
	type textBox struct {
		Value string     `json:"value"`
		Pos   [2]float64 `json:"pos"`
		Font  font       `json:"font"`
	}
	type content struct {
		Text []textBox `json:"text"`
	}
	type page struct {
		Content content `json:"content"`
	}
	pages := map[string]page{}
	var truths []string
	for i := 0; i < len(lines); i += bornLines {
		chunk := strings.Join(lines[i:min(i+bornLines, len(lines))], "\n")
		n := len(truths) + 1
		pages[fmt.Sprint(n)] = page{Content: content{Text: []textBox{{
			Value: chunk, Pos: [2]float64{bornMargin, bornMargin}, Font: font{bornFont, bornFontSize},
		}}}}
		truths = append(truths, chunk)
	}
	doc := map[string]any{"paper": "Letter", "origin": "UpperLeft", "pages": pages}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	conf := model.NewDefaultConfiguration()
	if err := api.Create(nil, bytes.NewReader(js), &out, conf); err != nil {
		return nil, nil, fmt.Errorf("create born-digital pdf: %w", err)
	}
	return out.Bytes(), truths, nil
}

// scannedPDF wraps a page image as an image-only PDF page of the size the
// scan has at dpi, as a scanner's PDF export does.
func scannedPDF(pngData []byte, widthPx, heightPx, dpi int) ([]byte, error) {
	if dpi <= 0 {
		dpi = 300
	}
	// pdfcpu's "full" position makes the page as many points as the image
	// has pixels (a 35-inch page for a 300 dpi scan); instead the page gets
	// the scan's size and the image is placed at dpi, scale 1, absolute.
	w := float64(widthPx) * 72 / float64(dpi)
	h := float64(heightPx) * 72 / float64(dpi)
	imp := pdfcpu.DefaultImportConfig()
	imp.PageDim, imp.UserDim = &types.Dim{Width: w, Height: h}, true
	imp.Pos, imp.DPI, imp.Scale, imp.ScaleAbs = types.Center, dpi, 1, true
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, []io.Reader{bytes.NewReader(pngData)}, imp, model.NewDefaultConfiguration()); err != nil {
		return nil, fmt.Errorf("import page image: %w", err)
	}
	return out.Bytes(), nil
}

// mergePDFs concatenates PDFs page by page (pdfcpu merge).
func mergePDFs(docs ...[]byte) ([]byte, error) {
	var rs []io.ReadSeeker
	for _, d := range docs {
		rs = append(rs, bytes.NewReader(d))
	}
	var out bytes.Buffer
	if err := api.MergeRaw(rs, &out, false, model.NewDefaultConfiguration()); err != nil {
		return nil, fmt.Errorf("merge pdfs: %w", err)
	}
	return out.Bytes(), nil
}

// firstPage keeps only page 1 of a PDF (pdfcpu trim).
func firstPage(pdf []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := api.Trim(bytes.NewReader(pdf), &out, []string{"1"}, model.NewDefaultConfiguration()); err != nil {
		return nil, fmt.Errorf("first page: %w", err)
	}
	return out.Bytes(), nil
}
