package pages

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// tiffChainLen walks a TIFF's chain of image directories and counts them,
// failing when a link points past the end of the file. libtiff treats a
// dangling link as the end of the chain, so a truncated multi-page TIFF
// (tiffcp writes each directory after its pixels) would otherwise pass as a
// shorter, valid file and lose its last pages without a word. The walk
// stops after limit directories and on a loop.
func tiffChainLen(path string, limit int) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	var hdr [16]byte
	if _, err := io.ReadFull(f, hdr[:8]); err != nil {
		return 0, err
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if hdr[0] == 'M' {
		bo = binary.BigEndian
	}
	big := bo.Uint16(hdr[2:]) == 43 // BigTIFF: 8-byte counts and offsets
	next := int64(bo.Uint32(hdr[4:]))
	if big {
		if _, err := io.ReadFull(f, hdr[8:16]); err != nil {
			return 0, err
		}
		next = int64(bo.Uint64(hdr[8:]))
	}
	seen := map[int64]bool{}
	n := 0
	for next != 0 && n <= limit {
		if next < 0 || next >= size || seen[next] {
			return n, fmt.Errorf("directory %d at offset %d: %w", n+1, next, errTIFFChain)
		}
		seen[next] = true
		n++
		countLen, entryLen, linkLen := int64(2), int64(12), int64(4)
		if big {
			countLen, entryLen, linkLen = 8, 20, 8
		}
		var buf [8]byte
		if _, err := f.ReadAt(buf[:countLen], next); err != nil {
			return n, errTIFFChain
		}
		entries := int64(bo.Uint16(buf[:]))
		if big {
			entries = int64(bo.Uint64(buf[:]))
		}
		linkAt := next + countLen + entries*entryLen
		if entries > 1<<16 || linkAt+linkLen > size {
			return n, errTIFFChain
		}
		if _, err := f.ReadAt(buf[:linkLen], linkAt); err != nil {
			return n, errTIFFChain
		}
		next = int64(bo.Uint32(buf[:]))
		if big {
			next = int64(bo.Uint64(buf[:]))
		}
	}
	return n, nil
}

var errTIFFChain = errors.New("broken TIFF directory chain")
