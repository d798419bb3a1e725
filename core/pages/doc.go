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
// PDF: poppler's pdfinfo reads the page count and page sizes in its own
// process (pdfcpu did this in the host and held the whole file's objects in
// memory: 1–2.5× the upload's size for a 200 MB PDF); each page is
// rasterised on demand by poppler's pdftoppm (started by the page helper)
// at Limits.PDFDPI, lowered for a page that would exceed
// Limits.MaxMegapixels (the server puts the resolution in the Job), to
// 8-bit gray (OCR needs no colour). PDF support therefore needs
// poppler-utils installed; without it Open says so (code pdf_unsupported).
//
// Why pdftoppm and not go-pdfium in WebAssembly mode (wazero), which would
// keep the binary self-contained: measured on this 2-core machine with
// three-pages.pdf, go-pdfium v1.21.4 needs 2.9–3.4 s of CPU to compile its
// 5.8 MB PDFium module at every process start, peaking at ~370 MB RSS
// (26 s and 1.1 GB under -race), and adds ~12 MB to the binary. Rendering
// is then fast (15, 18 and 210 ms per page including PNG encoding) and a
// wazero compilation cache on disk brings start-up to 84 ms, but that needs
// a writable cache directory and one process-wide PDFium pool. pdftoppm
// costs nothing at start-up and ~0.13–0.14 s per 300 dpi page as raw PGM
// (pdftoppm's own PNG output took 1.4 s for a letter page, hence PGM plus
// leptonica's PNG at zlib level 1: ~0.22 s in all), runs in its own process
// under a timeout, so a hostile PDF cannot crash or stall the host, and
// memory stays bounded by one page. Revisit if the single-binary goal must
// cover PDFs too.
//
// Known costs: libpng and libjpeg print a line to stderr for some corrupt
// files.
package pages
