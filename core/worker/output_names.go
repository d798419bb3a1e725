package worker

import (
	"path"
	"strings"

	"github.com/ocrbox/ocrbox/core/domain"
)

// outputSuffixes end each output's download name (the file's name in the
// API and its Content-Disposition). Each differs from every upload's own
// extension, so "Download original" and "Download PDF" of three-pages.pdf
// are three-pages.pdf and three-pages.ocr.pdf, and the hOCR opens in a
// browser as HTML.
var outputSuffixes = map[domain.FileKind]string{
	domain.KindTxt:  ".txt",
	domain.KindHOCR: ".hocr.html",
	domain.KindJSON: ".json",
	domain.KindPDF:  ".ocr.pdf",
}

// outputName is the download name of a task's output of kind: the upload's
// name without its extension, then the kind's suffix.
func outputName(filename string, kind domain.FileKind) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	if base == "" {
		base = "document"
	}
	suffix, ok := outputSuffixes[kind]
	if !ok {
		suffix = "." + string(kind)
	}
	return base + suffix
}
