/*
 * check_http.c -- the items resource over real HTTP: nginx in front,
 * the responders behind it under spawn-fcgi + multiwatch, and a real
 * PostgreSQL, all started by tests/run-tests.sh.
 *
 * Environment: BASE_URL (nginx), DB_URL (the database as its owner, to
 * check what was written), BIN_DIR (for the CGI test), PG_STOP and
 * PG_START (shell commands that stop and start PostgreSQL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static long
item_count(void)
{
	return db_long("SELECT count(*) FROM items");
}

/* Creates an item with a unique sku; returns its id. */
static long
make_item(const char *extra)
{
	static int	 n;
	char		 body[1024];
	struct resp	 r;
	long		 id;

	snprintf(body, sizeof(body), "{\"sku\":\"T-%ld-%d-%d\",\"name\":"
	    "\"Test item\",\"price\":12.5%s%s}", (long)time(NULL),
	    (int)getpid(), ++n, extra ? "," : "", extra ? extra : "");
	r = send_json("POST", "/items", body);
	ck_assert_msg(r.status == 201, "create: %ld %s", r.status, r.body);
	id = (long)json_integer_value(json_object_get(r.json, "id"));
	ck_assert_int_gt(id, 0);
	resp_free(&r);
	return id;
}

/* --- the CRUD round trip ------------------------------------------- */

START_TEST(create_read_exact)
{
	const char	*body = "{\"sku\":\"EXACT-1\",\"name\":\"Exact\","
	    "\"price\":9999999999.99,\"stock\":3,\"attributes\":{\"big\":"
	    "9007199254740993,\"dec\":1234567890.123456789012345678901234,"
	    "\"nested\":{\"a\":[1,2.50,\"x\"]}}}";
	struct resp	 r = send_json("POST", "/items", body), g;
	char		 path[64];
	long		 id;

	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	assert_header(&r, "Content-Type", "application/json");
	id = (long)json_integer_value(json_object_get(r.json, "id"));
	snprintf(path, sizeof(path), "/items/%ld", id);
	/* Digit for digit: the price at its maximum, numbers no double
	 * holds, a trailing zero kept by jsonb's numeric. */
	ck_assert_ptr_nonnull(strstr(r.body, "9999999999.99"));
	ck_assert_ptr_nonnull(strstr(r.body, "9007199254740993"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "1234567890.123456789012345678901234"));
	ck_assert_ptr_nonnull(strstr(r.body, "2.50"));
	g = get(path);
	ck_assert_int_eq(g.status, 200);
	ck_assert_ptr_nonnull(strstr(g.body, "9999999999.99"));
	ck_assert_ptr_nonnull(strstr(g.body, "9007199254740993"));
	ck_assert_ptr_nonnull(strstr(g.body,
	    "1234567890.123456789012345678901234"));
	ck_assert_str_eq(json_string_value(json_object_get(g.json, "sku")),
	    "EXACT-1");
	ck_assert_int_eq(json_integer_value(json_object_get(g.json, "stock")),
	    3);
	ck_assert(json_is_null(json_object_get(g.json, "description")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(g.json,
	    "created_at")));
	ck_assert_int_eq(db_long("SELECT count(*) FROM items WHERE sku = "
	    "'EXACT-1' AND price = 9999999999.99 AND attributes->'big' = "
	    "'9007199254740993'::jsonb"), 1);
	resp_free(&r);
	resp_free(&g);
}
END_TEST

START_TEST(defaults_applied)
{
	struct resp r = send_json("POST", "/items",
	    "{\"sku\":\"DEF-1\",\"name\":\"Defaults\",\"price\":0}");

	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "stock")),
	    0);
	ck_assert_int_eq(json_object_size(json_object_get(r.json,
	    "attributes")), 0);
	resp_free(&r);
}
END_TEST

START_TEST(patch_merges)
{
	long		 id = make_item("\"description\":\"old\",\"stock\":5");
	char		 path[64];
	struct resp	 r, g;

	snprintf(path, sizeof(path), "/items/%ld", id);
	r = send_json("PATCH", path, "{\"name\":\"Renamed\",\"description\":"
	    "null,\"price\":0.10}");
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	g = get(path);
	ck_assert_str_eq(json_string_value(json_object_get(g.json, "name")),
	    "Renamed");
	ck_assert(json_is_null(json_object_get(g.json, "description")));
	ck_assert_int_eq(json_integer_value(json_object_get(g.json, "stock")),
	    5);
	ck_assert_ptr_nonnull(strstr(g.body, "0.10"));
	resp_free(&r);
	resp_free(&g);
	r = send_json("PATCH", "/items/999999999", "{\"name\":\"x\"}");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(detail(&r), "Not Found");
	resp_free(&r);
	r = send_json("PATCH", path, "{}");
	assert_422(&r, "too_short", "[\"body\"]");
	resp_free(&r);
}
END_TEST

