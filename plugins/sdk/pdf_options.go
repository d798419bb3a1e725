package sdk

// OptionPDFTextOnly is the RecognizeRequest option ("true") by which the
// host asks for the page's searchable PDF as a text layer only: a one-page
// PDF of the page as recognised (after any turn or deskew the engine
// made; its MediaBox the recognised image's size at the engine's
// resolution) holding the invisible text and its embedded font, and no
// image. The host then lays that text over the original page — the
// uploaded PDF's page or the uploaded image in its own encoding — instead
// of a re-encoded raster.
//
// An engine that does not know the option returns its usual PDF, image
// and all; the host notices the image and uses that PDF's page as it is.
const OptionPDFTextOnly = "pdf_text_only"
