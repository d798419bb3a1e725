package pages

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

// wantDomainError fails unless err is a *domain.Error of the given kind and code.
func wantDomainError(t *testing.T, err error, kind error, code string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T), want *domain.Error %s", err, err, code)
	}
	if !errors.Is(err, kind) || de.Code != code {
		t.Fatalf("error = %q kind %v code %q, want kind %v code %q", de.Message, de.Kind, de.Code, kind, code)
	}
	return de
}

// writeTemp stores data in a fresh file in t.TempDir.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// floodPNG builds a valid PNG that declares w x h gray pixels but carries
// only a few bytes of compressed data: the classic decompression bomb shape.
func floodPNG(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	pngChunk(&buf, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 64))
	_ = zw.Close()
	pngChunk(&buf, "IDAT", z.Bytes())
	pngChunk(&buf, "IEND", nil)
	return buf.Bytes()
}

func pngChunk(buf *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(buf, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	buf.WriteString(typ)
	buf.Write(data)
	_ = binary.Write(buf, binary.BigEndian, crc.Sum32())
}

// tiffPages builds a little-endian, uncompressed, bilevel multi-page TIFF
// whose pages declare the given sizes; each strip holds at most 64 bytes,
// so a page may declare far more pixels than the file holds.
func tiffPages(sizes [][2]uint32) []byte {
	const entries = 9
	var buf bytes.Buffer
	buf.WriteString("II*\x00")
	_ = binary.Write(&buf, binary.LittleEndian, uint32(8))
	for i, s := range sizes {
		ifdStart := uint32(buf.Len())
		ifdLen := uint32(2 + entries*12 + 4)
		dataOff := ifdStart + ifdLen
		rowBytes := (s[0] + 7) / 8
		dataLen := min(rowBytes*s[1], 64)
		next := uint32(0)
		if i < len(sizes)-1 {
			next = dataOff + dataLen
		}
		le := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
		entry := func(tag, typ uint16, val uint32) {
			le(tag)
			le(typ)
			le(uint32(1))
			le(val)
		}
		le(uint16(entries))
		entry(256, 4, s[0])          // ImageWidth
		entry(257, 4, s[1])          // ImageLength
		entry(258, 3, 1)             // BitsPerSample
		entry(259, 3, 1)             // Compression: none
		entry(262, 3, 0)             // Photometric: WhiteIsZero
		entry(273, 4, dataOff)       // StripOffsets
		entry(277, 3, 1)             // SamplesPerPixel
		entry(278, 4, s[1])          // RowsPerStrip
		entry(279, 4, rowBytes*s[1]) // StripByteCounts (a lie for big pages)
		le(next)
		buf.Write(make([]byte, dataLen)) // white
	}
	return buf.Bytes()
}