START_TEST(delete_then_gone)
{
	long		 id = make_item(NULL);
	char		 path[64];
	struct resp	 r;

	snprintf(path, sizeof(path), "/items/%ld", id);
	r = http("DELETE", path, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 204);
	ck_assert_int_eq(r.len, 0);
	resp_free(&r);
	r = get(path);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(detail(&r), "Not Found");
	resp_free(&r);
	r = http("DELETE", path, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

START_TEST(list_limit)
{
	struct resp	 r;
	char		*link;

	make_item(NULL);
	make_item(NULL);
	make_item(NULL);
	r = get("/items?limit=2");
	ck_assert_int_eq(r.status, 200);
	ck_assert(json_is_array(r.json));
	ck_assert_int_eq(json_array_size(r.json), 2);
	link = header(&r, "Link");
	ck_assert_ptr_nonnull(link);
	ck_assert_ptr_nonnull(strstr(link, "rel=\"next\""));
	ck_assert_ptr_nonnull(strstr(link, "limit=2"));
	free(link);
	resp_free(&r);
	r = get("/items?limit=100&sku=no-such-sku");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "[]");
	ck_assert_ptr_null(header(&r, "Link"));
	resp_free(&r);
}
END_TEST

START_TEST(duplicate_sku_conflict)
{
	const char	*b = "{\"sku\":\"DUP-1\",\"name\":\"a\",\"price\":1}";
	struct resp	 r = send_json("POST", "/items", b);
	long		 before;

	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	before = item_count();
	r = send_json("POST", "/items", b);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(detail(&r), "sku already exists");
	ck_assert_ptr_null(strstr(r.body, "items_sku_key"));
	ck_assert_int_eq(item_count(), before);
	resp_free(&r);
}
END_TEST

/* --- bad input: a clear answer, nothing written, still serving ------ */

START_TEST(bad_json)
{
	long		 before = item_count();
	struct resp	 r = send_json("POST", "/items", "{\"sku\": \"x\",");

	assert_422(&r, "json_invalid", "[\"body\",12]");
	resp_free(&r);
	r = send_json("POST", "/items", "{\"sku\":\"A\",\"sku\":\"B\","
	    "\"name\":\"n\",\"price\":1}");
	assert_422(&r, "json_invalid", "[\"body\",16]");
	resp_free(&r);
	r = send_json("POST", "/items", "[1,2]");
	ck_assert_int_eq(r.status, 422);
	resp_free(&r);
	r = send_json("POST", "/items", "");
	assert_422(&r, "missing", "[\"body\"]");
	resp_free(&r);
	ck_assert_int_eq(item_count(), before);
}
END_TEST

START_TEST(validation_errors_all_at_once)
{
	struct resp r = send_json("POST", "/items", "{\"sku\":\"\","
	    "\"price\":-1,\"extra\":1,\"stock\":1.5}");

	assert_422(&r, "missing", "[\"body\",\"name\"]");
	assert_422(&r, "string_too_short", "[\"body\",\"sku\"]");
	assert_422(&r, "greater_than_equal", "[\"body\",\"price\"]");
	assert_422(&r, "extra_forbidden", "[\"body\",\"extra\"]");
	assert_422(&r, "int_from_float", "[\"body\",\"stock\"]");
	resp_free(&r);
	r = send_json("POST", "/items", "{\"sku\":\"a b\",\"name\":\"n\","
	    "\"price\":19.999}");
	assert_422(&r, "string_pattern_mismatch", "[\"body\",\"sku\"]");
	assert_422(&r, "multiple_of", "[\"body\",\"price\"]");
	resp_free(&r);
	r = send_json("POST", "/items", "{\"sku\":\"ok-19.99\",\"name\":\"n\","
	    "\"price\":19.99}");
	ck_assert_msg(r.status == 201, "19.99 is a multiple of 0.01: %s",
	    r.body);
	resp_free(&r);
}
END_TEST

/* An answer never grows with the body: 2,500 unknown keys (the whole
 * body echoed by "missing" before) stay under FPG_ERRORS_BYTES. */
START_TEST(validation_answer_bounded)
{
	char		*body = malloc(64 * 1024), *p = body;
	struct resp	 r;
	int		 i;

	ck_assert_ptr_nonnull(body);
	*p++ = '{';
	for (i = 0; i < 2500; i++)
		p += sprintf(p, "%s\"unknown%05d\":\"vvvvvv\"", i ? "," : "", i);
	*p++ = '}';
	*p = '\0';
	r = send_json("POST", "/items", body);
	ck_assert_int_eq(r.status, 422);
	ck_assert_msg(r.len <= 65536, "%zu bytes", r.len);
	ck_assert(json_array_size(json_object_get(r.json, "detail")) > 0);
	resp_free(&r);
	free(body);
}
END_TEST

START_TEST(wrong_content_type)
{
	const char	*h[] = { "Content-Type: text/plain", NULL };
	long		 before = item_count();
	struct resp	 r = http("POST", "/items", "{\"sku\":\"ct\",\"name\":"
	    "\"n\",\"price\":1}", 30, h);

	ck_assert_int_eq(r.status, 415);
	ck_assert_ptr_nonnull(strstr(detail(&r), "application/json"));
	ck_assert_int_eq(item_count(), before);
	resp_free(&r);
}
END_TEST

START_TEST(body_too_large)
{
	size_t		 n = 200 * 1024;
	char		*big = malloc(n + 1);
	long		 before = item_count();
	struct resp	 r;

	/* Over the responder's MAX_BODY_SIZE (64k), under nginx's 1m. */
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	r = http("POST", "/items", big, n, NULL);
	ck_assert_int_eq(r.status, 413);
	detail(&r);
	resp_free(&r);
	/* Chunked, so no Content-Length to refuse early. */
	{
		const char *h[] = { "Transfer-Encoding: chunked", NULL };

		r = http("POST", "/items", big, n, h);
		ck_assert_int_eq(r.status, 413);
		detail(&r);
		resp_free(&r);
	}
	/* Over nginx's own limit: its answer is JSON too. */
	big = realloc(big, 2 * 1024 * 1024);
	memset(big, ' ', 2 * 1024 * 1024);
	r = http("POST", "/items", big, 2 * 1024 * 1024, NULL);
	ck_assert_int_eq(r.status, 413);
	detail(&r);
	resp_free(&r);
	free(big);
	ck_assert_int_eq(item_count(), before);
	r = get("/items?limit=1");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

START_TEST(bad_ids_and_queries)
{
	struct resp r = get("/items/abc");

	assert_422(&r, "int_parsing", "[\"path\",\"id\"]");
	resp_free(&r);
	r = get("/items/0");
	assert_422(&r, "greater_than_equal", "[\"path\",\"id\"]");
	resp_free(&r);
	r = get("/items/99999999999999999999999");
	assert_422(&r, "int_parsing_size", "[\"path\",\"id\"]");
	resp_free(&r);
	/* An encoded slash stays inside the id. */
	r = get("/items/1%2F2");
	assert_422(&r, "int_parsing", "[\"path\",\"id\"]");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "detail"), 0), "input")), "1/2");
	resp_free(&r);
	r = get("/items?limit=ten");
	assert_422(&r, "int_parsing", "[\"query\",\"limit\"]");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "detail")),
	    1);
	resp_free(&r);
	r = get("/items?limit=0&min_price=-1&bogus=1");
	assert_422(&r, "greater_than_equal", "[\"query\",\"limit\"]");
	assert_422(&r, "greater_than_equal", "[\"query\",\"min_price\"]");
	assert_422(&r, "extra_forbidden", "[\"query\",\"bogus\"]");
	resp_free(&r);
	r = get("/items?limit=101");
	assert_422(&r, "less_than_equal", "[\"query\",\"limit\"]");
	resp_free(&r);
	r = get("/items?limit=1'%20OR%201=1--");
	assert_422(&r, "int_parsing", "[\"query\",\"limit\"]");
	resp_free(&r);
}
END_TEST

