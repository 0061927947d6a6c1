/*
 * format.c -- the "format" assertions of the JSON Schema
 * validator: date-time, date, email, uuid, uri, ipv4.
 *
 * Every checker takes a pointer and a length (strings from jansson may
 * hold NUL bytes when parsed with JSON_ALLOW_NUL) and looks at ASCII
 * only: a non-ASCII byte is never a digit, a letter or a separator, so
 * "fullwidth" or Bengali digits are rejected without decoding UTF-8.
 */
#include <stddef.h>
#include <string.h>

#include "schema_int.h"

static const struct {
	const char	*name;
	enum fpg_fmt	 fmt;
} fmts[] = {
	{ "date-time",	FPG_FMT_DATETIME },
	{ "date",	FPG_FMT_DATE },
	{ "email",	FPG_FMT_EMAIL },
	{ "uuid",	FPG_FMT_UUID },
	{ "uri",	FPG_FMT_URI },
	{ "ipv4",	FPG_FMT_IPV4 },
};

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
isalpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
ishex(char c)
{
	return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Reads exactly n ASCII digits at p into *v.  Returns 0 if one of them
 * is not a digit.
 */
static int
digits(const char *p, size_t n, int *v)
{
	size_t	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdig(p[i]))
			return 0;
		*v = *v * 10 + (p[i] - '0');
	}
	return 1;
}

/* RFC 3339 full-date, exactly "YYYY-MM-DD" with real days per month. */
static int
fmt_date(const char *p, size_t len)
{
	static const int mdays[] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 y, m, d, max;

	if (len != 10 || p[4] != '-' || p[7] != '-')
		return 0;
	if (!digits(p, 4, &y) || !digits(p + 5, 2, &m) ||
	    !digits(p + 8, 2, &d))
		return 0;
	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		max = 29;
	return d <= max;
}

/*
 * RFC 3339 date-time: full-date "T" partial-time time-offset, T and Z
 * in either case.  A leap second (:60) is only valid at 23:59 UTC,
 * which is why the offset is applied before judging it.
 */
static int
fmt_datetime(const char *p, size_t len)
{
	int	 hh, mm, ss, oh = 0, om = 0, sign = 0, utc;
	size_t	 i;

	if (len < 20 || !fmt_date(p, 10))
		return 0;
	if (p[10] != 'T' && p[10] != 't')
		return 0;
	if (p[13] != ':' || p[16] != ':' ||
	    !digits(p + 11, 2, &hh) || !digits(p + 14, 2, &mm) ||
	    !digits(p + 17, 2, &ss))
		return 0;
	if (hh > 23 || mm > 59 || ss > 60)
		return 0;
	i = 19;
	if (p[i] == '.') {
		/* time-secfrac: one digit or more. */
		if (++i >= len || !isdig(p[i]))
			return 0;
		while (i < len && isdig(p[i]))
			i++;
	}
	if (i >= len)
		return 0;
	if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == len) {
		/* UTC. */
	} else if ((p[i] == '+' || p[i] == '-') && len - i == 6) {
		sign = p[i] == '+' ? 1 : -1;
		if (p[i + 3] != ':' || !digits(p + i + 1, 2, &oh) ||
		    !digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
			return 0;
	} else
		return 0;
	if (ss == 60) {
		utc = hh * 60 + mm - sign * (oh * 60 + om);
		utc = ((utc % 1440) + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

/* 8-4-4-4-12 hexadecimal digits, any case. */
static int
fmt_uuid(const char *p, size_t len)
{
	size_t	 i;

	if (len != 36)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return 0;
		} else if (!ishex(p[i]))
			return 0;
	}
	return 1;
}

/* Dotted quad: four decimal parts 0-255, no leading zeros, no signs. */
static int
fmt_ipv4(const char *p, size_t len)
{
	size_t	 i = 0, n;
	int	 part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
		for (n = 0, v = 0; i < len && isdig(p[i]) && n < 4; n++, i++)
			v = v * 10 + (p[i] - '0');
		if (n == 0 || n > 3 || v > 255)
			return 0;
		if (n > 1 && p[i - n] == '0')
			return 0;
	}
	return i == len;
}

