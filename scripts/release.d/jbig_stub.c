/*
 * Replaces libtiff's JBIG codec (tif_jbig.o) so that JBIG-KIT, which is GPL,
 * is not linked into the release binary.
 *
 * libtiff registers TIFFInitJBIG in its codec table; because this object
 * defines it and comes before libtiff.a on the link line, the archive member
 * that would call into JBIG-KIT is never pulled in. A TIFF page compressed
 * with JBIG (compression 34661, very rare: fax archives) then fails to open
 * with the message below instead of being decoded; every other TIFF codec is
 * unaffected.
 *
 * Written for ocrbox against libtiff's public header (BSD-style licence).
 */
#include <tiffio.h>

int TIFFInitJBIG(TIFF *tif, int scheme) {
  (void)scheme;
  TIFFErrorExtR(tif, "TIFFInitJBIG",
                "JBIG-compressed TIFF is not supported by this build of ocrbox "
                "(JBIG-KIT is GPL and left out)");
  return 0;
}
