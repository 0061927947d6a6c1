/*
 * check_buf.c -- unit tests for lib/buf.c: the growable buffer with
 * its optional cap, and the arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "extern.h"

START_TEST(t_buf_growth)
{
	struct fpg_buf	 b;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	fpg_buf_put(&b, "", 0);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");

	for (i = 0; i < 10000; i++)
		fpg_buf_put(&b, "0123456789" + i % 10, 1);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_gt(b.cap, b.len);
	ck_assert_int_eq(b.p[b.len], '\0');
	for (i = 0; i < 10000 && b.p[i] == '0' + (int)(i % 10); i++)
		continue;
	ck_assert_uint_eq(i, 10000);

	fpg_buf_puts(&b, "tail");
	ck_assert_uint_eq(b.len, 10004);
	ck_assert_str_eq(b.p + 10000, "tail");

	fpg_buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(t_buf_cap)
{
	struct fpg_buf	 b;

	memset(&b, 0, sizeof(b));
	b.max = 10;
	fpg_buf_puts(&b, "12345");
	fpg_buf_puts(&b, "67890");	/* exactly max */
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.p, "1234567890");

	/* Past max: kept as it was, oom set, and oom sticks. */
	fpg_buf_puts(&b, "x");
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.p, "1234567890");
	fpg_buf_put(&b, "", 0);
	fpg_buf_printf(&b, "%d", 1);
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 10);
	fpg_buf_free(&b);
	ck_assert_int_eq(b.oom, 0);

	/* One append larger than max on an empty buffer. */
	memset(&b, 0, sizeof(b));
	b.max = 4;
	fpg_buf_puts(&b, "12345");
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 0);
	fpg_buf_free(&b);

	/* A length that would overflow size_t. */
	memset(&b, 0, sizeof(b));
	fpg_buf_puts(&b, "ab");
	fpg_buf_put(&b, "", SIZE_MAX - 1);
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 2);
	fpg_buf_free(&b);
}
END_TEST

START_TEST(t_buf_printf)
{
	struct fpg_buf	 b;

	memset(&b, 0, sizeof(b));
	fpg_buf_puts(&b, "[");
	fpg_buf_printf(&b, "%d-%s-%05.1f", 42, "x", 2.5);
	fpg_buf_printf(&b, "%s", "");
	fpg_buf_puts(&b, "]");
	ck_assert_int_eq(b.oom, 0);
	ck_assert_str_eq(b.p, "[42-x-002.5]");
	ck_assert_uint_eq(b.len, strlen("[42-x-002.5]"));
	fpg_buf_free(&b);

	/* printf respects the cap like put. */
	memset(&b, 0, sizeof(b));
	b.max = 5;
	fpg_buf_printf(&b, "%s", "abcde");
	ck_assert_int_eq(b.oom, 0);
	fpg_buf_printf(&b, "%c", 'f');
	ck_assert_int_eq(b.oom, 1);
	ck_assert_str_eq(b.p, "abcde");
	fpg_buf_free(&b);
}
END_TEST

/*
 * The buffer is growable with no cap when max is 0, so a formatted
 * append longer than buf.c's 512-byte scratch must still succeed
 * (it used to set oom).
 */
START_TEST(t_buf_printf_long)
{
	struct fpg_buf	 b;
	char		 s[601];

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memset(&b, 0, sizeof(b));
	fpg_buf_printf(&b, "<%s>", s);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 602);
	ck_assert_int_eq(b.p[0], '<');
	ck_assert_int_eq(b.p[601], '>');
	fpg_buf_free(&b);
}
END_TEST

START_TEST(t_arena_many)
{
	struct fpg_arena	 a = { NULL };
	unsigned char		*p[5000];
	size_t			 i, k, sz;

	for (i = 0; i < 5000; i++) {
		sz = i % 97 + 1;
		p[i] = fpg_arena_alloc(&a, sz);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % 16, 0);
		for (k = 0; k < sz && p[i][k] == 0; k++)
			continue;
		ck_assert_uint_eq(k, sz);
		memset(p[i], (int)(i & 0xff), sz);
	}
	/* No allocation overlaps another. */
	for (i = 0; i < 5000; i++) {
		sz = i % 97 + 1;
		for (k = 0; k < sz && p[i][k] == (i & 0xff); k++)
			continue;
		ck_assert_uint_eq(k, sz);
	}
	fpg_arena_free(&a);
	ck_assert_ptr_null(a.head);
	/* An arena can be used again after free, and freed empty. */
	ck_assert_ptr_nonnull(fpg_arena_alloc(&a, 8));
	fpg_arena_free(&a);
	fpg_arena_free(&a);
}
END_TEST

