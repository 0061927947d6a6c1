/*
 * check_list.c -- lib/list.c and lib/shape.c: the SQL of each shape of
 * a declared list, what is bound (every value, never in the SQL), the
 * 422s, cursors, and the per-connection statement cache's bound.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "extern.h"

static const struct fpg_filter filters[] = {
	{ "min_price", FPG_GE, "i.price", "numeric", NULL },
	{ "max_price", FPG_LE, "i.price", "numeric", NULL },
	{ "in_stock", FPG_BOOL, "i.stock > 0", NULL, NULL },
	{ "sku", FPG_EQ, "i.sku", "text", "lower" },
	{ "q", FPG_SEARCH, "i.search", "english", NULL },
	{ "attr.", FPG_CONTAINS, "i.attributes", NULL, NULL },
	{ "ids", FPG_IN, "i.id", "bigint", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct fpg_sort sorts[] = {
	{ "name", "i.name", "text" },
	{ "price", "i.price", "numeric" },
	{ NULL, NULL, NULL }
};

static const struct fpg_list list = {
	.from = "items i", .row = "item_json(i)", .id = "i.id",
	.filters = filters, .sorts = sorts, .sort = "id"
};

static struct fpg_arena	 arena;
static long double	 mem[256];
static struct fpg_listq	 q;

static void
setup(void)
{
	fpg_arena_init(&arena, mem, sizeof(mem));
}

static void
teardown(void)
{
	fpg_buf_free(&q.sql);
	fpg_arena_free(&arena);
}

/* Builds from the query as JSON text; returns fpg_list_build's. */
static int
build(const char *args)
{
	json_t	*j = json_loads(args, 0, NULL);
	int	 rc;

	ck_assert_ptr_nonnull(j);
	rc = fpg_list_build(&list, j, &arena, &q);
	json_decref(j);
	return rc;
}

START_TEST(t_plain)
{
	ck_assert_int_eq(build("{}"), 0);
	ck_assert_str_eq(q.sql.p, "SELECT item_json(i), (i.id)::text, "
	    "(i.id)::text FROM items i ORDER BY i.id LIMIT $1");
	ck_assert_int_eq(q.nvals, 1);
	ck_assert_str_eq(q.vals[0], "21");	/* limit + 1 */
	ck_assert_int_eq(q.limit, 20);
}
END_TEST

/* Values are bound, in the filters' order, and never in the SQL. */
START_TEST(t_filters_bound)
{
	ck_assert_int_eq(build("{\"limit\":5,\"max_price\":9.99,"
	    "\"min_price\":1,\"sku\":\"x'; DROP TABLE items;--\","
	    "\"in_stock\":false}"), 0);
	ck_assert_str_eq(q.sql.p, "SELECT item_json(i), (i.id)::text, "
	    "(i.id)::text FROM items i WHERE i.price >= $2::numeric AND "
	    "i.price <= $3::numeric AND NOT (i.stock > 0) AND "
	    "i.sku = lower($4::text) ORDER BY i.id LIMIT $1");
	ck_assert_int_eq(q.nvals, 4);
	ck_assert_str_eq(q.vals[0], "6");
	ck_assert_str_eq(q.vals[1], "1");
	ck_assert_str_eq(q.vals[2], "9.99");
	ck_assert_str_eq(q.vals[3], "x'; DROP TABLE items;--");
	ck_assert_ptr_null(strstr(q.sql.p, "DROP"));
}
END_TEST

/* attr.<key>: one jsonb object; numbers and booleans typed. */
START_TEST(t_contains)
{
	ck_assert_int_eq(build("{\"attr.color\":\"red\",\"attr.size\":\"10\","
	    "\"attr.ok\":\"true\",\"attr.x\":\"1e\\\"\"}"), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.p, "i.attributes @> $2::jsonb"));
	ck_assert_int_eq(q.nvals, 2);
	ck_assert_str_eq(q.vals[1], "{\"color\":\"red\",\"size\":10,"
	    "\"ok\":true,\"x\":\"1e\\\"\"}");
}
END_TEST

START_TEST(t_in)
{
	ck_assert_int_eq(build("{\"ids\":[1,2,\"3\\\"\"]}"), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.p, "i.id = ANY ($2::bigint[])"));
	ck_assert_str_eq(q.vals[1], "{\"1\",\"2\",\"3\\\"\"}");
}
END_TEST

