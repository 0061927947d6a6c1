/*
 * req.c -- one request: FastCGI or CGI parameters, the path and query
 * string, the bounded body, the request id; then routing, validation
 * and the handler.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "extern.h"

/* Drained past the limit before a kept connection is given up. */
#define DRAIN_MAX	(64 * 1024 * 1024)

/*
 * A FastCGI/CGI parameter, or NULL.  Without libfcgi the parameters
 * are r->envp when set (tests, fuzzing), else the process environment.
 */
static const char *const env_names[FPG_ENV_N] = { "REQUEST_METHOD",
	"REQUEST_URI", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
	"HTTP_X_REQUEST_ID", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH" };
static const unsigned char env_lens[FPG_ENV_N] = { 14, 11, 12, 12, 14,
	17, 18, 13 };

static const char *
env_raw(const struct fpg_req *r, const char *name)
{
	if (r->fr)
		return FCGX_GetParam(name, r->fr->envp);
	if (r->envp)
		return FCGX_GetParam(name, r->envp);
	return getenv(name);
}

/*
 * Finds the parameters of enum fpg_env in one pass over libfcgi's
 * list, the first of each name as FCGX_GetParam would (it scans the
 * list from the start on every call).
 */
static void
env_index(struct fpg_req *r)
{
	char		**p = r->fr ? r->fr->envp : r->envp;
	const char	 *e;
	size_t		  i;

	if (p == NULL)
		return;		/* CGI: the process environment */
	for (; *p != NULL; p++) {
		e = *p;
		for (i = 0; i < FPG_ENV_N; i++)
			if (e[0] == env_names[i][0] && r->env[i] == NULL &&
			    strncmp(e, env_names[i], env_lens[i]) == 0 &&
			    e[env_lens[i]] == '=') {
				r->env[i] = e + env_lens[i] + 1;
				break;
			}
	}
	r->env_indexed = 1;
}

/* One of enum fpg_env. */
static const char *
env_get(const struct fpg_req *r, enum fpg_env k)
{
	return r->env_indexed ? r->env[k] : env_raw(r, env_names[k]);
}

const char *
fpg_req_env(const struct fpg_req *r, const char *name)
{
	size_t i;

	if (r->env_indexed)
		for (i = 0; i < FPG_ENV_N; i++)
			if (name[0] == env_names[i][0] &&
			    strcmp(name, env_names[i]) == 0)
				return r->env[i];
	return env_raw(r, name);
}

/* Reads up to n body bytes; 0 at the end, -1 on error. */
int
fpg_req_read(struct fpg_req *r, char *buf, size_t n)
{
	size_t got;

	if (n > INT32_MAX)
		n = INT32_MAX;
	if (r->fr)
		return FCGX_GetStr(buf, (int)n, r->fr->in);
	got = fread(buf, 1, n, r->in ? r->in : stdin);
	return got == 0 && ferror(r->in ? r->in : stdin) ? -1 : (int)got;
}

/* Writes n bytes of response; -1 when the client has gone. */
int
fpg_req_write(struct fpg_req *r, const char *buf, size_t n)
{
	if (n > INT32_MAX)
		return -1;
	if (r->fr)
		return FCGX_PutStr(buf, (int)n, r->fr->out) == (int)n ? 0 : -1;
	return fwrite(buf, 1, n, r->out ? r->out : stdout) == n ? 0 : -1;
}

/*
 * The client's X-Request-ID when it is sane (1 to 64 of [A-Za-z0-9._-]),
 * so a request can be followed across services; else 32 random hex.
 */
static void
set_request_id(struct fpg_req *r)
{
	static const char	 hex[] = "0123456789abcdef";
	/* Random bytes for 16 ids at a time: one getrandom, not one each. */
	static __thread unsigned char	 pool[256];
	static __thread size_t		 used = sizeof(pool);
	const char		*v = env_get(r, FPG_ENV_REQUEST_ID);
	unsigned char		*rnd;
	size_t			 i;

	if (v != NULL && *v != '\0' && strlen(v) <= FPG_ID_MAX &&
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == strlen(v)) {
		memcpy(r->id, v, strlen(v) + 1);
		return;
	}
	if (used == sizeof(pool)) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			memset(pool, 0, sizeof(pool));
		used = 0;
	}
	rnd = pool + used;
	used += 16;
	for (i = 0; i < 16; i++) {
		r->id[2 * i] = hex[rnd[i] >> 4];
		r->id[2 * i + 1] = hex[rnd[i] & 15];
	}
	r->id[32] = '\0';
}

