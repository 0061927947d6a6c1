/*
 * schema_int.h -- declarations shared by schema.c and schema_format.c
 * (not installed, not part of the ABI).
 */
#ifndef FPG_SCHEMA_INT_H
#define FPG_SCHEMA_INT_H

#include <stddef.h>

/* The "format" values the validator asserts. */
enum fpg_fmt {
	FPG_FMT_NONE = 0,
	FPG_FMT_DATETIME,	/* RFC 3339 date-time */
	FPG_FMT_DATE,		/* RFC 3339 full-date */
	FPG_FMT_EMAIL,		/* RFC 5321 Mailbox, ASCII only */
	FPG_FMT_UUID,		/* RFC 4122 text form */
	FPG_FMT_URI,		/* RFC 3986 absolute URI */
	FPG_FMT_IPV4,		/* dotted quad */
};

/*
 * Maps a format name of len bytes to its enum fpg_fmt.
 * Returns FPG_FMT_NONE for a name we do not support.
 */
enum fpg_fmt	 fpg_schema_fmt_lookup(const char *name, size_t len);

/*
 * Checks the len bytes at p (UTF-8, may hold NUL bytes) against fmt.
 * Returns 1 when the string is in the format, 0 when it is not.
 * Pure function: no allocation, no global state, thread-safe.
 */
int		 fpg_schema_fmt_check(enum fpg_fmt fmt, const char *p,
		    size_t len);

#endif /* FPG_SCHEMA_INT_H */
