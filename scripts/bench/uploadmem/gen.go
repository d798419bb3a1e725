package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
)

// The kinds of upload file. The junk ones measure the upload path alone (the
// server accepts them; the worker later fails them as unreadable); the real
// ones also exercise the upload-time inspection (page count and sizes from
// the headers) on a document of that size.
var kinds = map[string]func(path string, size int64) (pages int, err error){
	"pdf":       junk("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
	"tiff":      junk("II*\x00\x08\x00\x00\x00"),
	"tiff-real": realTIFF,
	"pdf-real":  realPDF,
	"png-big":   bigPNG,
	"tiff-big":  bigTIFF,
	"pdf-ocr":   realPDF,
}

// ocrKinds are uploaded and then OCRed to the end, with the engine's and the
// page helper's memory measured too; the others are deleted after upload.
// pdf-ocr is pdf-real OCRed to a searchable PDF as well as text: the
// server's peak then includes the task's completion, where the PDF is
// assembled from the upload and every page's text layer.
var ocrKinds = map[string]bool{"png-big": true, "tiff-big": true, "pdf-ocr": true}

// A4 at 300 dpi, 8-bit grey, uncompressed: 8.7 MB a page.
const (
	pageW, pageH = 2480, 3508
	pageDPI      = 300
)

func junk(header string) func(string, int64) (int, error) {
	return func(path string, size int64) (int, error) {
		f, err := os.Create(path)
		if err != nil {
			return 0, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString(header)
		block := make([]byte, 1<<20)
		rng := rand.NewChaCha8([32]byte{1})
		rng.Read(block)
		left := size - int64(len(header))
		for left > 0 {
			n := min(left, int64(len(block)))
			w.Write(block[:n])
			left -= n
			block[0]++ // not one block repeated verbatim
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return 0, err
		}
		return 0, f.Close()
	}
}

// pagePixels is a white page with a few black bars: trivial to OCR, so a
// worker that gets to it does not load the machine.
func pagePixels() []byte {
	px := make([]byte, pageW*pageH)
	for i := range px {
		px[i] = 0xff
	}
	for y := 300; y < pageH-300; y += 120 {
		for yy := y; yy < y+20; yy++ {
			for x := 300; x < pageW-300; x++ {
				px[yy*pageW+x] = 0
			}
		}
	}
	return px
}

// realTIFF writes a valid multi-page uncompressed greyscale TIFF of about
// size bytes (whole pages, at least one).
func realTIFF(path string, size int64) (int, error) {
	px := pagePixels()
	pages := max(1, int(size/int64(len(px))))
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	var off uint32
	put := func(b []byte) { w.Write(b); off += uint32(len(b)) }
	u16 := func(v uint16) { var b [2]byte; le.PutUint16(b[:], v); put(b[:]) }
	u32 := func(v uint32) { var b [4]byte; le.PutUint32(b[:], v); put(b[:]) }
	put([]byte("II*\x00"))
	u32(8) // first IFD follows the header, then each page's pixels
	const nEntries = 11
	for p := range pages {
		ifd := off
		ifdSize := uint32(2 + nEntries*12 + 4)
		res := ifd + ifdSize // two RATIONALs
		data := res + 16
		next := data + uint32(len(px))
		if p == pages-1 {
			next = 0
		}
		entry := func(tag, typ uint16, count, value uint32) { u16(tag); u16(typ); u32(count); u32(value) }
		u16(nEntries)
		entry(256, 4, 1, pageW)           // ImageWidth
		entry(257, 4, 1, pageH)           // ImageLength
		entry(258, 3, 1, 8)               // BitsPerSample
		entry(259, 3, 1, 1)               // Compression: none
		entry(262, 3, 1, 1)               // Photometric: BlackIsZero
		entry(273, 4, 1, data)            // StripOffsets
		entry(277, 3, 1, 1)               // SamplesPerPixel
		entry(278, 4, 1, pageH)           // RowsPerStrip
		entry(279, 4, 1, uint32(len(px))) // StripByteCounts
		entry(282, 5, 1, res)             // XResolution
		entry(283, 5, 1, res+8)           // YResolution
		u32(next)
		u32(pageDPI)
		u32(1)
		u32(pageDPI)
		u32(1)
		put(px)
	}
	// ResolutionUnit defaults to inch.
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return pages, f.Close()
}

// realPDF writes a valid PDF of about size bytes: one uncompressed
// greyscale image per A4 page.
func realPDF(path string, size int64) (int, error) {
	px := pagePixels()
	pages := max(1, int(size/int64(len(px))))
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var off int64
	var offsets []int64 // by object number - 1
	out := func(format string, a ...any) {
		n, _ := fmt.Fprintf(w, format, a...)
		off += int64(n)
	}
	obj := func(num int) {
		for len(offsets) < num {
			offsets = append(offsets, 0)
		}
		offsets[num-1] = off
		out("%d 0 obj\n", num)
	}
	out("%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n")
	// 1: catalog, 2: pages, then per page i: 3+3i page, 4+3i contents, 5+3i image.
	obj(1)
	out("<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj(2)
	out("<< /Type /Pages /Count %d /Kids [", pages)
	for i := range pages {
		out(" %d 0 R", 3+3*i)
	}
	out(" ] >>\nendobj\n")
	const wPt, hPt = 595.28, 841.89
	content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n", wPt, hPt)
	for i := range pages {
		pg, cs, im := 3+3*i, 4+3*i, 5+3*i
		obj(pg)
		out("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R /Resources << /XObject << /Im0 %d 0 R >> >> >>\nendobj\n",
			wPt, hPt, cs, im)
		obj(cs)
		out("<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
		obj(im)
		out("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n",
			pageW, pageH, len(px))
		w.Write(px)
		off += int64(len(px))
		out("\nendstream\nendobj\n")
	}
	xref := off
	out("xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		out("%010d 00000 n \n", o)
	}
	out("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return pages, f.Close()
}
