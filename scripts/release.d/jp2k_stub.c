/*
 * Replaces leptonica's JPEG 2000 reader and writer (jp2kio.o), so that
 * OpenJPEG is not linked: 0.4 MB of the release binary (docs/release.md,
 * "What is in the binary").
 *
 * ocrbox never hands leptonica a JPEG 2000 file: core/pages accepts PNG,
 * JPEG, TIFF, BMP, WebP, GIF, PNM and PDF (Sniff), and what reaches the
 * engines is PNG or TIFF. leptonica's generic readers and writers still name
 * the JP2K functions, so this object defines all six, as leptonica's own
 * jp2kiostub.c does in a build without OpenJPEG; because it comes before
 * liblept.a on the link line, jp2kio.o, the only caller of OpenJPEG, is never
 * pulled in.
 *
 * Written for ocrbox against leptonica's public header (BSD-2-Clause).
 */
#include <stdio.h>
#include <leptonica/allheaders.h>

PIX *pixReadJp2k(const char *filename, l_uint32 reduction, BOX *box, l_int32 hint,
                 l_int32 debug) {
  (void)filename; (void)reduction; (void)box; (void)hint; (void)debug;
  return (PIX *)ERROR_PTR("JPEG 2000 is not supported by this build", __func__, NULL);
}

PIX *pixReadStreamJp2k(FILE *fp, l_uint32 reduction, BOX *box, l_int32 hint,
                       l_int32 debug) {
  (void)fp; (void)reduction; (void)box; (void)hint; (void)debug;
  return (PIX *)ERROR_PTR("JPEG 2000 is not supported by this build", __func__, NULL);
}

PIX *pixReadMemJp2k(const l_uint8 *data, size_t size, l_uint32 reduction, BOX *box,
                    l_int32 hint, l_int32 debug) {
  (void)data; (void)size; (void)reduction; (void)box; (void)hint; (void)debug;
  return (PIX *)ERROR_PTR("JPEG 2000 is not supported by this build", __func__, NULL);
}

l_ok pixWriteJp2k(const char *filename, PIX *pix, l_int32 quality, l_int32 nlevels,
                  l_int32 hint, l_int32 debug) {
  (void)filename; (void)pix; (void)quality; (void)nlevels; (void)hint; (void)debug;
  return ERROR_INT("JPEG 2000 is not supported by this build", __func__, 1);
}

l_ok pixWriteStreamJp2k(FILE *fp, PIX *pix, l_int32 quality, l_int32 nlevels,
                        l_int32 codec, l_int32 hint, l_int32 debug) {
  (void)fp; (void)pix; (void)quality; (void)nlevels; (void)codec; (void)hint; (void)debug;
  return ERROR_INT("JPEG 2000 is not supported by this build", __func__, 1);
}

l_ok pixWriteMemJp2k(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 quality,
                     l_int32 nlevels, l_int32 hint, l_int32 debug) {
  (void)pdata; (void)psize; (void)pix; (void)quality; (void)nlevels; (void)hint; (void)debug;
  return ERROR_INT("JPEG 2000 is not supported by this build", __func__, 1);
}
