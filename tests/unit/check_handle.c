/*
 * check_handle.c -- lib/handle.c, the request's way, driven through
 * in-memory CGI input (parameters, a body stream, an output stream):
 * declared steps run in order and may stop a request, headers the
 * library cannot read are refused, If-Match is checked before the
 * handler, and CGI reads exactly CONTENT_LENGTH bytes.  No database:
 * nothing here runs a statement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "extern.h"

static int	 ran;		/* handler calls */
static char	 trace[64];	/* steps run, in order */

static void
h_echo(struct fpg_req *r)
{
	const char *who = fpg_local(r);
	size_t len;
	const char *b = fpg_body_text(r, &len);

	ran++;
	if (who != NULL)
		fpg_set_header(r, "X-Who", who);
	fpg_send(r, 200, b ? b : "{}", b ? len : 2);
}

/* fpg_send_typed: a type that would split the head, or one too long
 * for it, is refused and nothing is sent; then a good one goes. */
static void
h_typed(struct fpg_req *r)
{
	char	 longtype[FPG_CTYPE_MAX + 2];

	memset(longtype, 'x', sizeof(longtype) - 1);
	longtype[sizeof(longtype) - 1] = '\0';
	ran++;
	ck_assert_int_eq(fpg_send_typed(r, 200, "text/plain\r\nX-Evil: 1",
	    "no", 2), FPG_EINVAL);
	ck_assert_int_eq(fpg_send_typed(r, 200, longtype, "no", 2),
	    FPG_EINVAL);
	ck_assert_int_eq(fpg_send_typed(r, 200, "", "no", 2), FPG_EINVAL);
	ck_assert(!fpg_answered(r));
	longtype[FPG_CTYPE_MAX] = '\0';	/* exactly the limit: sent */
	ck_assert_int_eq(fpg_send_typed(r, 200, longtype, "no", 2), FPG_OK);
	ck_assert_int_eq(fpg_send_typed(r, 200, "text/plain", "no", 2),
	    FPG_EANSWERED);
}

static void
h_plain(struct fpg_req *r)
{
	ran++;
	fpg_send_typed(r, 200, "text/html; charset=utf-8", "<p>hi</p>", 9);
}

static enum fpg_err
s_lib(struct fpg_req *r)
{
	(void)r;
	strcat(trace, "R");
	return FPG_OK;
}

/* The resource's step: 401 without X-Token, else who it is. */
static enum fpg_err
s_auth(struct fpg_req *r)
{
	const char	*t = fpg_header(r, "X-Token");
	char		*who;

	strcat(trace, "A");
	if (t == NULL)
		return fpg_send_error(r, 401, "Not authenticated") == FPG_OK ?
		    FPG_EANSWERED : FPG_EIO;
	if ((who = fpg_alloc(r, strlen(t) + 1)) == NULL)
		return FPG_ENOMEM;
	memcpy(who, t, strlen(t) + 1);
	fpg_set_local(r, who);
	return FPG_OK;
}

/* A route's step that fails without answering: the library's 500. */
static enum fpg_err
s_broken(struct fpg_req *r)
{
	(void)r;
	strcat(trace, "B");
	return FPG_EINVAL;
}

static const fpg_step res_steps[] = { s_lib, s_auth, NULL };
static const fpg_step broken_steps[] = { s_broken, NULL };

static const struct fpg_route routes[] = {
	{ .method = "GET", .path = "/things/{id}", .handler = h_echo },
	{ .method = "PATCH", .path = "/things/{id}", .handler = h_echo,
	  .body_schema = "{\"type\":\"object\"}" },
	{ .method = "GET", .path = "/typed", .handler = h_typed },
	{ .method = "GET", .path = "/html", .handler = h_plain },
	{ .method = "GET", .path = "/broken", .handler = h_echo,
	  .before = broken_steps },
	{ .method = "POST", .path = "/strict", .handler = h_echo,
	  .body_schema = "{\"type\":\"object\",\"required\":[\"name\"],"
	  "\"additionalProperties\":false,\"properties\":{\"name\":"
	  "{\"type\":\"string\",\"maxLength\":5},\"lines\":{\"type\":"
	  "\"array\",\"items\":{\"type\":\"integer\"}}}}" },
	{ NULL }
};

static const struct fpg_resource res = { .name = "things",
    .routes = routes, .before = res_steps };

static struct fpg_app	 app;

static void
setup(void)
{
	char err[256];

	setenv("MAX_BODY_SIZE", "4m", 1);
	setenv("LOG_LEVEL", "error", 1);
	app.res = &res;
	ck_assert(fpg_conf_load(&app.conf, "/dev/null", err,
	    sizeof(err)) == 0);
	ck_assert(fpg_router_init(&app.router, routes, err,
	    sizeof(err)) == 0);
	fpg_log_init("things", FPG_LOG_ERROR, 0);
	app.dbconf.conninfo = app.conf.conninfo;
}

