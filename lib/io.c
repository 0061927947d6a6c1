/*
 * io.c -- a request's input and output, over FastCGI (fcgi.c's
 * connection) or CGI (the environment and stdio, RFC 3875): parameters,
 * the bounded body, the response bytes.  Nothing here knows routes,
 * schemas or the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

extern char	**environ;

/* Drained past the limit before a kept connection is given up. */
#define DRAIN_MAX	(64 * 1024 * 1024)

static const char *const env_names[FPG_ENV_N] = { "REQUEST_METHOD",
	"REQUEST_URI", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
	"HTTP_X_REQUEST_ID", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH",
	"HTTP_TRACEPARENT", "HTTP_AUTHORIZATION", "HTTP_ORIGIN" };

/* The parameter list: the connection's, the caller's (tests), or environ. */
static char **
env_list(const struct fpg_req *r)
{
	return r->fc ? r->fc->envp : r->envp ? r->envp : environ;
}

/* Whether a header's value can be read: bounded, no control bytes. */
static int
header_ok(const char *v)
{
	const unsigned char	*p = (const unsigned char *)v;
	unsigned char		 c;

	/* One compare for the usual bytes (0x20 to 0x7e). */
	while ((c = *p) != '\0') {
		if ((unsigned char)(c - 0x20) >= 0x5f && c < 0x80 && c != '\t')
			return 0;
		p++;
	}
	return (size_t)(p - (const unsigned char *)v) <= FPG_HEADER_MAX;
}

/*
 * Finds the parameters of enum fpg_env in one pass over the list, the
 * first of each name as fpg_env_get would (it scans the list from
 * the start on every call).  On the way, every header (HTTP_* and
 * CONTENT_TYPE) is checked: one the library could not read (a control
 * byte, or longer than FPG_HEADER_MAX) is remembered in bad_header, and
 * the request is refused, so that no header the client sent silently
 * counts as not sent.  It runs on every request: one strchr for each
 * name's length, whole-name compares, one pass over each header's value.
 */
void
fpg_io_index(struct fpg_req *r)
{
	char		**p = env_list(r);
	const char	 *e, *eq;
	size_t		  n;
	int		  k;

	/* Names compared whole once their length is known: the memcmps
	 * below never read past a name, and the compiler inlines them. */
#define IS(lit)	(n == sizeof(lit) - 1 && memcmp(e, lit, sizeof(lit) - 1) == 0)
	for (; p != NULL && (e = *p) != NULL; p++) {
		if ((eq = strchr(e, '=')) == NULL)
			continue;
		n = (size_t)(eq - e);
		k = -1;
		if (n > 5 && e[0] == 'H' && memcmp(e, "HTTP_", 5) == 0) {
			if (IS("HTTP_AUTHORIZATION")) {
				/* a bad token is 401 (auth.c), not 400 */
				if (!header_ok(eq + 1))
					r->bad_auth = 1;
				k = FPG_ENV_AUTHORIZATION;
			} else if (r->bad_header == NULL && !header_ok(eq + 1))
				r->bad_header = e;
			if (k >= 0)
				;
			else if (IS("HTTP_X_REQUEST_ID"))
				k = FPG_ENV_REQUEST_ID;
			else if (IS("HTTP_IF_MATCH"))
				k = FPG_ENV_IF_MATCH;
			else if (IS("HTTP_IF_NONE_MATCH"))
				k = FPG_ENV_IF_NONE_MATCH;
			else if (IS("HTTP_TRACEPARENT"))
				k = FPG_ENV_TRACEPARENT;
			else if (IS("HTTP_ORIGIN"))
				k = FPG_ENV_ORIGIN;
		} else if (IS("REQUEST_METHOD"))
			k = FPG_ENV_METHOD;
		else if (IS("REQUEST_URI"))
			k = FPG_ENV_URI;
		else if (IS("QUERY_STRING"))
			k = FPG_ENV_QUERY;
		else if (IS("CONTENT_TYPE")) {
			k = FPG_ENV_CTYPE;
			if (r->bad_header == NULL && !header_ok(eq + 1))
				r->bad_header = e;
		} else if (IS("CONTENT_LENGTH"))
			k = FPG_ENV_CLEN;
		if (k >= 0 && r->env[k] == NULL)
			r->env[k] = eq + 1;
	}
#undef IS
	r->env_indexed = 1;
}

