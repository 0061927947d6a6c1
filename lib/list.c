/*
 * list.c -- declared lists (struct fpg_list): from the declaration and
 * a request's validated query, the SQL of its shape (which filters are
 * present, which sort, a cursor or not), the values to bind, and the
 * shape's key for the per-connection statement cache (shape.c).  No
 * database and no HTTP here: page.c runs what this builds.
 *
 * Every value goes in a parameter; the SQL holds only the resource's
 * own declared text.  So there are as many statements as shapes, not
 * as many as requests, and each is prepared once per connection.
 *
 * The statement's rows: the row's JSON, the sort key as text, the id
 * as text; limit + 1 of them, so that a next page is known to exist.
 * A cursor is base64url of the JSON ["<sort key>", id] (what the
 * cursor_encode() of sql/000_fastpg.sql made, which is still read).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

/* A 422 to answer: its loc (dotted) and message. */
static int
invalid(struct fpg_listq *q, const char *loc, const char *msg)
{
	q->err_loc = loc;
	q->err_msg = msg;
	return -1;
}

/* Appends a bound value, returning its number ($n), or -1 when full. */
static int
bind(struct fpg_listq *q, const char *v)
{
	if (q->nvals >= FPG_LIST_PARAMS_MAX)
		return -1;
	q->vals[q->nvals++] = v;
	return q->nvals;
}

/*
 * A scalar query value as the text PostgreSQL reads, in the arena: a
 * string as is (no NUL inside), an integer in decimal, a real with 15 digits (9.99
 * stays 9.99, as the query text of fpg_query_text(3) has it), a
 * boolean as true/false.  NULL for anything else.
 */
static const char *
scalar_text(struct fpg_arena *a, json_t *v)
{
	char	 tmp[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v))
			return NULL;
		/* copied: the values outlive the JSON they came from */
		return fpg_arena_strndup(a, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(tmp, sizeof(tmp), "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return NULL;
	}
	return fpg_arena_strndup(a, tmp, strlen(tmp));
}

/* Appends s as a JSON string (or raw, when it reads as a JSON value). */
static void
put_json_string(struct fpg_buf *b, const char *s)
{
	json_t	*j = json_string(s);
	char	*t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	if (t == NULL)
		b->oom = 1;
	else
		fpg_buf_puts(b, t);
	free(t);
	json_decref(j);
}

/* A JSON number, as the pattern of item_page() had it. */
static int
is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/*
 * The jsonb object of an FPG_CONTAINS filter: every parameter named
 * prefix<key>.  Returns the text (in the arena), NULL when there is
 * none, or "" on a value that cannot be bound.
 */
