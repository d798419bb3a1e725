package tasks_test

import (
	"errors"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

func TestParsePDFText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    domain.PDFText
		invalid bool
	}{
		{"", domain.PDFTextSkip, false},
		{"skip", domain.PDFTextSkip, false},
		{" Redo ", domain.PDFTextRedo, false},
		{"force", domain.PDFTextForce, false},
		{"sometimes", "", true},
		{"true", "", true},
		{"skip,force", "", true},
	}
	for _, tc := range tests {
		got, err := tasks.ParsePDFText(tc.in)
		if tc.invalid {
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Code != "invalid_parameter" {
				t.Errorf("ParsePDFText(%q) = %q, %v; want invalid_parameter", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePDFText(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
