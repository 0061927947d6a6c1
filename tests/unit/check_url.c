/*
 * check_url.c -- unit tests for lib/url.c: percent-decoding (strict,
 * and lenient with "+" as space) and percent-encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Unreserved bytes (RFC 3986 2.3), the ones fpg_pct_encode keeps. */
static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/*
 * Encodes s into out (size 1024, filled with 'Z' first), checks that
 * the return value is the length of the NUL-terminated result and that
 * nothing past the NUL was written; returns the length.
 */
static size_t
encode(const char *s, char *out)
{
	size_t	 n, k;

	ck_assert_uint_lt(3 * strlen(s) + 1, 1024);
	memset(out, 'Z', 1024);
	n = fpg_pct_encode(out, s);
	ck_assert_uint_le(n, 3 * strlen(s));
	ck_assert_int_eq(out[n], '\0');
	ck_assert_uint_eq(strlen(out), n);
	for (k = n + 1; k < 1024; k++)
		ck_assert_msg(out[k] == 'Z', "encode \"%s\": byte %zu written",
		    s, k);
	return n;
}

START_TEST(t_encode_unreserved)
{
	static const char	 keep[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~";
	char			 b[1024];

	ck_assert_uint_eq(encode(keep, b), sizeof(keep) - 1);
	ck_assert_str_eq(b, keep);

	ck_assert_uint_eq(encode("", b), 0);
	ck_assert_str_eq(b, "");
}
END_TEST

START_TEST(t_encode_reserved)
{
	static const struct {
		const char	*in, *want;
	} t[] = {
		{ " ", "%20" },
		{ "a b", "a%20b" },
		{ "/items/42", "%2Fitems%2F42" },
		{ "a=1&b=2", "a%3D1%26b%3D2" },
		{ "?#[]@!$'()*,;:",
		    "%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A" },
		{ "%", "%25" },
		{ "%41", "%2541" },
		{ "+", "%2B" },
		{ "\"<>\\^`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D" },
		{ "\x01\t\n\x1f\x7f", "%01%09%0A%1F%7F" },
		/* UTF-8 byte by byte, hex digits upper-case. */
		{ "\xc3\xa9", "%C3%A9" },
		{ "\xff\xfe\xab", "%FF%FE%AB" },
		{ "caf\xc3\xa9 au-lait", "caf%C3%A9%20au-lait" },
	};
	char	 b[1024];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_uint_eq(encode(t[i].in, b), strlen(t[i].want));
		ck_assert_str_eq(b, t[i].want);
	}
}
END_TEST

/* Each byte value alone: kept when unreserved, else %XX upper-case. */
START_TEST(t_encode_each_byte)
{
	char	 in[2], want[4], b[1024];
	int	 c;

	for (c = 1; c < 256; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		if (unreserved((unsigned char)c))
			snprintf(want, sizeof(want), "%c", c);
		else
			snprintf(want, sizeof(want), "%%%02X", c);
		ck_assert_uint_eq(encode(in, b), strlen(want));
		ck_assert_msg(strcmp(b, want) == 0,
		    "byte 0x%02x encoded as \"%s\", want \"%s\"", c, b, want);
	}
}
END_TEST

/*
 * Every byte value but NUL, 255 bytes: the output holds only
 * unreserved bytes and well-formed escapes, and strict decoding gives
 * the input back (lenient decoding too: "+" is always escaped).
 */
START_TEST(t_encode_roundtrip)
{
	char	 in[256], b[1024], copy[1024];
	size_t	 i, n, len, nkeep = 0;

	for (i = 0; i < 255; i++) {
		in[i] = (char)(i + 1);
		if (unreserved((unsigned char)(i + 1)))
			nkeep++;
	}
	in[255] = '\0';
	ck_assert_uint_eq(nkeep, 66);

	n = encode(in, b);
	ck_assert_uint_eq(n, nkeep + 3 * (255 - nkeep));
	for (i = 0; i < n; i++) {
		if (b[i] == '%') {
			ck_assert_int_ne(b[i + 1], '\0');
			ck_assert_int_ne(b[i + 2], '\0');
			ck_assert_ptr_nonnull(strchr("0123456789ABCDEF",
			    b[i + 1]));
			ck_assert_ptr_nonnull(strchr("0123456789ABCDEF",
			    b[i + 2]));
			i += 2;
		} else
			ck_assert_msg(unreserved((unsigned char)b[i]),
			    "byte 0x%02x left unencoded", (unsigned char)b[i]);
	}

	memcpy(copy, b, n + 1);
	len = 9999;
	ck_assert_int_eq(fpg_pct_decode(b, n, 0, &len), 0);
	ck_assert_uint_eq(len, 255);
	ck_assert_int_eq(memcmp(b, in, 256), 0);

	len = 9999;
	ck_assert_int_eq(fpg_pct_decode(copy, n, 1, &len), 0);
	ck_assert_uint_eq(len, 255);
	ck_assert_int_eq(memcmp(copy, in, 256), 0);
}
END_TEST

static Suite *
url_suite(void)
{
	Suite	*s = suite_create("url");
	TCase	*tc;

	tc = tcase_create("decode");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_pct_strict);
	tcase_add_test(tc, t_pct_bad);
	tcase_add_test(tc, t_pct_plus);
	tcase_add_test(tc, t_pct_inplace);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_encode_unreserved);
	tcase_add_test(tc, t_encode_reserved);
	tcase_add_test(tc, t_encode_each_byte);
	tcase_add_test(tc, t_encode_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(url_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