static const char *
contains_value(struct fpg_arena *a, json_t *args, const char *prefix)
{
	struct fpg_buf	 b = { .max = 65536 };
	const char	*k, *s, *out;
	size_t		 plen = strlen(prefix), n = 0;
	json_t		*v;

	json_object_foreach(args, k, v) {
		if (strncmp(k, prefix, plen) != 0 || k[plen] == '\0')
			continue;
		if ((s = scalar_text(a, v)) == NULL) {
			fpg_buf_free(&b);
			return "";
		}
		fpg_buf_puts(&b, n++ ? "," : "{");
		put_json_string(&b, k + plen);
		fpg_buf_put(&b, ":", 1);
		/* attr.size=10 matches the number 10, attr.color=red a
		 * string */
		if (json_is_string(v) && (is_json_number(s) ||
		    strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
			fpg_buf_puts(&b, s);
		else
			put_json_string(&b, s);
	}
	if (n == 0)
		return NULL;
	fpg_buf_put(&b, "}", 1);
	out = b.oom ? "" : fpg_arena_strndup(a, b.p, b.len);
	fpg_buf_free(&b);
	return out ? out : "";
}

/*
 * An FPG_IN value: a JSON array (or one scalar) as a PostgreSQL array
 * literal, every element quoted.  NULL when it cannot be bound.
 */
static const char *
in_value(struct fpg_arena *a, json_t *v)
{
	struct fpg_buf	 b = { .max = 65536 };
	const char	*s, *p, *out;
	size_t		 i, n = json_is_array(v) ? json_array_size(v) : 1;

	if (n == 0 || n > FPG_LIST_IN_MAX)
		return NULL;
	fpg_buf_put(&b, "{", 1);
	for (i = 0; i < n; i++) {
		if ((s = scalar_text(a, json_is_array(v) ?
		    json_array_get(v, i) : v)) == NULL) {
			fpg_buf_free(&b);
			return NULL;
		}
		fpg_buf_puts(&b, i ? ",\"" : "\"");
		for (p = s; *p; p++) {
			if (*p == '"' || *p == '\\')
				fpg_buf_put(&b, "\\", 1);
			fpg_buf_put(&b, p, 1);
		}
		fpg_buf_put(&b, "\"", 1);
	}
	fpg_buf_put(&b, "}", 1);
	out = b.oom ? NULL : fpg_arena_strndup(a, b.p, b.len);
	fpg_buf_free(&b);
	return out;
}

/*
 * Reads a cursor: base64url of ["key", id] (or [key, id] with a number
 * key, as cursor_encode() wrote them).  Sets the key's and the id's
 * text.  Returns 0, or -1 when it is not one.
 */
int
fpg_cursor_decode(struct fpg_arena *a, const char *c, const char **key,
    const char **id)
{
	unsigned char	 raw[FPG_CURSOR_MAX];
	char		 tmp[64];
	long		 n;
	json_t		*j, *k, *i;
	int		 rc = -1;

	if (strlen(c) > FPG_CURSOR_MAX ||
	    (n = fpg_b64url_decode(c, strlen(c), raw, sizeof(raw))) <= 0)
		return -1;
	if ((j = json_loadb((const char *)raw, (size_t)n,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	k = json_array_get(j, 0);
	i = json_array_get(j, 1);
	if (!json_is_array(j) || json_array_size(j) != 2 ||
	    !json_is_integer(i) || (!json_is_string(k) && !json_is_number(k)))
		goto out;
	if (json_is_real(k)) {
		snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(k));
		*key = fpg_arena_strndup(a, tmp, strlen(tmp));
	} else
		*key = scalar_text(a, k);
	snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(i));
	*id = fpg_arena_strndup(a, tmp, strlen(tmp));
	if (*key != NULL && *id != NULL)
		rc = 0;
out:
	json_decref(j);
	return rc;
}

/*
 * A cursor for the row whose sort key and id read key and id (their
 * text, from PostgreSQL): base64url of ["key", id].  Returns it in the
 * arena, or NULL (an id that is no integer, no memory).
 */
const char *
fpg_cursor_encode(struct fpg_arena *a, const char *key, const char *id)
{
	struct fpg_buf	 b = { .max = FPG_CURSOR_MAX / 4 * 3 };
	long long	 v;
	char		*out = NULL;

	if (fpg_strtonum(id, INT64_MIN, INT64_MAX, &v) == -1)
		return NULL;
	fpg_buf_put(&b, "[", 1);
	put_json_string(&b, key);
	fpg_buf_printf(&b, ",%lld]", v);
	if (!b.oom && (out = fpg_arena_alloc(a, b.len / 3 * 4 + 8)) != NULL)
		fpg_b64url_encode((const unsigned char *)b.p, b.len, out);
	fpg_buf_free(&b);
	return out;
}

/* The filter that is the list's full-text search, or NULL. */
static const struct fpg_filter *
search_filter(const struct fpg_list *l)
{
	const struct fpg_filter *f;

	for (f = l->filters; f && f->param; f++)
		if (f->op == FPG_SEARCH)
			return f;
	return NULL;
}

/*
 * Checks a declaration once, at start: every string it needs is there,
 * at most FPG_LIST_FILTERS_MAX filters and sorts, at most one search,
 * a default sort it declares.  Returns 0, or -1 with why in err.
 */
int
fpg_list_check(const struct fpg_list *l, char *err, size_t errsz)
{
	const struct fpg_filter	*f;
	const struct fpg_sort	*s;
	const char		*d;
	size_t			 n = 0, ns = 0, nsearch = 0;

	if (l->from == NULL || l->row == NULL || l->id == NULL) {
		snprintf(err, errsz, "a list needs from, row and id");
		return -1;
	}
	for (f = l->filters; f && f->param; f++, n++)
		if (f->expr == NULL || f->op < FPG_EQ || f->op > FPG_SEARCH ||
		    (f->type == NULL && f->op != FPG_BOOL &&
		    f->op != FPG_CONTAINS) || (f->op == FPG_SEARCH &&
		    (nsearch++ || strspn(f->type, "abcdefghijklmnopqrstuvwxyz_")
		    != strlen(f->type)))) {
			snprintf(err, errsz, "list filter %s: bad declaration",
			    f->param);
			return -1;
		}
	for (s = l->sorts; s && s->name; s++, ns++)
		if (s->expr == NULL || s->type == NULL ||
		    strcmp(s->name, "rank") == 0 || s->name[0] == '-') {
			snprintf(err, errsz, "list sort %s: bad declaration",
			    s->name);
			return -1;
		}
	if (n > FPG_LIST_FILTERS_MAX || ns > FPG_LIST_FILTERS_MAX) {
		snprintf(err, errsz, "a list has at most %d filters and sorts",
		    FPG_LIST_FILTERS_MAX);
		return -1;
	}
	d = l->sort ? l->sort : "id";
	d += *d == '-';
	for (s = l->sorts; s && s->name && strcmp(s->name, d); s++)
		;
	if (strcmp(d, "id") != 0 && (s == NULL || s->name == NULL)) {
		snprintf(err, errsz, "list: default sort %s is not declared",
		    d);
		return -1;
	}
	return 0;
}

/* The SQL of the sort key (sk) and its type; rank names the search. */
static void
sort_sql(struct fpg_buf *b, const struct fpg_list *l,
    const struct fpg_listq *q, const struct fpg_filter *sf, int qparam)
{
	if (q->shape.sort == FPG_SORT_ID)
		fpg_buf_puts(b, l->id);
	else if (q->shape.sort == FPG_SORT_RANK)
		fpg_buf_printf(b, "ts_rank(%s, fpg_tsq%d)", sf->expr, qparam);
	else
		fpg_buf_puts(b, l->sorts[q->shape.sort].expr);
}

/*
 * Builds the statement of one request: q->sql (the caller frees it
 * with fpg_buf_free, also on failure), q->vals (strings in the arena),
 * q->shape (its cache key), q->limit.  args is the validated query
 * (NULL: none).  Returns 0; -1 for a 422, q->err_loc and q->err_msg
 * saying why; -2 when out of memory or past a bound.
 */
int
fpg_list_build(const struct fpg_list *l, json_t *args, struct fpg_arena *a,
    struct fpg_listq *q)
{
	const struct fpg_filter	*f, *sf = search_filter(l);
	const char		*sort, *v, *ckey = NULL, *cid = NULL, *dir;
	json_t			*j;
	int			 i, qparam = 0, n, nw = 0, rank;
	char			 limit[24];

	memset(q, 0, sizeof(*q));	/* the shape is compared bytewise */
	q->sql.max = FPG_LIST_SQL_MAX;
	q->shape.list = l;
	q->limit = FPG_LIST_LIMIT_DEFAULT;
	if ((j = json_object_get(args, "limit")) != NULL) {
		if (!json_is_integer(j) || json_integer_value(j) < 1 ||
		    json_integer_value(j) > FPG_LIST_LIMIT_MAX)
			return invalid(q, "query.limit", "Invalid limit");
		q->limit = (int)json_integer_value(j);
	}
	snprintf(limit, sizeof(limit), "%d", q->limit + 1);
	if ((q->vals[0] = fpg_arena_strndup(a, limit, strlen(limit))) == NULL)
		return -2;
	q->nvals = 1;

	/* The sort: the default while none is asked for (rank while the
	 * search is present); "rank" only with the search. */
	j = json_object_get(args, "sort");
	if (j != NULL && !json_is_string(j))
		return invalid(q, "query.sort", "Unknown sort order");
	if (j != NULL)
		sort = json_string_value(j);
	else if (sf != NULL && json_object_get(args, sf->param) != NULL)
		sort = "-rank";
	else
		sort = l->sort ? l->sort : "id";
	if ((q->shape.desc = sort[0] == '-'))
		sort++;
	if (strcmp(sort, "rank") == 0) {
		if (sf == NULL || json_object_get(args, sf->param) == NULL)
			return invalid(q, "query.sort", "Unknown sort order");
		q->shape.sort = FPG_SORT_RANK;
	} else {
		for (i = 0; l->sorts && l->sorts[i].name &&
		    strcmp(l->sorts[i].name, sort) != 0; i++)
			;
		if (l->sorts && l->sorts[i].name)
			q->shape.sort = (int16_t)i;
		else if (strcmp(sort, "id") == 0)
			q->shape.sort = FPG_SORT_ID;
		else
			return invalid(q, "query.sort", "Unknown sort order");
	}
	if ((j = json_object_get(args, "after")) != NULL) {
		if (!json_is_string(j) || fpg_cursor_decode(a,
		    json_string_value(j), &ckey, &cid) == -1)
			return invalid(q, "query.after",
			    "Invalid pagination cursor");
		q->shape.cursor = 1;
	}

	/* The values first: the select list's rank needs the search's
	 * parameter number. */
	/* By rank every match is ranked before the page is cut: the
	 * rows' JSON is made after the cut, for the page's rows only
	 * (found again by id), not for every match. */
	rank = q->shape.sort == FPG_SORT_RANK;
	if (rank)
		fpg_buf_printf(&q->sql, "SELECT %s, s.sk::text, s.id::text "
		    "FROM (SELECT (", l->row);
	else
		fpg_buf_printf(&q->sql, "SELECT %s, (", l->row);
	for (f = l->filters, i = 0; f && f->param; f++, i++) {
		if (f->op == FPG_CONTAINS) {
			if ((v = contains_value(a, args, f->param)) == NULL)
				continue;
			if (*v == '\0')
				return invalid(q, "query", "Invalid value");
		} else if ((j = json_object_get(args, f->param)) == NULL ||
		    json_is_null(j))
			continue;
		else if (f->op == FPG_BOOL) {
			if (!json_is_boolean(j))
				return invalid(q, "query", "Invalid value");
			q->shape.present |= 1u << i;
			if (json_is_true(j))
				q->shape.truth |= 1u << i;
			continue;
		} else if ((v = f->op == FPG_IN ? in_value(a, j) :
		    scalar_text(a, j)) == NULL)
			return invalid(q, "query", "Invalid value");
		q->shape.present |= 1u << i;
		if ((n = bind(q, v)) == -1)
			return -2;
		if (f->op == FPG_SEARCH)
			qparam = n;
	}
	sort_sql(&q->sql, l, q, sf, qparam);
	fpg_buf_printf(&q->sql, rank ? ") AS sk, %s AS id FROM %s" :
	    ")::text, (%s)::text FROM %s", l->id, l->from);
	/* A search's query parsed once, not once a row: a generic plan
	 * would call websearch_to_tsquery in every row's test and rank. */
	for (f = l->filters, i = 0, n = 1; f && f->param; f++, i++) {
		if (!(q->shape.present & (1u << i)) || f->op == FPG_BOOL)
			continue;
		n++;
		if (f->op == FPG_SEARCH)
			fpg_buf_printf(&q->sql, ", websearch_to_tsquery('%s', "
			    "$%d) AS fpg_tsq%d", f->type, n, n);
	}

	/* The conditions, in the filters' order: $2, $3, ... */
	for (f = l->filters, i = 0, n = 1; f && f->param; f++, i++) {
		if (!(q->shape.present & (1u << i)))
			continue;
		fpg_buf_puts(&q->sql, nw++ ? " AND " : " WHERE ");
		if (f->op == FPG_BOOL) {
			fpg_buf_printf(&q->sql, q->shape.truth & (1u << i) ?
			    "(%s)" : "NOT (%s)", f->expr);
			continue;
		}
		n++;
		switch (f->op) {
		case FPG_EQ:
		case FPG_GE:
		case FPG_LE:
			fpg_buf_printf(&q->sql, "%s %s ", f->expr,
			    f->op == FPG_EQ ? "=" : f->op == FPG_GE ? ">=" :
			    "<=");
			if (f->func)
				fpg_buf_printf(&q->sql, "%s($%d::%s)", f->func,
				    n, f->type);
			else
				fpg_buf_printf(&q->sql, "$%d::%s", n, f->type);
			break;
		case FPG_IN:
			fpg_buf_printf(&q->sql, "%s = ANY ($%d::%s[])",
			    f->expr, n, f->type);
			break;
		case FPG_CONTAINS:
			fpg_buf_printf(&q->sql, "%s @> $%d::jsonb", f->expr, n);
			break;
		case FPG_SEARCH:
			fpg_buf_printf(&q->sql, "%s @@ fpg_tsq%d", f->expr, n);
			break;
		default:
			break;
		}
	}

	/* Keyset: past the cursor's row, in the sort's direction. */
	dir = q->shape.desc ? " DESC" : "";
	if (q->shape.cursor) {
		fpg_buf_puts(&q->sql, nw++ ? " AND " : " WHERE ");
		if (q->shape.sort == FPG_SORT_ID) {
			if ((n = bind(q, cid)) == -1)
				return -2;
			fpg_buf_printf(&q->sql, "%s %c $%d::bigint", l->id,
			    q->shape.desc ? '<' : '>', n);
		} else {
			if ((n = bind(q, ckey)) == -1 || bind(q, cid) == -1)
				return -2;
			fpg_buf_puts(&q->sql, "(");
			sort_sql(&q->sql, l, q, sf, qparam);
			fpg_buf_printf(&q->sql, ", %s) %c ($%d::%s, $%d::bigint)",
			    l->id, q->shape.desc ? '<' : '>', n,
			    q->shape.sort == FPG_SORT_RANK ? "real" :
			    l->sorts[q->shape.sort].type, n + 1);
		}
	}
	fpg_buf_puts(&q->sql, " ORDER BY ");
	if (q->shape.sort != FPG_SORT_ID) {
		sort_sql(&q->sql, l, q, sf, qparam);
		fpg_buf_printf(&q->sql, "%s, ", dir);
	}
	fpg_buf_printf(&q->sql, "%s%s LIMIT $1", l->id, dir);
	if (rank)
		fpg_buf_printf(&q->sql, ") s, %s WHERE %s = s.id ORDER BY "
		    "s.sk%s, s.id%s", l->from, l->id, dir, dir);
	return q->sql.oom ? -2 : 0;
}
