/*
 * tfb -- the TechEmpower Framework Benchmarks' six test types, to their
 * specification: /tfb/json, /tfb/db, /tfb/queries?queries=N,
 * /tfb/fortunes, /tfb/updates?queries=N and /tfb/plaintext, over the
 * tables of sql/008_tfb.sql.  N is clamped to 1..500 (missing or not
 * an integer: 1); ids are uniform in 1..10000 (distinct and sorted for
 * updates, which are written back in one statement, in id order);
 * each row is read by its own query; the fortunes are sorted here (the
 * spec forbids ORDER BY, as one is added) and HTML-escaped.  Server and
 * Date come from the web server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_openapi */

#define ROWS	10000	/* ids 1..ROWS in world */
#define NMAX	500	/* queries per request */
#define FMAX	1000	/* fortunes at most (the table has 12) */

static const struct fpg_stmt stmts[] = {
	{ "world", "SELECT randomnumber FROM world WHERE id = $1" },
	{ "fortunes", "SELECT id, message FROM fortune" },
	{ "world_update", "UPDATE world w SET randomnumber = v.r FROM"
	  " unnest($1::int[], $2::int[]) AS v(id, r) WHERE w.id = v.id" },
	{ NULL, NULL }
};

static int
nqueries(struct fpg_req *r)
{
	const char	*s = fpg_query(r, "queries");
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0' || (n = strtol(s, &end, 10), *end))
		return 1;
	return n < 1 ? 1 : n > NMAX ? NMAX : (int)n;
}

static int
cmpint(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* n worlds, an object (array 0) or an array; upd: new numbers written. */
static void
worlds(struct fpg_req *r, int n, int array, int upd)
{
	unsigned char	 seen[ROWS + 1] = { 0 };
	int		 i, id[NMAX], num[NMAX];
	char		 s[12], *b, *p, *ids, *nums, *q;
	const char	*v[2] = { s, NULL };
	PGresult	*res;

	for (i = 0; i < n; i++) {
		do
			id[i] = (int)arc4random_uniform(ROWS) + 1;
		while (upd && seen[id[i]]);
		seen[id[i]] = 1;
	}
	if (upd)
		qsort(id, (size_t)n, sizeof(*id), cmpint);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "%d", id[i]);
		if ((res = fpg_exec(r, "world", 1, v)) == NULL)
			return;				/* answered for us */
		num[i] = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : -1;
		PQclear(res);
		if (num[i] < 0) {
			fpg_send_error(r, 500, "Internal Server Error");
			return;
		}
	}
	if (upd) {	/* "{id,...}" and "{num,...}", 6 bytes an entry */
		if ((p = ids = fpg_alloc(r, (size_t)n * 6 + 3)) == NULL ||
		    (q = nums = fpg_alloc(r, (size_t)n * 6 + 3)) == NULL)
			return;
		for (i = 0; i < n; i++) {
			num[i] = (int)arc4random_uniform(ROWS) + 1;
			p += sprintf(p, "%c%d", i ? ',' : '{', id[i]);
			q += sprintf(q, "%c%d", i ? ',' : '{', num[i]);
		}
		strcpy(p, "}"), strcpy(q, "}");
		v[0] = ids, v[1] = nums;
		if ((res = fpg_exec(r, "world_update", 2, v)) == NULL)
			return;
		PQclear(res);
	}
	if ((p = b = fpg_alloc(r, (size_t)n * 40 + 3)) == NULL)
		return;
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"id\":%d,\"randomNumber\":%d}",
		    i ? "," : array ? "[" : "", id[i], num[i]);
	p = stpcpy(p, array ? "]" : "");
	fpg_send(r, 200, b, (size_t)(p - b));
}

static void db(struct fpg_req *r) { worlds(r, 1, 0, 0); }
static void queries(struct fpg_req *r) { worlds(r, nqueries(r), 1, 0); }
static void updates(struct fpg_req *r) { worlds(r, nqueries(r), 1, 1); }

