package tesseract

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Resolutions tesseract believes, from its kMinCredibleResolution and
// kMaxCredibleResolution. A file's ppi outside them is a placeholder (0 or 1
// when the format has none, a wrong unit) and scaling the models by it
// would wreck recognition.
const (
	minCredibleDPI = 70
	maxCredibleDPI = 2400
	fallbackDPI    = 300 // what scanners and ocrbox's PDF rasteriser mostly produce
)

// grayAbovePixels: colour pages larger than this (an A4 page at 600 dpi is
// ~35 MP) are turned to 8-bit gray before recognition, to save memory.
// Smaller ones go to tesseract as they are, exactly as before.
const grayAbovePixels = 40_000_000

// Recognize OCRs one page. It fails with sdk.ErrUnsupported for a language
// that is not installed, sdk.ErrBadImage for bytes leptonica cannot decode,
// and ctx's error when ctx ends first, which stops tesseract mid-page.
func (e *Engine) Recognize(ctx context.Context, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	if err := e.lock(ctx); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	defer e.unlock()
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	lang, err := cfg.languageKey(req.GetLanguages())
	if err != nil {
		return nil, err
	}
	if req.GetWantPdf() && !cfg.canPDF {
		return nil, fmt.Errorf("%w: pdf output (no %s in %s)", sdk.ErrUnsupported, pdfFont, cfg.tessdataDirOrDefault())
	}
	autorotate, err := cfg.autorotateFor(req)
	if err != nil {
		return nil, err
	}
	img, err := readPage(req)
	if err != nil {
		return nil, err
	}
	defer img.destroy()
	api, err := e.model(cfg, lang)
	if err != nil {
		return nil, err
	}

	start := time.Now()
	dpi := sourceResolution(req.GetDpi(), img.yResolution())
	var orient pageOrientation
	if autorotate {
		orient.skew = straighten(img)
	}
	width, height := img.width(), img.height() // of the straightened page
	api.setPageSegMode(cfg.psm)
	// Clear drops the page but keeps the model, so the next page starts clean
	// whatever happens below.
	defer api.clear()
	if err := e.recognizeImage(ctx, api, img, dpi); err != nil {
		return nil, err
	}
	if firstConf := api.meanTextConf(); autorotate && mayBeTurned(api, firstConf) {
		o, w, h, err := e.turnUpright(ctx, cfg, api, req, dpi, firstConf)
		if err != nil {
			return nil, err
		}
		if o.degrees != 0 {
			orient, width, height = o, w, h
		} else {
			orient.confidence = o.confidence
		}
	}
	resp := &sdk.RecognizeResponse{
		Text:                  api.utf8Text(),
		Words:                 pageWords(api),
		Width:                 int32(width),
		Height:                int32(height),
		MeanConfidence:        float32(api.meanTextConf()),
		Orientation:           int32(orient.degrees),
		OrientationConfidence: orient.confidence,
		Skew:                  orient.skew,
	}
	if req.GetWantHocr() {
		resp.Hocr = api.hocrText(pageIndex(req.GetPageNumber()))
	}
	if req.GetWantPdf() {
		if resp.Pdf, err = renderPagePDF(api, cfg, req); err != nil {
			return nil, err
		}
	}
	e.logger.Debug("recognized page", "page_number", req.GetPageNumber(), "language", lang,
		"width", resp.Width, "height", resp.Height, "dpi", dpi, "words", len(resp.Words),
		"mean_confidence", resp.MeanConfidence, "orientation", orient.degrees, "skew", orient.skew, "duration", time.Since(start))
	return resp, nil
}

// ReadsImagePath tells the SDK to hand Recognize the page's path as sent:
// leptonica reads the file itself, so the engine holds the decoded page and
// never the encoded bytes.
func (e *Engine) ReadsImagePath() bool { return true }

// readPage decodes the request's page (readImage), in gray when it is a
// large colour page.
func readPage(req *sdk.RecognizeRequest) (*pix, error) {
	img, err := readImage(req)
	if err != nil {
		return nil, err
	}
	if img.depth() == 32 && img.width()*img.height() > grayAbovePixels {
		// Tesseract keeps its own copy of the image it is given, and works
		// on 8-bit gray anyway: a large colour page costs 4 bytes a pixel
		// twice unless it is gray before SetImage.
		img.toGray()
	}
	return img, nil
}

// recognizeImage hands img to api and recognises it. img is destroyed once
// tesseract has its copy: one page in memory, not two.
func (e *Engine) recognizeImage(ctx context.Context, api *tessAPI, img *pix, dpi int) error {
	api.setImage(img)
	img.destroy()
	api.setSourceResolution(dpi)
	return e.runRecognition(ctx, api)
}

// readImage decodes the request's page, from its file or its bytes.
func readImage(req *sdk.RecognizeRequest) (*pix, error) {
	return sdk.DecodePage(req,
		func(path string) (*pix, bool) { img := readPixFile(path); return img, img != nil },
		func(data []byte) (*pix, bool) { img := readPix(data); return img, img != nil })
}

// runRecognition runs tesseract under a monitor tied to ctx.
func (e *Engine) runRecognition(ctx context.Context, api *tessAPI) error {
	mon, err := startMonitor(ctx)
	if err != nil {
		return fmt.Errorf("recognize: %w", err)
	}
	ok := api.recognize(mon)
	if mon.stop() {
		e.stops++
	}
	// Checked even when tesseract finished: nobody is waiting for the result.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recognize: %w", err)
	}
	if !ok {
		// Tesseract's own deadline never fires before ctx's (see
		// deadlineMillis), but ctx's timer may not have run yet.
		if dl, has := ctx.Deadline(); has && !time.Now().Before(dl) {
			return fmt.Errorf("recognize: %w", context.DeadlineExceeded)
		}
		return errors.New("recognize: tesseract failed (see its stderr)")
	}
	return nil
}

// sourceResolution picks the ppi tesseract scales its models by: the host's
// when it rasterised the page, else the file's if believable, else a guess.
func sourceResolution(requested int32, fromFile int) int {
	switch {
	case requested > 0:
		return int(requested)
	case fromFile >= minCredibleDPI && fromFile <= maxCredibleDPI:
		return fromFile
	}
	return fallbackDPI
}

// pageIndex converts the request's 1-based page number to the 0-based index
// tesseract's hOCR wants (it writes id='page_N' for N = index+1). An unset
// page number counts as page 1.
func pageIndex(pageNumber int32) int {
	return max(int(pageNumber), 1) - 1
}