/*
 * The path to route: REQUEST_URI (raw, so "%2F" stays inside a
 * segment) without the query string and ROOT_PATH; else SCRIPT_NAME +
 * PATH_INFO, which servers hand over already decoded.  Returns 0, or an
 * HTTP status.
 */
static int
parse_path(struct fpg_req *r)
{
	const char	*uri = env_get(r, FPG_ENV_URI);
	const char	*root = fpg_app.conf.root_path;
	char		*raw;
	size_t		 len, rlen = strlen(root), i;
	int		 rc;

	if (uri != NULL && *uri != '\0') {
		len = strcspn(uri, "?#");
		if (len > FPG_PATH_MAX)
			return 414;
		raw = fpg_arena_strndup(&r->arena, uri, len);
	} else {
		const char *sn = fpg_req_env(r, "SCRIPT_NAME");
		const char *pi = fpg_req_env(r, "PATH_INFO");
		struct fpg_buf b = { .max = FPG_PATH_MAX * 3 };

		/* Decoded already: re-encode "%" so it decodes once. */
		sn = sn ? sn : "";
		pi = pi ? pi : "";
		for (i = 0; i < 2; i++)
			for (const char *p = i ? pi : sn; *p; p++)
				if (*p == '%')
					fpg_buf_put(&b, "%25", 3);
				else
					fpg_buf_put(&b, p, 1);
		if (b.oom || b.len > FPG_PATH_MAX) {
			fpg_buf_free(&b);
			return 414;
		}
		len = b.len;
		raw = fpg_arena_strndup(&r->arena, b.p ? b.p : "", len);
		fpg_buf_free(&b);
	}
	if (raw == NULL)
		return 500;
	/* Strip the mount prefix, at a segment boundary only. */
	if (rlen > 0 && strncmp(raw, root, rlen) == 0 &&
	    (raw[rlen] == '/' || raw[rlen] == '\0')) {
		raw += rlen;
		len -= rlen;
		if (len == 0)
			raw = (char *)(uintptr_t)"/", len = 1;
	}
	r->path = raw;		/* logged as received, still encoded */
	rc = fpg_split_path(&r->arena, raw, len, r->segs, &r->nsegs);
	if (rc == -1)
		return 400;
	if (rc == -2)
		return 414;
	return 0;
}

/*
 * QUERY_STRING into key/value pairs, decoded ("+" is a space),
 * repeated keys kept in order, empty values kept.  Returns 0 or an
 * HTTP status (400 for a NUL byte or too many parameters).
 */
static int
parse_query(struct fpg_req *r)
{
	const char	*qs = env_get(r, FPG_ENV_QUERY);
	const char	*p, *amp, *eq;
	size_t		 n = 0, klen, vlen;

	if (qs == NULL || *qs == '\0')
		return 0;
	for (p = qs; *p; p++)
		if (*p == '&')
			n++;
	if (n + 1 > FPG_PARAMS_MAX)
		return 400;
	if ((r->query = fpg_arena_alloc(&r->arena,
	    (n + 1) * sizeof(*r->query))) == NULL)
		return 500;
	for (p = qs; *p != '\0'; p = *amp ? amp + 1 : amp) {
		struct fpg_kv *kv = &r->query[r->nquery];

		amp = p + strcspn(p, "&");
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = eq ? (size_t)(eq - p) : (size_t)(amp - p);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		kv->key = fpg_arena_strndup(&r->arena, p, klen);
		kv->val = fpg_arena_strndup(&r->arena, eq ? eq + 1 : "", vlen);
		if (kv->key == NULL || kv->val == NULL)
			return 500;
		if (fpg_pct_decode(kv->key, klen, 1, &klen) == -1 ||
		    fpg_pct_decode(kv->val, vlen, 1, &vlen) == -1)
			return 400;
		if (*kv->key != '\0')
			r->nquery++;
	}
	return 0;
}

/* Reads and discards what is left of the body, so a kept connection
 * stays in step; gives the connection up when that is too much. */
