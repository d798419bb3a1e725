// Package pages turns an uploaded file into page images an OCR engine can
// read, one page at a time, within Limits.
//
// Two halves, in two processes. The server calls Open: it reads only
// headers — page count and every page's declared width and height — in pure
// Go, streaming the file (never reading it whole), and refuses too many
// pages or a pixel flood before any pixel is decoded. For each page it then
// builds a Job (Document.Job), which the page helper process
// (core/pagehelper, `ocrbox pagehelper`) runs with Extract: that is where
// pixels are decoded, so a decoder crash or hang costs one page attempt,
// never the server. Document.Page does the same in-process, for tests.
// Nothing holds more than one page of pixels, however many pages the file
// has.
//
// Headers (server): Go's decoders for PNG, JPEG, GIF and WebP
// (DecodeConfig), a few lines of Go for BMP and PNM, and one Go walk of a
// TIFF's directory chain, which counts the pages, reads every page's size
// and catches a truncated multi-page file (libtiff would read it as a
// shorter valid one). No C code sees an upload in the server.
//
// Pixels (helper): leptonica (cgo, pkg-config lept), the library the
// tesseract engine reads images with, so what passes here the engine can
// read. A single-page PNG, JPEG or TIFF is still decoded once, to fail a
// corrupt file with a clear message, and is then handed to the engine as
// uploaded (by path: no copy); other pages are re-encoded as TIFF-G4 when
// bilevel, PNG otherwise, into the file the Job names. A colour page above
// GrayAbovePixels goes as 8-bit gray PNG instead, so the engine decodes a
// quarter of the bytes (measured: tesseract's peak for a 70 MP RGB page
// fell from 815 to 271 MiB).
//
// PDF: PDFium compiled to WebAssembly, run by wazero inside this binary
// (core/pdfium; pure Go, no cgo, no helper program: nothing of poppler is
// needed). It never runs in the server: at Open the page count and page
// sizes come from Limits.PDF, the page helper run as an "inspect" job
// (pagehelper.Runner.InspectPDF); each page is then handled by the page
// helper like any other. Nil Limits.PDF reads them in this process, for
// tests and tools only. A page is rendered at Limits.PDFDPI, lowered for a
// page that would exceed Limits.MaxMegapixels (the server puts the
// resolution in the Job), to 8-bit gray (OCR needs no colour).
//
// PDF text layers (issue 14 §2): before rendering, the helper reads the
// page's own text with PDFium and the task's pdf_text mode (Job.PDFText)
// decides. skip (default): a page with text, visible or an invisible OCR
// layer, is read from it; redo: only visible text counts (an earlier OCR
// layer is redone, and its words are dropped); force: every page is
// rendered. A page read from its text comes back with Source
// SourcePDFText and a TextLayer file (words with boxes in the pixels of the
// page at the Job's DPI, the raster an engine would have seen) instead of
// an image, plus, when Job.PDFOut is set, the original page copied out as
// a one-page PDF. Text PDFium cannot map to Unicode (fonts without a
// ToUnicode map) does not count as text: such a page is OCRed.
//
// Why PDFium in WebAssembly rather than poppler's pdftoppm/pdfinfo, used
// before: the release binary is fully static and must read PDFs alone
// (issue 14 §4), and PDFium gives text with positions too. Its costs,
// measured on this 2-core machine (docs/benchmarks.md): compiling the
// module takes ~3 s of CPU, so the helper keeps wazero's compiled code in
// a cache directory (<data_dir>/cache/wasm) and later starts load it; the
// module is embedded zstd-compressed. wazero runs the module memory-safe:
// a PDFium bug corrupts at worst the module's own linear memory, inside a
// helper process that dies after one page anyway.
//
// Known costs: libpng and libjpeg print a line to stderr for some corrupt
// files.
package pages
