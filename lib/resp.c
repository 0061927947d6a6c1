/*
 * resp.c -- responses: a Status line, Content-Type, X-Request-ID and
 * security headers, then a JSON body.  Errors take DESIGN.md's shape:
 * {"detail":"..."}, or FastAPI's 422 list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/*
 * Adds a response header.  The name must be a token and the value free
 * of control characters (no header splitting).  Returns FPG_OK;
 * FPG_EANSWERED once the head has gone; FPG_EINVAL for a name or value
 * refused, or one past FPG_HDRS_MAX bytes of headers; FPG_ENOMEM.
 */
enum fpg_err
fpg_set_header(struct fpg_req *r, const char *name, const char *value)
{
	const char *p;

	if (r->answered)
		return FPG_EANSWERED;
	if (*name == '\0')
		return FPG_EINVAL;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return FPG_EINVAL;
	/* The library's own: one Status line, one type, one request id. */
	if (strcasecmp(name, "Status") == 0 ||
	    strcasecmp(name, "Content-Type") == 0 ||
	    strcasecmp(name, "X-Request-ID") == 0)
		return FPG_EINVAL;
	for (p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return FPG_EINVAL;
	/* One that does not fit is refused; the others stay. */
	if (strlen(name) + strlen(value) + 4 > FPG_HDRS_MAX - r->hdrs.len)
		return FPG_EINVAL;
	r->hdrs.max = FPG_HDRS_MAX;
	fpg_buf_puts(&r->hdrs, name);
	fpg_buf_put(&r->hdrs, ": ", 2);
	fpg_buf_puts(&r->hdrs, value);
	fpg_buf_put(&r->hdrs, "\r\n", 2);
	return r->hdrs.oom ? FPG_ENOMEM : FPG_OK;
}

/* Appends a C string to the head being built; no bounds: see head(). */
static char *
put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static const char ctype_json[] = "application/json";

/* ms with 3 decimals, from µs. */
static char *
put_ms(char *p, int64_t us)
{
	us = us < 0 ? 0 : us;
	return p + sprintf(p, "%lld.%03lld", (long long)(us / 1000),
	    (long long)(us % 1000));
}

/*
 * Server-Timing (SERVER_TIMING=true): parse, validate and db as far as
 * the request got, and total up to this answer, in milliseconds.  At
 * most about 110 bytes.
 */
static char *
server_timing(const struct fpg_req *r, char *p)
{
	int64_t	 now = fpg_now_us();

	p = put(p, "Server-Timing: parse;dur=");
	p = put_ms(p, r->parsed ? r->parsed - r->start : 0);
	p = put(p, ", validate;dur=");
	p = put_ms(p, r->validated && r->parsed ? r->validated - r->parsed : 0);
	p = put(p, ", db;dur=");
	p = put_ms(p, r->db ? r->db->us : 0);
	p = put(p, ", total;dur=");
	p = put_ms(p, now - r->start);
	return put(p, "\r\n");
}

/*
 * Writes the head; ctype is the body's type, NULL when none follows
 * (its length is bounded by the callers: the library's own).  Built with
 * memcpy, not printf: it is on every request's path.  The fixed part
 * is bounded (status, reason, id <= 64), the handler's headers are
 * written after it from their own buffer.
 */
static enum fpg_err
head(struct fpg_req *r, int status, const char *ctype)
{
	char	 h[512], *p = h;

	if (r->answered)
		return FPG_EANSWERED;
	r->answered = 1;
	if (r->hdrs.oom) {	/* headers lost: do not send half of them */
		fpg_buf_free(&r->hdrs);
		status = 500;
		ctype = ctype_json;
	}
	if (status < 100 || status > 599)
		status = 500;
	r->status = status;
	p = put(p, "Status: ");
	*p++ = (char)('0' + status / 100);
	*p++ = (char)('0' + status / 10 % 10);
	*p++ = (char)('0' + status % 10);
	*p++ = ' ';
	p = put(p, reason(status));
	p = put(p, "\r\n");
	if (ctype) {
		p = put(p, "Content-Type: ");
		p = put(p, ctype);
		p = put(p, "\r\n");
	}
	p = put(p, "X-Request-ID: ");
	p = put(p, r->id);
	p = put(p, "\r\nX-Content-Type-Options: nosniff\r\n");
	if (status >= 400)
		p = put(p, "Cache-Control: no-store\r\n");
	if (r->app != NULL && r->app->conf.server_timing)
		p = server_timing(r, p);
	if (r->hdrs.len == 0)
		p = put(p, "\r\n");
	if (fpg_req_write(r, h, (size_t)(p - h)) == -1)
		return FPG_EIO;
	if (r->hdrs.len && (fpg_req_write(r, r->hdrs.p, r->hdrs.len) == -1 ||
	    fpg_req_write(r, "\r\n", 2) == -1))
		return FPG_EIO;
	return FPG_OK;
}

/*
 * Sends status with len bytes of JSON text as the body.  Only the
 * first answer of a request is sent; later ones return FPG_EANSWERED.
 * FPG_EIO: the client is gone.
 */
enum fpg_err
fpg_send(struct fpg_req *r, int status, const char *json, size_t len)
{
	return fpg_send_typed(r, status, ctype_json, json, len);
}

/*
 * fpg_send with another Content-Type: "text/html; charset=utf-8",
 * "text/plain", Prometheus's text format.  ctype is checked as a
 * header value is (printable, no CR/LF: no header splitting) and
 * bounded by FPG_CTYPE_MAX, since head() writes it into its fixed
 * buffer; a refused one is FPG_EINVAL and nothing is sent.  The body
 * is sent as it is: the caller vouches that it is of that type (and,
 * for HTML, escaped).
 */
enum fpg_err
fpg_send_typed(struct fpg_req *r, int status, const char *ctype,
    const char *body, size_t len)
{
	enum fpg_err	 e;
	const char	*p;

	if (r->answered)
		return FPG_EANSWERED;
	if (ctype == NULL || *ctype == '\0')
		return FPG_EINVAL;
	for (p = ctype; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    p - ctype >= FPG_CTYPE_MAX)
			return FPG_EINVAL;
	if (r->hdrs.oom) {
		head(r, 500, ctype_json);
		body = "{\"detail\":\"Internal Server Error\"}";
		len = strlen(body);
	} else if ((e = head(r, status, ctype)) != FPG_OK)
		return e;
	r->bytes = len;
	if (strcmp(r->method, "HEAD") == 0)
		return FPG_OK;
	return fpg_req_write(r, body, len) == 0 ? FPG_OK : FPG_EIO;
}

/* Sends a jansson value (borrowed) as the body. */
enum fpg_err
fpg_send_json(struct fpg_req *r, int status, json_t *v)
{
	char		*s;
	enum fpg_err	 rc;

	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(17))) == NULL)
		return fpg_send(r, 500, "{\"detail\":\"Internal Server "
		    "Error\"}", 34);
	rc = fpg_send(r, status, s, strlen(s));
	free(s);
	return rc;
}