START_TEST(unknown_path_and_method)
{
	struct resp r = get("/nothing/here");

	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(detail(&r), "Not Found");
	resp_free(&r);
	r = get("/items/1/extra");
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(detail(&r), "Not Found");
	resp_free(&r);
	r = http("PUT", "/items/1", "{}", 2, NULL);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(detail(&r), "Method Not Allowed");
	assert_header(&r, "Allow", "GET, PATCH, DELETE");
	resp_free(&r);
	r = http("DELETE", "/items", NULL, 0, NULL);
	ck_assert_int_eq(r.status, 405);
	assert_header(&r, "Allow", "POST, GET");
	resp_free(&r);
	r = get("/items/%2e%2e/items");
	ck_assert(r.status == 400 || r.status == 404);
	detail(&r);
	resp_free(&r);
	r = get("/items/a%00b");
	/* Apache refuses a NUL in the path itself, with a (JSON) 404. */
	if (getenv("SERVER") && strncmp(getenv("SERVER"), "apache", 6) == 0)
		ck_assert_int_eq(r.status, 404);
	else
		ck_assert_int_eq(r.status, 400);
	detail(&r);
	resp_free(&r);
}
END_TEST

START_TEST(request_id_and_headers)
{
	const char	*sane[] = { "X-Request-ID: abc-123.XYZ_9", NULL };
	const char	*evil[] = { "X-Request-ID: a b<script>", NULL };
	struct resp	 r = http("GET", "/items?limit=1", NULL, 0, sane);
	char		*id;

	assert_header(&r, "X-Request-ID", "abc-123.XYZ_9");
	assert_header(&r, "X-Content-Type-Options", "nosniff");
	resp_free(&r);
	r = http("GET", "/items?limit=1", NULL, 0, evil);
	id = header(&r, "X-Request-ID");
	ck_assert_ptr_nonnull(id);
	ck_assert_int_eq(strlen(id), 32);
	ck_assert_int_eq(strspn(id, "0123456789abcdef"), 32);
	free(id);
	resp_free(&r);
	r = get("/items/abc");
	assert_header(&r, "X-Request-ID", NULL);
	assert_header(&r, "Content-Type", "application/json");
	resp_free(&r);
}
END_TEST

