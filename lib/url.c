/*
 * url.c -- URL helpers: percent-decoding.  A leaf of the library, on
 * libc alone (see url.h).
 */
#include <stddef.h>

#include "url.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* See url.h. */
int
fpg_pct_decode(char *s, size_t len, int plus, size_t *outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 < len &&
			    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
			    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
				c = (char)(hi << 4 | lo);
				i += 2;
			} else if (!plus)
				return -1;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == '\0')
			return -1;
		s[o++] = c;
	}
	s[o] = '\0';
	*outlen = o;
	return 0;
}

size_t
fpg_pct_encode(char *out, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return (size_t)(o - out);
}