static void
drain(struct fpg_req *r)
{
	char	 buf[8192];
	size_t	 total = 0;
	int	 n;

	if (r->fr == NULL)
		return;
	while ((n = fpg_req_read(r, buf, sizeof(buf))) > 0)
		if ((total += (size_t)n) > DRAIN_MAX) {
			r->fr->keepConnection = 0;
			break;
		}
}

/* application/json or application/<x>+json, parameters allowed. */
static int
is_json_type(const char *ct)
{
	size_t	 len = strcspn(ct, ";");

	while (len > 0 && isspace((unsigned char)ct[len - 1]))
		len--;
	if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	return len > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + len - 5, "+json", 5) == 0;
}

/*
 * Reads the body into the arena, at most MAX_BODY_SIZE bytes: a
 * Content-Length over it is refused before anything is read, and a
 * body that runs past it anyway (chunked, or a lying length) too.
 * CGI reads exactly CONTENT_LENGTH bytes (RFC 3875); FastCGI reads to
 * the end of the stream, since servers send "" or nothing for chunked
 * bodies.  Returns 0 or an HTTP status.
 */
static int
read_body(struct fpg_req *r)
{
	const char	*cl = env_get(r, FPG_ENV_CLEN);
	size_t		 max = fpg_app.conf.max_body, want, cap;
	long long	 n = -1;
	int		 got;

	if (cl != NULL && *cl != '\0' &&
	    fpg_strtonum(cl, 0, INT64_MAX, &n) == -1)
		return 400;
	if (n > (long long)max)
		return 413;
	if (r->fr == NULL && n < 0 && cl != NULL)
		n = 0;
	want = n >= 0 ? (size_t)n : max + 1;
	cap = n >= 0 ? (size_t)n + 1 : (max + 1 < 65536 ? max + 1 : 65536);
	if ((r->body = malloc(cap + 1)) == NULL)
		return 500;
	while (r->bodylen < want) {
		if (r->bodylen == cap) {
			size_t	 ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char	*p;

			if ((p = realloc(r->body, ncap + 1)) == NULL)
				return 500;
			r->body = p;
			cap = ncap;
		}
		got = fpg_req_read(r, r->body + r->bodylen, cap - r->bodylen);
		if (got <= 0)
			break;
		r->bodylen += (size_t)got;
		if (r->bodylen > max)
			return 413;
		if (r->fr == NULL && n < 0)
			want = r->bodylen + 1;
	}
	if (n >= 0 && r->bodylen < (size_t)n)
		return 400;	/* truncated */
	r->body[r->bodylen] = '\0';
	return 0;
}

/* A 422 json_invalid item for a parse error, as FastAPI words it. */
static void
send_json_invalid(struct fpg_req *r, const json_error_t *je)
{
	json_t	*errs = json_array(), *e;

	e = json_pack("{s:s, s:[s, I], s:s, s:{}, s:{s:s}}",
	    "type", "json_invalid", "loc", "body", (json_int_t)je->position,
	    "msg", "JSON decode error", "input", "ctx", "error", je->text);
	json_array_append_new(errs, e);
	fpg_send_validation(r, errs);
}

/*
 * Parses the body as JSON, duplicate keys refused (a smuggling risk);
 * returns 0, or -1 once the 422 has been sent.
 * Integers past int64 are parsed again as doubles for validation; the
 * exact text is still what fpg_body_text() gives the database.
 */
static int
parse_body(struct fpg_req *r)
{
	json_error_t	 je;
	size_t		 flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES;

	if (r->bodylen == 0) {
		json_t *errs = json_array();

		json_array_append_new(errs, json_pack("{s:s, s:[s], s:s, s:n}",
		    "type", "missing", "loc", "body", "msg", "Field required",
		    "input"));
		fpg_send_validation(r, errs);
		return -1;
	}
	r->body_json = json_loadb(r->body, r->bodylen, flags, &je);
	if (r->body_json == NULL &&
	    json_error_code(&je) == json_error_numeric_overflow)
		r->body_json = json_loadb(r->body, r->bodylen,
		    flags | JSON_DECODE_INT_AS_REAL, &je);
	if (r->body_json == NULL) {
		send_json_invalid(r, &je);
		return -1;
	}
	return 0;
}

/*
 * Drops the errors from index from on that point at a key whose
 * conversion already failed (loc [where, key, ...] among the earlier
 * errors): "?limit=ten" is one int_parsing, not also a missing limit.
 */
