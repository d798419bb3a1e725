package downloads

import (
	"errors"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestPreviewWidth(t *testing.T) {
	tests := []struct {
		in, want int
		invalid  bool
	}{
		{0, DefaultPreviewWidth, false},
		{1, 320, false},
		{320, 320, false},
		{321, 640, false},
		{1000, 1024, false},
		{1025, 1600, false},
		{1999, 2000, false},
		{2000, 2000, false},
		{2001, 0, true},
		{-5, 0, true},
	}
	for _, tc := range tests {
		got, err := PreviewWidth(tc.in)
		if tc.invalid != (err != nil) || got != tc.want {
			t.Errorf("PreviewWidth(%d) = %d, %v; want %d (invalid %v)", tc.in, got, err, tc.want, tc.invalid)
		}
		if err != nil && !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("PreviewWidth(%d): %v, want ErrInvalid", tc.in, err)
		}
	}
}

func TestPreviewName(t *testing.T) {
	if got := previewName(3, 640, 180); got != "preview-p0003-w640-r180.png" {
		t.Errorf("previewName = %q", got)
	}
}