/*
 * RFC 4291 text form: eight groups of 1-4 hex digits, one "::" standing
 * for one group or more, and an optional trailing dotted quad counting
 * as two groups.
 */
static int
fmt_ipv6(const char *p, size_t len)
{
	size_t	 i = 0, start, n;
	int	 groups = 0, dbl = 0;

	if (len < 2)
		return 0;
	if (p[0] == ':') {
		if (p[1] != ':')
			return 0;
		dbl = 1;
		i = 2;
		if (i == len)
			return 1;
	}
	for (;;) {
		start = i;
		for (n = 0; i < len && ishex(p[i]); n++, i++)
			continue;
		if (i < len && p[i] == '.') {
			/* Embedded IPv4 must end the address. */
			if (!fmt_ipv4(p + start, len - start))
				return 0;
			groups += 2;
			break;
		}
		if (n == 0 || n > 4)
			return 0;
		groups++;
		if (i == len)
			break;
		if (p[i] != ':' || ++i == len)
			return 0;
		if (p[i] == ':') {
			if (dbl)
				return 0;
			dbl = 1;
			if (++i == len)
				break;
		}
		if (groups > 8)
			return 0;
	}
	return dbl ? groups <= 7 : groups == 8;
}

/* RFC 1123 host name: dot-separated labels of 1-63 letters/digits/-. */
static int
hostname(const char *p, size_t len)
{
	size_t	 i, lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (lab == 0 || p[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!isalpha_(p[i]) && !isdig(p[i]) && p[i] != '-')
			return 0;
		if (lab == 0 && p[i] == '-')
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && p[len - 1] != '-';
}

/*
 * RFC 5321 Mailbox: Local-part "@" ( Domain / address-literal ).
 * Local-part is a dot-string of atext or a quoted string; the domain a
 * host name, [IPv4] or [IPv6:...].  Internationalised addresses are
 * "idn-email", which we do not support.
 */
static int
fmt_email(const char *p, size_t len)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	size_t	 at, i;

	/* The last "@" splits: a quoted local part may hold one. */
	for (at = len; at > 0; at--)
		if (p[at - 1] == '@')
			break;
	if (at-- == 0 || at == 0 || at + 1 == len || at > 64)
		return 0;

	/* Local part: p[0 .. at). */
	if (p[0] == '"') {
		if (at < 2 || p[at - 1] != '"')
			return 0;
		for (i = 1; i < at - 1; i++) {
			if (p[i] == '\\') {
				if (++i >= at - 1 || p[i] < 32 || p[i] > 126)
					return 0;
			} else if (p[i] < 32 || p[i] > 126 || p[i] == '"')
				return 0;
		}
	} else {
		for (i = 0; i < at; i++) {
			if (p[i] == '.') {
				if (i == 0 || i + 1 == at || p[i + 1] == '.')
					return 0;
			} else if (!isalpha_(p[i]) && !isdig(p[i]) &&
			    (p[i] == '\0' || strchr(atext, p[i]) == NULL))
				return 0;
		}
	}

	/* Domain: p[at + 1 .. len). */
	p += at + 1;
	len -= at + 1;
	if (p[0] == '[') {
		if (len < 3 || p[len - 1] != ']')
			return 0;
		if (len > 7 && strncmp(p + 1, "IPv6:", 5) == 0)
			return fmt_ipv6(p + 6, len - 7);
		return fmt_ipv4(p + 1, len - 2);
	}
	return hostname(p, len);
}