static void
drop_shadowed(json_t *errs, size_t from)
{
	size_t	 i, j;

	for (i = from; i < json_array_size(errs); ) {
		json_t		*loc = json_object_get(json_array_get(errs, i),
		    "loc");
		const char	*key = json_string_value(json_array_get(loc, 1));
		int		 shadowed = 0;

		for (j = 0; key != NULL && j < from && !shadowed; j++) {
			json_t *l2 = json_object_get(json_array_get(errs, j),
			    "loc");

			shadowed = json_equal(json_array_get(l2, 0),
			    json_array_get(loc, 0)) && json_equal(
			    json_array_get(l2, 1), json_array_get(loc, 1));
		}
		if (shadowed)
			json_array_remove(errs, i);
		else
			i++;
	}
}

static json_t	*part_locs[3];

static void
make_locs(void)
{
	part_locs[0] = json_pack("[s]", "path");
	part_locs[1] = json_pack("[s]", "query");
	part_locs[2] = json_pack("[s]", "body");
}

/*
 * The loc prefix of a part, ["path"], ["query"] or ["body"]: made once
 * and shared by every thread (jansson's reference counts are atomic,
 * and the validator only reads it).
 */
static json_t *
part_loc(const char *where)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	pthread_once(&once, make_locs);
	return part_locs[where[0] == 'p' ? 0 : where[0] == 'q' ? 1 : 2];
}

/* Runs one part's schema with loc [where] into errs; -1 if the
 * validator could not run (out of memory): nothing passes then. */
static int
check_part(const struct fpg_schema *s, json_t *inst, const char *where,
    json_t *errs)
{
	json_t	*loc;
	size_t	 from = json_array_size(errs), n;

	if (s == NULL || inst == NULL || from >= FPG_ERRORS_MAX)
		return 0;
	if ((loc = part_loc(where)) == NULL)
		return -1;
	n = fpg_schema_validate(s, inst, loc, errs, FPG_ERRORS_MAX);
	if (n == SIZE_MAX)
		return -1;
	drop_shadowed(errs, from);
	return 0;
}

/* Validates path, query and body: 0, or -1 once the 422 with every
 * error has been sent. */
static int
validate(struct fpg_req *r)
{
	const struct fpg_croute	*cr = r->route;
	struct fpg_kv		 pargs[FPG_SEGMENTS_MAX];
	size_t			 i, np = 0;
	json_t			*errs = json_array();

	if (errs == NULL)
		return -1;
	for (i = 0; i < cr->nsegs; i++)
		if (cr->segs[i][0] == '{') {
			size_t l = strlen(cr->segs[i]);

			pargs[np].key = fpg_arena_strndup(&r->arena,
			    cr->segs[i] + 1, l > 2 ? l - 2 : 0);
			pargs[np++].val = r->segs[i];
		}
	/* Without a path schema the {params} are plain strings. */
	if (cr->path_json == NULL && np > 0) {
		if ((r->path_args = json_object()) == NULL)
			goto oom;
		for (i = 0; i < np; i++) {
			json_t *v = json_string(pargs[i].val);

			if (v == NULL) {	/* not UTF-8 */
				json_array_append_new(errs, json_pack(
				    "{s:s, s:[s, s], s:s, s:s}", "type",
				    "string_unicode", "loc", "path",
				    pargs[i].key, "msg", "Input should be a "
				    "valid string, unable to parse raw data "
				    "as a unicode string", "input", ""));
				continue;
			}
			json_object_set_new(r->path_args, pargs[i].key, v);
		}
	} else if (fpg_args_coerce(r, cr->path_json, "path", pargs, np,
	    &r->path_args, errs) == -1)
		goto oom;
	if (check_part(cr->path_schema, r->path_args, "path", errs) == -1 ||
	    fpg_args_coerce(r, cr->query_json, "query", r->query, r->nquery,
	    &r->query_args, errs) == -1 ||
	    check_part(cr->query_schema, r->query_args, "query", errs) == -1 ||
	    check_part(cr->body_schema, r->body_json, "body", errs) == -1)
		goto oom;
	if (json_array_size(errs) > 0) {
		while (json_array_size(errs) > FPG_ERRORS_MAX)
			json_array_remove(errs, json_array_size(errs) - 1);
		fpg_send_validation(r, errs);
		return -1;
	}
	json_decref(errs);
	return 0;
oom:
	json_decref(errs);
	fpg_send_error(r, 500, "Internal Server Error");
	return -1;
}

