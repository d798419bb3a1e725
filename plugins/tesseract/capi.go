package tesseract

/*
#cgo pkg-config: tesseract lept
#include <stdlib.h>
#include <tesseract/capi.h>
#include <leptonica/allheaders.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// This file is the whole cgo surface apart from the cancel callback in
// monitor.go: small Go wrappers that own the C memory they touch, so the rest
// of the package never sees a C type or has to remember which free function
// goes with which pointer.

// tessVersion is the library's version string; tesseract owns the memory.
func tessVersion() string { return C.GoString(C.TessVersion()) }

// tessAPI is one initialised TessBaseAPI: a loaded model for one language
// string. Not safe for concurrent use.
type tessAPI struct{ h *C.TessBaseAPI }

// newTessAPI loads the models for lang ("eng", "eng+deu") from datapath with
// the default engine mode (LSTM when the traineddata has it).
func newTessAPI(datapath, lang string) (*tessAPI, error) {
	cdir, clang := C.CString(datapath), C.CString(lang)
	defer C.free(unsafe.Pointer(cdir))
	defer C.free(unsafe.Pointer(clang))
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("TessBaseAPICreate returned nil")
	}
	if C.TessBaseAPIInit2(h, cdir, clang, C.OEM_DEFAULT) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("TessBaseAPIInit2 failed (see stderr)")
	}
	return &tessAPI{h: h}, nil
}

// newTessAPIFromMemory loads one language's model from a traineddata image
// in memory (the release build's compiled-in model). Tesseract copies the
// bytes during the call; data is read-only Go memory that it never keeps.
func newTessAPIFromMemory(data, lang string) (*tessAPI, error) {
	if data == "" {
		return nil, errors.New("empty traineddata")
	}
	clang := C.CString(lang)
	defer C.free(unsafe.Pointer(clang))
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("TessBaseAPICreate returned nil")
	}
	cdata := (*C.char)(unsafe.Pointer(unsafe.StringData(data)))
	if C.TessBaseAPIInit5(h, cdata, C.int(len(data)), clang, C.OEM_DEFAULT, nil, 0, nil, nil, 0, C.FALSE) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("TessBaseAPIInit5 failed (see stderr)")
	}
	return &tessAPI{h: h}, nil
}

// defaultDatapath asks the library where it looks for traineddata when given
// no path: TESSDATA_PREFIX, else the directory compiled into libtesseract.
// It has to load a model to find out, so it returns "" if "eng" is missing.
func defaultDatapath() string {
	h := C.TessBaseAPICreate()
	if h == nil {
		return ""
	}
	defer C.TessBaseAPIDelete(h)
	clang := C.CString("eng")
	defer C.free(unsafe.Pointer(clang))
	if C.TessBaseAPIInit2(h, nil, clang, C.OEM_DEFAULT) != 0 {
		return ""
	}
	return C.GoString(C.TessBaseAPIGetDatapath(h))
}

func (a *tessAPI) delete() {
	if a.h != nil {
		C.TessBaseAPIDelete(a.h)
		a.h = nil
	}
}

func (a *tessAPI) setPageSegMode(psm int) {
	C.TessBaseAPISetPageSegMode(a.h, C.TessPageSegMode(psm))
}

// setImage hands tesseract the page. Tesseract takes its own reference, so
// the caller may destroy p afterwards.
func (a *tessAPI) setImage(p *pix) { C.TessBaseAPISetImage2(a.h, p.p) }

// setSourceResolution must follow setImage, which resets it from the image.
func (a *tessAPI) setSourceResolution(ppi int) {
	C.TessBaseAPISetSourceResolution(a.h, C.int(ppi))
}

// recognize runs layout analysis and recognition; false means it failed or
// was stopped by the monitor's cancel function or deadline.
func (a *tessAPI) recognize(m *monitor) bool {
	return C.TessBaseAPIRecognize(a.h, m.desc) == 0
}

func (a *tessAPI) utf8Text() string { return takeText(C.TessBaseAPIGetUTF8Text(a.h)) }

// hocrText returns the page's ocr_page div; tesseract numbers it
// pageIndex+1, so pass the zero-based page index.
func (a *tessAPI) hocrText(pageIndex int) string {
	return takeText(C.TessBaseAPIGetHOCRText(a.h, C.int(pageIndex)))
}

func (a *tessAPI) meanTextConf() int { return int(C.TessBaseAPIMeanTextConf(a.h)) }

// clear drops the page image and results but keeps the model loaded.
func (a *tessAPI) clear() { C.TessBaseAPIClear(a.h) }

// renderPDF writes outputbase+".pdf" holding the current page image with an
// invisible text layer, or the text layer alone when textOnly. The renderer
// only flushes and closes its file when deleted, so the file is complete
// only after this returns.
func (a *tessAPI) renderPDF(outputbase, fontDir string, textOnly bool) error {
	cbase, cdir, ctitle := C.CString(outputbase), C.CString(fontDir), C.CString("")
	defer C.free(unsafe.Pointer(cbase))
	defer C.free(unsafe.Pointer(cdir))
	defer C.free(unsafe.Pointer(ctitle))
	var textonly C.int // capi.h's BOOL is a macro for int
	if textOnly {
		textonly = 1
	}
	r := C.TessPDFRendererCreate(cbase, cdir, textonly)
	if r == nil {
		return errors.New("TessPDFRendererCreate returned nil")
	}
	defer C.TessDeleteResultRenderer(r)
	if C.TessResultRendererBeginDocument(r, ctitle) == 0 {
		return errors.New("begin PDF document failed (output file or pdf.ttf unreadable?)")
	}
	if C.TessResultRendererAddImage(r, a.h) == 0 {
		return errors.New("add PDF page failed")
	}
	if C.TessResultRendererEndDocument(r) == 0 {
		return errors.New("end PDF document failed")
	}
	return nil
}

// takeText copies a tesseract-allocated string and frees it.
func takeText(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.TessDeleteText(s)
	return C.GoString(s)
}

// Iterator levels, from the coarsest.
const (
	levelBlock = C.RIL_BLOCK
	levelPara  = C.RIL_PARA
	levelLine  = C.RIL_TEXTLINE
	levelWord  = C.RIL_WORD
)

// resultIterator walks the recognised page. The C result iterator is also a
// page iterator; pi is the same object seen through that interface.
type resultIterator struct {
	it *C.TessResultIterator
	pi *C.TessPageIterator
}

// iterator returns nil when there are no results to walk.
func (a *tessAPI) iterator() *resultIterator {
	it := C.TessBaseAPIGetIterator(a.h)
	if it == nil {
		return nil
	}
	return &resultIterator{it: it, pi: C.TessResultIteratorGetPageIterator(it)}
}

func (r *resultIterator) delete() { C.TessResultIteratorDelete(r.it) }

func (r *resultIterator) next(level C.TessPageIteratorLevel) bool {
	return C.TessResultIteratorNext(r.it, level) != 0
}

func (r *resultIterator) isAtBeginningOf(level C.TessPageIteratorLevel) bool {
	return C.TessPageIteratorIsAtBeginningOf(r.pi, level) != 0
}

func (r *resultIterator) text(level C.TessPageIteratorLevel) string {
	return takeText(C.TessResultIteratorGetUTF8Text(r.it, level))
}

func (r *resultIterator) confidence(level C.TessPageIteratorLevel) float32 {
	return float32(C.TessResultIteratorConfidence(r.it, level))
}

// boundingBox is in image pixels, (x0,y0) top-left inclusive, (x1,y1)
// bottom-right exclusive; ok is false for an empty element.
func (r *resultIterator) boundingBox(level C.TessPageIteratorLevel) (x0, y0, x1, y1 int, ok bool) {
	var l, t, rt, b C.int
	if C.TessPageIteratorBoundingBox(r.pi, level, &l, &t, &rt, &b) == 0 {
		return 0, 0, 0, 0, false
	}
	return int(l), int(t), int(rt), int(b), true
}

// pix is a decoded leptonica image.
type pix struct{ p *C.PIX }

// readPix decodes an encoded image, sniffing the format from its bytes (the
// first page of a multi-page TIFF). It returns nil when leptonica cannot.
func readPix(data []byte) *pix {
	if len(data) == 0 {
		return nil
	}
	// Leptonica only reads the buffer during the call, so passing Go memory
	// is allowed and saves a copy of a possibly large page.
	p := C.pixReadMem((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if p == nil {
		return nil
	}
	return &pix{p: p}
}

// readPixFile decodes the image in a file (the first page of a TIFF),
// streaming it from disk, so only the decoded page is held in memory. It
// returns nil when leptonica cannot.
func readPixFile(path string) *pix {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	p := C.pixRead(cpath)
	if p == nil {
		return nil
	}
	return &pix{p: p}
}

func (p *pix) destroy() { C.pixDestroy(&p.p) }

func (p *pix) width() int  { return int(C.pixGetWidth(p.p)) }
func (p *pix) height() int { return int(C.pixGetHeight(p.p)) }

// depth is the image's bits per pixel (32 for RGB).
func (p *pix) depth() int { return int(C.pixGetDepth(p.p)) }

// toGray replaces a 32-bit colour image by its 8-bit luminance (resolution
// kept), freeing the colour one; false when leptonica cannot.
func (p *pix) toGray() bool {
	g := C.pixConvertRGBToLuminance(p.p)
	if g == nil {
		return false
	}
	C.pixDestroy(&p.p)
	p.p = g
	return true
}

// yResolution is the ppi stored in the file, 0 when it has none.
func (p *pix) yResolution() int { return int(C.pixGetYRes(p.p)) }
