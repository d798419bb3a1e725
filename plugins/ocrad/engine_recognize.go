package ocrad

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// noConfidence is the SDK's value for "the engine gives no confidence".
const noConfidence = -1

// minSide is the smallest width and height ocrad accepts; a smaller image
// cannot hold a character and is answered as an empty page.
const minSide = 3

// Recognize OCRs one page. It fails with sdk.ErrUnsupported for a language
// outside Latin-1 or a PDF request, sdk.ErrBadImage for bytes leptonica
// cannot decode or ocrad refuses, and ctx's error when ctx ends before the
// page is done. The response has text but no words (ocrad's library exposes
// no boxes) and a mean confidence of -1.
func (e *Engine) Recognize(ctx context.Context, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	if err := checkLanguages(req.GetLanguages()); err != nil {
		return nil, err
	}
	if req.GetWantPdf() {
		return nil, fmt.Errorf("%w: pdf output (ocrad cannot make a searchable PDF)", sdk.ErrUnsupported)
	}
	cfg := e.config()
	start := time.Now()
	img, err := readGrey(req)
	if err != nil {
		return nil, err
	}
	defer img.free()
	resp := &sdk.RecognizeResponse{Width: int32(img.width), Height: int32(img.height), MeanConfidence: noConfidence}
	if img.width < minSide || img.height < minSide {
		return resp, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	blocks, err := recognizePage(ctx, img, cfg)
	if err != nil {
		return nil, err
	}
	// Checked even when ocrad finished: nobody is waiting for the result.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	resp.Text = pageText(blocks)
	e.logger.Debug("recognized page", "page_number", req.GetPageNumber(), "width", resp.Width, "height", resp.Height,
		"blocks", len(blocks), "duration", time.Since(start))
	return resp, nil
}

// recognizePage runs ocrad on img with a descriptor of its own and returns
// the lines of each text block, in ISO-8859-1.
func recognizePage(ctx context.Context, img *greymap, cfg config) ([][][]byte, error) {
	od, err := openDescriptor()
	if err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	defer od.close()
	if err := od.setImage(img); err != nil {
		var oe *ocradError
		if errors.As(err, &oe) && oe.errno == errnoBadArgument {
			return nil, fmt.Errorf("%w: %v (%dx%d pixels)", sdk.ErrBadImage, err, img.width, img.height)
		}
		return nil, fmt.Errorf("recognize: %w", err)
	}
	if err := od.setThreshold(cfg.threshold); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	if err := od.recognize(cfg.layout); err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	blocks, err := od.blocks()
	if err != nil {
		return nil, fmt.Errorf("recognize: %w", err)
	}
	return blocks, nil
}

// ReadsImagePath tells the SDK to hand Recognize the page's path as sent:
// leptonica reads the file itself, so the encoded bytes never sit in memory.
func (e *Engine) ReadsImagePath() bool { return true }

// readGrey decodes the request's page, from its file or its bytes.
func readGrey(req *sdk.RecognizeRequest) (*greymap, error) {
	return sdk.DecodePage(req,
		func(path string) (*greymap, bool) { img := decodeGreyFile(path); return img, img != nil },
		func(data []byte) (*greymap, bool) { img := decodeGrey(data); return img, img != nil })
}
