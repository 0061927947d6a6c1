/*
 * etag.c -- entity tags in If-Match and If-None-Match (RFC 9110 8.8.3,
 * 13.1): "*" or a comma-separated list of tags, each "opaque" or
 * W/"opaque".  One parser for both headers and for the check that a
 * header the client sent can be read at all.
 */
#include <string.h>

#include "extern.h"

/*
 * The next tag of list at *p: its opaque part (quotes included) in
 * *tag and *len, *weak set for W/.  Returns 1 for a tag, 0 at the end of
 * the list, -1 when the list is malformed.
 */
static int
next_tag(const char **p, const char **tag, size_t *len, int *weak)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0')
		return 0;
	*weak = 0;
	if (s[0] == 'W' && s[1] == '/') {
		*weak = 1;
		s += 2;
	}
	if (*s != '"')
		return -1;
	/* etagc: %x21 / %x23-7E / obs-text; no quote, no space */
	for (e = s + 1; *e != '"'; e++)
		if (*e == '\0' || (unsigned char)*e < 0x21 || *e == 0x7f)
			return -1;
	*tag = s;
	*len = (size_t)(e + 1 - s);
	s = e + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != ',' && *s != '\0')
		return -1;
	*p = s;
	return 1;
}

/* 1 when v is "*" or a well-formed list of entity tags, else 0. */
int
fpg_etag_list_valid(const char *v)
{
	const char	*tag;
	size_t		 len;
	int		 weak, rc, n = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '*') {
		for (v++; *v == ' ' || *v == '\t'; v++)
			continue;
		return *v == '\0';
	}
	while ((rc = next_tag(&v, &tag, &len, &weak)) == 1)
		n++;
	return rc == 0 && n > 0;
}

/*
 * Whether etag (a tag as the server sends it, "12" or W/"12") matches
 * list: "*" matches any, else one of the list's tags.  strong (If-Match):
 * a weak tag on either side never matches; weak (If-None-Match): W/ is
 * ignored on both sides.  A malformed list matches nothing.
 */
int
fpg_etag_match(const char *list, const char *etag, int strong)
{
	const char	*p = list, *tag;
	size_t		 len, el;
	int		 weak, eweak = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*')
		return fpg_etag_list_valid(list);
	if (strncmp(etag, "W/", 2) == 0) {
		eweak = 1;
		etag += 2;
	}
	if (strong && eweak)
		return 0;
	el = strlen(etag);
	while (next_tag(&p, &tag, &len, &weak) == 1)
		if (!(strong && weak) && len == el &&
		    memcmp(tag, etag, el) == 0)
			return 1;
	return 0;
}

/*
 * The request's If-Match as a PostgreSQL text[] literal of the strong
 * tags' opaque values ({"3","4"}), for "version::text = ANY($n)"; weak
 * tags are left out since they never match (a list of only weak tags
 * gives {}, which matches nothing).  NULL when the header is absent or
 * "*": any current representation matches, and a missing one gets 412
 * from fpg_send_result.  A malformed header never gets here: the
 * request was answered 412 before the handler (handle.c).
 */
const char *
fpg_if_match(struct fpg_req *r)
{
	const char	*v = fpg_header(r, "If-Match"), *p, *tag;
	struct fpg_buf	 b = { .max = FPG_HEADER_MAX * 2 + 4 };
	size_t		 len, i;
	int		 weak, n = 0;
	char		*out;

	if (v == NULL)
		return NULL;
	for (p = v; *p == ' ' || *p == '\t'; p++)
		continue;
	if (*p == '*')
		return NULL;
	fpg_buf_put(&b, "{", 1);
	while (next_tag(&p, &tag, &len, &weak) == 1) {
		if (weak)
			continue;
		if (n++)
			fpg_buf_put(&b, ",", 1);
		fpg_buf_put(&b, "\"", 1);
		for (i = 1; i + 1 < len; i++) {
			if (tag[i] == '\\')
				fpg_buf_put(&b, "\\", 1);
			fpg_buf_put(&b, tag + i, 1);
		}
		fpg_buf_put(&b, "\"", 1);
	}
	fpg_buf_put(&b, "}", 1);
	out = b.oom ? NULL : fpg_arena_strndup(&r->arena, b.p, b.len);
	fpg_buf_free(&b);
	return out ? out : "{}";
}
