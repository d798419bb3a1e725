// Package testimage makes the small, valid page images tests upload when
// the pixels do not matter, only that the file is what it says (its type,
// its page count): a multi-page TIFF here rather than one in each
// package's helpers. Real scans come from the shared OCR corpus
// (test/testenv.Corpus).
//
//	task := h.submit(t, "three.tif", "slow", "txt", testimage.GrayTIFF(3))
package testimage

import (
	"bytes"
	"encoding/binary"
)

// GrayTIFF is a little-endian, uncompressed, 8-bit gray TIFF of n pages of
// GrayTIFFWidth × GrayTIFFHeight pixels, each page different (its shade and
// a pattern), so no two pages of it are the same image.
func GrayTIFF(n int) []byte {
	const w, h, entries = GrayTIFFWidth, GrayTIFFHeight, 9
	var buf bytes.Buffer
	le := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("II*\x00")
	le(uint32(8))
	for i := range n {
		ifdStart := uint32(buf.Len())
		dataOff := ifdStart + 2 + entries*12 + 4
		next := uint32(0)
		if i < n-1 {
			next = dataOff + w*h
		}
		entry := func(tag, typ uint16, val uint32) {
			le(tag)
			le(typ)
			le(uint32(1))
			le(val)
		}
		le(uint16(entries))
		entry(256, 4, w)       // ImageWidth
		entry(257, 4, h)       // ImageLength
		entry(258, 3, 8)       // BitsPerSample
		entry(259, 3, 1)       // Compression: none
		entry(262, 3, 1)       // Photometric: BlackIsZero
		entry(273, 4, dataOff) // StripOffsets
		entry(277, 3, 1)       // SamplesPerPixel
		entry(278, 4, h)       // RowsPerStrip
		entry(279, 4, w*h)     // StripByteCounts
		le(next)
		px := make([]byte, w*h)
		for j := range px {
			px[j] = byte(60 + i*20 + j%50)
		}
		buf.Write(px)
	}
	return buf.Bytes()
}

// The size of every page of GrayTIFF.
const (
	GrayTIFFWidth  = 48
	GrayTIFFHeight = 32
)