/* The same binary as plain CGI: one request, then it exits. */
START_TEST(cgi_mode)
{
	char	 cmd[2048], out[4096];
	FILE	*p;
	size_t	 n;
	long	 id = make_item(NULL);

	snprintf(cmd, sizeof(cmd), "GATEWAY_INTERFACE=CGI/1.1 "
	    "REQUEST_METHOD=GET REQUEST_URI=/items/%ld QUERY_STRING= "
	    "DATABASE_URL='%s' %s/items </dev/null 2>/dev/null", id,
	    getenv("DB_URL"), getenv("BIN_DIR"));
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(strncmp(out, "Status: 200 OK\r\n", 16) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "Content-Type: application/json"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\n{"));
}
END_TEST

/* PostgreSQL restarts: 503 quickly meanwhile, then service again,
 * with no responder restarted. */
START_TEST(database_restart)
{
	struct resp	 r;
	struct timespec	 t0, t1;
	double		 ms;
	int		 i, ok = 0;

	r = get("/items?limit=1");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(system(getenv("PG_STOP")), 0);
	for (i = 0; i < 5; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = get("/items?limit=1");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 +
		    (t1.tv_nsec - t0.tv_nsec) / 1e6;
		ck_assert_msg(r.status == 503, "during outage: %ld %s",
		    r.status, r.body);
		assert_header(&r, "Retry-After", "1");
		ck_assert_ptr_null(strstr(r.body, "connect"));
		ck_assert_msg(ms < 3000, "503 took %.0f ms", ms);
		detail(&r);
		resp_free(&r);
	}
	ck_assert_int_eq(system(getenv("PG_START")), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100 && ok < 8; i++) {
		r = get("/items?limit=1");
		ok = r.status == 200 ? ok + 1 : 0;
		resp_free(&r);
		if (ok == 0)
			usleep(50000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(ok >= 8, "not serving again after restart");
	ck_assert_msg(ms < 2500, "back after %.0f ms", ms);
	fprintf(stderr, "database_restart: serving again %.0f ms after "
	    "PostgreSQL accepted connections\n", ms);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*t = tcase_create("items");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, create_read_exact);
	tcase_add_test(t, validation_answer_bounded);
	tcase_add_test(t, defaults_applied);
	tcase_add_test(t, patch_merges);
	tcase_add_test(t, delete_then_gone);
	tcase_add_test(t, list_limit);
	tcase_add_test(t, duplicate_sku_conflict);
	tcase_add_test(t, bad_json);
	tcase_add_test(t, validation_errors_all_at_once);
	tcase_add_test(t, wrong_content_type);
	tcase_add_test(t, body_too_large);
	tcase_add_test(t, bad_ids_and_queries);
	tcase_add_test(t, unknown_path_and_method);
	tcase_add_test(t, request_id_and_headers);
	tcase_add_test(t, cgi_mode);
	suite_add_tcase(s, t);
	t = tcase_create("outage");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, database_restart);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	as_admin();
	return run_suite(suite());
}
