package main

import (
	"bufio"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/draw"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The big kinds are one page of about the upload size, RGB, stored without
// compression (PNG with stored deflate blocks, uncompressed TIFF), so a
// 200 MiB file is a ~70 megapixel page: mostly white with a few lines of
// large text, which tesseract reads in seconds. They are uploaded and then
// OCRed to the end: these measure the whole pipeline, not the upload alone.

// bigText is what the page says; the benchmark checks the result holds it.
var bigText = []string{
	"The quick brown fox jumps over the lazy dog.",
	"Pack my box with five dozen liquor jugs.",
	"ocrbox upload memory benchmark page",
}

// bigPage picks an A4-shaped page of about size bytes as 8-bit RGB and
// returns its size and a function filling one row (3 bytes a pixel).
func bigPage(size int64) (w, h int, row func(y int, dst []byte)) {
	px := float64(size) / 3
	w = int(math.Sqrt(px / math.Sqrt2))
	h = int(px) / w
	// The text, drawn small with the 7x13 bitmap font, then magnified so
	// its letters are ~60 px tall on the big page.
	const margin, lineHeight = 4, 18
	scale := max(1, w/1000)
	small := image.NewGray(image.Rect(0, 0, w/scale, (len(bigText)*lineHeight+2*margin)*2))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13}
	for i, l := range bigText {
		d.Dot = fixed.P(margin*4, margin+(i+1)*lineHeight*2-5)
		d.DrawString(l)
	}
	sh := small.Bounds().Dy()
	top := h / 20 // the text starts a little way down
	return w, h, func(y int, dst []byte) {
		sy := (y - top) / scale
		for x := 0; x < w; x++ {
			v := byte(0xff)
			if sy >= 0 && sy < sh {
				if sx := x / scale; sx < small.Bounds().Dx() {
					v = small.Pix[sy*small.Stride+sx]
				}
			}
			dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
		}
	}
}

// bigPNG writes the page as an RGB PNG whose IDAT holds stored (level 0)
// deflate blocks, row by row, so the file is as large as the raw pixels.
func bigPNG(path string, size int64) (int, error) {
	w, h, row := bigPage(size)
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	writeChunk(bw, "IHDR", ihdr)
	// The zlib stream: header, stored blocks of whole rows, Adler-32. One
	// IDAT chunk per block keeps chunks small.
	line := make([]byte, 1+3*w) // filter byte 0, then the row
	ad := adler32.New()
	first := true
	for y := 0; y < h; y++ {
		row(y, line[1:])
		ad.Write(line)
		var block []byte
		if first {
			block = append(block, 0x78, 0x01)
			first = false
		}
		for off := 0; off < len(line); off += 65535 {
			n := min(65535, len(line)-off)
			final := byte(0)
			if y == h-1 && off+n == len(line) {
				final = 1
			}
			block = append(block, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
			block = append(block, line[off:off+n]...)
		}
		if y == h-1 {
			block = binary.BigEndian.AppendUint32(block, ad.Sum32())
		}
		writeChunk(bw, "IDAT", block)
	}
	writeChunk(bw, "IEND", nil)
	if err := bw.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return 1, f.Close()
}

func writeChunk(w *bufio.Writer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// bigTIFF writes the page as an uncompressed RGB TIFF in strips of 64 rows,
// the directory after the pixels.
func bigTIFF(path string, size int64) (int, error) {
	w, h, row := bigPage(size)
	const rowsPerStrip = 64
	strips := (h + rowsPerStrip - 1) / rowsPerStrip
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	var off uint32
	put := func(b []byte) { bw.Write(b); off += uint32(len(b)) }
	u16 := func(v uint16) { put(le.AppendUint16(nil, v)) }
	u32 := func(v uint32) { put(le.AppendUint32(nil, v)) }
	put([]byte("II*\x00"))
	u32(0) // patched below: the directory offset
	line := make([]byte, 3*w)
	offsets := make([]uint32, strips)
	counts := make([]uint32, strips)
	for y := 0; y < h; y++ {
		if y%rowsPerStrip == 0 {
			offsets[y/rowsPerStrip] = off
		}
		row(y, line)
		put(line)
		counts[y/rowsPerStrip] += uint32(len(line))
	}
	// Arrays the directory points at: bits per sample, strip offsets and
	// byte counts, resolution.
	bps := off
	u16(8)
	u16(8)
	u16(8)
	offArr := off
	for _, v := range offsets {
		u32(v)
	}
	cntArr := off
	for _, v := range counts {
		u32(v)
	}
	res := off
	u32(300)
	u32(1)
	ifd := off
	entry := func(tag, typ uint16, count, value uint32) { u16(tag); u16(typ); u32(count); u32(value) }
	const nEntries = 13
	u16(nEntries)
	entry(256, 4, 1, uint32(w))           // ImageWidth
	entry(257, 4, 1, uint32(h))           // ImageLength
	entry(258, 3, 3, bps)                 // BitsPerSample 8,8,8
	entry(259, 3, 1, 1)                   // Compression: none
	entry(262, 3, 1, 2)                   // Photometric: RGB
	entry(273, 4, uint32(strips), offArr) // StripOffsets
	entry(277, 3, 1, 3)                   // SamplesPerPixel
	entry(278, 4, 1, rowsPerStrip)        // RowsPerStrip
	entry(279, 4, uint32(strips), cntArr) // StripByteCounts
	entry(282, 5, 1, res)                 // XResolution
	entry(283, 5, 1, res)                 // YResolution
	entry(284, 3, 1, 1)                   // PlanarConfiguration: contiguous
	entry(296, 3, 1, 2)                   // ResolutionUnit: inch
	u32(0)
	if err := bw.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	var p [4]byte
	le.PutUint32(p[:], ifd)
	if _, err := f.WriteAt(p[:], 4); err != nil {
		f.Close()
		return 0, err
	}
	return 1, f.Close()
}
