/*
 * req.c -- parsing one request: its id, method, path and query string,
 * its JSON body; and the accessors a handler reads them with.  Every
 * string lives in the request's arena and is gone when it ends.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "extern.h"

static const char	 hex[] = "0123456789abcdef";

/* 32 random lowercase hex digits and a NUL into out. */
static void
rand_hex(char *out)
{
	/* Random bytes for 16 ids at a time: one getrandom, not one each. */
	static __thread unsigned char	 pool[256];
	static __thread size_t		 used = sizeof(pool);
	unsigned char		*rnd;
	size_t			 i;

	if (used == sizeof(pool)) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			memset(pool, 0, sizeof(pool));
		used = 0;
	}
	rnd = pool + used;
	used += 16;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[32] = '\0';
}

/*
 * Byte classes for the id and trace checks, one table lookup a byte:
 * ID_OK for [A-Za-z0-9._-] (a request id we keep), HEX for [0-9a-f].
 */
#define ID_OK	1
#define HEX	2
#define H	(ID_OK | HEX)
static const unsigned char cls[256] = {
	['-'] = ID_OK, ['.'] = ID_OK, ['_'] = ID_OK,
	['0'] = H, ['1'] = H, ['2'] = H, ['3'] = H, ['4'] = H, ['5'] = H,
	['6'] = H, ['7'] = H, ['8'] = H, ['9'] = H,
	['a'] = H, ['b'] = H, ['c'] = H, ['d'] = H, ['e'] = H, ['f'] = H,
	['g'] = ID_OK, ['h'] = ID_OK, ['i'] = ID_OK, ['j'] = ID_OK,
	['k'] = ID_OK, ['l'] = ID_OK, ['m'] = ID_OK, ['n'] = ID_OK,
	['o'] = ID_OK, ['p'] = ID_OK, ['q'] = ID_OK, ['r'] = ID_OK,
	['s'] = ID_OK, ['t'] = ID_OK, ['u'] = ID_OK, ['v'] = ID_OK,
	['w'] = ID_OK, ['x'] = ID_OK, ['y'] = ID_OK, ['z'] = ID_OK,
	['A'] = ID_OK, ['B'] = ID_OK, ['C'] = ID_OK, ['D'] = ID_OK,
	['E'] = ID_OK, ['F'] = ID_OK, ['G'] = ID_OK, ['H'] = ID_OK,
	['I'] = ID_OK, ['J'] = ID_OK, ['K'] = ID_OK, ['L'] = ID_OK,
	['M'] = ID_OK, ['N'] = ID_OK, ['O'] = ID_OK, ['P'] = ID_OK,
	['Q'] = ID_OK, ['R'] = ID_OK, ['S'] = ID_OK, ['T'] = ID_OK,
	['U'] = ID_OK, ['V'] = ID_OK, ['W'] = ID_OK, ['X'] = ID_OK,
	['Y'] = ID_OK, ['Z'] = ID_OK,
};
#undef H

