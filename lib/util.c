/*
 * util.c -- small utilities the other files share.
 */
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
