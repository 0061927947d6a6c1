/*
 * handle.c -- the request's way, top-down, one function per stage:
 *
 *   input     FastCGI records or CGI (io.c): parameters indexed in one
 *             pass, the request id, the database's per-request state
 *   parse     method, path (req.c), and every header the library reads
 *             must be readable (400; a malformed If-Match is 412)
 *   builtin   the resource's own documents (/<name>/openapi.json) and
 *             its operators' (/_fastpg/<name>/livez, readyz, metrics)
 *   route     method + path template -> route (404, 405 + Allow)
 *   query     the query string (400)
 *   steps     the library's (lib_steps), the resource's, the route's:
 *             each may answer and stop the request (401, 403, 204)
 *   body      a JSON body: type, length, parse (411, 413, 415, 422)
 *   validate  path, query and body against the route's schemas (422)
 *   handler   the resource's code; then what it left open is rolled
 *             back, a database failure it left unanswered is answered
 *             by one policy (sqlstate.c), and anything else is 500
 *   after     the input drained, the access log line, memory freed
 *
 * Each stage returns FPG_OK to go on, or FPG_EANSWERED once the
 * request has its answer.  A new step is declared -- in struct
 * fpg_resource or fpg_route (.before), or in lib_steps below for the
 * library's own -- never written into this pipeline.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "extern.h"

/*
 * The library's own steps, run before a resource's: CORS first (its
 * headers go on a 401 too), then the bearer token (auth.c).
 */
static const fpg_step lib_steps[] = {
	fpg_cors_step,
	fpg_auth_step,
	NULL
};

/* Answers status with detail; always FPG_EANSWERED, for the stages. */
static enum fpg_err
answer(struct fpg_req *r, int status, const char *detail)
{
	fpg_send_error(r, status, detail);
	return FPG_EANSWERED;
}

static void
input(struct fpg_req *r)
{
	fpg_metrics_begin();
	r->start = fpg_now_us();
	r->status = 500;
	fpg_arena_init(&r->arena, r->arena0, sizeof(r->arena0));
	fpg_io_index(r);
	fpg_req_set_id(r);
	fpg_req_set_trace(r);
	fpg_log_request(r->id);
}

/*
 * "Invalid header: If-Match" for HTTP_IF_MATCH=...: the header's name,
 * never its value (which could not be read).
 */
static enum fpg_err
bad_header(struct fpg_req *r)
{
	char		 msg[96] = "Invalid header: ";
	const char	*p = r->bad_header;
	size_t		 o = strlen(msg);
	int		 up = 1;

	if (strncmp(p, "HTTP_", 5) == 0)
		p += 5;
	for (; *p && *p != '=' && o < sizeof(msg) - 1; p++) {
		if (*p == '_') {
			msg[o++] = '-';
			up = 1;
		} else if (isalnum((unsigned char)*p)) {
			msg[o++] = (char)(up ? *p : tolower((unsigned char)*p));
			up = 0;
		}
	}
	msg[o] = '\0';
	return answer(r, 400, msg);
}

static enum fpg_err
parse(struct fpg_req *r)
{
	const char	*v;
	int		 st;

	if (fpg_req_parse_method(r) != 0)
		return answer(r, 400, "Bad Request");
	if ((st = fpg_req_parse_path(r, r->app->conf.root_path)) != 0)
		return answer(r, st, st == 414 ? "URI Too Long" :
		    st == 400 ? "Invalid path" : "Internal Server Error");
	/* A header the client sent never silently counts as not sent. */
	if (r->bad_header != NULL)
		return bad_header(r);
	if ((v = fpg_io_env(r, FPG_ENV_IF_MATCH)) != NULL &&
	    !fpg_etag_list_valid(v))
		return answer(r, 412, "Precondition Failed: malformed "
		    "If-Match");
	if ((v = fpg_io_env(r, FPG_ENV_IF_NONE_MATCH)) != NULL &&
	    !fpg_etag_list_valid(v))
		return answer(r, 400, "Invalid header: If-None-Match");
	/* Statements of a safe method may run again on a new connection. */
	r->db->idempotent = strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0;
	/* A sampled trace reaches PostgreSQL (pg_stat_activity, and
	 * log_line_prefix's %a) with the request's statements. */
	if (r->sampled) {
		snprintf(r->appname, sizeof(r->appname), "%.24s %s",
		    r->app->res->name, r->trace);
		fpg_db_set_local(r->db, "application_name", r->appname);
		fpg_db_set_local(r->db, "fastpg.trace_id", r->trace);
	}
	return FPG_OK;
}

