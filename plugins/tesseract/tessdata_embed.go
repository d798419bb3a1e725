//go:build embedtessdata

package tesseract

import (
	_ "embed"

	"github.com/klauspost/compress/zstd"
)

// The release build (scripts/release, tag embedtessdata) compiles the English
// model, the orientation model and the PDF renderer's glyph-less font into
// the binary, so a server with no tesseract data installed can still
// recognise English, turn pages upright and write searchable PDFs.
// scripts/release stages the files in embedded-tessdata/ (gitignored)
// before building; the orientation model zstd-compressed (10.6 → 3.8 MB).
var (
	//go:embed embedded-tessdata/eng.traineddata
	embeddedEng string
	//go:embed embedded-tessdata/osd.traineddata.zst
	embeddedOSDZst []byte
	//go:embed embedded-tessdata/pdf.ttf
	embeddedFont string
)

// embeddedModel returns the traineddata compiled in for lang, if any.
func embeddedModel(lang string) (string, bool) {
	if lang == "eng" {
		return embeddedEng, true
	}
	return "", false
}

// embeddedLanguages lists the models compiled in, sorted.
func embeddedLanguages() []string { return []string{"eng"} }

// hasEmbeddedOSD reports whether the orientation model is compiled in.
func hasEmbeddedOSD() bool { return len(embeddedOSDZst) > 0 }

// embeddedOSD decompresses the compiled-in orientation model. An engine
// loads it once, on the first page that needs it, and tesseract keeps its
// own copy, so nothing holds the 10.6 MB between loads.
func embeddedOSD() (string, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(embeddedOSDZst, nil)
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