static void
json(struct fpg_req *r)
{
	json_t	*o = json_object();

	if (o != NULL && json_object_set_new_nocheck(o, "message",
	    json_string_nocheck("Hello, World!")) == 0)
		fpg_send_json(r, 200, o);
	json_decref(o);
}

static void
plaintext(struct fpg_req *r)
{
	fpg_send_typed(r, 200, "text/plain", "Hello, World!", 13);
}

struct fortune {
	const char	*id, *msg;
};

static int
cmpmsg(const void *a, const void *b)
{
	return strcmp(((const struct fortune *)a)->msg,
	    ((const struct fortune *)b)->msg);
}

/* s HTML-escaped at p (at most 6 bytes a byte); returns the end. */
static char *
escape(char *p, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': p = stpcpy(p, "&amp;"); break;
		case '<': p = stpcpy(p, "&lt;"); break;
		case '>': p = stpcpy(p, "&gt;"); break;
		case '"': p = stpcpy(p, "&quot;"); break;
		case '\'': p = stpcpy(p, "&#39;"); break;
		default: *p++ = *s;
		}
	return p;
}

static void
fortunes(struct fpg_req *r)
{
	static const char head[] = "<!DOCTYPE html><html><head><title>"
	    "Fortunes</title></head><body><table><tr><th>id</th><th>"
	    "message</th></tr>", tail[] = "</table></body></html>";
	struct fortune	*f = NULL;
	PGresult	*res;
	size_t		 sz = sizeof(head) + sizeof(tail);
	char		*b = NULL, *p;
	int		 i, n;

	if ((res = fpg_exec(r, "fortunes", 0, NULL)) == NULL)
		return;
	if ((n = PQntuples(res)) > FMAX || PQnfields(res) != 2 ||
	    (f = fpg_alloc(r, (size_t)(n + 1) * sizeof(*f))) == NULL)
		goto out;				/* 500 */
	for (i = 0; i < n; i++) {
		f[i].id = PQgetvalue(res, i, 0), f[i].msg = PQgetvalue(res, i, 1);
		sz += 32 + strlen(f[i].id) + 6 * strlen(f[i].msg);
	}
	f[n].id = "0", f[n].msg = "Additional fortune added at request time.";
	sz += 32 + 1 + 6 * strlen(f[n].msg);
	qsort(f, (size_t)n + 1, sizeof(*f), cmpmsg);
	if ((p = b = fpg_alloc(r, sz)) == NULL)
		goto out;
	p = stpcpy(p, head);
	for (i = 0; i <= n; i++) {
		p = escape(stpcpy(p, "<tr><td>"), f[i].id);
		p = stpcpy(escape(stpcpy(p, "</td><td>"), f[i].msg), "</td></tr>");
	}
	p = stpcpy(p, tail);
	fpg_send_typed(r, 200, "text/html; charset=utf-8", b, (size_t)(p - b));
out:
	PQclear(res);	/* unanswered: the library sends 500 */
}

static const struct fpg_route routes[] = {
	{ .method = "GET", .path = "/tfb/json", .handler = json, .name = "tfbJson" },
	{ .method = "GET", .path = "/tfb/db", .handler = db, .name = "tfbDb" },
	{ .method = "GET", .path = "/tfb/queries", .handler = queries, .name = "tfbQueries" },
	{ .method = "GET", .path = "/tfb/fortunes", .handler = fortunes, .name = "tfbFortunes" },
	{ .method = "GET", .path = "/tfb/updates", .handler = updates, .name = "tfbUpdates", .primary = 1 },
	{ .method = "GET", .path = "/tfb/plaintext", .handler = plaintext, .name = "tfbPlaintext" },
	{ .method = NULL }
};

static const struct fpg_resource tfb = {
	.name = "tfb", .routes = routes, .stmts = stmts,
	.openapi = SCHEMA_openapi
};

int
main(int argc, char *argv[])
{
	return fpg_main(&tfb, argc, argv);
}
