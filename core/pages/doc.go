// Package pages turns an uploaded file into page images an OCR engine can
// read, one page at a time, within Limits.
//
// Safety: Open reads only headers — page count and every page's declared
// width and height — and refuses too many pages or a pixel flood before any
// pixel is decoded. Page decodes a single page; nothing holds more than one
// page of pixels, however many pages the file has.
//
// Formats: pixels are decoded by leptonica (cgo, pkg-config lept), the
// library the tesseract engine reads images with, so what passes here the
// engine can read. Headers: Go's decoders for PNG, JPEG and GIF, a few
// lines of Go for BMP, leptonica for WebP and PNM; a TIFF's pages are
// counted by libtiff and every page's size is read in one walk of its
// directory chain, which also catches a truncated multi-page file. A
// single-page PNG, JPEG or TIFF is handed to the engine as uploaded; other
// pages are re-encoded as TIFF-G4 when bilevel, PNG otherwise.
//
// PDF: poppler's pdfinfo reads the page count and page sizes in its own
// process (pdfcpu did this in the host and held the whole file's objects in
// memory: 1–2.5× the upload's size for a 200 MB PDF); each page is
// rasterised on demand by poppler's pdftoppm at Limits.PDFDPI, lowered for
// a page that would exceed Limits.MaxMegapixels, to 8-bit gray (OCR needs
// no colour). PDF support therefore needs poppler-utils installed; without
// it Open says so (code pdf_unsupported).
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
