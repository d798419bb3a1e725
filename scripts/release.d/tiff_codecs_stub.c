/*
 * Replaces libtiff's ZSTD, LERC and LZMA codecs (tif_zstd.o, tif_lerc.o,
 * tif_lzma.o) so that libzstd, libLerc and liblzma, which nothing else in the
 * release binary uses, are not linked: together 1.3 MB of the binary
 * (docs/release.md, "What is in the binary").
 *
 * These are compressions of geospatial and scientific rasters (GDAL, Esri),
 * not of scanned documents: no scanner, fax or office program writes them.
 * As with jbig_stub.c, libtiff registers TIFFInit<codec> in its codec table;
 * because this object defines the three and comes before libtiff.a on the
 * link line, the archive members that would call into the libraries are never
 * pulled in. A TIFF page with one of these compressions then fails to open
 * with the message below; every other TIFF codec (none, LZW, PackBits,
 * Deflate, JPEG, CCITT G3/G4, WebP) is unaffected.
 *
 * Written for ocrbox against libtiff's public header (BSD-style licence).
 */
#include <tiffio.h>

static int unsupported(TIFF *tif, const char *module, const char *name) {
  TIFFErrorExtR(tif, module,
                "%s-compressed TIFF is not supported by this build of ocrbox "
                "(left out of the release binary to keep it small)",
                name);
  return 0;
}

int TIFFInitZSTD(TIFF *tif, int scheme) {
  (void)scheme;
  return unsupported(tif, "TIFFInitZSTD", "ZSTD");
}

int TIFFInitLERC(TIFF *tif, int scheme) {
  (void)scheme;
  return unsupported(tif, "TIFFInitLERC", "LERC");
}

int TIFFInitLZMA(TIFF *tif, int scheme) {
  (void)scheme;
  return unsupported(tif, "TIFFInitLZMA", "LZMA");
}
