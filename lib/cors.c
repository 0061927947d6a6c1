/*
 * cors.c -- Cross-Origin Resource Sharing (the Fetch standard), off
 * unless CORS_ORIGINS lists origins.
 *
 * Two parts.  A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) for a path that routes is answered
 * 204 by handle.c's route stage, before its 405, without a token and
 * without the database: the path's methods from the route table, the
 * request headers a client may send, how long to keep the answer.  The
 * step (first of lib_steps, so before the token's) adds to every
 * answer to an allowed origin Access-Control-Allow-Origin, Vary:
 * Origin and the response headers a script may read.  An origin not
 * listed gets no CORS header at all, and the browser keeps the answer
 * from the script.
 */
#include <stdio.h>
#include <string.h>

#include "extern.h"

/* Whether origin is one of CORS_ORIGINS' words ("*": any). */
static int
allowed(const struct fpg_conf *c, const char *origin)
{
	const char	*p = c->cors_origins;
	size_t		 n, len = strlen(origin);

	if (p == NULL || *p == '\0' || len == 0)
		return 0;
	while (*p != '\0') {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if ((n == len && memcmp(p, origin, n) == 0) ||
		    (n == 1 && *p == '*'))
			return 1;
		p += n;
	}
	return 0;
}

static void
allow_origin(struct fpg_req *r, const char *origin)
{
	fpg_set_header(r, "Access-Control-Allow-Origin", origin);
	fpg_set_header(r, "Vary", "Origin");
	if (r->app->conf.cors_credentials)
		fpg_set_header(r, "Access-Control-Allow-Credentials", "true");
}

enum fpg_err
fpg_cors_step(struct fpg_req *r)
{
	const char *origin = fpg_io_env(r, FPG_ENV_ORIGIN);

	if (origin == NULL || !allowed(&r->app->conf, origin))
		return FPG_OK;
	allow_origin(r, origin);
	fpg_set_header(r, "Access-Control-Expose-Headers",
	    "ETag, Location, Link, X-Request-ID");
	return FPG_OK;
}

/*
 * A preflight for a path whose methods are allow (the router's list):
 * 204 with the CORS headers when the origin is allowed, 204 without
 * them when not.  FPG_OK when r is no preflight or CORS is off.
 */
enum fpg_err
fpg_cors_preflight(struct fpg_req *r, const char *allow)
{
	const char	*origin = fpg_io_env(r, FPG_ENV_ORIGIN);
	char		 age[16];

	if (r->app->conf.cors_origins == NULL ||
	    *r->app->conf.cors_origins == '\0' || origin == NULL ||
	    strcmp(r->method, "OPTIONS") != 0 ||
	    fpg_req_env(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") == NULL)
		return FPG_OK;
	if (allowed(&r->app->conf, origin)) {
		allow_origin(r, origin);
		fpg_set_header(r, "Access-Control-Allow-Methods", allow);
		fpg_set_header(r, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type, If-Match, If-None-Match, "
		    "Idempotency-Key, X-Request-ID");
		snprintf(age, sizeof(age), "%d", r->app->conf.cors_max_age);
		fpg_set_header(r, "Access-Control-Max-Age", age);
	}
	fpg_send_empty(r, 204);
	return FPG_EANSWERED;
}

/* "*" echoes any origin: with credentials, any site could act as the
 * user.  Refused at start. */
int
fpg_cors_check(const struct fpg_conf *c, char *err, size_t errsz)
{
	const char	*p = c->cors_origins;
	size_t		 n;

	if (!c->cors_credentials || p == NULL)
		return 0;
	while (*p != '\0') {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == 1 && *p == '*') {
			snprintf(err, errsz, "CORS_ORIGINS: \"*\" cannot go "
			    "with CORS_ALLOW_CREDENTIALS=true: list the "
			    "origins");
			return -1;
		}
		p += n;
	}
	return 0;
}
