/*
 * check_core.c -- unit tests for the small pieces everything else
 * stands on: percent-decoding (lib/url.c), path splitting
 * (lib/router.c), fpg_strtonum (lib/conf.c), fpg_escape and fpg_log
 * (lib/log.c), the capped buffer and the arena (lib/buf.c).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "extern.h"

/*
 * Decodes a copy of in (its first len bytes) and returns the return
 * value of fpg_pct_decode; the result goes to out (size 256).
 */
static int
decode(const char *in, size_t len, int plus, char *out, size_t *outlen)
{
	ck_assert_uint_lt(len, 256);
	memcpy(out, in, len);
	memset(out + len, 'Z', 256 - len);
	return fpg_pct_decode(out, len, plus, outlen);
}

START_TEST(t_pct_strict)
{
	char	 b[256];
	size_t	 n = 99;

	ck_assert_int_eq(decode("a%20b", 5, 0, b, &n), 0);
	ck_assert_str_eq(b, "a b");
	ck_assert_uint_eq(n, 3);

	ck_assert_int_eq(decode("%41%62c", 7, 0, b, &n), 0);
	ck_assert_str_eq(b, "Abc");
	ck_assert_uint_eq(n, 3);

	/* Lower- and upper-case hex; "+" is literal when strict. */
	ck_assert_int_eq(decode("%2f%2F+", 7, 0, b, &n), 0);
	ck_assert_str_eq(b, "//+");
	ck_assert_uint_eq(n, 3);

	ck_assert_int_eq(decode("", 0, 0, b, &n), 0);
	ck_assert_str_eq(b, "");
	ck_assert_uint_eq(n, 0);

	/* UTF-8 escapes decode byte by byte. */
	ck_assert_int_eq(decode("%C3%A9", 6, 0, b, &n), 0);
	ck_assert_str_eq(b, "\xc3\xa9");
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(t_pct_bad)
{
	static const char *const bad[] = {
		"%", "%4", "a%", "a%4", "%zz", "%g1", "%1g", "%%41", "a%2",
		"%-1", "% 1",
	};
	char	 b[256];
	size_t	 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode(bad[i], strlen(bad[i]), 0, b, &n) == -1,
		    "strict decode of \"%s\" should fail", bad[i]);

	/* A NUL, encoded or raw, is refused in both modes. */
	ck_assert_int_eq(decode("a%00b", 5, 0, b, &n), -1);
	ck_assert_int_eq(decode("a%00b", 5, 1, b, &n), -1);
	ck_assert_int_eq(decode("a\0b", 3, 0, b, &n), -1);
	ck_assert_int_eq(decode("a\0b", 3, 1, b, &n), -1);
}
END_TEST

