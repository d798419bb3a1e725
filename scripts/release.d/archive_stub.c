/*
 * Stand-ins for the libarchive functions libtesseract references.
 *
 * Tesseract tries libarchive first when it opens a .traineddata file, to
 * accept models packed as zip/tar archives; when archive_read_new returns
 * NULL it falls back to reading the plain file (TessdataManager::Init), which
 * is what every shipped model is. Debian's static libarchive would drag in
 * libxml2, nettle, acl, lz4, bzip2, … for a feature ocrbox never uses, so the
 * release build links these instead. Every function fails.
 *
 * Written for ocrbox; no libarchive header is needed.
 */
#include <stddef.h>

#define OCRBOX_ARCHIVE_FATAL (-30)

void *archive_read_new(void) { return NULL; }

int archive_read_free(void *a) {
  (void)a;
  return OCRBOX_ARCHIVE_FATAL;
}

int archive_read_support_filter_all(void *a) {
  (void)a;
  return OCRBOX_ARCHIVE_FATAL;
}

int archive_read_support_format_all(void *a) {
  (void)a;
  return OCRBOX_ARCHIVE_FATAL;
}

int archive_read_open_filename(void *a, const char *filename, size_t block_size) {
  (void)a;
  (void)filename;
  (void)block_size;
  return OCRBOX_ARCHIVE_FATAL;
}

int archive_read_next_header(void *a, void **entry) {
  (void)a;
  if (entry != NULL) {
    *entry = NULL;
  }
  return OCRBOX_ARCHIVE_FATAL;
}

long archive_read_data(void *a, void *buf, size_t size) {
  (void)a;
  (void)buf;
  (void)size;
  return OCRBOX_ARCHIVE_FATAL;
}

const char *archive_entry_pathname(void *entry) {
  (void)entry;
  return NULL;
}

long long archive_entry_size(void *entry) {
  (void)entry;
  return 0;
}
