package pages

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// errTIFFChain reports a directory chain that points outside the file,
// loops or holds an implausible directory.
var errTIFFChain = errors.New("broken TIFF directory chain")

// tiffDirs walks a TIFF's chain of image directories once and returns each
// one's declared width and height, stopping after limit+1 directories.
//
// Two reasons not to ask leptonica per page: readHeaderTiff re-walks the
// chain from the start for every page (3.7 s for 1,000 pages), and libtiff
// treats a link pointing past the end of the file as the end of the chain,
// so a truncated multi-page TIFF (tiffcp writes each directory after its
// pixels) would pass as a shorter valid file and silently lose pages.
func tiffDirs(path string, limit int) ([]header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := tiffReader{f: f, size: st.Size()}
	var hdr [16]byte
	if _, err := io.ReadFull(f, hdr[:8]); err != nil {
		return nil, err
	}
	r.bo = binary.ByteOrder(binary.LittleEndian)
	if hdr[0] == 'M' {
		r.bo = binary.BigEndian
	}
	r.big = r.bo.Uint16(hdr[2:]) == 43 // BigTIFF: 8-byte counts and offsets
	next := int64(r.bo.Uint32(hdr[4:]))
	if r.big {
		if _, err := io.ReadFull(f, hdr[8:16]); err != nil {
			return nil, err
		}
		next = int64(r.bo.Uint64(hdr[8:]))
	}
	var dirs []header
	seen := map[int64]bool{}
	for next != 0 && len(dirs) <= limit {
		if next < 0 || next >= r.size || seen[next] {
			return dirs, fmt.Errorf("directory %d at offset %d: %w", len(dirs)+1, next, errTIFFChain)
		}
		seen[next] = true
		var h header
		h, next, err = r.dir(next)
		if err != nil {
			return dirs, fmt.Errorf("directory %d: %w", len(dirs)+1, err)
		}
		dirs = append(dirs, h)
	}
	return dirs, nil
}

// tiffReader reads directories of one classic or Big TIFF file.
type tiffReader struct {
	f    *os.File
	size int64
	bo   binary.ByteOrder
	big  bool
}

// dir reads the directory at off: its image size and the next link.
func (r tiffReader) dir(off int64) (header, int64, error) {
	countLen, entryLen, linkLen := int64(2), int64(12), int64(4)
	if r.big {
		countLen, entryLen, linkLen = 8, 20, 8
	}
	var buf [8]byte
	if _, err := r.f.ReadAt(buf[:countLen], off); err != nil {
		return header{}, 0, errTIFFChain
	}
	n := int64(r.bo.Uint16(buf[:]))
	if r.big {
		n = int64(r.bo.Uint64(buf[:]))
	}
	// Real directories hold a few dozen tags; this bounds the read below.
	if n <= 0 || n > 4096 || off+countLen+n*entryLen+linkLen > r.size {
		return header{}, 0, errTIFFChain
	}
	d := make([]byte, n*entryLen+linkLen)
	if _, err := r.f.ReadAt(d, off+countLen); err != nil {
		return header{}, 0, errTIFFChain
	}
	var h header
	for i := int64(0); i < n; i++ {
		e := d[i*entryLen : (i+1)*entryLen]
		tag, typ := r.bo.Uint16(e), r.bo.Uint16(e[2:])
		val := e[8:] // the value is inline for a single SHORT, LONG or LONG8
		if r.big {
			val = e[12:]
		}
		var v int64
		switch typ {
		case 3: // SHORT
			v = int64(r.bo.Uint16(val))
		case 4: // LONG
			v = int64(r.bo.Uint32(val))
		case 16: // LONG8
			v = int64(min(r.bo.Uint64(val), 1<<40))
		}
		switch tag {
		case 256:
			h.Width = int(v)
		case 257:
			h.Height = int(v)
		}
	}
	link := d[n*entryLen:]
	if r.big {
		return h, int64(r.bo.Uint64(link)), nil
	}
	return h, int64(r.bo.Uint32(link)), nil
}
