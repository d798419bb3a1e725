package pages

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

func TestPreview(t *testing.T) {
	dir := testenv.Corpus(t)
	tests := []struct {
		name, file, contentType string
		index, width, quarters  int
		wantW                   int // 0: check only ≤ width
		wantTaller              bool
	}{
		{name: "tiff page 2", file: "multipage/four-pages.tif", contentType: TypeTIFF, index: 1, width: 320, wantW: 320, wantTaller: true},
		{name: "pdf page 3", file: "multipage/three-pages.pdf", contentType: TypePDF, index: 2, width: 640, wantW: 640, wantTaller: true},
		{name: "png turned a quarter", file: "pages/phototest-rotated-L.png", contentType: TypePNG, width: 320, quarters: 1},
		{name: "never enlarged", file: "pages/phototest.tif", contentType: TypeTIFF, width: 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.png")
			j := Job{Path: filepath.Join(dir, tc.file), ContentType: tc.contentType, Index: tc.index, Pages: tc.index + 1, Out: out}
			p, err := Preview(context.Background(), j, tc.width, tc.quarters)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(readFile(t, out)))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			b := img.Bounds()
			if b.Dx() != p.Width || b.Dy() != p.Height || p.ContentType != TypePNG {
				t.Fatalf("page says %dx%d %s, image is %dx%d", p.Width, p.Height, p.ContentType, b.Dx(), b.Dy())
			}
			if tc.wantW != 0 && b.Dx() != tc.wantW || b.Dx() > tc.width {
				t.Errorf("width %d, want %d (≤ %d)", b.Dx(), tc.wantW, tc.width)
			}
			if tc.wantTaller && b.Dy() <= b.Dx() {
				t.Errorf("%dx%d: a portrait page should stay portrait", b.Dx(), b.Dy())
			}
		})
	}
}

func TestPreviewRefuses(t *testing.T) {
	corrupt := writeTemp(t, "bad.tif", []byte("II*\x00\x08\x00\x00\x00garbage"))
	_, err := Preview(context.Background(), Job{Path: corrupt, ContentType: TypeTIFF, Pages: 1, Out: filepath.Join(t.TempDir(), "p.png")}, 320, 0)
	wantDomainError(t, err, domain.ErrBadInput, "unreadable_input")
	if _, err := Preview(context.Background(), Job{Path: corrupt, ContentType: TypeTIFF, Out: "x"}, MaxPreviewWidth+1, 0); err == nil || errors.Is(err, domain.ErrBadInput) {
		t.Errorf("width past the maximum: %v", err)
	}
}
