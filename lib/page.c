/*
 * page.c -- keyset-paginated lists: the validated query as one jsonb
 * parameter, the page from the resource's statement, and the next
 * page's URL in a Link header (RFC 8288).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* Appends s percent-encoded (url.c) to b. */
static void
put_encoded(struct fpg_buf *b, const char *s)
{
	char	 small[256], *tmp = small;
	size_t	 n = strlen(s);

	if (n > (sizeof(small) - 1) / 3 && (n > SIZE_MAX / 3 - 1 ||
	    (tmp = malloc(3 * n + 1)) == NULL)) {
		b->oom = 1;
		return;
	}
	fpg_buf_put(b, tmp, fpg_pct_encode(tmp, s));
	if (tmp != small)
		free(tmp);
}

/*
 * Sets Link: <URL>; rel="next" (RFC 8288), URL being this request's
 * path and query string with param set to value: the next page of a
 * keyset-paginated list.  The other parameters are kept as sent.
 */
enum fpg_err
fpg_link_next(struct fpg_req *r, const char *param, const char *value)
{
	const char	*uri = fpg_io_env(r, FPG_ENV_URI);
	const char	*qs = fpg_io_env(r, FPG_ENV_QUERY), *p, *amp;
	struct fpg_buf	 b = { .max = FPG_HDRS_MAX };
	char		 key[128];
	size_t		 klen, n = 0;
	enum fpg_err	 rc;

	fpg_buf_put(&b, "<", 1);
	if (uri != NULL && *uri != '\0')
		fpg_buf_put(&b, uri, strcspn(uri, "?#"));
	else
		fpg_buf_puts(&b, r->path ? r->path : "/");
	fpg_buf_put(&b, "?", 1);
	for (p = qs ? qs : ""; *p; p = *amp ? amp + 1 : amp) {
		amp = p + strcspn(p, "&");
		klen = strcspn(p, "=&");
		if (klen < sizeof(key)) {
			memcpy(key, p, klen);
			key[klen] = '\0';
			if (fpg_pct_decode(key, klen, 1, &klen) == 0 &&
			    strcmp(key, param) == 0)
				continue;
		}
		if (amp == p)
			continue;
		if (n++)
			fpg_buf_put(&b, "&", 1);
		fpg_buf_put(&b, p, (size_t)(amp - p));
	}
	if (n)
		fpg_buf_put(&b, "&", 1);
	put_encoded(&b, param);
	fpg_buf_put(&b, "=", 1);
	put_encoded(&b, value);
	fpg_buf_puts(&b, ">; rel=\"next\"");
	rc = b.oom ? FPG_ENOMEM : fpg_set_header(r, "Link", b.p);
	fpg_buf_free(&b);
	return rc;
}

/*
 * The validated query parameters as one JSON object text (typed,
 * defaults applied) for a single jsonb statement parameter; "{}" when
 * the route has no query schema.
 */
const char *
fpg_query_text(struct fpg_req *r)
{
	char		*s;
	const char	*c;

	if (r->query_args == NULL)
		return "{}";
	/* 15 digits: "9.99" stays 9.99, not 9.9900000000000002. */
	if ((s = json_dumps(r->query_args, JSON_COMPACT |
	    JSON_REAL_PRECISION(15))) == NULL)
		return NULL;
	c = fpg_arena_strndup(&r->arena, s, strlen(s));
	free(s);
	return c;
}

/*
 * Sends one page of a keyset-paginated list: stmt takes the validated
 * query (fpg_query_text) as its one parameter and yields the page as a
 * JSON array and the next page's cursor (NULL on the last page), which
 * becomes a Link rel="next" with the cursor as ?after=.  Returns what
 * sending returned, or FPG_EDB if the statement failed (answered after
 * the handler).
 */
enum fpg_err
fpg_send_page(struct fpg_req *r, const char *stmt)
{
	const char	*p[1];
	PGresult	*res;
	enum fpg_err	 rc;

	if ((p[0] = fpg_query_text(r)) == NULL)
		return fpg_send_error(r, 500, "Internal Server Error");
	if ((res = fpg_exec(r, stmt, 1, p)) == NULL)
		return FPG_EDB;
	if (PQntuples(res) != 1 || PQnfields(res) < 2 ||
	    PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return fpg_send_error(r, 500, "Internal Server Error");
	}
	if (!PQgetisnull(res, 0, 1))
		fpg_link_next(r, "after", PQgetvalue(res, 0, 1));
	rc = fpg_send(r, 200, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return rc;
}

#define LIST_BODY_MAX	((size_t)64 << 20)	/* bytes of one page */

/*
 * Sends one page of a declared list (list.c builds its statement from
 * the declaration and the validated query): a JSON array of the rows'
 * JSON, joined as json_agg() joins them, and a Link rel="next" with the
 * cursor of the page's last row as ?after= when one more row exists.
 * A sort the list does not declare, or a cursor that does not decode,
 * is a 422 (loc query.sort / query.after).  Returns what sending
 * returned, or FPG_EDB if the statement failed (answered after the
 * handler).
 */
enum fpg_err
fpg_send_list(struct fpg_req *r, const struct fpg_list *l)
{
	struct fpg_listq q;
	struct fpg_buf	 body = { .max = LIST_BODY_MAX };
	PGresult	*res = NULL;
	const char	*next = NULL;
	enum fpg_err	 rc;
	int		 i, n;

	switch (fpg_list_build(l, r->query_args, &r->arena, &q)) {
	case 0:
		break;
	case -1:
		fpg_buf_free(&q.sql);
		return fpg_send_value_error(r, q.err_loc, q.err_msg);
	default:
		fpg_buf_free(&q.sql);
		return fpg_send_error(r, 500, "Internal Server Error");
	}
	/*
	 * A shape is planned once: its values change from request to
	 * request, its plan need not.  Left alone, PostgreSQL keeps
	 * planning anew (a custom plan, 80 µs for GET /items?min_price=..)
	 * whenever the generic plan's estimate, which knows no values,
	 * looks dearer than a custom one's.  For this statement only: the
	 * setting goes with it, in its transaction (stmt.c).  Unnamed
	 * statements (DB_PREPARE=false) are planned every time anyway.
	 */
	if (r->db->cf->prepare)
		fpg_db_set_local(r->db, "plan_cache_mode",
		    "force_generic_plan");
	res = fpg_exec_shape(r, &q.shape, sizeof(q.shape), q.sql.p, q.nvals,
	    q.vals);
	fpg_buf_free(&q.sql);
	if (res == NULL)
		return FPG_EDB;
	if ((n = PQntuples(res)) > q.limit) {
		n = q.limit;
		next = fpg_cursor_encode(&r->arena, PQgetvalue(res, n - 1, 1),
		    PQgetvalue(res, n - 1, 2));
	}
	fpg_buf_put(&body, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			fpg_buf_put(&body, ", ", 2);
		fpg_buf_put(&body, PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0));
	}
	fpg_buf_put(&body, "]", 1);
	PQclear(res);
	if (body.oom)
		rc = fpg_send_error(r, 500, "Internal Server Error");
	else {
		if (next != NULL)
			fpg_link_next(r, "after", next);
		rc = fpg_send(r, 200, body.p, body.len);
	}
	fpg_buf_free(&body);
	return rc;
}