/* q: searched, and sorted by rank (descending) unless told otherwise;
 * the search's query parsed once (FROM), its test and the rank use it;
 * the rows' JSON made for the page only, after the cut. */
START_TEST(t_search_rank)
{
	ck_assert_int_eq(build("{\"min_price\":2,\"q\":\"coffee -cup\"}"), 0);
	ck_assert_str_eq(q.sql.p, "SELECT item_json(i), s.sk::text, "
	    "s.id::text FROM (SELECT (ts_rank(i.search, fpg_tsq3)) AS sk, "
	    "i.id AS id FROM items i, "
	    "websearch_to_tsquery('english', $3) AS fpg_tsq3 "
	    "WHERE i.price >= $2::numeric AND i.search @@ fpg_tsq3 "
	    "ORDER BY ts_rank(i.search, fpg_tsq3) DESC, i.id DESC LIMIT $1) s, "
	    "items i WHERE i.id = s.id ORDER BY s.sk DESC, s.id DESC");
	ck_assert_int_eq(q.shape.sort, FPG_SORT_RANK);
	teardown();
	setup();
	ck_assert_int_eq(build("{\"q\":\"coffee\",\"sort\":\"name\"}"), 0);
	ck_assert_int_eq(q.shape.sort, 0);
}
END_TEST

/* An unknown sort, and rank without q: 422 at query.sort. */
START_TEST(t_sort_unknown)
{
	ck_assert_int_eq(build("{\"sort\":\"stock\"}"), -1);
	ck_assert_str_eq(q.err_loc, "query.sort");
	ck_assert_str_eq(q.err_msg, "Unknown sort order");
	teardown();
	setup();
	ck_assert_int_eq(build("{\"sort\":\"-rank\"}"), -1);
	ck_assert_str_eq(q.err_loc, "query.sort");
}
END_TEST

START_TEST(t_cursor)
{
	const char	*c, *k, *id;

	c = fpg_cursor_encode(&arena, "2.00", "17");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c, "WyIyLjAwIiwxN10");	/* ["2.00",17] */
	ck_assert_int_eq(fpg_cursor_decode(&arena, c, &k, &id), 0);
	ck_assert_str_eq(k, "2.00");
	ck_assert_str_eq(id, "17");
	/* cursor_encode()'s, from SQL: [2.00, 17] */
	ck_assert_int_eq(fpg_cursor_decode(&arena, "WzIuMDAsIDE3XQ", &k,
	    &id), 0);
	ck_assert_str_eq(id, "17");
	ck_assert_int_eq(fpg_cursor_decode(&arena, "not-a-cursor", &k, &id),
	    -1);
	ck_assert_int_eq(fpg_cursor_decode(&arena, "WzEsMl0x", &k, &id), -1);
	/* ["a","b"]: the id is no integer */
	ck_assert_int_eq(fpg_cursor_decode(&arena, "WyJhIiwiYiJd", &k, &id),
	    -1);

	ck_assert_int_eq(build("{\"sort\":\"-price\","
	    "\"after\":\"WyIyLjAwIiwxN10\"}"), 0);
	ck_assert_str_eq(q.sql.p, "SELECT item_json(i), (i.price)::text, "
	    "(i.id)::text FROM items i WHERE (i.price, i.id) < "
	    "($2::numeric, $3::bigint) ORDER BY i.price DESC, i.id DESC "
	    "LIMIT $1");
	ck_assert_str_eq(q.vals[1], "2.00");
	ck_assert_str_eq(q.vals[2], "17");
	teardown();
	setup();
	ck_assert_int_eq(build("{\"after\":\"WyIxNyIsMTdd\"}"), 0);
	ck_assert_ptr_nonnull(strstr(q.sql.p, "WHERE i.id > $2::bigint "
	    "ORDER BY i.id LIMIT $1"));
	teardown();
	setup();
	ck_assert_int_eq(build("{\"after\":\"xx\"}"), -1);
	ck_assert_str_eq(q.err_loc, "query.after");
	ck_assert_str_eq(q.err_msg, "Invalid pagination cursor");
}
END_TEST

/* One shape, one key: values do not change it; what decides the SQL
 * does. */