/* Sends {"detail": detail}; 503 adds Retry-After. */
enum fpg_err
fpg_send_error(struct fpg_req *r, int status, const char *detail)
{
	json_t		*v;
	enum fpg_err	 rc;

	if (status == 503)
		fpg_set_header(r, "Retry-After", "1");
	if ((v = json_pack("{s:s}", "detail", detail)) == NULL)
		return fpg_send(r, 500, "{\"detail\":\"Internal Server "
		    "Error\"}", 34);
	rc = fpg_send_json(r, status, v);
	json_decref(v);
	return rc;
}

#define TEXT_MAX	128	/* bytes of an echoed string kept */
#define INPUT_MAX	256	/* bytes of an echoed value as JSON */
#define LOC_MAX		32	/* entries of a loc list */

/*
 * s cut to its first and last bytes around "...", the way Pydantic's
 * repr shortens a long value, each cut on a UTF-8 boundary.  A new
 * reference, or NULL when s is short enough.
 */
static json_t *
shorten(const char *s, size_t len)
{
	size_t	 head = TEXT_MAX / 2 - 2, tail = TEXT_MAX / 2 - 2;
	char	 buf[TEXT_MAX];

	if (len <= TEXT_MAX)
		return NULL;
	while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
		head--;
	while (tail > 0 && ((unsigned char)s[len - tail] & 0xc0) == 0x80)
		tail--;
	memcpy(buf, s, head);
	memcpy(buf + head, "...", 3);
	memcpy(buf + head + 3, s + len - tail, tail);
	return json_stringn_nocheck(buf, head + 3 + tail);
}

/*
 * Bounds one 422 item in place: loc and msg strings are shortened, an
 * echoed input string too, and an input that takes more than INPUT_MAX
 * bytes as JSON (the whole body of a "missing" error, say) becomes its
 * JSON text, shortened.  The item keeps its keys and types otherwise.
 */
static void
bound_item(json_t *e)
{
	json_t	*loc = json_object_get(e, "loc"), *v, *n;
	size_t	 i;
	char	*text;

	/* A place deep in a nested body: its first and last steps. */
	if (json_array_size(loc) > LOC_MAX) {
		while (json_array_size(loc) > LOC_MAX)
			json_array_remove(loc, LOC_MAX / 2);
		json_array_set_new(loc, LOC_MAX / 2, json_string("..."));
	}
	json_array_foreach(loc, i, v)
		if (json_is_string(v) && (n = shorten(json_string_value(v),
		    json_string_length(v))) != NULL)
			json_array_set_new(loc, i, n);
	if ((v = json_object_get(e, "msg")) != NULL && json_is_string(v) &&
	    (n = shorten(json_string_value(v), json_string_length(v))))
		json_object_set_new(e, "msg", n);
	if ((v = json_object_get(e, "input")) == NULL)
		return;
	if (json_is_string(v)) {
		if ((n = shorten(json_string_value(v), json_string_length(v))))
			json_object_set_new(e, "input", n);
		return;
	}
	if (!json_is_object(v) && !json_is_array(v))
		return;
	if (json_dumpb(v, NULL, 0, JSON_COMPACT) <= INPUT_MAX)
		return;
	if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
		return;
	if ((n = shorten(text, strlen(text))) != NULL)
		json_object_set_new(e, "input", n);
	free(text);
}

/*
 * Sends 422 {"detail": errors}; takes the reference to errors.  The
 * answer is bounded: each item by bound_item(), the whole by dropping
 * items from the end past FPG_ERRORS_BYTES (one always stays).
 */
enum fpg_err
fpg_send_validation(struct fpg_req *r, json_t *errors)
{
	json_t		*v, *e;
	enum fpg_err	 rc;
	size_t		 i;

	json_array_foreach(errors, i, e)
		bound_item(e);
	while (json_array_size(errors) > 1 && json_dumpb(errors, NULL, 0,
	    JSON_COMPACT) > FPG_ERRORS_BYTES - 16)
		json_array_remove(errors, json_array_size(errors) - 1);
	v = json_pack("{s:o}", "detail", errors);

	rc = v ? fpg_send_json(r, 422, v) : fpg_send_error(r, 500,
	    "Internal Server Error");
	json_decref(v);
	return rc;
}

/* A status without a body (204, 304). */
enum fpg_err
fpg_send_empty(struct fpg_req *r, int status)
{
	return head(r, status, NULL);
}

int
fpg_answered(const struct fpg_req *r)
{
	return r->answered;
}
