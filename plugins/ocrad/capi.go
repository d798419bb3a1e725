package ocrad

/*
#cgo pkg-config: lept
#cgo LDFLAGS: -locrad -lpng -lstdc++ -lm
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <ocradlib.h>
#include <leptonica/allheaders.h>

// ocrbox_grey decodes an encoded image with leptonica (format sniffed from
// the bytes; the first page of a multi-page TIFF) and returns it as a
// malloc'd 8-bit greymap, one byte per pixel, rows top to bottom, 0 = black,
// which is ocrad's OCRAD_greymap. Transparent pixels are put on white.
// Returns NULL when the bytes are not an image leptonica can read.
static unsigned char *ocrbox_grey_pix(PIX *pix, int *w, int *h);

static unsigned char *ocrbox_grey(const l_uint8 *data, size_t size, int *w, int *h) {
	return ocrbox_grey_pix(pixReadMem(data, size), w, h);
}

// ocrbox_grey_file is ocrbox_grey for an image in a file, read by
// leptonica from disk so the encoded bytes never sit in memory.
static unsigned char *ocrbox_grey_file(const char *path, int *w, int *h) {
	return ocrbox_grey_pix(pixRead(path), w, h);
}

// ocrbox_grey_pix turns a decoded image (freed here) into the greymap.
static unsigned char *ocrbox_grey_pix(PIX *pix, int *w, int *h) {
	if (pix == NULL) return NULL;
	if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) {
		PIX *flat = pixAlphaBlendUniform(pix, 0xffffff00);
		pixDestroy(&pix);
		if (flat == NULL) return NULL;
		pix = flat;
	}
	PIX *grey = pixConvertTo8(pix, 0);
	pixDestroy(&pix);
	if (grey == NULL) return NULL;
	if (pixGetDepth(grey) != 8 || pixGetColormap(grey) != NULL) {
		pixDestroy(&grey);
		return NULL;
	}
	int width = pixGetWidth(grey), height = pixGetHeight(grey), wpl = pixGetWpl(grey);
	unsigned char *out = malloc((size_t)width * (size_t)height);
	if (out != NULL) {
		l_uint32 *rows = pixGetData(grey);
		for (int y = 0; y < height; y++) {
			l_uint32 *line = rows + (size_t)y * wpl;
			unsigned char *dst = out + (size_t)y * width;
			for (int x = 0; x < width; x++) dst[x] = GET_DATA_BYTE(line, x);
		}
		*w = width;
		*h = height;
	}
	pixDestroy(&grey);
	return out;
}

// ocrbox_set_greymap hands ocrad a greymap; it copies the pixels.
static int ocrbox_set_greymap(struct OCRAD_Descriptor *d, const unsigned char *data, int w, int h) {
	struct OCRAD_Pixmap p = { data, h, w, OCRAD_greymap };
	return OCRAD_set_image(d, &p, false);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// This file is the whole cgo surface: small Go wrappers that own the C
// memory they touch, so the rest of the package never sees a C type.
//
// What ocrad's library offers is all here: per block, per line, the line's
// text. It keeps character boxes internally but its C API has no call that
// returns them, and it computes no confidence.

// ocradVersion is the library's version string ("0.28").
func ocradVersion() string { return C.GoString(C.OCRAD_version()) }

// greymap is a decoded page: one byte per pixel, 0 = black, in C memory.
type greymap struct {
	data          *C.uchar
	width, height int
}

// decodeGrey decodes an encoded image into a greymap. It returns nil when
// leptonica cannot read the bytes (or memory ran out).
func decodeGrey(data []byte) *greymap {
	if len(data) == 0 {
		return nil
	}
	var w, h C.int
	// Leptonica only reads the buffer during the call, so passing Go memory
	// is allowed and saves a copy of a possibly large page.
	p := C.ocrbox_grey((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)), &w, &h)
	if p == nil {
		return nil
	}
	return &greymap{data: p, width: int(w), height: int(h)}
}

// decodeGreyFile is decodeGrey for an image in a file (nil when leptonica
// cannot read it).
func decodeGreyFile(path string) *greymap {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var w, h C.int
	p := C.ocrbox_grey_file(cpath, &w, &h)
	if p == nil {
		return nil
	}
	return &greymap{data: p, width: int(w), height: int(h)}
}

func (g *greymap) free() {
	if g.data != nil {
		C.free(unsafe.Pointer(g.data))
		g.data = nil
	}
}

// descriptor is one OCRAD_Descriptor: a page and its results. Not safe for
// concurrent use; the engine opens one per page.
type descriptor struct{ d *C.struct_OCRAD_Descriptor }

// openDescriptor returns a fresh descriptor.
func openDescriptor() (*descriptor, error) {
	d := C.OCRAD_open()
	if d == nil {
		return nil, errors.New("OCRAD_open returned nil")
	}
	od := &descriptor{d: d}
	if errno := C.OCRAD_get_errno(d); errno != C.OCRAD_ok {
		od.close()
		return nil, &ocradError{op: "open", errno: errno}
	}
	return od, nil
}

func (od *descriptor) close() {
	if od.d != nil {
		C.OCRAD_close(od.d)
		od.d = nil
	}
}

// errnoBadArgument is OCRAD_get_errno's answer when ocrad refuses the
// image it was given.
const errnoBadArgument = C.OCRAD_bad_argument

// ocradError is a failed library call with the descriptor's errno.
type ocradError struct {
	op    string
	errno C.enum_OCRAD_Errno
}

func (e *ocradError) Error() string {
	var what string
	switch e.errno {
	case C.OCRAD_bad_argument:
		what = "bad argument"
	case C.OCRAD_mem_error:
		what = "out of memory"
	case C.OCRAD_sequence_error:
		what = "call out of sequence"
	case C.OCRAD_library_error:
		what = "library error"
	default:
		what = fmt.Sprintf("errno %d", int(e.errno))
	}
	return fmt.Sprintf("ocrad %s: %s", e.op, what)
}

// check turns a negative return code into an error naming the errno.
func (od *descriptor) check(op string, rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return &ocradError{op: op, errno: C.OCRAD_get_errno(od.d)}
}

// setThreshold sets the black/white threshold, 0..255, or -1 for ocrad's
// automatic choice.
func (od *descriptor) setThreshold(t int) error {
	return od.check("set threshold", C.OCRAD_set_threshold(od.d, C.int(t)))
}

// setImage hands ocrad the page; ocrad copies the pixels, so g may be freed
// afterwards. Results come as ISO-8859-1 bytes, not in ocrad's UTF-8 mode:
// its UTF-8 conversion returns a pointer into one static buffer shared by
// every descriptor, and converting Latin-1 in Go is trivial. The format can
// only be set once there is an image.
func (od *descriptor) setImage(g *greymap) error {
	if err := od.check("set image", C.ocrbox_set_greymap(od.d, g.data, C.int(g.width), C.int(g.height))); err != nil {
		return err
	}
	return od.check("set byte format", C.OCRAD_set_utf8_format(od.d, false))
}

// scale enlarges the page by n (n >= 2) or reduces it by -n (n <= -2).
func (od *descriptor) scale(n int) error {
	return od.check("scale", C.OCRAD_scale(od.d, C.int(n)))
}

// recognize runs ocrad on the page; layout enables its page layout
// analysis (columns, text blocks), otherwise the page is one block.
func (od *descriptor) recognize(layout bool) error {
	return od.check("recognize", C.OCRAD_recognize(od.d, C.bool(layout)))
}

// blocks returns the recognised text: per block, its lines, as ocrad's
// ISO-8859-1 bytes.
func (od *descriptor) blocks() ([][][]byte, error) {
	n := int(C.OCRAD_result_blocks(od.d))
	if n < 0 {
		return nil, od.check("result blocks", C.int(n))
	}
	out := make([][][]byte, 0, n)
	for b := range n {
		lines := int(C.OCRAD_result_lines(od.d, C.int(b)))
		if lines < 0 {
			return nil, od.check("result lines", C.int(lines))
		}
		block := make([][]byte, 0, lines)
		for l := range lines {
			s := C.OCRAD_result_line(od.d, C.int(b), C.int(l))
			if s == nil {
				return nil, od.check("result line", -1)
			}
			block = append(block, C.GoBytes(unsafe.Pointer(s), C.int(C.strlen(s))))
		}
		out = append(out, block)
	}
	return out, nil
}
