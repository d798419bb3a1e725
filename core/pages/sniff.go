package pages

import (
	"bytes"
	"encoding/binary"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Content types Sniff returns and Open accepts.
const (
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeTIFF = "image/tiff"
	TypeBMP  = "image/bmp"
	TypeWebP = "image/webp"
	TypeGIF  = "image/gif"
	TypePNM  = "image/x-portable-anymap"
	TypePDF  = "application/pdf"
)

// SniffLen is how many leading bytes Sniff needs to recognise every type;
// a PDF header may follow up to 1 KiB of junk, which readers tolerate.
const SniffLen = 1024

// Sniff identifies an upload from its first bytes (SniffLen are enough). The
// client's declared type and file extension are never trusted: the magic
// bytes decide which decoder sees the file.
func Sniff(head []byte) (string, error) {
	if len(head) == 0 {
		return "", domain.Errorf(domain.ErrInvalid, domain.CodeEmptyFile, "empty file")
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG, nil
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")),
		bytes.HasPrefix(head, []byte("II+\x00")), bytes.HasPrefix(head, []byte("MM\x00+")):
		return TypeTIFF, nil
	case isBMP(head):
		return TypeBMP, nil
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return TypeWebP, nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return TypeGIF, nil
	case isPNM(head):
		return TypePNM, nil
	case bytes.Contains(head[:min(len(head), SniffLen)], []byte("%PDF-")):
		return TypePDF, nil
	}
	return "", domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedType,
		"file type not supported: expected PNG, JPEG, TIFF, WebP, BMP or PDF")
}

// isBMP matches "BM" followed by a known info-header size, since "BM"
// alone also starts plenty of text files.
func isBMP(head []byte) bool {
	if len(head) < 18 || !bytes.HasPrefix(head, []byte("BM")) {
		return false
	}
	switch binary.LittleEndian.Uint32(head[14:]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isPNM matches the netpbm magic "P1".."P6" followed by whitespace.
func isPNM(head []byte) bool {
	if len(head) < 3 || head[0] != 'P' || head[1] < '1' || head[1] > '6' {
		return false
	}
	switch head[2] {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return false
}
