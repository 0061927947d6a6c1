/*
 * check_util.c -- lib/util.c: fpg_strtonum's bounds and refusals, and
 * fpg_now_us's monotonic clock.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "extern.h"

START_TEST(t_strtonum)
{
	static const struct {
		const char	*s;
		long long	 min, max, want;
		int		 rc;
	} t[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 10, 0 },
		{ "11", 0, 10, 0, -1 },
		{ "-1", 0, 10, 0, -1 },
		{ "-5", -10, 10, -5, 0 },
		{ "-11", -10, 10, 0, -1 },
		{ "+7", 0, 10, 7, 0 },
		{ "007", 0, 10, 7, 0 },
		{ "9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX, 0 },
		{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN, 0 },
		{ "9223372036854775808", LLONG_MIN, LLONG_MAX, 0, -1 },
		{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, 0, -1 },
		{ "99999999999999999999999", 0, LLONG_MAX, 0, -1 },
		{ "", 0, 10, 0, -1 },
		{ " 5", 0, 10, 0, -1 },
		{ "\t5", 0, 10, 0, -1 },
		{ "5 ", 0, 10, 0, -1 },
		{ "5\n", 0, 10, 0, -1 },
		{ "5x", 0, 10, 0, -1 },
		{ "x5", 0, 10, 0, -1 },
		{ "0x10", 0, 100, 0, -1 },
		{ "1.0", 0, 10, 0, -1 },
		{ "1e3", 0, 10000, 0, -1 },
		{ "-", 0, 10, 0, -1 },
		{ "+", 0, 10, 0, -1 },
		{ "abc", 0, 10, 0, -1 },
	};
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 4242;
		ck_assert_msg(fpg_strtonum(t[i].s, t[i].min, t[i].max, &v) ==
		    t[i].rc, "strtonum(\"%s\") should return %d", t[i].s,
		    t[i].rc);
		/* *out is set on success only. */
		ck_assert_msg(v == (t[i].rc == 0 ? t[i].want : 4242),
		    "strtonum(\"%s\") gave %lld", t[i].s, v);
	}
	v = 4242;
	ck_assert_int_eq(fpg_strtonum(NULL, 0, 10, &v), -1);
	ck_assert_int_eq(v, 4242);
}
END_TEST

START_TEST(t_now_us)
{
	int64_t	 a = fpg_now_us(), b;

	usleep(2000);
	b = fpg_now_us();
	ck_assert_msg(b - a >= 2000 && b - a < 2000000, "%lld",
	    (long long)(b - a));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("util");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_strtonum);
	tcase_add_test(tc, t_now_us);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