static void
teardown(void)
{
	fpg_router_free(&app.router);
	fpg_conf_free(&app.conf);
}

/*
 * Serves one CGI request: env is a NULL-terminated list of "K=V",
 * in the bytes on standard input.  Returns the status; the whole
 * response goes to out (caller frees).
 */
static int
serve(const char **env, const char *in, char **out)
{
	struct fpg_db	 db;
	struct fpg_req	 r;
	size_t		 outlen = 0;
	char		*buf = NULL;
	int		 st;

	ran = 0;
	trace[0] = '\0';
	fpg_db_init(&db, &app.dbconf, NULL, "things", 1);
	memset(&r, 0, sizeof(r));
	r.app = &app;
	r.db = &db;
	r.envp = (char **)(uintptr_t)env;
	r.in = fmemopen((void *)(uintptr_t)(in ? in : ""), in ? strlen(in) : 0,
	    "r");
	r.out = open_memstream(&buf, &outlen);
	ck_assert(r.in != NULL && r.out != NULL);
	fpg_req_handle(&r);
	fclose(r.in);
	fclose(r.out);
	st = r.status;
	ck_assert(strncmp(buf, "Status: ", 8) == 0);
	*out = buf;
	return st;
}

START_TEST(t_steps_order)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/things/1",
	    "HTTP_X_TOKEN=alice", NULL };
	char *out;

	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_str_eq(trace, "RA");
	ck_assert_int_eq(ran, 1);
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Who: alice\r\n"));
	free(out);
}
END_TEST

START_TEST(t_step_answers)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/things/1", NULL };
	char *out;

	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out, "Not authenticated"));
	free(out);
}
END_TEST

START_TEST(t_step_fails)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/broken",
	    "HTTP_X_TOKEN=bob", NULL };
	char *out;

	ck_assert_int_eq(serve(env, NULL, &out), 500);
	ck_assert_str_eq(trace, "RAB");
	ck_assert_int_eq(ran, 0);
	free(out);
}
END_TEST

/* A header the library cannot read is 400, never "not sent". */
START_TEST(t_bad_header)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/things/1",
	    "HTTP_X_TOKEN=alice", "HTTP_IDEMPOTENCY_KEY=a\x01z", NULL };
	char *out, *big;

	ck_assert_int_eq(serve(env, NULL, &out), 400);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out, "Invalid header: Idempotency-Key"));
	ck_assert_ptr_null(strstr(out, "a\x01z"));
	free(out);
	/* too long to read: the same */
	big = malloc(FPG_HEADER_MAX + 32);
	ck_assert_ptr_nonnull(big);
	strcpy(big, "HTTP_X_BIG=");
	memset(big + 11, 'x', FPG_HEADER_MAX + 1);
	big[11 + FPG_HEADER_MAX + 1] = '\0';
	env[3] = big;
	ck_assert_int_eq(serve(env, NULL, &out), 400);
	ck_assert_int_eq(ran, 0);
	free(out);
	free(big);
}
END_TEST

/* A malformed If-Match is 412 and runs nothing; If-None-Match 400. */
START_TEST(t_if_match)
{
	static const char *const bad[] = { "HTTP_IF_MATCH=\"1",
	    "HTTP_IF_MATCH=*junk", "HTTP_IF_MATCH=1", NULL };
	const char *env[] = { "REQUEST_METHOD=PATCH", "REQUEST_URI=/things/1",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=2",
	    "HTTP_X_TOKEN=a", NULL, NULL };
	char *out;
	size_t i;

	for (i = 0; bad[i]; i++) {
		env[5] = bad[i];
		ck_assert_msg(serve(env, "{}", &out) == 412, "%s", bad[i]);
		ck_assert_int_eq(ran, 0);
		free(out);
	}
	env[5] = "HTTP_IF_MATCH=\"1\", W/\"2\"";
	ck_assert_int_eq(serve(env, "{}", &out), 200);
	ck_assert_int_eq(ran, 1);
	free(out);
	env[0] = "REQUEST_METHOD=GET";
	env[5] = "HTTP_IF_NONE_MATCH=\"1";
	ck_assert_int_eq(serve(env, NULL, &out), 400);
	ck_assert_int_eq(ran, 0);
	free(out);
}
END_TEST

/* CGI reads exactly CONTENT_LENGTH bytes (RFC 3875), nothing past. */
START_TEST(t_cgi_length)
{
	const char *env[] = { "REQUEST_METHOD=PATCH", "REQUEST_URI=/things/1",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=7",
	    "HTTP_X_TOKEN=a", NULL };
	char *out;

	ck_assert_int_eq(serve(env, "{\"a\":1}TRAILING", &out), 200);
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\n{\"a\":1}"));
	ck_assert_ptr_null(strstr(out, "TRAILING"));
	free(out);
	/* a body without a length: 411, nothing read */
	env[3] = "X_NONE=1";
	ck_assert_int_eq(serve(env, "{\"a\":1}", &out), 411);
	ck_assert_int_eq(ran, 0);
	free(out);
	/* shorter than its length: 400 */
	env[3] = "CONTENT_LENGTH=9";
	ck_assert_int_eq(serve(env, "{\"a\":1}", &out), 400);
	free(out);
}
END_TEST

