/*
 * url.h -- URL helpers (not installed): percent-decoding for paths,
 * query strings and JSON Pointer fragments.
 *
 * A leaf: url.c needs only libc, so any file of the library may use it,
 * the JSON Schema validator (lib/schema/) included, without a cycle.
 */
#ifndef FPG_URL_H
#define FPG_URL_H

#include <stddef.h>

/*
 * Decodes %XX escapes (and "+" as space when plus is set) in the len
 * bytes of s, in place, NUL-terminating the result and storing its
 * length in *outlen.  Returns 0, or -1 if the result holds a NUL byte
 * or an escape is malformed (when strict, i.e. not plus).
 */
int	 fpg_pct_decode(char *s, size_t len, int plus, size_t *outlen);

#endif /* FPG_URL_H */
