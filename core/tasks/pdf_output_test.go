package tasks_test

import (
	"errors"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

func TestParsePDFOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    domain.PDFOutput
		invalid bool
	}{
		{"", domain.PDFOutputPDFA, false},
		{"pdfa", domain.PDFOutputPDFA, false},
		{" PDFA ", domain.PDFOutputPDFA, false},
		{"pdf", domain.PDFOutputPDF, false},
		{"pdf/a", "", true},
		{"pdfa-3", "", true},
		{"true", "", true},
	}
	for _, tc := range tests {
		got, err := tasks.ParsePDFOutput(tc.in)
		if tc.invalid {
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Code != "invalid_parameter" {
				t.Errorf("ParsePDFOutput(%q) = %q, %v; want invalid_parameter", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePDFOutput(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
