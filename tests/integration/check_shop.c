/*
 * check_shop.c -- the example shop over real HTTP: items' keyset pages,
 * sorts, filters, search, ETags; orders' one-transaction stock, races,
 * idempotency keys, cancel; health.  Concurrent cases use real
 * concurrent requests, and every case checks the database afterwards.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define THREADS	8

static char	 tag[64];	/* unique per test process */

static void
set_tag(void)
{
	snprintf(tag, sizeof(tag), "t%ld%d", (long)time(NULL), (int)getpid());
}

/* Creates an item; returns its id. */
static long
item(const char *sku, const char *name, const char *price, int stock,
    const char *attrs)
{
	char		 body[1024];
	struct resp	 r;
	long		 id;

	snprintf(body, sizeof(body), "{\"sku\":\"%s-%s\",\"name\":\"%s\","
	    "\"price\":%s,\"stock\":%d,\"attributes\":%s}", tag, sku, name,
	    price, stock, attrs ? attrs : "{}");
	r = send_json("POST", "/items", body);
	ck_assert_msg(r.status == 201, "create: %ld %s", r.status, r.body);
	id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	return id;
}

/* The path of a Link rel="next" header, or NULL. */
static char *
next_link(const struct resp *r)
{
	char	*v = header(r, "Link"), *s, *e, *p = NULL;

	if (v != NULL && (s = strchr(v, '<')) != NULL &&
	    (e = strchr(s, '>')) != NULL && strstr(e, "rel=\"next\""))
		p = strndup(s + 1, (size_t)(e - s - 1));
	free(v);
	return p;
}

static long
stock_of(long id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT stock FROM items WHERE id = %ld", id);
	return db_long(sql);
}

/* --- items ----------------------------------------------------------- */

/* Walking the Link headers returns every row once, in order, even
 * while rows are inserted meanwhile. */
START_TEST(keyset_walk)
{
	long		 ids[200], seen = 0, i, j, created = 0;
	char		 path[256], attrs[128], *next;
	const char	*prices[] = { "1.00", "2.00", "2.00", "3.50", "2.00" };
	double		 last = -1;
	long		 lastid = 0;
	struct resp	 r;

	set_tag();
	snprintf(attrs, sizeof(attrs), "{\"batch\":\"%s\"}", tag);
	for (i = 0; i < 23; i++) {
		char sku[32];

		snprintf(sku, sizeof(sku), "kw%ld", i);
		item(sku, "Walker", prices[i % 5], 1, attrs);
		created++;
	}
	snprintf(path, sizeof(path), "/items?attr.batch=%s&sort=price&limit=5",
	    tag);
	next = strdup(path);
	while (next != NULL) {
		json_t *it;
		size_t k;

		r = get(next);
		free(next);
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		ck_assert(json_array_size(r.json) <= 5);
		json_array_foreach(r.json, k, it) {
			double p = atof(json_string_value(json_object_get(it,
			    "sku")) ? "0" : "0");
			long id = (long)json_integer_value(json_object_get(it,
			    "id"));

			p = json_number_value(json_object_get(it, "price"));
			ck_assert_msg(p > last || (p == last && id > lastid),
			    "out of order: %.2f/%ld after %.2f/%ld", p, id,
			    last, lastid);
			last = p;
			lastid = id;
			for (j = 0; j < seen; j++)
				ck_assert_msg(ids[j] != id, "%ld twice", id);
			ids[seen++] = id;
		}
		next = next_link(&r);
		resp_free(&r);
		/* Rows arrive meanwhile: one before the cursor, one after. */
		if (seen == 10) {
			item("kwlate1", "Walker", "1.00", 1, attrs);
			item("kwlate2", "Walker", "9.00", 1, attrs);
		}
	}
	/* Every original row, plus the one inserted past the cursor. */
	ck_assert_int_eq(seen, created + 1);
}
END_TEST

