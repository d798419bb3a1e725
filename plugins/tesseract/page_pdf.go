package tesseract

import (
	"fmt"
	"os"
	"path/filepath"
)

// renderPagePDF returns a one-page searchable PDF of the recognised page: the
// image with tesseract's invisible text layer. The C renderer can only write
// to a file, so it goes through a private temporary directory that is always
// removed.
func renderPagePDF(api *tessAPI, tessdataDir string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "ocrbox-tesseract-pdf-")
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	base := filepath.Join(dir, "page")
	if err := api.renderPDF(base, tessdataDir); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	pdf, err := os.ReadFile(base + ".pdf")
	if err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return pdf, nil
}