/*
 * Serves one request from parameters to access log.  The handler runs
 * only once the request is routed and valid; whatever it leaves
 * unanswered is answered here, and a transaction it leaves open is
 * rolled back.
 */
void
fpg_req_handle(struct fpg_req *r)
{
	const char	*m, *ct;
	char		 allow[128];
	int		 st;

	r->start = fpg_now_us();
	r->status = 500;
	fpg_arena_init(&r->arena, r->arena0, sizeof(r->arena0));
	env_index(r);
	set_request_id(r);
	m = env_get(r, FPG_ENV_METHOD);
	if (m == NULL || *m == '\0' || strlen(m) >= sizeof(r->method) ||
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m)) {
		fpg_send_error(r, 400, "Bad Request");
		goto out;
	}
	memcpy(r->method, m, strlen(m) + 1);
	if ((st = parse_path(r)) != 0) {
		fpg_send_error(r, st, st == 414 ? "URI Too Long" :
		    st == 400 ? "Invalid path" : "Internal Server Error");
		goto out;
	}
	if (fpg_app.openapi && strcmp(r->path, fpg_app.openapi_path) == 0 &&
	    (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)) {
		fpg_send(r, 200, fpg_app.openapi, strlen(fpg_app.openapi));
		goto out;
	}
	st = fpg_router_match(&fpg_app.router, r->method, r->segs, r->nsegs,
	    &r->route, allow, sizeof(allow));
	if (st == 404) {
		fpg_send_error(r, 404, "Not Found");
		goto out;
	} else if (st == 405) {
		fpg_set_header(r, "Allow", allow);
		fpg_send_error(r, 405, "Method Not Allowed");
		goto out;
	}
	if ((st = parse_query(r)) != 0) {
		fpg_send_error(r, st, st == 400 ? "Invalid query string" :
		    "Internal Server Error");
		goto out;
	}
	if (r->route->def->body_schema != NULL) {
		ct = env_get(r, FPG_ENV_CTYPE);
		if (ct != NULL && *ct != '\0' && !is_json_type(ct)) {
			fpg_send_error(r, 415, "Unsupported Media Type: "
			    "expected application/json");
			goto out;
		}
		if ((st = read_body(r)) != 0) {
			fpg_send_error(r, st, st == 413 ?
			    "Request body too large" : st == 400 ?
			    "Incomplete or invalid request body" :
			    "Internal Server Error");
			goto out;
		}
		if (parse_body(r) != 0)
			goto out;
	}
	/* Nothing reaches the handler once an answer has gone out. */
	if (validate(r) != 0 || r->answered)
		goto out;
	r->route->def->handler(r);
	fpg_db_after(r);
	if (!r->answered && r->sqlstate[0] != '\0')
		fpg_send_db_error(r);
	else if (!r->answered)
		fpg_send_error(r, 500, "Internal Server Error");
out:
	drain(r);
	fpg_log_access(r, (long)(fpg_now_us() - r->start));
	json_decref(r->body_json);
	json_decref(r->path_args);
	json_decref(r->query_args);
	free(r->body);
	fpg_buf_free(&r->hdrs);
	fpg_arena_free(&r->arena);
}

/* --- accessors for handlers ---------------------------------------- */

const char *
fpg_method(const struct fpg_req *r)
{
	return r->method;
}

const char *
fpg_path(const struct fpg_req *r)
{
	return r->path;
}

const char *
fpg_request_id(const struct fpg_req *r)
{
	return r->id;
}

/*
 * A request header by its HTTP name ("If-Match"), or NULL.  Values
 * holding control characters are treated as absent.
 */