START_TEST(sorts_and_filters)
{
	char		 path[256], attrs[128];
	struct resp	 r;
	long		 a, b, c;

	set_tag();
	snprintf(attrs, sizeof(attrs), "{\"batch\":\"%s\",\"color\":\"red\","
	    "\"size\":10}", tag);
	a = item("sf-a", "Alpha teapot", "5.00", 0, attrs);
	snprintf(attrs, sizeof(attrs), "{\"batch\":\"%s\",\"color\":\"blue\","
	    "\"size\":10}", tag);
	b = item("sf-b", "Beta coffee grinder", "15.00", 3, attrs);
	snprintf(attrs, sizeof(attrs), "{\"batch\":\"%s\",\"color\":\"red\","
	    "\"size\":\"10\"}", tag);
	c = item("sf-c", "Gamma coffee cup", "10.00", 2, attrs);

	snprintf(path, sizeof(path), "/items?attr.batch=%s&sort=-price", tag);
	r = get(path);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(r.json), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), b);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 2), "id")), a);
	resp_free(&r);
	snprintf(path, sizeof(path), "/items?attr.batch=%s&sort=name", tag);
	r = get(path);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), a);
	resp_free(&r);
	snprintf(path, sizeof(path), "/items?attr.batch=%s&min_price=10&"
	    "max_price=15&sort=id", tag);
	r = get(path);
	ck_assert_int_eq(json_array_size(r.json), 2);
	resp_free(&r);
	snprintf(path, sizeof(path), "/items?attr.batch=%s&in_stock=false",
	    tag);
	r = get(path);
	ck_assert_int_eq(json_array_size(r.json), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), a);
	resp_free(&r);
	/* attr filters combine with AND; 10 is a number, "10" a string */
	snprintf(path, sizeof(path), "/items?attr.batch=%s&attr.color=red&"
	    "attr.size=10", tag);
	r = get(path);
	ck_assert_int_eq(json_array_size(r.json), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), a);
	resp_free(&r);
	snprintf(path, sizeof(path), "/items?sku=%s-sf-c", tag);
	r = get(path);
	ck_assert_int_eq(json_array_size(r.json), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), c);
	resp_free(&r);
	/* websearch syntax: words, quotes, minus */
	snprintf(path, sizeof(path), "/items?attr.batch=%s&q=coffee%%20-cup",
	    tag);
	r = get(path);
	ck_assert_int_eq(json_array_size(r.json), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), b);
	resp_free(&r);
	/* Malformed values are 422s, not 500s. */
	r = get("/items?sort=stock");
	assert_422(&r, "enum", "[\"query\",\"sort\"]");
	resp_free(&r);
	r = get("/items?min_price=abc&in_stock=maybe");
	assert_422(&r, "float_parsing", "[\"query\",\"min_price\"]");
	assert_422(&r, "bool_parsing", "[\"query\",\"in_stock\"]");
	resp_free(&r);
	r = get("/items?after=not-a-cursor");
	assert_422(&r, "value_error", "[\"query\",\"after\"]");
	resp_free(&r);
	r = get("/items?q=x%27%3B%20DROP%20TABLE%20items%3B--");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_gt(db_long("SELECT count(*) FROM items"), 0);
}
END_TEST

START_TEST(internal_columns_hidden)
{
	struct resp	 r;
	char		 path[64];
	long		 id;

	set_tag();
	id = item("hid", "Hidden", "1.00", 1, NULL);
	snprintf(path, sizeof(path), "/items/%ld", id);
	r = get(path);
	ck_assert_ptr_null(json_object_get(r.json, "version"));
	ck_assert_ptr_null(json_object_get(r.json, "search"));
	ck_assert_ptr_nonnull(json_object_get(r.json, "price"));
	resp_free(&r);
}
END_TEST