/* Whether s starts with n lowercase hex digits, not all zero. */
static int
is_hex(const char *s, size_t n)
{
	size_t	 i;
	int	 nonzero = 0;

	for (i = 0; i < n; i++) {
		if (!(cls[(unsigned char)s[i]] & HEX))
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero;
}

/*
 * The client's X-Request-ID when it is sane (1 to 64 of [A-Za-z0-9._-]),
 * so a request can be followed across services; else 32 random hex.
 * One pass: it also notes whether the id could serve as a trace id
 * (32 hex digits, not all zero), as nginx's $request_id does.
 */
void
fpg_req_set_id(struct fpg_req *r)
{
	const unsigned char	*v = (const unsigned char *)
	    fpg_io_env(r, FPG_ENV_REQUEST_ID);
	static const char	 zeros[32] = "00000000000000000000000000000000";
	size_t			 len = 0;
	unsigned char		 all = ID_OK | HEX;

	if (v != NULL) {
		for (; v[len] != '\0' && len <= FPG_ID_MAX; len++)
			all &= cls[v[len]];
		if (len > 0 && len <= FPG_ID_MAX && (all & ID_OK)) {
			memcpy(r->id, v, len + 1);
			r->id_hex = len == 32 && (all & HEX) &&
			    memcmp(v, zeros, 32) != 0;
			return;
		}
	}
	rand_hex(r->id);
	r->id_hex = 1;
}

static int
hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* W3C Trace Context, 3.2: version 00 is exactly 55 bytes; a later
 * version may add "-..." after them; ff is never valid. */
static int
traceparent_ok(const char *t)
{
	size_t	 len = strlen(t);

	if (len < 55 || !hexdigit(t[0]) || !hexdigit(t[1]) ||
	    (t[0] == 'f' && t[1] == 'f') ||
	    (t[0] == '0' && t[1] == '0' && len != 55) ||
	    (len > 55 && t[55] != '-'))
		return 0;
	return t[2] == '-' && is_hex(t + 3, 32) && t[35] == '-' &&
	    is_hex(t + 36, 16) && t[52] == '-' && hexdigit(t[53]) &&
	    hexdigit(t[54]);
}

/*
 * The W3C trace context (traceparent: 00-<32 hex trace>-<16 hex
 * parent>-<2 hex flags>): its trace id when the header is valid, and
 * whether it is sampled (flag 01); else a new trace -- the request id
 * when that is 32 hex (ours, or nginx's $request_id), or random.  A
 * malformed traceparent starts a new trace, as the specification says.
 */
void
fpg_req_set_trace(struct fpg_req *r)
{
	const char	*t = fpg_io_env(r, FPG_ENV_TRACEPARENT);

	if (t != NULL && traceparent_ok(t)) {
		memcpy(r->trace, t + 3, 32);
		r->trace[32] = '\0';
		r->sampled = (int)(strchr(hex, t[54]) - hex) & 1;
		return;
	}
	if (r->id_hex)
		memcpy(r->trace, r->id, 33);
	else
		rand_hex(r->trace);
}

/* The method: 1 to 15 capital letters.  0, or 400. */
int
fpg_req_parse_method(struct fpg_req *r)
{
	const char	*m = fpg_io_env(r, FPG_ENV_METHOD);
	size_t		 len;

	if (m == NULL || (len = strlen(m)) == 0 || len >= sizeof(r->method) ||
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
		return 400;
	memcpy(r->method, m, len + 1);
	return 0;
}

/*
 * The path to route: REQUEST_URI (raw, so "%2F" stays inside a
 * segment) without the query string and ROOT_PATH; else SCRIPT_NAME +
 * PATH_INFO, which servers hand over already decoded.  root is the
 * mount prefix (ROOT_PATH).  Returns 0, or an HTTP status.
 */
int
fpg_req_parse_path(struct fpg_req *r, const char *root)
{
	const char	*uri = fpg_io_env(r, FPG_ENV_URI);
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
int
fpg_req_parse_query(struct fpg_req *r)
{
	const char	*qs = fpg_io_env(r, FPG_ENV_QUERY);
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

/* application/json or application/<x>+json, parameters allowed. */
int
fpg_req_json_type(const char *ct)
{
	size_t	 len = strcspn(ct, ";");

	while (len > 0 && isspace((unsigned char)ct[len - 1]))
		len--;
	if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	return len > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + len - 5, "+json", 5) == 0;
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
 * Parses the body as JSON with fpg_json_load's rules (duplicate keys
 * refused, a smuggling risk; no NUL escapes; integers past int64 as
 * doubles for validation, the exact text still what fpg_body_text()
 * gives the database); returns FPG_OK, or FPG_EANSWERED once the 422
 * has been sent.
 */
enum fpg_err
fpg_req_parse_body(struct fpg_req *r)
{
	json_error_t	 je;

	if (r->bodylen == 0) {
		json_t *errs = json_array();

		json_array_append_new(errs, json_pack("{s:s, s:[s], s:s, s:n}",
		    "type", "missing", "loc", "body", "msg", "Field required",
		    "input"));
		fpg_send_validation(r, errs);
		return FPG_EANSWERED;
	}
	/* The one parser with the one set of rules (lib/schema/json.c). */
	if ((r->body_json = fpg_json_load(r->body, r->bodylen, &je)) == NULL) {
		send_json_invalid(r, &je);
		return FPG_EANSWERED;
	}
	return FPG_OK;
}

/* application/x-www-form-urlencoded, parameters allowed. */
int
fpg_req_form_type(const char *ct)
{
	size_t	 len = strcspn(ct, ";");

	while (len > 0 && isspace((unsigned char)ct[len - 1]))
		len--;
	return len == 33 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/* A 422 for form data that cannot be a JSON object of strings. */
static enum fpg_err
send_form_invalid(struct fpg_req *r, const char *msg)
{
	json_t	*errs = json_array();

	json_array_append_new(errs, json_pack("{s:s, s:[s], s:s, s:n}",
	    "type", "form_invalid", "loc", "body", "msg", msg, "input"));
	fpg_send_validation(r, errs);
	return FPG_EANSWERED;
}

/*
 * Decodes a form body (name=value&..., "+" a space, %XX escapes) into
 * a JSON object of strings, a repeated name keeping its last value,
 * then replaces the body's text with the object's compact JSON, so
 * that validation, fpg_body() and fpg_body_text() see what they see
 * of a JSON body.  A name or value that is not UTF-8, holds a NUL or a
 * malformed escape is 422.  Returns FPG_OK, or FPG_EANSWERED.
 */
enum fpg_err
fpg_req_parse_form(struct fpg_req *r)
{
	json_t	*o = json_object(), *v;
	char	*p = r->body, *end = r->body + r->bodylen, *amp, *eq, *text;
	size_t	 klen, vlen;

	if (o == NULL)
		return FPG_ENOMEM;
	while (p != NULL && p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		*amp = '\0';
		if ((eq = memchr(p, '=', (size_t)(amp - p))) != NULL)
			*eq++ = '\0';
		else
			eq = amp;	/* "name" alone: an empty value */
		if (fpg_pct_decode(p, strlen(p), 1, &klen) == -1 ||
		    fpg_pct_decode(eq, strlen(eq), 1, &vlen) == -1) {
			json_decref(o);
			return send_form_invalid(r, "Form data is malformed");
		}
		if (klen > 0) {
			if ((v = json_stringn(eq, vlen)) == NULL ||
			    json_object_setn_new(o, p, klen, v) == -1) {
				json_decref(o);
				return send_form_invalid(r, "Form data is not "
				    "valid UTF-8");
			}
		}
		p = amp + 1;
	}
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return FPG_ENOMEM;
	}
	free(r->body);
	r->body = text;
	r->bodylen = strlen(text);
	r->body_json = o;
	return FPG_OK;
}

/* Frees what the request holds, but for the caller's streams. */
void
fpg_req_free(struct fpg_req *r)
{
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
 * A request header by its HTTP name ("If-Match"), or NULL when absent.
 * One the library cannot read (control bytes, too long) never gets
 * here: the request was refused with 400 (handle.c); the check below
 * only keeps this function safe on its own.
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
		v = fpg_io_env(r, FPG_ENV_CTYPE);
	else
		v = fpg_req_env(r, key);
	if (v == NULL || strlen(v) > FPG_HEADER_MAX)
		return NULL;
	for (p = v; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
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

	if (r->path_fast) {
		const struct fpg_argplan *p = &r->route->path_plan;
		size_t	 i, l = strlen(name);

		for (i = 0; i < p->n; i++)
			if (p->a[i].namelen == l &&
			    memcmp(p->a[i].name, name, l) == 0)
				return r->segs[p->a[i].seg];
	}
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

/* Memory for the request's lifetime (freed when it ends), or NULL. */
void *
fpg_alloc(struct fpg_req *r, size_t n)
{
	return fpg_arena_alloc(&r->arena, n);
}

/* The request's slot: what a step found (an identity), for the later
 * steps and the handler.  The library never frees it. */
void *
fpg_local(const struct fpg_req *r)
{
	return r->local;
}

void
fpg_set_local(struct fpg_req *r, void *p)
{
	r->local = p;
}
