package sdk

import (
	"fmt"
	"os"
)

// PathReader is implemented by engines that read RecognizeRequest.ImagePath
// themselves, e.g. decoding straight from the file so the page's encoded
// bytes never sit in memory. For other engines the SDK reads the file into
// Image before calling Recognize, so they need not care how the host sent
// the page.
//
//	func (e *myEngine) ReadsImagePath() bool { return true }
//
//	func (e *myEngine) Recognize(ctx context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
//		if p := r.GetImagePath(); p != "" && len(r.GetImage()) == 0 {
//			return e.recognizeFile(ctx, p, r)
//		}
//		return e.recognizeBytes(ctx, r.GetImage(), r)
//	}
type PathReader interface {
	ReadsImagePath() bool
}

// DecodePage decodes the request's page with a PathReader engine's own
// decoders: from its file when the host sent a path and no bytes, else from
// its bytes. Each decoder reports false for data it cannot read. A missing
// file is the host's fault (a plain error, so the page is retried); a page
// neither decoder reads wraps ErrBadImage and names the formats, so every
// engine says the same thing about the same bad page.
func DecodePage[P any](req *RecognizeRequest, fromFile func(path string) (P, bool), fromBytes func([]byte) (P, bool)) (P, error) {
	var zero P
	if path := req.GetImagePath(); path != "" && len(req.GetImage()) == 0 {
		if _, err := os.Stat(path); err != nil {
			return zero, fmt.Errorf("recognize: page file: %w", err)
		}
		if img, ok := fromFile(path); ok {
			return img, nil
		}
		return zero, fmt.Errorf("%w: not a PNG, JPEG, TIFF, BMP, WebP or PNM image (content type %q)",
			ErrBadImage, req.GetContentType())
	}
	if img, ok := fromBytes(req.GetImage()); ok {
		return img, nil
	}
	return zero, fmt.Errorf("%w: not a PNG, JPEG, TIFF, BMP, WebP or PNM image (%d bytes, content type %q)",
		ErrBadImage, len(req.GetImage()), req.GetContentType())
}