START_TEST(etag_and_conditional)
{
	char		 path[64], inm[128], *etag;
	const char	*h[2] = { inm, NULL };
	struct resp	 r;
	long		 id;

	set_tag();
	id = item("etag", "Tagged", "3.00", 4, NULL);
	snprintf(path, sizeof(path), "/items/%ld", id);
	r = get(path);
	etag = header(&r, "ETag");
	ck_assert_ptr_nonnull(etag);
	resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	r = http("GET", path, NULL, 0, h);
	ck_assert_int_eq(r.status, 304);
	ck_assert_int_eq(r.len, 0);
	resp_free(&r);
	/* A matching If-Match updates and gives a new ETag ... */
	snprintf(inm, sizeof(inm), "If-Match: %s", etag);
	r = http("PATCH", path, "{\"stock\":5}", 11, h);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	{
		char *e2 = header(&r, "ETag");

		ck_assert_str_ne(e2, etag);
		free(e2);
	}
	resp_free(&r);
	/* ... and the same, now stale, is 412 with nothing changed. */
	r = http("PATCH", path, "{\"stock\":9}", 11, h);
	ck_assert_int_eq(r.status, 412);
	detail(&r);
	resp_free(&r);
	ck_assert_int_eq(stock_of(id), 5);
	free(etag);
	r = send_json("PATCH", "/items/999999999", "{\"stock\":1}");
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST


struct race {
	const char	*method, *path, *body;
	const char	*hdrs[3];
	long		 status;
	char		*answer;
};

static void *
racer(void *arg)
{
	struct race	*rc = arg;
	struct resp	 r = http(rc->method, rc->path, rc->body,
	    strlen(rc->body), rc->hdrs);

	rc->status = r.status;
	rc->answer = strdup(r.body);
	resp_free(&r);
	return NULL;
}

/* Runs THREADS identical requests at once; counts statuses. */
static void
race(struct race *rc, int n)
{
	pthread_t	t[THREADS];
	int		i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, &rc[i]), 0);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int
count_status(const struct race *rc, int n, long status)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += rc[i].status == status;
	return c;
}

START_TEST(patch_race_one_wins)
{
	struct race	 rc[THREADS];
	char		 path[64], im[64];
	long		 id;
	int		 i;

	set_tag();
	id = item("race", "Raced", "3.00", 1, NULL);
	snprintf(path, sizeof(path), "/items/%ld", id);
	snprintf(im, sizeof(im), "If-Match: \"1\"");
	for (i = 0; i < THREADS; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].method = "PATCH";
		rc[i].path = path;
		rc[i].body = "{\"stock\":2}";
		rc[i].hdrs[0] = im;
	}
	race(rc, THREADS);
	ck_assert_int_eq(count_status(rc, THREADS, 200), 1);
	ck_assert_int_eq(count_status(rc, THREADS, 412), THREADS - 1);
	for (i = 0; i < THREADS; i++)
		free(rc[i].answer);
	ck_assert_int_eq(db_long("SELECT count(*) FROM items WHERE version = 2"
	    " AND stock = 2 AND sku LIKE '%-race'") >= 1, 1);
}
END_TEST

/* --- orders ------------------------------------------------------------ */

static long
count_orders(void)
{
	return db_long("SELECT count(*) FROM orders");
}

/*
 * Preconditions the library cannot read, or that do not hold, write
 * nothing (issue 12): If-Match compares strongly (W/ never matches), a
 * list matches any of its tags, "*" on a missing item is 412, and a
 * malformed If-Match is 412.  An Idempotency-Key with a control byte is
 * 400 (the web server's own or the library's), never a second order.
 */
