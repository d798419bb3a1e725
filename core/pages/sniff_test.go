package pages

import (
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want string
	}{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", TypePNG},
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", TypeJPEG},
		{"tiff little-endian", "II*\x00\x08\x00\x00\x00", TypeTIFF},
		{"tiff big-endian", "MM\x00*\x00\x00\x00\x08", TypeTIFF},
		{"bigtiff", "II+\x00\x08\x00\x00\x00", TypeTIFF},
		{"bmp", "BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", TypeBMP},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", TypeWebP},
		{"gif", "GIF89a\x01\x00\x01\x00", TypeGIF},
		{"pgm", "P5\n640 480\n255\n", TypePNM},
		{"pbm", "P4 8 8\n", TypePNM},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", TypePDF},
		{"pdf after junk", "garbage before the header\r\n%PDF-1.4\n", TypePDF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sniff([]byte(tc.head))
			if err != nil || got != tc.want {
				t.Fatalf("Sniff = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSniffRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		kind error
		code string
	}{
		{"empty", "", domain.ErrInvalid, "empty_file"},
		{"zip", "PK\x03\x04\x14\x00\x06\x00", domain.ErrUnsupportedType, "unsupported_type"},
		{"text", "hello, world\n", domain.ErrUnsupportedType, "unsupported_type"},
		{"riff but not webp", "RIFF\x24\x00\x00\x00WAVEfmt ", domain.ErrUnsupportedType, "unsupported_type"},
		{"P7 is not PNM", "P7\nWIDTH 4\n", domain.ErrUnsupportedType, "unsupported_type"},
		{"bmp magic alone", "BM", domain.ErrUnsupportedType, "unsupported_type"},
		{"text starting with BM", "BMW service report, 2026\n", domain.ErrUnsupportedType, "unsupported_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Sniff([]byte(tc.head))
			de := wantDomainError(t, err, tc.kind, tc.code)
			if tc.code == "unsupported_type" && !strings.Contains(de.Message, "expected PNG, JPEG, TIFF, WebP, BMP or PDF") {
				t.Errorf("message %q does not say what is supported", de.Message)
			}
		})
	}
}
