//go:build embedtessdata

package tesseract

import (
	_ "embed"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// The release build (scripts/release, tag embedtessdata) compiles the English
// model, the orientation model and the PDF renderer's glyph-less font into
// the binary, so a server with no tesseract data installed can still
// recognise English, turn pages upright and write searchable PDFs.
// scripts/release stages the files in embedded-tessdata/ (gitignored)
// before building, the two models zstd-compressed (eng 4.1 → 1.8 MB, osd
// 10.6 → 3.8 MB): an engine decompresses a model when it loads it (eng
// ~12 ms), and tesseract keeps its own copy, so the Go heap holds it only
// that long.
var (
	//go:embed embedded-tessdata/eng.traineddata.zst
	embeddedEngZst []byte
	//go:embed embedded-tessdata/osd.traineddata.zst
	embeddedOSDZst []byte
	//go:embed embedded-tessdata/pdf.ttf
	embeddedFont string
)

// embeddedModel returns the traineddata compiled in for lang, if any,
// decompressed.
func embeddedModel(lang string) (data string, ok bool, err error) {
	if lang != "eng" {
		return "", false, nil
	}
	data, err = unzstd(embeddedEngZst)
	if err != nil {
		return "", true, fmt.Errorf("decompress the built-in %s model: %w", lang, err)
	}
	return data, true, nil
}

// embeddedLanguages lists the models compiled in, sorted.
func embeddedLanguages() []string { return []string{"eng"} }

// hasEmbeddedOSD reports whether the orientation model is compiled in.
func hasEmbeddedOSD() bool { return len(embeddedOSDZst) > 0 }

// embeddedOSD decompresses the compiled-in orientation model. An engine
// loads it once, on the first page that needs it, and tesseract keeps its
// own copy, so nothing holds the 10.6 MB between loads.
func embeddedOSD() (string, error) {
	data, err := unzstd(embeddedOSDZst)
	if err != nil {
		return "", fmt.Errorf("decompress the built-in orientation model: %w", err)
	}
	return data, nil
}

// unzstd decompresses one compiled-in file.
func unzstd(zst []byte) (string, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(zst, nil)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// embeddedPDFFont returns pdf.ttf as compiled in.
func embeddedPDFFont() string { return embeddedFont }

// probeLibraryDatapath is false because the static library's compiled-in
// path is the build machine's debianTessdataDir, which findTessdataDir tries
// anyway; probing it would only print tesseract's "Error opening data file"
// on every start of a server without models.
const probeLibraryDatapath = false