START_TEST(preconditions_unreadable_or_false)
{
	static const char *const never[] = { "If-Match: W/\"1\"",
	    "If-Match: \"1", "If-Match: *junk", "If-Match: 1",
	    "If-Match: \"1\" \"2\"", NULL };
	char		 path[64], body[256], key[128];
	const char	*h[2] = { NULL, NULL };
	struct resp	 r;
	long		 id, before;
	size_t		 i;

	set_tag();
	id = item("pre", "Pre", "3.00", 4, NULL);
	snprintf(path, sizeof(path), "/items/%ld", id);
	for (i = 0; never[i]; i++) {
		h[0] = never[i];
		r = http("PATCH", path, "{\"stock\":9}", 11, h);
		ck_assert_msg(r.status == 412, "%s: %ld", never[i], r.status);
		resp_free(&r);
		ck_assert_int_eq(stock_of(id), 4);
	}
	/* a list: any strong tag that names the version */
	h[0] = "If-Match: \"77\", W/\"1\", \"1\"";
	r = http("PATCH", path, "{\"stock\":6}", 11, h);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	ck_assert_int_eq(stock_of(id), 6);
	/* "*": any current version; a missing item is 412, not 404 */
	h[0] = "If-Match: *";
	r = http("PATCH", path, "{\"stock\":7}", 11, h);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = http("PATCH", "/items/999999999", "{\"stock\":1}", 11, h);
	ck_assert_int_eq(r.status, 412);
	resp_free(&r);
	/* a key the library cannot read never counts as not sent */
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":1}]}", id);
	snprintf(key, sizeof(key), "Idempotency-Key: %s-\001x", tag);
	h[0] = key;
	before = count_orders();
	for (i = 0; i < 2; i++) {
		r = http("POST", "/orders", body, strlen(body), h);
		ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
		resp_free(&r);
	}
	ck_assert_int_eq(count_orders(), before);
	ck_assert_int_eq(stock_of(id), 7);
}
END_TEST

START_TEST(order_takes_stock_exactly)
{
	char		 body[512], path[64], *loc;
	struct resp	 r;
	long		 a, b, oid;

	set_tag();
	a = item("oa", "Order A", "19.99", 5, NULL);
	b = item("ob", "Order B", "0.01", 5, NULL);
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":3},{\"item_id\":%ld,"
	    "\"quantity\":1}]}", a, b);
	r = send_json("POST", "/orders", body);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	oid = (long)json_integer_value(json_object_get(r.json, "id"));
	loc = header(&r, "Location");
	snprintf(path, sizeof(path), "/orders/%ld", oid);
	ck_assert_str_eq(loc, path);
	free(loc);
	ck_assert_ptr_nonnull(strstr(r.body, "\"total\":59.98"));
	resp_free(&r);
	ck_assert_int_eq(stock_of(a), 2);
	ck_assert_int_eq(stock_of(b), 4);
	r = get(path);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"total\":59.98"));
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "lines")), 2);
	resp_free(&r);
	/* the item is referenced now: DELETE is 409, nothing removed */
	snprintf(path, sizeof(path), "/items/%ld", a);
	r = http("DELETE", path, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 409);
	detail(&r);
	resp_free(&r);
	ck_assert_int_eq(stock_of(a), 2);
}
END_TEST

START_TEST(order_short_of_stock_writes_nothing)
{
	char		 body[512], sql[256];
	struct resp	 r;
	long		 a, b, before = count_orders();

	set_tag();
	a = item("sa", "Plenty", "1.00", 10, NULL);
	b = item("sb", "Scarce", "1.00", 1, NULL);
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":4},{\"item_id\":%ld,"
	    "\"quantity\":2}]}", a, b);
	r = send_json("POST", "/orders", body);
	ck_assert_int_eq(r.status, 409);
	snprintf(sql, sizeof(sql), "item %ld", b);
	ck_assert_msg(strstr(detail(&r), sql) != NULL, "%s", r.body);
	resp_free(&r);
	ck_assert_int_eq(count_orders(), before);
	ck_assert_int_eq(stock_of(a), 10);
	ck_assert_int_eq(stock_of(b), 1);
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":999999999,\"quantity\":1}]}");
	r = send_json("POST", "/orders", body);
	ck_assert_int_eq(r.status, 409);
	resp_free(&r);
	/* the owner is the token's user, never the body's */
	r = send_json("POST", "/orders", "{\"customer_email\":\"a@b.example\","
	    "\"lines\":[]}");
	ck_assert_int_eq(r.status, 422);
	assert_422(&r, "too_short", "[\"body\",\"lines\"]");
	resp_free(&r);
	ck_assert_int_eq(count_orders(), before);
}
END_TEST

