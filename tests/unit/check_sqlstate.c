/*
 * check_sqlstate.c -- lib/sqlstate.c: the whole SQLSTATE -> HTTP table
 * of DESIGN.md (Contracts), one row per class and code it names, and
 * the application's FPnnn codes.
 */
#include <stdlib.h>

#include <check.h>

#include "extern.h"

static const struct {
	const char	*state;
	int		 status;
} table[] = {
	/* no SQLSTATE: the client side failed (connection lost) */
	{ NULL, 503 },
	/* 23505/23503 -> 409, other 23xxx -> 422 */
	{ "23505", 409 }, { "23503", 409 }, { "23502", 422 },
	{ "23514", 422 }, { "23P01", 422 }, { "23000", 422 },
	/* 22xxx -> 400 */
	{ "22P02", 400 }, { "22003", 400 }, { "22001", 400 },
	{ "22007", 400 }, { "22023", 400 }, { "22012", 400 },
	/* 40001/40P01: retried, then 503; 55P03 lock not available: 503 */
	{ "40001", 503 }, { "40P01", 503 }, { "55P03", 503 },
	/* 57014 -> 504 */
	{ "57014", 504 },
	/* 08xxx, 53xxx, 57P0x -> 503; 25006 after a failover -> 503 */
	{ "08000", 503 }, { "08003", 503 }, { "08006", 503 },
	{ "08001", 503 }, { "53000", 503 }, { "53100", 503 },
	{ "53300", 503 }, { "57P01", 503 }, { "57P02", 503 },
	{ "57P03", 503 }, { "25006", 503 },
	/* 42501 -> 403 */
	{ "42501", 403 },
	/* anything else -> 500: bugs and misconfiguration */
	{ "42P01", 500 }, { "42703", 500 }, { "42883", 500 },
	{ "XX000", 500 }, { "P0001", 500 }, { "28P01", 500 },
	{ "25P02", 500 }, { "40000", 500 }, { "57000", 500 },
	/* FPnnn: the application's SQL names the status */
	{ "FP404", 404 }, { "FP409", 409 }, { "FP422", 422 },
	{ "FP412", 412 }, { "FP503", 503 },
	/* not FPnnn with nnn a 4xx/5xx status: 500 */
	{ "FP200", 500 }, { "FP999", 500 }, { "FP4x2", 500 },
	{ "FP40", 500 }, { "FP4000", 500 },
};

START_TEST(t_table)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		ck_assert_msg(fpg_db_status(table[i].state) == table[i].status,
		    "%s: got %d, want %d", table[i].state ? table[i].state :
		    "(none)", fpg_db_status(table[i].state), table[i].status);
}
END_TEST

/* Strong (If-Match) and weak (If-None-Match) comparison, RFC 9110. */
START_TEST(t_etag_match)
{
	/* strong: W/ on either side never matches */
	ck_assert_int_eq(fpg_etag_match("\"1\"", "\"1\"", 1), 1);
	ck_assert_int_eq(fpg_etag_match("W/\"1\"", "\"1\"", 1), 0);
	ck_assert_int_eq(fpg_etag_match("\"1\"", "W/\"1\"", 1), 0);
	ck_assert_int_eq(fpg_etag_match("\"1\", \"2\"", "\"2\"", 1), 1);
	ck_assert_int_eq(fpg_etag_match("\"1\",\"2\"", "\"3\"", 1), 0);
	ck_assert_int_eq(fpg_etag_match("*", "\"3\"", 1), 1);
	/* weak: W/ ignored on both sides */
	ck_assert_int_eq(fpg_etag_match("W/\"1\"", "\"1\"", 0), 1);
	ck_assert_int_eq(fpg_etag_match("\"1\"", "W/\"1\"", 0), 1);
	ck_assert_int_eq(fpg_etag_match("\"12\"", "\"1\"", 0), 0);
	/* malformed matches nothing */
	ck_assert_int_eq(fpg_etag_match("\"1", "\"1\"", 0), 0);
	ck_assert_int_eq(fpg_etag_match("*junk", "\"1\"", 1), 0);
}
END_TEST

START_TEST(t_etag_valid)
{
	static const char *const good[] = { "*", " * ", "\"1\"", "W/\"1\"",
	    "\"1\", W/\"2\"", "\"\"", "\"a-b.c\" ,\"d\"", NULL };
	static const char *const bad[] = { "", " ", "*junk", "* \"1\"",
	    "\"1", "1", "W/1", "\"1\" \"2\"", "\"a b\"", "\"a\x01\"",
	    "w/\"1\"", ",", NULL };
	size_t i;

	for (i = 0; good[i]; i++)
		ck_assert_msg(fpg_etag_list_valid(good[i]), "%s", good[i]);
	for (i = 0; bad[i]; i++)
		ck_assert_msg(!fpg_etag_list_valid(bad[i]), "%s", bad[i]);
}
END_TEST

static Suite *
sqlstate_suite(void)
{
	Suite	*s = suite_create("sqlstate");
	TCase	*tc = tcase_create("policy");

	tcase_add_test(tc, t_table);
	tcase_add_test(tc, t_etag_match);
	tcase_add_test(tc, t_etag_valid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sqlstate_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
