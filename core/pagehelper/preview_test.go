package pagehelper

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
)

// TestPreviewInHelper: a page image for the result viewer, rendered in the
// helper process: PNG at the width asked, turned as asked; an unreadable
// page is the decoder's permanent error and leaves no file.
func TestPreviewInHelper(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	tests := []struct {
		file                  string
		page, width, quarters int
		w, h                  int
	}{
		{"multipage/four-pages.tif", 3, 320, 0, 320, 240},
		{"pages/phototest-rotated-L.png", 0, 320, 1, 320, 240},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			j := job(t, tc.file, tc.page)
			p, err := r.Preview(context.Background(), j, tc.width, tc.quarters)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.Width != tc.w || cfg.Height != tc.h || p.Width != tc.w || p.Height != tc.h {
				t.Errorf("image %dx%d (%v), page says %dx%d; want %dx%d", cfg.Width, cfg.Height, err, p.Width, p.Height, tc.w, tc.h)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "bad.tif")
		if err := os.WriteFile(path, []byte("II*\x00\x08\x00\x00\x00garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out.png")
		_, err := r.Preview(context.Background(), pages.Job{Path: path, ContentType: pages.TypeTIFF, Pages: 1, Out: out}, 320, 0)
		if !errors.Is(err, domain.ErrBadInput) {
			t.Errorf("err = %v, want bad input", err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a failed preview left %s", out)
		}
	})
}