START_TEST(last_unit_race)
{
	struct race	 rc[THREADS];
	char		 body[256];
	long		 id, before = count_orders();
	int		 i;

	set_tag();
	id = item("last", "Last one", "5.00", 1, NULL);
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":1}]}", id);
	for (i = 0; i < THREADS; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].method = "POST";
		rc[i].path = "/orders";
		rc[i].body = body;
	}
	race(rc, THREADS);
	ck_assert_int_eq(count_status(rc, THREADS, 201), 1);
	ck_assert_int_eq(count_status(rc, THREADS, 409), THREADS - 1);
	for (i = 0; i < THREADS; i++)
		free(rc[i].answer);
	ck_assert_int_eq(stock_of(id), 0);
	ck_assert_int_eq(count_orders(), before + 1);
}
END_TEST

/* Orders over the same items in opposite orders: no deadlock reaches
 * a client. */
START_TEST(crossing_orders_no_deadlock)
{
	struct race	 rc[THREADS];
	char		 b1[256], b2[256];
	long		 a, b;
	int		 i;

	set_tag();
	a = item("xa", "Cross A", "1.00", 1000, NULL);
	b = item("xb", "Cross B", "1.00", 1000, NULL);
	snprintf(b1, sizeof(b1), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":1},{\"item_id\":%ld,"
	    "\"quantity\":1}]}", a, b);
	snprintf(b2, sizeof(b2), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":1},{\"item_id\":%ld,"
	    "\"quantity\":1}]}", b, a);
	for (i = 0; i < THREADS; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].method = "POST";
		rc[i].path = "/orders";
		rc[i].body = i % 2 ? b1 : b2;
	}
	race(rc, THREADS);
	ck_assert_int_eq(count_status(rc, THREADS, 201), THREADS);
	for (i = 0; i < THREADS; i++)
		free(rc[i].answer);
	ck_assert_int_eq(stock_of(a), 1000 - THREADS);
	ck_assert_int_eq(stock_of(b), 1000 - THREADS);
}
END_TEST

START_TEST(idempotency_keys)
{
	struct race	 rc[THREADS];
	char		 body[256], key[128], key2[128];
	struct resp	 r1, r2;
	long		 id, before;
	int		 i;
	const char	*h[2] = { key, NULL };

	set_tag();
	id = item("idem", "Idem", "2.00", 100, NULL);
	snprintf(body, sizeof(body), "{"
	    "\"lines\":[{\"item_id\":%ld,\"quantity\":1}]}", id);
	snprintf(key, sizeof(key), "Idempotency-Key: %s-1", tag);
	before = count_orders();
	r1 = http("POST", "/orders", body, strlen(body), h);
	r2 = http("POST", "/orders", body, strlen(body), h);
	ck_assert_int_eq(r1.status, 201);
	ck_assert_int_eq(r2.status, 201);
	ck_assert_str_eq(r1.body, r2.body);
	resp_free(&r2);
	ck_assert_int_eq(count_orders(), before + 1);
	ck_assert_int_eq(stock_of(id), 99);
	/* same key, another body: 422, nothing new */
	{
		static const char other[] =
		    "{\"lines\":[{\"item_id\":1,\"quantity\":2}]}";

		r2 = http("POST", "/orders", other, sizeof(other) - 1, h);
	}
	ck_assert_int_eq(r2.status, 422);
	resp_free(&r2);
	resp_free(&r1);
	ck_assert_int_eq(count_orders(), before + 1);
	/* racing twins with a new key: one order, identical answers */
	snprintf(key2, sizeof(key2), "Idempotency-Key: %s-2", tag);
	for (i = 0; i < THREADS; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].method = "POST";
		rc[i].path = "/orders";
		rc[i].body = body;
		rc[i].hdrs[0] = key2;
	}
	race(rc, THREADS);
	ck_assert_int_eq(count_status(rc, THREADS, 201), THREADS);
	for (i = 1; i < THREADS; i++)
		ck_assert_str_eq(rc[i].answer, rc[0].answer);
	for (i = 0; i < THREADS; i++)
		free(rc[i].answer);
	ck_assert_int_eq(count_orders(), before + 2);
	ck_assert_int_eq(stock_of(id), 98);
}
END_TEST

