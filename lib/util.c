/*
 * util.c -- small utilities the other files share: time, numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "extern.h"

/* Monotonic microseconds, for durations and deadlines. */
int64_t
fpg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Parses a decimal integer in [min, max] with nothing around it.
 * Returns 0 and sets *out, or -1.  (kcgi's and OpenBSD's strtonum.)
 */
int
fpg_strtonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
