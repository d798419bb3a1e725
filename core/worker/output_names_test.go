package worker

import (
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestOutputName(t *testing.T) {
	tests := []struct {
		filename string
		kind     domain.FileKind
		want     string
	}{
		{"three-pages.pdf", domain.KindPDF, "three-pages.ocr.pdf"},
		{"three-pages.pdf", domain.KindTxt, "three-pages.txt"},
		{"three-pages.pdf", domain.KindHOCR, "three-pages.hocr.html"},
		{"three-pages.pdf", domain.KindJSON, "three-pages.json"},
		{"scan.tif", domain.KindPDF, "scan.ocr.pdf"},
		{"Rechnung März.2024.png", domain.KindTxt, "Rechnung März.2024.txt"},
		{"noext", domain.KindJSON, "noext.json"},
		{".pdf", domain.KindPDF, "document.ocr.pdf"},
	}
	for _, tc := range tests {
		if got := outputName(tc.filename, tc.kind); got != tc.want {
			t.Errorf("outputName(%q, %s) = %q, want %q", tc.filename, tc.kind, got, tc.want)
		}
	}
	for _, k := range domain.OutputKinds {
		if _, ok := outputSuffixes[k]; !ok {
			t.Errorf("no download suffix for output %s", k)
		}
	}
}
