package pages

/*
#cgo pkg-config: lept
#include <stdio.h>
#include <stdlib.h>
#include <allheaders.h>

// Leptonica prints its own errors to stderr; the host reports them as
// domain errors instead, so they would only be noise in the JSON log.
static void ocrbox_lept_quiet(void) { setMsgSeverity(L_SEVERITY_NONE); }
*/
import "C"

import (
	"errors"
	"unsafe"
)

func init() { C.ocrbox_lept_quiet() }

// errLept stands for any leptonica failure: leptonica only says "failed",
// and the caller knows which operation it was.
var errLept = errors.New("leptonica failed")

// pix owns one leptonica image; free must be called exactly once.
type pix struct{ p *C.PIX }

func (x pix) free() {
	if x.p != nil {
		C.pixDestroy(&x.p)
	}
}

func (x pix) width() int  { return int(C.pixGetWidth(x.p)) }
func (x pix) height() int { return int(C.pixGetHeight(x.p)) }
func (x pix) dpi() int    { return int(C.pixGetXRes(x.p)) }

// colourAbove reports a 32-bit colour image of more than n pixels.
func (x pix) colourAbove(n int) bool {
	return C.pixGetDepth(x.p) == 32 && x.width()*x.height() > n
}

// gray returns the 8-bit luminance of a 32-bit colour image, resolution
// kept; the caller frees both.
func (x pix) gray() (pix, error) {
	g := C.pixConvertRGBToLuminance(x.p)
	if g == nil {
		return pix{}, errLept
	}
	return pix{g}, nil
}

// bilevel reports a plain 1-bit image, the only kind G4 can hold.
func (x pix) bilevel() bool {
	return C.pixGetDepth(x.p) == 1 && C.pixGetColormap(x.p) == nil
}

// decodeFile decodes the image in a file of any format leptonica reads
// (the first page of a TIFF), streaming it from disk.
func decodeFile(path string) (pix, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	x := C.pixRead(cpath)
	if x == nil {
		return pix{}, errLept
	}
	return pix{x}, nil
}

// tiffPage decodes page n (0-based) of a TIFF file.
func tiffPage(path string, n int) (pix, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	x := C.pixReadTiff(cpath, C.l_int32(n))
	if x == nil {
		return pix{}, errLept
	}
	return pix{x}, nil
}

// encode writes x as TIFF-G4 when it is bilevel (a few KB per page) and as
// PNG otherwise, with its resolution, so the engine sees the real DPI.
func encode(x pix, dpi int) ([]byte, string, error) {
	if dpi > 0 {
		C.pixSetResolution(x.p, C.l_int32(dpi), C.l_int32(dpi))
	}
	var data *C.l_uint8
	var size C.size_t
	var rc C.l_ok
	contentType := "image/png"
	if x.bilevel() {
		contentType = "image/tiff"
		rc = C.pixWriteMemTiff(&data, &size, x.p, C.IFF_TIFF_G4)
	} else {
		// zlib level 1: pages are sent once over local gRPC, and the
		// default level costs ~10x the time for ~20% fewer bytes.
		C.pixSetSpecial(x.p, 10+1)
		rc = C.pixWriteMemPng(&data, &size, x.p, 0)
	}
	if rc != 0 || data == nil {
		return nil, "", errLept
	}
	defer C.lept_free(unsafe.Pointer(data))
	return C.GoBytes(unsafe.Pointer(data), C.int(size)), contentType, nil
}

// grayPix copies an 8-bit grayscale raster (one byte per pixel, rows of
// width bytes) into a new leptonica image.
func grayPix(width, height int, gray []byte) (pix, error) {
	if width <= 0 || height <= 0 || len(gray) < width*height {
		return pix{}, errLept
	}
	x := C.pixCreate(C.l_int32(width), C.l_int32(height), 8)
	if x == nil {
		return pix{}, errLept
	}
	wpl := int(C.pixGetWpl(x))
	words := unsafe.Slice((*uint32)(unsafe.Pointer(C.pixGetData(x))), wpl*height)
	for y := 0; y < height; y++ {
		row := gray[y*width : (y+1)*width]
		line := words[y*wpl : (y+1)*wpl]
		// Leptonica packs pixels big-end first within native 32-bit words.
		for i, v := range row {
			line[i>>2] |= uint32(v) << (24 - 8*(i&3))
		}
	}
	return pix{x}, nil
}

// toBilevel converts an 8-bit image whose pixels are all black or white
// into a 1-bit one, so it can be sent as G4.
func toBilevel(x pix) (pix, error) {
	b := C.pixConvertTo1(x.p, 128)
	if b == nil {
		return pix{}, errLept
	}
	return pix{b}, nil
}
