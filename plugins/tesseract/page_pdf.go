package tesseract

import (
	"fmt"
	"os"
	"path/filepath"
)

// renderPagePDF returns a one-page searchable PDF of the recognised page: the
// image with tesseract's invisible text layer. The C renderer can only write
// to a file, so it goes through a private temporary directory that is always
// removed. The renderer reads pdf.ttf from a directory too: the tessdata
// directory, or, when only the binary carries the font, the same temporary
// directory.
func renderPagePDF(api *tessAPI, cfg *config) ([]byte, error) {
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
	if err := api.renderPDF(base, fontDir); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	pdf, err := os.ReadFile(base + ".pdf")
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return pdf, nil
}
