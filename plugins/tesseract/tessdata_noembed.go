//go:build !embedtessdata

package tesseract

// Without the embedtessdata tag (every build but scripts/release) no model
// is compiled in: tesseract reads everything from the tessdata directory.

func embeddedModel(string) (string, bool, error) { return "", false, nil }

func embeddedLanguages() []string { return nil }

func embeddedPDFFont() string { return "" }

// probeLibraryDatapath lets findTessdataDir ask libtesseract for its
// compiled-in models directory, which may differ from Debian's.
const probeLibraryDatapath = true

func hasEmbeddedOSD() bool { return false }

func embeddedOSD() (string, error) { return "", nil }
