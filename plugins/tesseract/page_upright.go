package tesseract

import (
	"context"
	"math"
	"os"
	"path/filepath"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Turning pages upright before recognition. Tesseract reads a page turned
// by 180° or 270° as nonsense, and loses most words beyond a few degrees of
// skew. So, unless autorotate is off:
//
//  1. every page is straightened first when leptonica's skew finder
//     measures a skew within ±maxSkewDegrees (a few milliseconds);
//  2. after recognition, a page that may lie turned (mayBeTurned: low
//     confidence, or text laid out sideways) is shown to tesseract's
//     orientation and script detection (OSD, osd.traineddata); when OSD is
//     sure enough it is turned, straightened again and recognised again
//     (a less sure guess is tried too, and kept only if it reads better:
//     turnUpright).
//
// OSD only runs after doubt because it costs 0.1-0.3 s a page, about 15 %
// of an upright page's time; upright pages, nearly all of them, pay for the
// skew finder only. The result is always that of the corrected image, so
// word boxes, hOCR and the searchable PDF are in the upright page's
// coordinates.

const (
	osdLanguage = "osd"
	// minOrientationConf is the OSD margin needed to turn a page. OCRmyPDF
	// uses 14 by default (--rotate-pages-threshold); tesseract's own
	// min_orientation_margin is 7, which is what these pages need: the
	// corpus's phototest scores 9.3-11 turned by quarter turns and 7.5
	// turned by 187° (see page_upright_test.go).
	minOrientationConf = 7
	// maxSkewDegrees is the largest skew searched for and corrected.
	maxSkewDegrees = 15
	// minSkewDegrees: smaller skews are left alone. Tesseract copes with them
	// itself, and rotating costs a little sharpness: eurotext.tif, measured
	// at -0.8°, lost 1.6 points of word recall when straightened.
	minSkewDegrees = 1.0
	// minGuessConf is the least OSD margin worth trying on a page read
	// badly, and minGuessGain the rise in mean confidence that proves the
	// guess right (an upside-down page reads at ~35-40, upright at 80-95).
	minGuessConf = 2
	minGuessGain = 10
	// maxTurnedConf: a recognition with a lower mean confidence may be of a
	// turned page, so OSD looks at it. Upright printed pages score 80-95,
	// pages upside down well under 50.
	maxTurnedConf = 60
	// minSkewConf is leptonica's confidence score below which a measured
	// skew is noise (its own pixDeskew uses 3).
	minSkewConf = 3
)

// pageOrientation is what uprightPage found and did.
type pageOrientation struct {
	degrees    int     // how far the page was turned clockwise from upright: 0, 90, 180, 270
	confidence float32 // OSD's margin for degrees; 0 when OSD did not run or could not tell
	skew       float32 // degrees the page was turned clockwise by to straighten it; 0: left alone
}

// straighten deskews img in place when leptonica measures a skew worth
// correcting, and returns the angle it turned the page by (0: left alone).
func straighten(img *pix) float32 {
	angle, conf, ok := img.findSkew(maxSkewDegrees)
	if !ok || conf < minSkewConf || math.Abs(float64(angle)) < minSkewDegrees || !img.rotate(angle) {
		return 0
	}
	return roundTenth(angle)
}

// mayBeTurned reports whether the page just recognised may lie on its side
// or upside down: tesseract laid its text out sideways, or read it with a
// confidence no upright printed page gets. Only then is OSD worth its
// cost (about 0.1-0.3 s a page, 15 % of an upright page's time).
func mayBeTurned(api *tessAPI, meanConf int) bool {
	if meanConf < maxTurnedConf {
		return true
	}
	it := api.iterator()
	if it == nil {
		return false
	}
	defer it.delete()
	return it.blockTurned()
}

// turnUpright decodes req's page again, asks OSD how it lies and, when it
// is turned, turns and straightens it and recognises it again with api.
// firstConf is the mean confidence of the recognition api holds.
//
// OSD sure of itself (margin >= minOrientationConf) is followed. A weaker
// guess is tried only on a page read badly (firstConf < maxTurnedConf), and
// kept only if the turned page reads clearly better (minGuessGain); else the
// page is recognised again as it was. Small pages with little text (a
// receipt, a slide) get such margins even when turned.
//
// o.degrees == 0 means api holds the page recognised as it was, unturned.
func (e *Engine) turnUpright(ctx context.Context, cfg *config, api *tessAPI, req *sdk.RecognizeRequest, dpi, firstConf int) (o pageOrientation, width, height int, err error) {
	osd := e.osdModel(cfg)
	if osd == nil {
		return o, 0, 0, nil
	}
	img, err := readPage(req)
	if err != nil {
		return o, 0, 0, err
	}
	defer img.destroy()
	skew := straighten(img)
	// OSD reads the resolution from the image itself, and warns on
	// stderr for every page of a file that has none.
	img.setResolution(dpi)
	osd.setPageSegMode(psmOSDOnly)
	osd.setImage(img)
	osd.setSourceResolution(dpi)
	deg, conf, ok := e.detect(osd)
	osd.clear()
	if !ok {
		return o, 0, 0, nil
	}
	o.confidence = roundTenth(conf)
	sure := conf >= minOrientationConf
	guess := !sure && conf >= minGuessConf && firstConf < maxTurnedConf
	if deg == 0 || !(sure || guess) || !img.rotateOrth((360-deg)/90) {
		return o, 0, 0, nil
	}
	turned := o
	turned.degrees, turned.skew = deg, skew
	if deg != 180 {
		// Sideways, the skew finder saw no text lines; now it can.
		turned.skew = straighten(img)
	}
	width, height = img.width(), img.height()
	if err := e.recognizeImage(ctx, api, img, dpi); err != nil {
		return o, 0, 0, err
	}
	if sure || api.meanTextConf() >= firstConf+minGuessGain {
		return turned, width, height, nil
	}
	// The guess read no better: recognise the page as it came, the same
	// way as the first time.
	e.logger.Debug("orientation guess rejected", "page_number", req.GetPageNumber(), "orientation", deg,
		"orientation_confidence", conf, "mean_confidence", firstConf, "turned_mean_confidence", api.meanTextConf())
	orig, err := readPage(req)
	if err != nil {
		return o, 0, 0, err
	}
	defer orig.destroy()
	straighten(orig)
	if err := e.recognizeImage(ctx, api, orig, dpi); err != nil {
		return o, 0, 0, err
	}
	return o, 0, 0, nil
}

func roundTenth(f float32) float32 { return float32(math.Round(float64(f)*10) / 10) }

// osdModel returns the loaded OSD model, loading it on first use, or nil
// when there is none (logged once). The caller holds the lock.
func (e *Engine) osdModel(cfg *config) *tessAPI {
	if e.osd != nil || e.osdMissing {
		return e.osd
	}
	var (
		api *tessAPI
		err error
	)
	switch {
	case cfg.tessdataDir != "" && fileExists(filepath.Join(cfg.tessdataDir, osdLanguage+traineddataSuffix)):
		api, err = newOSDAPI(cfg.tessdataDir, "")
	case hasEmbeddedOSD():
		var data string
		if data, err = embeddedOSD(); err == nil {
			api, err = newOSDAPI("", data)
		}
	default:
		e.osdMissing = true
		e.logger.Warn("no "+osdLanguage+traineddataSuffix+"; pages turned by 90°, 180° or 270° are not turned upright (Debian: apt install tesseract-ocr-osd)",
			"tessdata_dir", cfg.tessdataDir)
		return nil
	}
	if err != nil {
		e.osdMissing = true
		e.logger.Warn("cannot load the orientation model; pages are not turned upright", "error", err)
		return nil
	}
	e.osd = api
	return api
}

// unloadOSD drops the OSD model; the next page reloads it. The caller holds
// the lock.
func (e *Engine) unloadOSD() {
	if e.osd != nil {
		e.osd.delete()
		e.osd = nil
	}
	e.osdMissing = false
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
