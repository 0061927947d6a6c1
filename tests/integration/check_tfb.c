/*
 * check_tfb.c -- apps/tfb against the TechEmpower Framework
 * Benchmarks' test requirements, through the web server (BASE_URL)
 * and the database (DB_URL): each type's headers (Server, Date, the
 * exact Content-Type), its body's shape, the queries parameter clamped
 * to 1..500 (missing or not an integer: 1), every row's randomNumber as
 * the database holds it, the fortunes sorted and escaped in the spec's
 * template, and updates that are persisted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The spec's headers: Server and Date (the web server's), the type. */
static void
assert_tfb_headers(const struct resp *r, const char *ctype)
{
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	assert_header(r, "Server", NULL);
	assert_header(r, "Date", NULL);
	assert_header(r, "Content-Type", ctype);
}

/* world's randomnumber for id, as the database holds it now. */
static long
world_num(PGconn *c, json_int_t id)
{
	char		 s[32];
	const char	*v[] = { s };
	PGresult	*res;
	long		 n;

	snprintf(s, sizeof(s), "%" JSON_INTEGER_FORMAT, id);
	res = PQexecParams(c, "SELECT randomnumber FROM world WHERE id = $1",
	    1, NULL, v, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 1);
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/* {"id":1..10000,"randomNumber":what the database holds}, nothing else. */
static json_int_t
assert_world(PGconn *c, json_t *w)
{
	json_t		*id = json_object_get(w, "id");
	json_t		*rn = json_object_get(w, "randomNumber");

	ck_assert_msg(json_is_object(w) && json_object_size(w) == 2 &&
	    json_is_integer(id) && json_is_integer(rn), "not a world");
	ck_assert(json_integer_value(id) >= 1 &&
	    json_integer_value(id) <= 10000);
	ck_assert(json_integer_value(rn) >= 1 &&
	    json_integer_value(rn) <= 10000);
	ck_assert_int_eq(json_integer_value(rn),
	    world_num(c, json_integer_value(id)));
	return json_integer_value(id);
}

START_TEST(tfb_json)
{
	struct resp r = get("/tfb/json");

	assert_tfb_headers(&r, "application/json");
	ck_assert_str_eq(r.body, "{\"message\":\"Hello, World!\"}");
	resp_free(&r);
}
END_TEST

START_TEST(tfb_plaintext)
{
	struct resp r = get("/tfb/plaintext");

	assert_tfb_headers(&r, "text/plain");
	ck_assert_str_eq(r.body, "Hello, World!");
	resp_free(&r);
}
END_TEST

START_TEST(tfb_db)
{
	PGconn		*c = db();
	struct resp	 r;
	int		 i;

	for (i = 0; i < 20; i++) {
		r = get("/tfb/db");
		assert_tfb_headers(&r, "application/json");
		assert_world(c, r.json);
		resp_free(&r);
	}
	PQfinish(c);
}
END_TEST

/* ?queries= values and the number of worlds each must give. */
static const struct { const char *q; size_t n; } counts[] = {
	{ "", 1 }, { "?queries=", 1 }, { "?queries=abc", 1 },
	{ "?queries=5abc", 1 }, { "?queries=0", 1 }, { "?queries=-3", 1 },
	{ "?queries=1", 1 }, { "?queries=7", 7 }, { "?queries=20", 20 },
	{ "?queries=500", 500 }, { "?queries=501", 500 },
	{ "?queries=99999999999999999999999", 500 }, { "?other=3", 1 },
};

START_TEST(tfb_queries)
{
	PGconn		*c = db();
	struct resp	 r;
	char		 path[128];
	size_t		 i, j;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		snprintf(path, sizeof(path), "/tfb/queries%s", counts[i].q);
		r = get(path);
		assert_tfb_headers(&r, "application/json");
		ck_assert_msg(json_is_array(r.json) &&
		    json_array_size(r.json) == counts[i].n, "%s: %zu worlds",
		    path, json_array_size(r.json));
		for (j = 0; j < json_array_size(r.json); j++)
			assert_world(c, json_array_get(r.json, j));
		resp_free(&r);
	}
	PQfinish(c);
}
END_TEST

