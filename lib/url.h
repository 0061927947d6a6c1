/*
 * url.h -- URL helpers (not installed): percent-decoding for paths,
 * query strings and JSON Pointer fragments, percent-encoding for the
 * URLs the library writes (Link headers).
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

/*
 * Percent-encodes the NUL-terminated s into out, every byte but the
 * unreserved ones (RFC 3986 2.3), and NUL-terminates it.  out must
 * hold 3 * strlen(s) + 1 bytes.  Returns the length written.
 */
size_t	 fpg_pct_encode(char *out, const char *s);

#endif /* FPG_URL_H */