/* /readyz: 200 while a statement runs on the worker's connection. */
static enum fpg_err
ready(struct fpg_req *r)
{
	static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";
	static const char down[] =
	    "{\"status\":\"unavailable\",\"database\":\"unreachable\"}";
	PGresult *res = fpg_db_run(r->db, NULL, "SELECT 1", 0, NULL);

	if (res != NULL) {
		PQclear(res);
		fpg_send(r, 200, ok, sizeof(ok) - 1);
	} else {
		fpg_set_header(r, "Retry-After", "1");
		fpg_send(r, 503, down, sizeof(down) - 1);
	}
	return FPG_EANSWERED;
}

/* /metrics: the Prometheus text format, the whole resource's. */
static enum fpg_err
metrics(struct fpg_req *r)
{
	struct fpg_buf	 b = { .max = 4 * 1024 * 1024 };

	fpg_metrics_text(&b);
	if (b.oom)
		fpg_send_error(r, 500, "Internal Server Error");
	else
		fpg_send_typed(r, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", b.p, b.len);
	fpg_buf_free(&b);
	return FPG_EANSWERED;
}

/*
 * The documents the library serves itself: the OpenAPI document, and
 * under /_fastpg/<name>/ what operators and load balancers read --
 * livez (the process serves), readyz (and its database answers),
 * metrics.  The shipped web server configurations let only loopback
 * (or a configured network) reach /_fastpg/.
 */
static enum fpg_err
builtin(struct fpg_req *r)
{
	static const char live[] = "{\"status\":\"ok\"}";
	const struct fpg_app *app = r->app;
	const char	*what;
	size_t		 n = strlen(app->ops_path);

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return FPG_OK;
	if (app->openapi && strcmp(r->path, app->openapi_path) == 0) {
		fpg_send(r, 200, app->openapi, strlen(app->openapi));
		return FPG_EANSWERED;
	}
	if (n == 0 || strncmp(r->path, app->ops_path, n) != 0 ||
	    r->path[n] != '/')
		return FPG_OK;
	what = r->path + n + 1;
	if (strcmp(what, "livez") == 0) {
		fpg_send(r, 200, live, sizeof(live) - 1);
		return FPG_EANSWERED;
	}
	if (strcmp(what, "readyz") == 0)
		return ready(r);
	if (strcmp(what, "metrics") == 0)
		return metrics(r);
	return FPG_OK;
}

static enum fpg_err
route(struct fpg_req *r)
{
	char	 allow[128];
	int	 st;

	st = fpg_router_match(&r->app->router, r->method, r->segs, r->nsegs,
	    &r->route, allow, sizeof(allow));
	if (st == 404)
		return answer(r, 404, "Not Found");
	if (st == 405) {
		/* A CORS preflight is OPTIONS on a path of other methods. */
		if (fpg_cors_preflight(r, allow) != FPG_OK)
			return FPG_EANSWERED;
		fpg_set_header(r, "Allow", allow);
		return answer(r, 405, "Method Not Allowed");
	}
	if ((st = fpg_req_parse_query(r)) != 0)
		return answer(r, st, st == 400 ? "Invalid query string" :
		    "Internal Server Error");
	/* A read-only route's statements go to a replica, if fresh. */
	fpg_replica_route(r);
	return FPG_OK;
}

/* Runs one list of steps; a step that stops the request answers it. */
static enum fpg_err
run_steps(struct fpg_req *r, const fpg_step *s)
{
	for (; s != NULL && *s != NULL; s++) {
		if ((*s)(r) == FPG_OK && !r->answered)
			continue;
		if (!r->answered)
			fpg_send_error(r, 500, "Internal Server Error");
		return FPG_EANSWERED;
	}
	return FPG_OK;
}

static enum fpg_err
steps(struct fpg_req *r)
{
	if (run_steps(r, lib_steps) != FPG_OK ||
	    run_steps(r, r->app->res->before) != FPG_OK ||
	    run_steps(r, r->route->def->before) != FPG_OK)
		return FPG_EANSWERED;
	return FPG_OK;
}

/* A route with a body schema takes a JSON body, or a form (.form). */
static enum fpg_err
body(struct fpg_req *r)
{
	const char	*ct;
	int		 st, form = r->route->def->form;

	if (r->route->def->body_schema == NULL)
		return FPG_OK;
	ct = fpg_io_env(r, FPG_ENV_CTYPE);
	if (form && (ct == NULL || !fpg_req_form_type(ct)))
		return answer(r, 415, "Unsupported Media Type: expected "
		    "application/x-www-form-urlencoded");
	if (!form && ct != NULL && *ct != '\0' && !fpg_req_json_type(ct))
		return answer(r, 415, "Unsupported Media Type: expected "
		    "application/json");
	if ((st = fpg_io_read_body(r, r->app->conf.max_body)) != 0)
		return answer(r, st, st == 413 ? "Request body too large" :
		    st == 411 ? "Length Required" : st == 400 ?
		    "Incomplete or invalid request body" :
		    "Internal Server Error");
	return form ? fpg_req_parse_form(r) : fpg_req_parse_body(r);
}

/*
 * Notes when a stage ended, for Server-Timing and the JSON access
 * line; nothing (and no clock read) when neither is on.  Returns 1.
 */
static int
stamp(struct fpg_req *r, int64_t *when)
{
	if (r->app->conf.server_timing || r->app->conf.log_json)
		*when = fpg_now_us();
	return 1;
}

/*
 * The handler, and what it leaves: an open transaction is rolled back
 * first, then an unanswered database failure is answered by its
 * SQLSTATE, and nothing at all by 500.
 */
static void
handler(struct fpg_req *r)
{
	if (r->route->def->handler != NULL)
		r->route->def->handler(r);
	else if (r->route->def->list != NULL)
		fpg_send_list(r, r->route->def->list);
	fpg_db_end(r->db);
	if (r->answered)
		return;
	if (r->db->err.sqlstate[0] != '\0')
		fpg_send_db_error(r);
	else
		fpg_send_error(r, 500, "Internal Server Error");
}

/* A transaction a step left open is rolled back here (the handler's
 * already was); then the input is drained and the request logged. */
static void
after(struct fpg_req *r)
{
	struct fpg_access	 a;
	int64_t			 us;

	fpg_db_end(r->db);
	fpg_io_drain(r);
	us = fpg_now_us() - r->start;
	if (r->status == 503 && (r->db->err.sqlstate[0] == '\0' ||
	    strncmp(r->db->err.sqlstate, "08", 2) == 0) && r->route != NULL)
		fpg_metrics_count(FPG_M_UNAVAILABLE);
	fpg_metrics_end(r->route ? (int)(r->route - r->app->router.routes) :
	    -1, r->status, us, r->db->us);
	a.method = r->method;
	a.route = r->route ? r->route->def->path : NULL;
	a.path = r->path;
	a.id = r->id;
	a.trace = r->trace;
	a.remote = r->app->conf.log_json ? fpg_req_env(r, "REMOTE_ADDR") :
	    NULL;
	a.status = r->status;
	a.bytes = r->bytes;
	a.us = (long)us;
	a.db_us = (long)r->db->us;
	a.parse_us = r->parsed ? (long)(r->parsed - r->start) : 0;
	a.validate_us = r->validated && r->parsed ?
	    (long)(r->validated - r->parsed) : 0;
	fpg_log_access(&a);
	fpg_log_request(NULL);
	fpg_req_free(r);
}

/*
 * Serves one request from its input to its access log line.  r holds
 * the app, the worker's database and the input (fr, or CGI's envp/in/
 * out); everything else starts zeroed.
 */
void
fpg_req_handle(struct fpg_req *r)
{
	input(r);
	fpg_db_start(r->db, 0);
	if (parse(r) == FPG_OK && builtin(r) == FPG_OK &&
	    route(r) == FPG_OK && steps(r) == FPG_OK &&
	    body(r) == FPG_OK && stamp(r, &r->parsed) &&
	    fpg_validate(r) == FPG_OK && stamp(r, &r->validated) &&
	    !r->answered)
		handler(r);
	after(r);
}