START_TEST(t_arena_large)
{
	struct fpg_arena	 a = { NULL };
	unsigned char		*small, *big, *after;
	size_t			 i;

	ck_assert_ptr_nonnull(small = fpg_arena_alloc(&a, 10));
	memset(small, 's', 10);
	ck_assert_ptr_nonnull(big = fpg_arena_alloc(&a, 100000));
	ck_assert_uint_eq((uintptr_t)big % 16, 0);
	for (i = 0; i < 100000 && big[i] == 0; i++)
		continue;
	ck_assert_uint_eq(i, 100000);
	memset(big, 'b', 100000);
	ck_assert_ptr_nonnull(after = fpg_arena_alloc(&a, 4096));
	ck_assert_uint_eq((uintptr_t)after % 16, 0);
	memset(after, 'a', 4096);
	for (i = 0; i < 10 && small[i] == 's'; i++)
		continue;
	ck_assert_uint_eq(i, 10);
	for (i = 0; i < 100000 && big[i] == 'b'; i++)
		continue;
	ck_assert_uint_eq(i, 100000);
	fpg_arena_free(&a);
}
END_TEST

START_TEST(t_arena_align)
{
	struct fpg_arena	 a = { NULL };
	char			*p, *prev = NULL;
	size_t			 sz;

	for (sz = 0; sz <= 70; sz++) {
		ck_assert_ptr_nonnull(p = fpg_arena_alloc(&a, sz));
		ck_assert_msg((uintptr_t)p % 16 == 0, "size %zu misaligned",
		    sz);
		if (prev != NULL && sz > 1)
			ck_assert_ptr_ne(p, prev);
		prev = p;
	}
	fpg_arena_free(&a);
}
END_TEST

START_TEST(t_arena_strndup)
{
	struct fpg_arena	 a = { NULL };
	char			*p;

	ck_assert_ptr_nonnull(p = fpg_arena_strndup(&a, "hello world", 5));
	ck_assert_str_eq(p, "hello");
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	ck_assert_ptr_nonnull(p = fpg_arena_strndup(&a, "x", 0));
	ck_assert_str_eq(p, "");
	/* Exactly len bytes are copied, NULs included. */
	ck_assert_ptr_nonnull(p = fpg_arena_strndup(&a, "ab\0cd", 5));
	ck_assert_int_eq(memcmp(p, "ab\0cd\0", 6), 0);
	ck_assert_ptr_null(fpg_arena_strndup(&a, "x", SIZE_MAX));
	fpg_arena_free(&a);
}
END_TEST

START_TEST(t_arena_huge)
{
	struct fpg_arena	 a = { NULL };

	ck_assert_ptr_null(fpg_arena_alloc(&a, SIZE_MAX));
	ck_assert_ptr_null(fpg_arena_alloc(&a, SIZE_MAX - 15));
	/*
	 * Rounds to a size that fits a size_t but not with the chunk
	 * header added (once malloc(0), then a memset of ~SIZE_MAX).
	 */
	ck_assert_ptr_null(fpg_arena_alloc(&a, SIZE_MAX - 40));
	ck_assert_ptr_null(fpg_arena_strndup(&a, "x", SIZE_MAX - 40));
	fpg_arena_free(&a);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite	*s = suite_create("buf");
	TCase	*tc;

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_buf_growth);
	tcase_add_test(tc, t_buf_cap);
	tcase_add_test(tc, t_buf_printf);
	tcase_add_test(tc, t_buf_printf_long);
	tcase_add_test(tc, t_arena_many);
	tcase_add_test(tc, t_arena_large);
	tcase_add_test(tc, t_arena_align);
	tcase_add_test(tc, t_arena_strndup);
	suite_add_tcase(s, tc);

	/*
	 * Its own case, tagged: should it regress it crashes, which ends
	 * a CK_FORK=no run (CK_EXCLUDE_TAGS=overflow leaves it out).
	 */
	tc = tcase_create("overflow");
	tcase_set_tags(tc, "overflow");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_arena_huge);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(buf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