START_TEST(t_pct_plus)
{
	char	 b[256];
	size_t	 n;

	ck_assert_int_eq(decode("a+b%2Bc", 7, 1, b, &n), 0);
	ck_assert_str_eq(b, "a b+c");
	ck_assert_uint_eq(n, 5);

	/* Lenient: a malformed escape is kept as it is. */
	ck_assert_int_eq(decode("100%", 4, 1, b, &n), 0);
	ck_assert_str_eq(b, "100%");
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(decode("%zz%4", 5, 1, b, &n), 0);
	ck_assert_str_eq(b, "%zz%4");
	ck_assert_int_eq(decode("%%41", 4, 1, b, &n), 0);
	ck_assert_str_eq(b, "%A");
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(t_pct_inplace)
{
	char	 b[256];
	size_t	 n;

	/* Only len bytes are read; the result is NUL-terminated. */
	ck_assert_int_eq(decode("ab%41XYZ", 5, 0, b, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(b, "abA\0", 4), 0);
	/* Bytes past the result are not touched beyond the NUL. */
	ck_assert_int_eq(b[4], '1');
	ck_assert_int_eq(b[5], 'Z');

	/* An escape cut by len is malformed, not read past len. */
	ck_assert_int_eq(decode("ab%41", 4, 0, b, &n), -1);
	ck_assert_int_eq(decode("ab%41", 4, 1, b, &n), 0);
	ck_assert_str_eq(b, "ab%4");
}
END_TEST

/* Splits path with a fresh arena; the segments are joined by "|". */
static int
split(const char *path, size_t len, char *joined, size_t *nsegs)
{
	struct fpg_arena	 a = { NULL };
	char			*segs[FPG_SEGMENTS_MAX + 1];
	size_t			 i;
	int			 rc;

	*nsegs = 12345;
	joined[0] = '\0';
	rc = fpg_split_path(&a, path, len, segs, nsegs);
	if (rc == 0) {
		ck_assert_uint_le(*nsegs, FPG_SEGMENTS_MAX);
		for (i = 0; i < *nsegs; i++) {
			if (i > 0)
				strcat(joined, "|");
			strcat(joined, segs[i]);
		}
	} else
		ck_assert_uint_eq(*nsegs, 0);
	fpg_arena_free(&a);
	return rc;
}

START_TEST(t_split_basic)
{
	char	 j[512];
	size_t	 n;

	ck_assert_int_eq(split("/", 1, j, &n), 0);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(split("/items", 6, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "items");

	ck_assert_int_eq(split("/items/42/tags", 14, j, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(j, "items|42|tags");

	/* A trailing slash makes an empty last segment. */
	ck_assert_int_eq(split("/items/", 7, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "items|");

	ck_assert_int_eq(split("//", 2, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "|");

	/* Only len bytes count. */
	ck_assert_int_eq(split("/a/b", 2, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "a");
}
END_TEST

START_TEST(t_split_decode)
{
	char	 j[512];
	size_t	 n;

	/* An encoded slash stays inside its segment. */
	ck_assert_int_eq(split("/items/a%2Fb", 12, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "items|a/b");

	/* "+" is not a space in a path. */
	ck_assert_int_eq(split("/a+b%20c", 8, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "a+b c");

	/* Dots are fine inside a name. */
	ck_assert_int_eq(split("/.a/.../a.b", 11, j, &n), 0);
	ck_assert_str_eq(j, ".a|...|a.b");
}
END_TEST

START_TEST(t_split_bad)
{
	static const char *const bad[] = {
		"", "a", "a/b", "items/", "/.", "/./a", "/a/.", "/a/..",
		"/..", "/%2e", "/%2e%2e", "/a/%2E%2E", "/%2E./x", "/a%zz",
		"/a%", "/a%00b", "/%2",
	};
	char	 j[512];
	size_t	 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(split(bad[i], strlen(bad[i]), j, &n) == -1,
		    "split of \"%s\" should be -1", bad[i]);
	/* A raw NUL inside len. */
	ck_assert_int_eq(split("/a\0b", 4, j, &n), -1);
}
END_TEST

START_TEST(t_split_max)
{
	char	 path[256], j[512];
	size_t	 i, n;

	path[0] = '\0';
	for (i = 0; i < FPG_SEGMENTS_MAX; i++)
		strcat(path, "/a");
	ck_assert_int_eq(split(path, strlen(path), j, &n), 0);
	ck_assert_uint_eq(n, FPG_SEGMENTS_MAX);

	/* One more, even an empty trailing one, is too many. */
	strcat(path, "/");
	ck_assert_int_eq(split(path, strlen(path), j, &n), -2);
	strcat(path, "b");
	ck_assert_int_eq(split(path, strlen(path), j, &n), -2);
}
END_TEST

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

START_TEST(t_escape)
{
	char	 d[64];

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "abc", 3), 3);
	ck_assert_str_eq(d, "abc");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\nb", 3), 6);
	ck_assert_str_eq(d, "a\\x0ab");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\"q\"", 3), 9);
	ck_assert_str_eq(d, "\\x22q\\x22");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\\b", 3), 6);
	ck_assert_str_eq(d, "a\\x5cb");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\x1b[0m\x7f\r\t", 7),
	    4 + 3 + 4 + 4 + 4);
	ck_assert_str_eq(d, "\\x1b[0m\\x7f\\x0d\\x09");

	/* A NUL inside len is escaped too, not an end. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\0b", 3), 6);
	ck_assert_str_eq(d, "a\\x00b");

	/* Bytes above 0x7f (UTF-8) pass through. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\xc3\xa9", 2), 2);
	ck_assert_str_eq(d, "\xc3\xa9");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "", 0), 0);
	ck_assert_str_eq(d, "");
}
END_TEST

START_TEST(t_escape_truncate)
{
	char	 d[4], big[64];

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "abcdef", 6), 3);
	ck_assert_str_eq(d, "abc");

	/* An escape that does not fit whole is left out. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\n", 1), 0);
	ck_assert_str_eq(d, "");
	ck_assert_uint_eq(fpg_escape(big, 6, "ab\n", 3), 2);
	ck_assert_str_eq(big, "ab");
	ck_assert_uint_eq(fpg_escape(big, 7, "ab\n", 3), 6);
	ck_assert_str_eq(big, "ab\\x0a");

	ck_assert_uint_eq(fpg_escape(d, 1, "abc", 3), 0);
	ck_assert_str_eq(d, "");

	/* dstsz 0: nothing written at all. */
	d[0] = 'Q';
	ck_assert_uint_eq(fpg_escape(d, 0, "abc", 3), 0);
	ck_assert_int_eq(d[0], 'Q');
}
END_TEST

/* Every dstsz from 0 to 40 on a mixed input: never a byte past dstsz. */
START_TEST(t_escape_bounds)
{
	static const char	 src[] = "a\"b\\c\x01\x7f d\ne";
	char			 d[64], full[64];
	size_t			 sz, n, full_n, k;

	full_n = fpg_escape(full, sizeof(full), src, sizeof(src) - 1);
	ck_assert_str_eq(full, "a\\x22b\\x5cc\\x01\\x7f d\\x0ae");
	ck_assert_uint_eq(full_n, strlen(full));
	for (sz = 0; sz <= 40; sz++) {
		memset(d, 'Z', sizeof(d));
		n = fpg_escape(d, sz, src, sizeof(src) - 1);
		for (k = sz; k < sizeof(d); k++)
			ck_assert_msg(d[k] == 'Z', "dstsz %zu: byte %zu written",
			    sz, k);
		if (sz == 0) {
			ck_assert_uint_eq(n, 0);
			continue;
		}
		ck_assert_uint_lt(n, sz);
		ck_assert_uint_eq(strlen(d), n);
		/* A truncated result is a prefix of the full one. */
		ck_assert_int_eq(strncmp(d, full, n), 0);
		if (sz > full_n)
			ck_assert_uint_eq(n, full_n);
	}
}
END_TEST

/*
 * fpg_log writes one line to stderr: stderr goes to a temporary file
 * for the duration and its content comes back in out.
 */
static void
capture_log(enum fpg_log_level lvl, const char *msg, char *out, size_t sz)
{
	FILE	*f;
	int	 saved;
	size_t	 n;

	ck_assert_ptr_nonnull(f = tmpfile());
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(dup2(fileno(f), STDERR_FILENO), 0);
	fpg_log(lvl, "msg=%s", msg);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, sz - 1, f);
	out[n] = '\0';
	fclose(f);
}

START_TEST(t_log)
{
	char	 line[4096];
	int	 level = fpg_log_level;

	fpg_log_level = FPG_LOG_INFO;
	capture_log(FPG_LOG_WARN, "a\nb\"c", line, sizeof(line));
	/* One line, its control bytes and quotes escaped. */
	ck_assert_ptr_nonnull(strstr(line, " warn fastpg["));
	ck_assert_ptr_nonnull(strstr(line, "] msg=a\\x0ab\\x22c\n"));
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);

	/* Below the level: nothing. */
	capture_log(FPG_LOG_DEBUG, "quiet", line, sizeof(line));
	ck_assert_str_eq(line, "");
	fpg_log_level = FPG_LOG_ERROR;
	capture_log(FPG_LOG_INFO, "quiet", line, sizeof(line));
	ck_assert_str_eq(line, "");
	capture_log(FPG_LOG_ERROR, "loud", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " error fastpg["));
	fpg_log_level = level;
}
END_TEST

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
core_suite(void)
{
	Suite	*s = suite_create("core");
	TCase	*tc;

	tc = tcase_create("decode");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_pct_strict);
	tcase_add_test(tc, t_pct_bad);
	tcase_add_test(tc, t_pct_plus);
	tcase_add_test(tc, t_pct_inplace);
	tcase_add_test(tc, t_split_basic);
	tcase_add_test(tc, t_split_decode);
	tcase_add_test(tc, t_split_bad);
	tcase_add_test(tc, t_split_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_strtonum);
	tcase_add_test(tc, t_escape);
	tcase_add_test(tc, t_escape_truncate);
	tcase_add_test(tc, t_escape_bounds);
	tcase_add_test(tc, t_log);
	suite_add_tcase(s, tc);

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
	SRunner	*sr = srunner_create(core_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
