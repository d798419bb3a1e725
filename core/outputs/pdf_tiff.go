package outputs

import (
	"encoding/binary"
	"errors"
)

// TIFF tags read to embed a page image.
const (
	tagWidth           = 256
	tagHeight          = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagResolutionUnit  = 296
)

// tiffIFD is the first directory of a TIFF: the tags above, each as its
// values (numbers; a rational as numerator and denominator).
type tiffIFD map[uint16][]uint64

// readTIFFIFD reads the first image directory of a TIFF file, every offset
// checked against the file's length.
func readTIFFIFD(b []byte) (tiffIFD, error) {
	if len(b) < 8 {
		return nil, errors.New("TIFF too short")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 'M' {
		bo = binary.BigEndian
	}
	off := uint64(bo.Uint32(b[4:]))
	if off+2 > uint64(len(b)) {
		return nil, errors.New("TIFF directory out of bounds")
	}
	n := uint64(bo.Uint16(b[off:]))
	if off+2+12*n > uint64(len(b)) {
		return nil, errors.New("TIFF directory out of bounds")
	}
	f := tiffIFD{}
	for i := uint64(0); i < n; i++ {
		e := b[off+2+12*i:]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), uint64(bo.Uint32(e[4:]))
		var size uint64
		switch typ {
		case 3: // SHORT
			size = 2
		case 4: // LONG
			size = 4
		case 5: // RATIONAL
			size = 8
		default:
			continue
		}
		if count == 0 || count > 1<<20 {
			continue
		}
		data := e[8:12]
		if size*count > 4 {
			at := uint64(bo.Uint32(e[8:]))
			if at+size*count > uint64(len(b)) {
				return nil, errors.New("TIFF tag out of bounds")
			}
			data = b[at : at+size*count]
		}
		vals := make([]uint64, 0, count*(size/4+1))
		for k := uint64(0); k < count; k++ {
			switch typ {
			case 3:
				vals = append(vals, uint64(bo.Uint16(data[2*k:])))
			case 4:
				vals = append(vals, uint64(bo.Uint32(data[4*k:])))
			case 5:
				vals = append(vals, uint64(bo.Uint32(data[8*k:])), uint64(bo.Uint32(data[8*k+4:])))
			}
		}
		f[tag] = vals
	}
	return f, nil
}

// get is a tag's first value, 0 when absent.
func (f tiffIFD) get(tag uint16) int {
	if v := f[tag]; len(v) > 0 && v[0] < 1<<31 {
		return int(v[0])
	}
	return 0
}

// strips returns the image's strips, in order, as slices of b.
func (f tiffIFD) strips(b []byte) ([][]byte, error) {
	offs, counts := f[tagStripOffsets], f[tagStripByteCounts]
	if len(offs) == 0 || len(offs) != len(counts) {
		return nil, errors.New("TIFF strips missing")
	}
	out := make([][]byte, len(offs))
	for i := range offs {
		if offs[i]+counts[i] > uint64(len(b)) {
			return nil, errors.New("TIFF strip out of bounds")
		}
		out[i] = b[offs[i] : offs[i]+counts[i]]
	}
	return out, nil
}

// resolution is the image's pixels per inch, 0 when it does not say.
func (f tiffIFD) resolution() (float64, float64) {
	rat := func(tag uint16) float64 {
		v := f[tag]
		if len(v) < 2 || v[1] == 0 {
			return 0
		}
		return float64(v[0]) / float64(v[1])
	}
	x, y := rat(tagXResolution), rat(tagYResolution)
	switch f.get(tagResolutionUnit) {
	case 3: // centimetre
		return x * 2.54, y * 2.54
	case 1: // no unit: an aspect ratio, not a resolution
		return 0, 0
	}
	return x, y
}
