/*
 * check_routing.c -- requests route the same and answers look the same
 * whichever web server sends them (tests/run-tests.sh runs every it_*
 * once per way of serving, SERVER naming it): URL prefixes, percent-
 * encoding, headers, Authorization, bodies chunked and with a length.
 *
 * With ECHO=1 the stack also mounts tests/integration/echo/echo at
 * /echo, a responder that answers with the parameters the server sent,
 * so what a server hands a responder is checked directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *
server(void)
{
	const char *s = getenv("SERVER");

	return s ? s : "nginx";
}

static const char *
param(const struct resp *r, const char *name)
{
	return json_string_value(json_object_get(r->json, name));
}

/* Every answer, the responder's or the server's, is JSON with nosniff. */
static void
assert_json_answer(const struct resp *r)
{
	ck_assert_msg(r->json != NULL, "%s: not JSON: %s", server(), r->body);
	assert_header(r, "Content-Type", "application/json");
	assert_header(r, "X-Content-Type-Options", "nosniff");
}

/* --- what the server sends (echo) ---------------------------------- */

START_TEST(echo_params)
{
	const char	*h[] = { "Authorization: Bearer tok-123.x",
			    "X-Test: a value", NULL };
	struct resp	 r;

	if (getenv("ECHO") == NULL)
		return;
	r = http("GET", "/echo/a%2Fb/x%20y?q=1%202&r=%C3%A9&e=", NULL, 0, h);
	ck_assert_msg(r.status == 200, "%s: %ld %s", server(), r.status,
	    r.body);
	/* The raw URI, encoded slash and all: what responders route on. */
	ck_assert_str_eq(param(&r, "REQUEST_URI"),
	    "/echo/a%2Fb/x%20y?q=1%202&r=%C3%A9&e=");
	ck_assert_str_eq(param(&r, "QUERY_STRING"), "q=1%202&r=%C3%A9&e=");
	ck_assert_str_eq(param(&r, "REQUEST_METHOD"), "GET");
	ck_assert_msg(param(&r, "HTTP_AUTHORIZATION") != NULL,
	    "%s drops Authorization: %s", server(), r.body);
	ck_assert_str_eq(param(&r, "HTTP_AUTHORIZATION"), "Bearer tok-123.x");
	ck_assert_str_eq(param(&r, "HTTP_X_TEST"), "a value");
	resp_free(&r);
}
END_TEST

START_TEST(echo_bodies)
{
	const char	*chunked[] = { "Transfer-Encoding: chunked", NULL };
	size_t		 n = 100000;
	char		*big = malloc(n);
	const char	*cl;
	struct resp	 r;

	if (getenv("ECHO") == NULL) {
		free(big);
		return;
	}
	memset(big, 'x', n);
	r = http("POST", "/echo", big, n, chunked);
	ck_assert_msg(r.status == 200, "%s: %ld", server(), r.status);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json,
	    "body_len")), (json_int_t)n);
	/* Sent with the length, or none: never a wrong one. */
	cl = param(&r, "CONTENT_LENGTH");
	ck_assert_msg(cl == NULL || *cl == '\0' || strcmp(cl, "100000") == 0,
	    "%s: CONTENT_LENGTH %s", server(), cl);
	resp_free(&r);
	r = http("POST", "/echo", big, 5000, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json,
	    "body_len")), 5000);
	ck_assert_str_eq(param(&r, "CONTENT_LENGTH"), "5000");
	resp_free(&r);
	free(big);
}
END_TEST

/* --- the resources ------------------------------------------------- */

/* A resource listed by prefix (apps/health/prefixes: /healthz). */
START_TEST(prefixed_resource)
{
	struct resp r = get("/healthz");

	ck_assert_msg(r.status == 200, "%s: %ld %s", server(), r.status,
	    r.body);
	ck_assert_str_eq(param(&r, "status"), "ok");
	assert_json_answer(&r);
	resp_free(&r);
}
END_TEST

/* Chunked and Content-Length bodies both create; the item reads back. */
START_TEST(bodies_chunked_and_length)
{
	const char	*chunked[] = { "Transfer-Encoding: chunked", NULL };
	const char	*auth[] = { "Authorization: Basic dXNlcjpwdw==", NULL };
	char		 body[256], path[64];
	struct resp	 r;
	int		 i;
	long		 id;

	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof(body), "{\"sku\":\"R-%s-%ld-%d-%d\","
		    "\"name\":\"Routed\",\"price\":3.5}", server(),
		    (long)time(NULL), (int)getpid(), i);
		r = http("POST", "/items", body, strlen(body),
		    i ? chunked : NULL);
		ck_assert_msg(r.status == 201, "%s, %s: %ld %s", server(),
		    i ? "chunked" : "Content-Length", r.status, r.body);
		assert_json_answer(&r);
		assert_header(&r, "X-Request-ID", NULL);
		id = (long)json_integer_value(json_object_get(r.json, "id"));
		resp_free(&r);
		snprintf(path, sizeof(path), "/items/%ld", id);
		r = http("GET", path, NULL, 0, auth);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(param(&r, "name"), "Routed");
		resp_free(&r);
	}
}
END_TEST

START_TEST(percent_encoding)
{
	struct resp r = get("/items?limit=%31");	/* "1" */

	ck_assert_msg(r.status == 200, "%s: %ld %s", server(), r.status,
	    r.body);
	ck_assert(json_is_array(r.json) && json_array_size(r.json) <= 1);
	resp_free(&r);
	/* An encoded slash is part of the id, never a separator. */
	r = get("/items/7%2F1");
	assert_422(&r, "int_parsing", "[\"path\",\"id\"]");
	resp_free(&r);
	r = get("/items/%37");				/* "7" */
	ck_assert(r.status == 200 || r.status == 404);
	assert_json_answer(&r);
	resp_free(&r);
}
END_TEST

/* Paths near a prefix: the server or the responder, both JSON 404. */
START_TEST(near_prefix_paths)
{
	static const char *paths[] = { "/items/", "/itemsX", "/items/1/x",
	    "/", "/nothing" };
	struct resp	 r;
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = get(paths[i]);
		ck_assert_msg(r.status == 404, "%s %s: %ld %s", server(),
		    paths[i], r.status, r.body);
		ck_assert_msg(r.json != NULL, "%s %s: not JSON: %s",
		    server(), paths[i], r.body);
		detail(&r);
		resp_free(&r);
	}
}
END_TEST

START_TEST(head_and_errors_look_alike)
{
	struct resp r = http("HEAD", "/items?limit=1", NULL, 0, NULL);

	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.len, 0);
	resp_free(&r);
	r = get("/items/abc");
	assert_422(&r, "int_parsing", "[\"path\",\"id\"]");
	assert_json_answer(&r);
	assert_header(&r, "Cache-Control", "no-store");
	assert_header(&r, "X-Request-ID", NULL);
	resp_free(&r);
	r = http("PUT", "/items/1", "{}", 2, NULL);
	ck_assert_int_eq(r.status, 405);
	assert_header(&r, "Allow", "GET, PATCH, DELETE");
	assert_json_answer(&r);
	resp_free(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("routing");
	TCase	*t = tcase_create("server");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, echo_params);
	tcase_add_test(t, echo_bodies);
	tcase_add_test(t, prefixed_resource);
	tcase_add_test(t, bodies_chunked_and_length);
	tcase_add_test(t, percent_encoding);
	tcase_add_test(t, near_prefix_paths);
	tcase_add_test(t, head_and_errors_look_alike);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	as_admin();
	return run_suite(suite());
}