/* A customer's own orders: listed newest first, cancelled once. */
START_TEST(orders_list_and_cancel)
{
	char		 body[256], path[128], *next, *email, *tok;
	struct resp	 r;
	long		 id, o[3];
	int		 i;

	set_tag();
	id = item("cx", "Cancel", "1.00", 10, NULL);
	email = register_user("shop");
	tok = login(email, PASSWORD);
	use_token(tok);
	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"lines\":[{\"item_id\":%ld,"
		    "\"quantity\":2}]}", id);
		r = send_json("POST", "/orders", body);
		ck_assert_int_eq(r.status, 201);
		ck_assert_str_eq(json_string_value(json_object_get(r.json,
		    "customer_email")), email);
		o[i] = (long)json_integer_value(json_object_get(r.json, "id"));
		resp_free(&r);
	}
	ck_assert_int_eq(stock_of(id), 4);
	r = get("/orders?limit=2");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(r.json), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), o[2]);		/* newest first */
	next = next_link(&r);
	ck_assert_ptr_nonnull(next);
	resp_free(&r);
	r = get(next);
	free(next);
	ck_assert_int_eq(json_array_size(r.json), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    r.json, 0), "id")), o[0]);
	ck_assert_ptr_null(next_link(&r));
	resp_free(&r);
	snprintf(path, sizeof(path), "/orders/%ld/cancel", o[1]);
	r = http("POST", path, NULL, 0, NULL);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
	    "cancelled");
	resp_free(&r);
	ck_assert_int_eq(stock_of(id), 6);
	r = http("POST", path, NULL, 0, NULL);
	ck_assert_int_eq(r.status, 409);
	detail(&r);
	resp_free(&r);
	ck_assert_int_eq(stock_of(id), 6);
	r = http("POST", "/orders/999999999/cancel", NULL, 0, NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	/* a customer naming another email finds nothing */
	r = get("/orders?customer_email=admin@example.com");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(r.json), 0);
	resp_free(&r);
	free(email);
	free(tok);
}
END_TEST

START_TEST(health)
{
	struct resp r = get("/healthz");

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
	    "ok");
	ck_assert_str_eq(json_string_value(json_object_get(r.json,
	    "database")), "ok");
	resp_free(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("shop");
	TCase	*t = tcase_create("items");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, keyset_walk);
	tcase_add_test(t, sorts_and_filters);
	tcase_add_test(t, internal_columns_hidden);
	tcase_add_test(t, etag_and_conditional);
	tcase_add_test(t, patch_race_one_wins);
	tcase_add_test(t, preconditions_unreadable_or_false);
	suite_add_tcase(s, t);
	t = tcase_create("orders");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, order_takes_stock_exactly);
	tcase_add_test(t, order_short_of_stock_writes_nothing);
	tcase_add_test(t, last_unit_race);
	tcase_add_test(t, crossing_orders_no_deadlock);
	tcase_add_test(t, idempotency_keys);
	tcase_add_test(t, orders_list_and_cancel);
	tcase_add_test(t, health);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	as_admin();
	return run_suite(suite());
}
