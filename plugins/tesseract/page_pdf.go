package tesseract

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// renderPagePDF returns a one-page searchable PDF of the recognised page:
// the image with tesseract's invisible text layer, or, when the request
// asks for it (sdk.OptionPDFTextOnly), the text layer alone, which the host
// lays over the original page. Either way the page is the image as
// recognised — turned upright and straightened — at the resolution
// tesseract was told, so the text sits on the words of that image.
//
// The C renderer can only write to a file, so it goes through a private
// temporary directory that is always removed. The renderer reads pdf.ttf
// from a directory too: the tessdata directory, or, when only the binary
// carries the font, the same temporary directory.
func renderPagePDF(api *tessAPI, cfg *config, req *sdk.RecognizeRequest) ([]byte, error) {
	textOnly, err := textOnlyFor(req)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ocrbox-tesseract-pdf-")
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	fontDir := cfg.tessdataDir
	if !cfg.fontOnDisk {
		if err := os.WriteFile(filepath.Join(dir, pdfFont), []byte(embeddedPDFFont()), 0o600); err != nil {
			return nil, fmt.Errorf("render pdf: %w", err)
		}
		fontDir = dir
	}
	base := filepath.Join(dir, "page")
	if err := api.renderPDF(base, fontDir, textOnly); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	pdf, err := os.ReadFile(base + ".pdf")
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return pdf, nil
}

// textOnlyFor reads the request's sdk.OptionPDFTextOnly: absent or
// "false" is the whole page, "true" the text layer alone.
func textOnlyFor(req *sdk.RecognizeRequest) (bool, error) {
	switch v := req.GetOptions()[sdk.OptionPDFTextOnly]; v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, fmt.Errorf("%w: option %s=%q (want true or false)", sdk.ErrUnsupported, sdk.OptionPDFTextOnly, v)
	}
}