const char *
fpg_header(const struct fpg_req *r, const char *name)
{
	char		 key[128] = "HTTP_";
	size_t		 i, len = strlen(name);
	const char	*v, *p;

	if (len + 6 > sizeof(key))
		return NULL;
	for (i = 0; i < len; i++)
		key[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	key[5 + len] = '\0';
	if (strcmp(key, "HTTP_CONTENT_TYPE") == 0)
		v = env_get(r, FPG_ENV_CTYPE);
	else
		v = fpg_req_env(r, key);
	if (v == NULL || strlen(v) > FPG_HEADER_MAX)
		return NULL;
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return NULL;
	return v;
}

/* The last value of a query parameter, decoded, or NULL. */
const char *
fpg_query(const struct fpg_req *r, const char *name)
{
	size_t i;

	for (i = r->nquery; i > 0; i--)
		if (strcmp(r->query[i - 1].key, name) == 0)
			return r->query[i - 1].val;
	return NULL;
}

/*
 * A validated path or query argument as text for a SQL parameter,
 * defaults applied ("limit" -> "20"), or NULL when absent or null.
 */
const char *
fpg_arg(struct fpg_req *r, const char *name)
{
	json_t	*v = NULL;
	char	 tmp[64];

	if (r->path_args)
		v = json_object_get(r->path_args, name);
	if (v == NULL && r->query_args)
		v = json_object_get(r->query_args, name);
	if (v == NULL)
		return fpg_query(r, name);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER: {
		/* Every id a path carries passes here: no printf. */
		json_int_t	 n = json_integer_value(v);
		unsigned long long u = n < 0 ? 0 - (unsigned long long)n :
		    (unsigned long long)n;
		char		*p = tmp + sizeof(tmp) - 1;

		*p = '\0';
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (n < 0)
			*--p = '-';
		return fpg_arena_strndup(&r->arena, p,
		    (size_t)(tmp + sizeof(tmp) - 1 - p));
	}
	case JSON_REAL:
		snprintf(tmp, sizeof(tmp), "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return NULL;
	case JSON_OBJECT:
	case JSON_ARRAY: {
		char *s = json_dumps(v, JSON_COMPACT), *c;

		c = s ? fpg_arena_strndup(&r->arena, s, strlen(s)) : NULL;
		free(s);
		return c;
	}
	}
	return fpg_arena_strndup(&r->arena, tmp, strlen(tmp));
}

json_t *
fpg_body(const struct fpg_req *r)
{
	return r->body_json;
}

const char *
fpg_body_text(const struct fpg_req *r, size_t *len)
{
	if (len != NULL)
		*len = r->bodylen;
	return r->body;
}

/*
 * The opaque value of the first entity-tag in a request header such as
 * If-Match: W/"12" and "12" give 12; "*" gives "*"; NULL when the
 * header is absent, "" when it is malformed (which matches nothing).
 */
const char *
fpg_etag(struct fpg_req *r, const char *name)
{
	const char	*v = fpg_header(r, name), *e;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '*')
		return "*";
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	if (*v != '"' || (e = strchr(v + 1, '"')) == NULL)
		return "";
	return fpg_arena_strndup(&r->arena, v + 1, (size_t)(e - v - 1));
}

/* Percent-encodes what is not unreserved (RFC 3986) into b. */
static void
pct_encode(struct fpg_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			fpg_buf_put(b, s, 1);
		else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

			fpg_buf_put(b, esc, 3);
		}
	}
}

/*
 * Sets Link: <URL>; rel="next" (RFC 8288), URL being this request's
 * path and query string with param set to value: the next page of a
 * keyset-paginated list.  The other parameters are kept as sent.
 */
int
fpg_link_next(struct fpg_req *r, const char *param, const char *value)
{
	const char	*uri = env_get(r, FPG_ENV_URI);
	const char	*qs = env_get(r, FPG_ENV_QUERY), *p, *amp;
	struct fpg_buf	 b = { .max = FPG_HDRS_MAX };
	char		 key[128];
	size_t		 klen, n = 0;
	int		 rc;

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
	pct_encode(&b, param);
	fpg_buf_put(&b, "=", 1);
	pct_encode(&b, value);
	fpg_buf_puts(&b, ">; rel=\"next\"");
	rc = b.oom ? -1 : fpg_set_header(r, "Link", b.p);
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
 * becomes a Link rel="next" with the cursor as ?after=.  Returns 0, or
 * -1 if the statement failed (answered after the handler).
 */
int
fpg_send_page(struct fpg_req *r, const char *stmt)
{
	const char	*p[1];
	PGresult	*res;
	int		 rc;

	if ((p[0] = fpg_query_text(r)) == NULL)
		return fpg_send_error(r, 500, "Internal Server Error");
	if ((res = fpg_exec(r, stmt, 1, p)) == NULL)
		return -1;
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