/* RFC 3986 character classes. */
static int
unreserved(char c)
{
	return isalpha_(c) || isdig(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

static int
subdelim(char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/*
 * Checks p[*i .. end) while characters are unreserved, sub-delims,
 * percent-encoded or in extra; stops at the first other one.
 * Returns 0 on a broken percent-encoding.
 */
static int
uri_run(const char *p, size_t *i, size_t end, const char *extra)
{
	while (*i < end) {
		char c = p[*i];

		if (c == '%') {
			if (*i + 2 >= end)
				return 0;
			if (!ishex(p[*i + 1]) || !ishex(p[*i + 2]))
				return 0;
			*i += 3;
		} else if (unreserved(c) || subdelim(c) ||
		    (c != '\0' && strchr(extra, c) != NULL))
			(*i)++;
		else
			break;
	}
	return 1;
}

/*
 * RFC 3986 URI: scheme ":" hier-part [ "?" query ] [ "#" fragment ],
 * strictly (no relative references, no spaces, ASCII only).
 */
static int
fmt_uri(const char *p, size_t len)
{
	size_t	 i, end, at;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (len == 0 || !isalpha_(p[0]))
		return 0;
	for (i = 1; i < len && (isalpha_(p[i]) || isdig(p[i]) ||
	    p[i] == '+' || p[i] == '-' || p[i] == '.'); i++)
		continue;
	if (i == len || p[i] != ':')
		return 0;
	i++;

	if (len - i >= 2 && p[i] == '/' && p[i + 1] == '/') {
		/*
		 * authority = [ userinfo "@" ] host [ ":" port ], ending at
		 * the first "/", "?" or "#".  userinfo cannot hold "@", so
		 * the first "@" ends it; "[" then starts an IP literal.
		 */
		i += 2;
		for (end = i; end < len && p[end] != '/' && p[end] != '?' &&
		    p[end] != '#'; end++)
			continue;
		for (at = i; at < end && p[at] != '@'; at++)
			continue;
		if (at < end) {
			if (!uri_run(p, &i, at, ":") || i != at)
				return 0;
			i = at + 1;
		}
		if (i < end && p[i] == '[') {
			for (at = i; at < end && p[at] != ']'; at++)
				continue;
			if (at == end)
				return 0;
			if (at > i + 1 && (p[i + 1] == 'v' || p[i + 1] == 'V')) {
				/* IPvFuture: "v" 1*HEXDIG "." 1*(...) */
				size_t j = i + 2;

				while (j < at && ishex(p[j]))
					j++;
				if (j == i + 2 || j >= at || p[j] != '.')
					return 0;
				j++;
				if (j == at || !uri_run(p, &j, at, ":") ||
				    j != at)
					return 0;
			} else if (!fmt_ipv6(p + i + 1, at - i - 1))
				return 0;
			i = at + 1;
		} else if (!uri_run(p, &i, end, ""))
			return 0;
		if (i < end && p[i] == ':') {
			for (i++; i < end && isdig(p[i]); i++)
				continue;
		}
		if (i != end)
			return 0;
	}

	/*
	 * path, then query and fragment: pchar / "/" ( / "?" ).  Without
	 * an authority this also covers path-rootless ("mailto:a@b") and
	 * path-absolute; "[" is not a pchar, so "http:/[::1]" fails.
	 */
	if (!uri_run(p, &i, len, ":@/"))
		return 0;
	if (i < len && p[i] == '?') {
		i++;
		if (!uri_run(p, &i, len, ":@/?"))
			return 0;
	}
	if (i < len && p[i] == '#') {
		i++;
		if (!uri_run(p, &i, len, ":@/?"))
			return 0;
	}
	return i == len;
}

enum fpg_fmt
fpg_schema_fmt_lookup(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (strlen(fmts[i].name) == len &&
		    memcmp(fmts[i].name, name, len) == 0)
			return fmts[i].fmt;
	return FPG_FMT_NONE;
}

int
fpg_schema_fmt_check(enum fpg_fmt fmt, const char *p, size_t len)
{
	switch (fmt) {
	case FPG_FMT_DATETIME:
		return fmt_datetime(p, len);
	case FPG_FMT_DATE:
		return fmt_date(p, len);
	case FPG_FMT_EMAIL:
		return fmt_email(p, len);
	case FPG_FMT_UUID:
		return fmt_uuid(p, len);
	case FPG_FMT_URI:
		return fmt_uri(p, len);
	case FPG_FMT_IPV4:
		return fmt_ipv4(p, len);
	case FPG_FMT_NONE:
		break;
	}
	return 1;
}