START_TEST(t_shapes)
{
	struct fpg_shape	 a, b;
	char			*sa;

	ck_assert_int_eq(build("{\"min_price\":1,\"in_stock\":true}"), 0);
	a = q.shape;
	sa = strdup(q.sql.p);
	teardown();
	setup();
	ck_assert_int_eq(build("{\"min_price\":500,\"in_stock\":true,"
	    "\"limit\":3}"), 0);
	ck_assert(memcmp(&a, &q.shape, sizeof(a)) == 0);
	ck_assert_str_eq(sa, q.sql.p);
	teardown();
	setup();
	ck_assert_int_eq(build("{\"min_price\":1,\"in_stock\":false}"), 0);
	ck_assert(memcmp(&a, &q.shape, sizeof(a)) != 0);
	teardown();
	setup();
	ck_assert_int_eq(build("{\"min_price\":1,\"in_stock\":true,"
	    "\"sort\":\"-id\"}"), 0);
	b = q.shape;
	ck_assert(memcmp(&a, &b, sizeof(a)) != 0);
	ck_assert_int_le(sizeof(struct fpg_shape), FPG_SHAPE_KEY_MAX);
	free(sa);
}
END_TEST

START_TEST(t_check)
{
	static const struct fpg_list nodefault = { .from = "t", .row = "r",
	    .id = "t.id", .sort = "-nope" };
	static const struct fpg_filter badcfg[] = {
	    { "q", FPG_SEARCH, "t.s", "english'); --", NULL },
	    { NULL, 0, NULL, NULL, NULL } };
	static const struct fpg_list badsearch = { .from = "t", .row = "r",
	    .id = "t.id", .filters = badcfg };
	char	 err[128];

	ck_assert_int_eq(fpg_list_check(&list, err, sizeof(err)), 0);
	ck_assert_int_eq(fpg_list_check(&nodefault, err, sizeof(err)), -1);
	ck_assert_int_eq(fpg_list_check(&badsearch, err, sizeof(err)), -1);
}
END_TEST

/* The cache: hits by key, at most FPG_DB_SHAPES_MAX, the least
 * recently used one goes, names never reused. */
START_TEST(t_cache_bound)
{
	static struct fpg_shapes c;
	int	 i, k, hit, slot, first;
	char	 name[48], name2[48];

	for (k = 0; k < FPG_DB_SHAPES_MAX; k++) {
		slot = fpg_shapes_slot(&c, &k, sizeof(k), &hit);
		ck_assert_int_eq(hit, 0);
		ck_assert_int_eq(c.slot[slot].live, 0);
		fpg_shapes_fill(&c, slot, &k, sizeof(k));
	}
	ck_assert_int_eq(fpg_shapes_count(&c), FPG_DB_SHAPES_MAX);
	k = 0;			/* used again: now the most recent */
	first = fpg_shapes_slot(&c, &k, sizeof(k), &hit);
	ck_assert_int_eq(hit, 1);
	fpg_shapes_name(&c, first, name, sizeof(name));
	k = 1000;		/* full: key 1 is the least recent */
	slot = fpg_shapes_slot(&c, &k, sizeof(k), &hit);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(c.slot[slot].live, 1);	/* to deallocate */
	ck_assert_int_eq(memcmp(c.slot[slot].key, &(int){ 1 }, sizeof(int)),
	    0);
	fpg_shapes_fill(&c, slot, &k, sizeof(k));
	fpg_shapes_name(&c, slot, name2, sizeof(name2));
	ck_assert_str_ne(name, name2);
	ck_assert_int_eq(fpg_shapes_count(&c), FPG_DB_SHAPES_MAX);
	for (i = 0; i < 1000; i++) {
		k = 2000 + i;
		slot = fpg_shapes_slot(&c, &k, sizeof(k), &hit);
		fpg_shapes_fill(&c, slot, &k, sizeof(k));
		ck_assert_int_le(fpg_shapes_count(&c), FPG_DB_SHAPES_MAX);
	}
	fpg_shapes_clear(&c);	/* the connection closed */
	ck_assert_int_eq(fpg_shapes_count(&c), 0);
	k = 2999;
	fpg_shapes_slot(&c, &k, sizeof(k), &hit);
	ck_assert_int_eq(hit, 0);
}
END_TEST

static Suite *
list_suite(void)
{
	Suite	*s = suite_create("list");
	TCase	*tc;

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_plain);
	tcase_add_test(tc, t_filters_bound);
	tcase_add_test(tc, t_contains);
	tcase_add_test(tc, t_in);
	tcase_add_test(tc, t_search_rank);
	tcase_add_test(tc, t_sort_unknown);
	tcase_add_test(tc, t_cursor);
	tcase_add_test(tc, t_shapes);
	tcase_add_test(tc, t_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_cache_bound);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(list_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
