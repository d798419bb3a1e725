/*
 * Stand-ins for the five libcurl functions libtesseract references.
 *
 * Tesseract only uses libcurl to fetch an input image given as an http(s)
 * URL (TessBaseAPI::ProcessPages); ocrbox always hands it decoded pages from
 * memory, so the release binary never reaches this code. Debian ships no
 * static libcurl chain that links without its TLS, LDAP, IDN, … stacks, so
 * the release build links these instead. curl_easy_init returns NULL, which
 * tesseract reports as "curl_easy_init failed" and stops.
 *
 * Written for ocrbox; declarations use plain C types (enums are ints on every
 * ABI we target) so no libcurl header is needed.
 */
#include <stddef.h>

#define OCRBOX_CURLE_FAILED_INIT 2

void *curl_easy_init(void) { return NULL; }

int curl_easy_setopt(void *curl, int option, ...) {
  (void)curl;
  (void)option;
  return OCRBOX_CURLE_FAILED_INIT;
}

int curl_easy_perform(void *curl) {
  (void)curl;
  return OCRBOX_CURLE_FAILED_INIT;
}

void curl_easy_cleanup(void *curl) { (void)curl; }

const char *curl_easy_strerror(int code) {
  (void)code;
  return "URL input is not supported by ocrbox's static build (no libcurl)";
}