/* One of enum fpg_env, or NULL. */
const char *
fpg_io_env(const struct fpg_req *r, enum fpg_env k)
{
	return r->env[k];
}

/* A FastCGI/CGI parameter by name, or NULL. */
const char *
fpg_req_env(const struct fpg_req *r, const char *name)
{
	size_t i;

	if (r->env_indexed)
		for (i = 0; i < FPG_ENV_N; i++)
			if (name[0] == env_names[i][0] &&
			    strcmp(name, env_names[i]) == 0)
				return r->env[i];
	return fpg_env_get(env_list(r), name);
}

/* The value of the first "name=value" in a NULL-terminated list. */
const char *
fpg_env_get(char **envp, const char *name)
{
	size_t	n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Reads up to n body bytes; 0 at the end, -1 on error. */
int
fpg_req_read(struct fpg_req *r, char *buf, size_t n)
{
	size_t got;

	if (n > INT32_MAX)
		n = INT32_MAX;
	if (r->fc)
		return fpg_fcgi_read(r->fc, buf, n);
	got = fread(buf, 1, n, r->in ? r->in : stdin);
	return got == 0 && ferror(r->in ? r->in : stdin) ? -1 : (int)got;
}

/* Writes n bytes of response; -1 when the client has gone. */
int
fpg_req_write(struct fpg_req *r, const char *buf, size_t n)
{
	if (n > INT32_MAX)
		return -1;
	if (r->fc)
		return fpg_fcgi_write(r->fc, buf, n);
	return fwrite(buf, 1, n, r->out ? r->out : stdout) == n ? 0 : -1;
}

/*
 * Reads the body into r->body, at most max bytes: a Content-Length
 * over it is refused before anything is read, and a body that runs
 * past it anyway (chunked, or a lying length) too.  CGI reads exactly
 * CONTENT_LENGTH bytes (RFC 3875: the server need not close the input
 * after them), and a CGI body without a length is 411; FastCGI reads to
 * the end of the stream, since servers send "" or nothing for chunked
 * bodies.  Returns 0 or an HTTP status.
 */
int
fpg_io_read_body(struct fpg_req *r, size_t max)
{
	const char	*cl = fpg_io_env(r, FPG_ENV_CLEN);
	size_t		 want, cap;
	long long	 n = -1;
	int		 got;

	if (cl != NULL && *cl != '\0' &&
	    fpg_strtonum(cl, 0, INT64_MAX, &n) == -1)
		return 400;
	if (n > (long long)max)
		return 413;
	if (r->fc == NULL && n < 0)
		return 411;
	want = n >= 0 ? (size_t)n : max + 1;
	cap = n >= 0 ? (size_t)n : (max + 1 < 65536 ? max + 1 : 65536);
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
		got = fpg_req_read(r, r->body + r->bodylen,
		    (want < cap ? want : cap) - r->bodylen);
		if (got <= 0)
			break;
		r->bodylen += (size_t)got;
		if (r->bodylen > max)
			return 413;
	}
	if (n >= 0 && r->bodylen < (size_t)n)
		return 400;	/* truncated */
	r->body[r->bodylen] = '\0';
	return 0;
}

/*
 * Reads and discards what is left of a FastCGI body, so a kept
 * connection stays in step; gives the connection up when that is too
 * much.  CGI reads no further than CONTENT_LENGTH: nothing to drain.
 */
void
fpg_io_drain(struct fpg_req *r)
{
	char	 buf[8192];
	size_t	 total = 0;
	int	 n;

	if (r->fc == NULL)
		return;
	while ((n = fpg_req_read(r, buf, sizeof(buf))) > 0)
		if ((total += (size_t)n) > DRAIN_MAX) {
			r->fc->keep = 0;
			break;
		}
}