/* Posts body to /strict; checks the 422 is bounded, valid, list-shaped. */
static void
bounded_422(const char *body)
{
	const char	*env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/strict",
	    "CONTENT_TYPE=application/json", NULL, "HTTP_X_TOKEN=a", NULL };
	char		 cl[64], *out, *b;
	json_t		*j, *e;
	size_t		 i, len;

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
	env[3] = cl;
	ck_assert_int_eq(serve(env, body, &out), 422);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(b = strstr(out, "\r\n\r\n"));
	b += 4;
	len = strlen(b);
	ck_assert_msg(len <= FPG_ERRORS_BYTES, "%zu bytes", len);
	ck_assert_ptr_nonnull(j = json_loadb(b, len, 0, NULL));
	ck_assert(json_array_size(json_object_get(j, "detail")) > 0);
	json_array_foreach(json_object_get(j, "detail"), i, e) {
		ck_assert(json_is_string(json_object_get(e, "type")));
		ck_assert(json_is_array(json_object_get(e, "loc")));
		ck_assert(json_is_string(json_object_get(e, "msg")));
	}
	json_decref(j);
	free(out);
}

/* A 422 never grows with the body (issue 12): bounded, still valid. */
START_TEST(t_bounded_422)
{
	struct fpg_buf	 b = { .max = 4 * 1024 * 1024 };
	size_t		 i;

	/* 50,000 unknown keys: each an error, and "name" missing echoes
	 * the whole body */
	fpg_buf_puts(&b, "{");
	for (i = 0; i < 50000; i++)
		fpg_buf_printf(&b, "%s\"key%zu\":\"v\"", i ? "," : "", i);
	fpg_buf_puts(&b, "}");
	ck_assert(!b.oom);
	bounded_422(b.p);
	fpg_buf_free(&b);
	/* 10,000 invalid lines */
	memset(&b, 0, sizeof(b));
	b.max = 4 * 1024 * 1024;
	fpg_buf_puts(&b, "{\"name\":\"a\",\"lines\":[");
	for (i = 0; i < 10000; i++)
		fpg_buf_printf(&b, "%s\"line %zu\"", i ? "," : "", i);
	fpg_buf_puts(&b, "]}");
	bounded_422(b.p);
	fpg_buf_free(&b);
	/* one long string: its echo is cut, Pydantic-style */
	memset(&b, 0, sizeof(b));
	b.max = 4 * 1024 * 1024;
	fpg_buf_puts(&b, "{\"name\":\"");
	for (i = 0; i < 100000; i++)
		fpg_buf_put(&b, "\xc3\xa9", 2);	/* cut on UTF-8 bounds */
	fpg_buf_puts(&b, "\"}");
	bounded_422(b.p);
	fpg_buf_free(&b);
}
END_TEST

/* SERVER_TIMING: the header with the four durations; off by default. */
START_TEST(t_server_timing)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/things/1",
	    "HTTP_X_TOKEN=a", NULL };
	char *out, *h;

	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_ptr_null(strstr(out, "Server-Timing"));
	free(out);
	app.conf.server_timing = 1;
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	app.conf.server_timing = 0;
	ck_assert_ptr_nonnull(h = strstr(out, "\r\nServer-Timing: parse;dur="));
	ck_assert_ptr_nonnull(strstr(h, ", validate;dur="));
	ck_assert_ptr_nonnull(strstr(h, ", db;dur=0.000, total;dur="));
	free(out);
}
END_TEST

/* fpg_send_typed: the type given, the body as it is. */
START_TEST(t_send_typed)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/html",
	    "HTTP_X_TOKEN=a", NULL }, *env2[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/typed", "HTTP_X_TOKEN=a", NULL };
	char *out;

	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_ptr_nonnull(strstr(out,
	    "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\n<p>hi</p>"));
	free(out);
	ck_assert_int_eq(serve(env2, NULL, &out), 200);
	ck_assert_int_eq(ran, 1);
	ck_assert_ptr_null(strstr(out, "X-Evil"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Type: xxxx"));
	free(out);
}
END_TEST

static Suite *
handle_suite(void)
{
	Suite	*s = suite_create("handle");
	TCase	*tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_steps_order);
	tcase_add_test(tc, t_step_answers);
	tcase_add_test(tc, t_step_fails);
	tcase_add_test(tc, t_bad_header);
	tcase_add_test(tc, t_if_match);
	tcase_add_test(tc, t_cgi_length);
	tcase_add_test(tc, t_bounded_422);
	tcase_add_test(tc, t_server_timing);
	tcase_add_test(tc, t_send_typed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(handle_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
