//go:build embedtessdata

package tesseract

import _ "embed"

// The release build (scripts/release, tag embedtessdata) compiles the English
// model and the PDF renderer's glyph-less font into the binary, so a server
// with no tesseract data installed can still recognise English and write
// searchable PDFs. scripts/release stages both files in embedded-tessdata/
// (gitignored) before building.
var (
	//go:embed embedded-tessdata/eng.traineddata
	embeddedEng string
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

// embeddedOSD returns the orientation model as compiled in: none yet.
// scripts/release stages only eng.traineddata and pdf.ttf, so the release
// binary turns pages upright only where osd.traineddata is installed in the
// tessdata directory; embedding it needs one more file staged there and one
// more //go:embed line here.
func embeddedOSD() string { return "" }

// embeddedPDFFont returns pdf.ttf as compiled in.
func embeddedPDFFont() string { return embeddedFont }

// probeLibraryDatapath is false because the static library's compiled-in
// path is the build machine's debianTessdataDir, which findTessdataDir tries
// anyway; probing it would only print tesseract's "Error opening data file"
// on every start of a server without models.
const probeLibraryDatapath = false