START_TEST(tfb_updates)
{
	PGconn		*c = db();
	struct resp	 r;
	char		 path[128];
	unsigned char	 seen[10001];
	json_int_t	 id;
	size_t		 i, j;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		snprintf(path, sizeof(path), "/tfb/updates%s", counts[i].q);
		r = get(path);
		assert_tfb_headers(&r, "application/json");
		ck_assert_msg(json_is_array(r.json) &&
		    json_array_size(r.json) == counts[i].n, "%s: %zu worlds",
		    path, json_array_size(r.json));
		/* Persisted: each answered number is the row's now;
		 * distinct ids, so no row is answered twice. */
		memset(seen, 0, sizeof(seen));
		for (j = 0; j < json_array_size(r.json); j++) {
			id = assert_world(c, json_array_get(r.json, j));
			ck_assert_msg(!seen[id], "%s: id %d twice", path,
			    (int)id);
			seen[id] = 1;
		}
		resp_free(&r);
	}
	PQfinish(c);
}
END_TEST

START_TEST(updates_change_rows)
{
	long		 before, changed = 0;
	struct resp	 r;

	/* 500 rows get new random numbers: almost all of them change. */
	before = db_long("SELECT sum(hashint4(randomnumber + id * 10001))"
	    " FROM world");
	r = get("/tfb/updates?queries=500");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	changed = db_long("SELECT sum(hashint4(randomnumber + id * 10001))"
	    " FROM world") != before;
	ck_assert_msg(changed, "no row of world changed");
}
END_TEST

/* The spec's fortunes, sorted, the added one among them, escaped. */
static const char fortunes_html[] =
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body>"
    "<table><tr><th>id</th><th>message</th></tr>"
    "<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be "
    "displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>"
    "<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, "
    "4.33e+67, 1, 1, 1</td></tr>"
    "<tr><td>5</td><td>A computer program does what you tell it to do, "
    "not what you want it to do.</td></tr>"
    "<tr><td>2</td><td>A computer scientist is someone who fixes things "
    "that aren&#39;t broken.</td></tr>"
    "<tr><td>8</td><td>A list is only as strong as its weakest link. "
    "\xe2\x80\x94 Donald Knuth</td></tr>"
    "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>"
    "<tr><td>3</td><td>After enough decimal places, nobody gives a "
    "damn.</td></tr>"
    "<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>"
    "<tr><td>10</td><td>Computers make very fast, very accurate "
    "mistakes.</td></tr>"
    "<tr><td>6</td><td>Emacs is a nice operating system, but I prefer "
    "UNIX. \xe2\x80\x94 Tom Christaensen</td></tr>"
    "<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>"
    "<tr><td>1</td><td>fortune: No such file or directory</td></tr>"
    "<tr><td>12</td><td>\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0"
    "\xe3\x83\xaf\xe3\x83\xbc\xe3\x82\xaf\xe3\x81\xae\xe3\x83\x99\xe3\x83"
    "\xb3\xe3\x83\x81\xe3\x83\x9e\xe3\x83\xbc\xe3\x82\xaf</td></tr>"
    "</table></body></html>";

START_TEST(tfb_fortunes)
{
	struct resp r = get("/tfb/fortunes");

	assert_tfb_headers(&r, "text/html; charset=utf-8");
	ck_assert_msg(strcmp(r.body, fortunes_html) == 0, "got %s", r.body);
	ck_assert_ptr_null(strstr(r.body, "<script"));
	resp_free(&r);
	/* The added fortune is not persisted. */
	ck_assert_int_eq(db_long("SELECT count(*) FROM fortune"), 12);
}
END_TEST

/* Only GET; the resource's other paths are 404s in JSON. */
START_TEST(other_methods_and_paths)
{
	struct resp r = http("POST", "/tfb/json", "{}", 2, NULL);

	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
	r = get("/tfb/nothing");
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("tfb");
	TCase	*t = tcase_create("types");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, tfb_json);
	tcase_add_test(t, tfb_plaintext);
	tcase_add_test(t, tfb_db);
	tcase_add_test(t, tfb_queries);
	tcase_add_test(t, tfb_updates);
	tcase_add_test(t, updates_change_rows);
	tcase_add_test(t, tfb_fortunes);
	tcase_add_test(t, other_methods_and_paths);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return run_suite(suite());
}
