/*
 * router.c -- path splitting, and matching a method and path against
 * the resource's route table (percent-decoding is in url.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/*
 * Splits a raw path ("/items/a%2Fb") into decoded segments, copied into
 * the arena: an encoded "%2F" stays inside its segment.  The path must
 * start with "/"; "/" alone has no segment; a trailing "/" makes an
 * empty last segment.  Returns 0; -1 for a malformed path (bad escape,
 * NUL, "." or ".." segment); -2 when there are too many segments or
 * memory runs out.
 */
int
fpg_split_path(struct fpg_arena *a, const char *path, size_t len,
    char **segs, size_t *nsegs)
{
	size_t	 i = 1, start, n = 0, dlen;
	char	*seg;

	*nsegs = 0;
	if (len == 0 || path[0] != '/')
		return -1;
	if (len == 1)
		return 0;
	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (n == FPG_SEGMENTS_MAX)
			return -2;
		if ((seg = fpg_arena_strndup(a, path + start, i - start)) == NULL)
			return -2;
		if (fpg_pct_decode(seg, i - start, 0, &dlen) == -1)
			return -1;
		if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
			return -1;
		segs[n++] = seg;
		i++;
	}
	*nsegs = n;
	return 0;
}

static void
route_free(struct fpg_croute *cr)
{
	size_t i;

	for (i = 0; i < cr->nsegs; i++)
		free(cr->segs[i]);
	json_decref(cr->path_json);
	json_decref(cr->query_json);
	fpg_schema_free(cr->path_schema);
	fpg_schema_free(cr->query_schema);
	fpg_schema_free(cr->body_schema);
}

/* Compiles one schema of a route; a message names route and part. */
static int
compile(const struct fpg_route *rt, const char *part, const char *text,
    struct fpg_schema **out, json_t **json, char *err, size_t errsz)
{
	char		 msg[256];
	json_error_t	 je;

	if (text == NULL)
		return 0;
	if ((*out = fpg_schema_new(text, strlen(text), msg,
	    sizeof(msg))) == NULL) {
		snprintf(err, errsz, "%s %s: %s schema: %s", rt->method,
		    rt->path, part, msg);
		return -1;
	}
	if (json != NULL &&
	    (*json = json_loads(text, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errsz, "%s %s: %s schema: %s", rt->method,
		    rt->path, part, je.text);
		return -1;
	}
	return 0;
}

/*
 * Compiles the route table: templates split into segments, schemas
 * compiled.  Returns 0, or -1 with a message naming the route.
 */
int
fpg_router_init(struct fpg_router *ro, const struct fpg_route *defs,
    char *err, size_t errsz)
{
	size_t	 n, i;

	memset(ro, 0, sizeof(*ro));
	for (n = 0; defs[n].method != NULL; n++)
		;
	if ((ro->routes = calloc(n ? n : 1, sizeof(*ro->routes))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	ro->nroutes = n;
	for (i = 0; i < n; i++) {
		struct fpg_croute	*cr = &ro->routes[i];
		const struct fpg_route	*rt = &defs[i];
		const char		*p = rt->path, *e;

		cr->def = rt;
		if (p == NULL || *p != '/' || (rt->handler == NULL &&
		    rt->list == NULL)) {
			snprintf(err, errsz, "route %zu: path must start "
			    "with / and a handler (or a list) must be set", i);
			return -1;
		}
		/* A list's declaration is checked once, here. */
		if (rt->list != NULL && fpg_list_check(rt->list, err,
		    errsz) == -1)
			return -1;
		while (*p == '/' && p[1] != '\0') {
			p++;
			e = strchr(p, '/');
			if (e == NULL)
				e = p + strlen(p);
			if (cr->nsegs == FPG_SEGMENTS_MAX ||
			    (cr->segs[cr->nsegs] = strndup(p, (size_t)(e - p)))
			    == NULL) {
				snprintf(err, errsz, "%s: too long", rt->path);
				return -1;
			}
			cr->nsegs++;
			p = e;
		}
		if (compile(rt, "path", rt->path_schema, &cr->path_schema,
		    &cr->path_json, err, errsz) == -1 ||
		    compile(rt, "query", rt->query_schema, &cr->query_schema,
		    &cr->query_json, err, errsz) == -1 ||
		    compile(rt, "body", rt->body_schema, &cr->body_schema,
		    NULL, err, errsz) == -1)
			return -1;
		fpg_args_plan(cr->path_json, cr->segs, cr->nsegs,
		    &cr->path_plan);
	}
	return 0;
}

void
fpg_router_free(struct fpg_router *ro)
{
	size_t i;

	for (i = 0; i < ro->nroutes; i++)
		route_free(&ro->routes[i]);
	free(ro->routes);
	memset(ro, 0, sizeof(*ro));
}

static int
path_matches(const struct fpg_croute *cr, char **segs, size_t nsegs)
{
	size_t i;

	if (cr->nsegs != nsegs)
		return 0;
	for (i = 0; i < nsegs; i++) {
		const char *t = cr->segs[i];

		if (t[0] == '{') {
			if (segs[i][0] == '\0')
				return 0;
		} else if (strcmp(t, segs[i]) != 0)
			return 0;
	}
	return 1;
}

/*
 * Finds the route for method and path.  Returns 200 with *out set; 404
 * when no template matches the path; 405 when some do but not for this
 * method, with their methods listed in allow (HEAD follows GET).
 */
int
fpg_router_match(const struct fpg_router *ro, const char *method,
    char **segs, size_t nsegs, const struct fpg_croute **out,
    char *allow, size_t allowsz)
{
	size_t	 i, len = 0;
	int	 found = 0;

	allow[0] = '\0';
	for (i = 0; i < ro->nroutes; i++) {
		const struct fpg_croute *cr = &ro->routes[i];

		if (!path_matches(cr, segs, nsegs))
			continue;
		/* HEAD is GET without the body (resp.c drops it). */
		if (strcmp(cr->def->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(cr->def->method, "GET") == 0)) {
			*out = cr;
			return 200;
		}
		found = 1;
		if (strstr(allow, cr->def->method) == NULL) {
			int n = snprintf(allow + len, allowsz - len, "%s%s",
			    len ? ", " : "", cr->def->method);

			if (n > 0 && (size_t)n < allowsz - len)
				len += (size_t)n;
		}
	}
	return found ? 405 : 404;
}
