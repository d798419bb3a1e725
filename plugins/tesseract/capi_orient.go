package tesseract

/*
#cgo pkg-config: tesseract lept
#include <stdlib.h>
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>

// ocrbox_find_skew measures the skew of a page of any depth within
// +-sweeprange degrees: leptonica's sweep-and-search on a binarised copy.
static int ocrbox_find_skew(PIX *pixs, l_float32 sweeprange, l_float32 *angle, l_float32 *conf) {
	*angle = 0;
	*conf = 0;
	PIX *pixb = pixConvertTo1(pixs, 130);
	if (pixb == NULL) return 1;
	l_ok r = pixFindSkewSweepAndSearch(pixb, angle, conf, 4, 2, sweeprange, 1.0, 0.01);
	pixDestroy(&pixb);
	return r;
}
*/
import "C"

import (
	"errors"
	"math"
	"unsafe"
)

// This file holds the cgo calls that turn a page upright: tesseract's
// orientation detection (OSD) and leptonica's skew finder and rotations.

// Page segmentation mode that only detects orientation and script.
const psmOSDOnly = C.PSM_OSD_ONLY

// detectOrientation runs OSD on the image set with setImage. deg is how far
// the page is turned clockwise from upright (0, 90, 180, 270), conf the
// margin of that guess over the next best; ok is false when the page has
// too little text to tell.
func (a *tessAPI) detectOrientation() (deg int, conf float32, ok bool) {
	var (
		cdeg              C.int
		cconf, scriptConf C.float
		script            *C.char // owned by tesseract
	)
	if C.TessBaseAPIDetectOrientationScript(a.h, &cdeg, &cconf, &script, &scriptConf) == 0 {
		return 0, 0, false
	}
	return int(cdeg), float32(cconf), true
}

// newOSDAPI loads osd.traineddata from datapath, or from data when data is
// not empty (the release build's compiled-in copy).
func newOSDAPI(datapath, data string) (*tessAPI, error) {
	if data != "" {
		return newTessAPIFromMemoryOEM(data, "osd", C.OEM_TESSERACT_ONLY)
	}
	return newTessAPIOEM(datapath, "osd", C.OEM_TESSERACT_ONLY)
}

func newTessAPIOEM(datapath, lang string, oem C.TessOcrEngineMode) (*tessAPI, error) {
	cdir, clang := C.CString(datapath), C.CString(lang)
	defer C.free(unsafe.Pointer(cdir))
	defer C.free(unsafe.Pointer(clang))
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("TessBaseAPICreate returned nil")
	}
	if C.TessBaseAPIInit2(h, cdir, clang, oem) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("TessBaseAPIInit2 failed (see stderr)")
	}
	return &tessAPI{h: h}, nil
}

func newTessAPIFromMemoryOEM(data, lang string, oem C.TessOcrEngineMode) (*tessAPI, error) {
	clang := C.CString(lang)
	defer C.free(unsafe.Pointer(clang))
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("TessBaseAPICreate returned nil")
	}
	cdata := (*C.char)(unsafe.Pointer(unsafe.StringData(data)))
	if C.TessBaseAPIInit5(h, cdata, C.int(len(data)), clang, oem, nil, 0, nil, nil, 0, C.FALSE) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("TessBaseAPIInit5 failed (see stderr)")
	}
	return &tessAPI{h: h}, nil
}

// findSkew measures the page's skew within +-maxDeg degrees: the angle to
// turn it clockwise by to straighten it, and leptonica's confidence (a
// score; below ~3 the measurement means nothing).
func (p *pix) findSkew(maxDeg float32) (deg, conf float32, ok bool) {
	var a, c C.l_float32
	if C.ocrbox_find_skew(p.p, C.l_float32(maxDeg), &a, &c) != 0 {
		return 0, 0, false
	}
	return float32(a), float32(c), true
}

// rotateOrth replaces the image by itself turned clockwise by quads quarter
// turns; false when leptonica cannot.
func (p *pix) rotateOrth(quads int) bool {
	r := C.pixRotateOrth(p.p, C.l_int32(quads))
	if r == nil {
		return false
	}
	C.pixDestroy(&p.p)
	p.p = r
	return true
}

// rotate replaces the image by itself turned clockwise by deg degrees, on a
// canvas grown so that no corner is cut off, the new area white. A bilevel
// image is turned into gray first: interpolated, its letters keep their
// edges (sheared 1-bit, phototest at 7° lost 2 % of its words).
func (p *pix) rotate(deg float32) bool {
	rad := float64(deg) * math.Pi / 180
	if p.depth() == 1 {
		g := C.pixConvertTo8(p.p, 0)
		if g == nil {
			return false
		}
		C.pixDestroy(&p.p)
		p.p = g
	}
	r := C.pixRotate(p.p, C.l_float32(rad), C.L_ROTATE_AREA_MAP, C.L_BRING_IN_WHITE,
		C.pixGetWidth(p.p), C.pixGetHeight(p.p))
	if r == nil {
		return false
	}
	C.pixDestroy(&p.p)
	p.p = r
	return true
}

// setResolution records ppi in the image, as if its file had said so.
func (p *pix) setResolution(ppi int) { C.pixSetResolution(p.p, C.l_int32(ppi), C.l_int32(ppi)) }

// blockTurned reports whether the first block of the recognised page lies
// turned: tesseract's layout analysis says so for free, as a block turned
// or as vertical text (a page fed sideways).
func (r *resultIterator) blockTurned() bool {
	var (
		orient C.TessOrientation
		dir    C.TessWritingDirection
		order  C.TessTextlineOrder
		angle  C.float
	)
	C.TessPageIteratorOrientation(r.pi, &orient, &dir, &order, &angle)
	// A page fed sideways is read as vertical text, lines right to left.
	return orient != C.ORIENTATION_PAGE_UP || dir == C.WRITING_DIRECTION_TOP_TO_BOTTOM ||
		order != C.TEXTLINE_ORDER_TOP_TO_BOTTOM
}
