/*
 * check_schema.c -- unit tests for lib/schema/: the JSON Schema
 * compiler, the validator and its Pydantic-shaped errors.  Links the
 * static library, so it also reaches the private multipleOf helpers
 * (schema_int.h) to compare the fast path with the general one.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "fastpg.h"
#include "schema/schema_int.h"

/* 10^n for small n. */
static unsigned long long
pow10i(int n)
{
	unsigned long long p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* Compiles text or fails the test with the compiler's message. */
static struct fpg_schema *
mk(const char *text)
{
	struct fpg_schema	*s;
	char			 err[256];

	s = fpg_schema_new(text, strlen(text), err, sizeof(err));
	ck_assert_msg(s != NULL, "schema %s: %s", text, err);
	return s;
}

static json_t *
J(const char *text)
{
	json_error_t	 je;
	json_t		*j;

	j = fpg_json_load(text, strlen(text), &je);
	ck_assert_msg(j != NULL, "json %s: %s", text, je.text);
	return j;
}

/*
 * Validates the instance text against the schema text with loc
 * ["body"]; returns the error count and, if errs is not NULL, the
 * error list (caller decrefs).
 */
static size_t
run(const char *schema, const char *inst, json_t **errs)
{
	struct fpg_schema	*s = mk(schema);
	json_t			*i = J(inst), *e = json_array(),
				*loc = json_pack("[s]", "body");
	size_t			 n;

	n = fpg_schema_validate(s, i, loc, e, FPG_ERRORS_MAX);
	ck_assert_uint_ne(n, SIZE_MAX);
	ck_assert_uint_eq(n, json_array_size(e));
	if (errs != NULL)
		*errs = e;
	else
		json_decref(e);
	json_decref(loc);
	json_decref(i);
	fpg_schema_free(s);
	return n;
}

static int
valid(const char *schema, const char *inst)
{
	return run(schema, inst, NULL) == 0;
}

/* The "type" of error idx in errs. */
static const char *
etype(const json_t *errs, size_t idx)
{
	return json_string_value(json_object_get(json_array_get(errs, idx),
	    "type"));
}

/* Asserts that the single error of schema/inst has this type. */
static void
one_error(const char *schema, const char *inst, const char *type)
{
	json_t	*e;

	ck_assert_uint_eq(run(schema, inst, &e), 1);
	ck_assert_str_eq(etype(e, 0), type);
	json_decref(e);
}

/* Asserts that errs[idx] equals the JSON text want exactly. */
static void
error_is(json_t *errs, size_t idx, const char *want)
{
	json_t	*w = J(want);
	char	*got = json_dumps(json_array_get(errs, idx), JSON_COMPACT);

	ck_assert_msg(json_equal(json_array_get(errs, idx), w),
	    "error %zu: got %s, want %s", idx, got, want);
	free(got);
	json_decref(w);
}

/*
 * FASTPG_TEST_QUICK (set by tests/run-tests.sh for the valgrind pass):
 * the exhaustive comparisons below run a tenth of their values.  The
 * sanitizer pass runs them all; valgrind is there for memory errors
 * and leaks, which the same code paths show with fewer values.
 */
static int
quick(void)
{
	return getenv("FASTPG_TEST_QUICK") != NULL;
}

START_TEST(t_integer)
{
	json_t	*e;

	ck_assert(valid("{\"type\":\"integer\"}", "1"));
	ck_assert(valid("{\"type\":\"integer\"}", "1.0"));
	ck_assert(valid("{\"type\":\"integer\"}", "-0.0"));
	ck_assert(!valid("{\"type\":\"integer\"}", "\"1\""));
	ck_assert_uint_eq(run("{\"type\":\"integer\"}", "1.5", &e), 1);
	error_is(e, 0, "{\"type\":\"int_from_float\",\"loc\":[\"body\"],"
	    "\"msg\":\"Input should be a valid integer, got a number with "
	    "a fractional part\",\"input\":1.5}");
	json_decref(e);
	one_error("{\"type\":\"integer\"}", "true", "int_type");
	ck_assert(valid("{\"type\":\"number\"}", "1"));
	one_error("{\"type\":\"number\"}", "\"1\"", "float_type");
	one_error("{\"type\":[\"boolean\",\"null\"]}", "0", "bool_type");
	one_error("{\"type\":\"array\"}", "{}", "list_type");
	one_error("{\"type\":\"object\"}", "[]", "dict_type");
}
END_TEST

START_TEST(t_empty_null)
{
	ck_assert(valid("{\"type\":\"string\"}", "\"\""));
	one_error("{\"type\":\"string\"}", "null", "string_type");
	one_error("{\"type\":\"null\"}", "\"\"", "none_required");
	ck_assert(valid("{\"type\":\"null\"}", "null"));
	ck_assert(valid("{\"type\":[\"string\",\"null\"]}", "null"));
	one_error("{\"const\":null}", "\"\"", "literal_error");
	one_error("{\"enum\":[\"\"]}", "null", "enum");
	one_error("{\"type\":\"string\",\"minLength\":1}", "\"\"",
	    "string_too_short");
}
END_TEST

START_TEST(t_unicode_length)
{
	json_t	*e;

	ck_assert(valid("{\"maxLength\":5}", "\"h\\u00e9llo\""));
	ck_assert(!valid("{\"maxLength\":4}", "\"h\\u00e9llo\""));
	ck_assert(valid("{\"minLength\":5}", "\"h\\u00e9llo\""));
	/* U+1F600, four bytes, one code point. */
	ck_assert(valid("{\"maxLength\":1}", "\"\\ud83d\\ude00\""));
	ck_assert_uint_eq(run("{\"minLength\":2}", "\"\\ud83d\\ude00\"",
	    &e), 1);
	error_is(e, 0, "{\"type\":\"string_too_short\",\"loc\":[\"body\"],"
	    "\"msg\":\"String should have at least 2 characters\","
	    "\"input\":\"\\ud83d\\ude00\",\"ctx\":{\"min_length\":2}}");
	json_decref(e);
	ck_assert_uint_eq(run("{\"maxLength\":1}", "\"ab\"", &e), 1);
	error_is(e, 0, "{\"type\":\"string_too_long\",\"loc\":[\"body\"],"
	    "\"msg\":\"String should have at most 1 character\","
	    "\"input\":\"ab\",\"ctx\":{\"max_length\":1}}");
	json_decref(e);
	/* Lengths are for strings only; 2.0 is a valid count. */
	ck_assert(valid("{\"maxLength\":2.0}", "12345"));
}
END_TEST

static const char tree[] =
    "{\"$defs\":{\"node\":{\"type\":\"object\",\"required\":[\"v\"],"
    "\"properties\":{\"v\":{\"type\":\"integer\"},\"kids\":{\"type\":"
    "\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},"
    "\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}";

START_TEST(t_ref_cycle)
{
	json_t	*e;

	ck_assert(valid(tree, "{\"v\":1}"));
	ck_assert(valid(tree, "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":"
	    "[{\"v\":3}]},{\"v\":4}]}"));
	ck_assert_uint_eq(run(tree, "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":2,"
	    "\"kids\":[{\"v\":\"x\"}]}]}", &e), 1);
	error_is(e, 0, "{\"type\":\"int_type\",\"loc\":[\"body\",\"kids\","
	    "1,\"kids\",0,\"v\"],\"msg\":\"Input should be a valid integer\","
	    "\"input\":\"x\"}");
	json_decref(e);
	/* Mutual recursion, a self reference, and pointer escapes. */
	ck_assert(valid("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},"
	    "\"b\":{\"anyOf\":[{\"type\":\"integer\"},{\"items\":"
	    "{\"$ref\":\"#/$defs/a\"}}]}},\"$ref\":\"#/$defs/a\"}",
	    "[1,[2,[3]]]"));
	ck_assert(!valid("{\"$defs\":{\"a/b~c%\":{\"type\":\"string\"}},"
	    "\"$ref\":\"#/$defs/a~1b~0c%25\"}", "1"));
	ck_assert(valid("{\"definitions\":{\"x\":{\"type\":\"string\"}},"
	    "\"items\":{\"$ref\":\"#/definitions/x\"}}", "[\"a\"]"));
	ck_assert(!valid("{\"prefixItems\":[{\"type\":\"integer\"},"
	    "{\"$ref\":\"#/prefixItems/0\"}]}", "[1,\"a\"]"));
}
END_TEST

START_TEST(t_ref_loop)
{
	json_t	*e;

	/* A cycle that never consumes the instance: bounded, an error. */
	ck_assert_uint_eq(run("{\"$ref\":\"#\"}", "1", &e), 1);
	ck_assert_str_eq(etype(e, 0), "recursion_loop");
	json_decref(e);
	ck_assert(!valid("{\"$defs\":{\"a\":{\"allOf\":[{\"$ref\":"
	    "\"#/$defs/b\"}]},\"b\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
	    "\"$ref\":\"#/$defs/a\"}", "{}"));
}
END_TEST

START_TEST(t_unique)
{
	json_t	*e;
	char	*big;
	size_t	 i, len;

	ck_assert(!valid("{\"uniqueItems\":true}", "[1,1.0]"));
	ck_assert(!valid("{\"uniqueItems\":true}",
	    "[{\"a\":1,\"b\":[2]},{\"b\":[2.0],\"a\":1}]"));
	ck_assert(valid("{\"uniqueItems\":true}", "[1,\"1\",true,null,"
	    "[1],{\"a\":1},{\"a\":1,\"b\":1},0,false]"));
	ck_assert(valid("{\"uniqueItems\":false}", "[1,1]"));
	ck_assert_uint_eq(run("{\"uniqueItems\":true}", "[[1],[1]]", &e), 1);
	error_is(e, 0, "{\"type\":\"unique_items\",\"loc\":[\"body\"],"
	    "\"msg\":\"List should have unique items\",\"input\":[[1],[1]]}");
	json_decref(e);

	/* 200000 distinct items, then one duplicate at the end: fast. */
	big = malloc(200001 * 12 + 16);
	ck_assert_ptr_nonnull(big);
	len = 0;
	big[len++] = '[';
	for (i = 0; i < 200000; i++)
		len += (size_t)sprintf(big + len, "%zu,", i * 7);
	len += (size_t)sprintf(big + len, "%d.0]", 7);
	ck_assert(!valid("{\"uniqueItems\":true}", big));
	big[len - 5] = ']';
	big[len - 4] = '\0';
	ck_assert(valid("{\"uniqueItems\":true}", big));
	free(big);
}
END_TEST

START_TEST(t_numbers)
{
	json_t	*e;

	ck_assert(valid("{\"multipleOf\":0.01}", "19.99"));
	ck_assert(valid("{\"multipleOf\":0.1}", "0.3"));
	ck_assert(!valid("{\"multipleOf\":0.1}", "0.35"));
	ck_assert(valid("{\"multipleOf\":1e-8}", "12391239123"));
	ck_assert(!valid("{\"type\":\"integer\",\"multipleOf\":0.123456789}",
	    "1e308"));
	ck_assert(valid("{\"multipleOf\":2}", "-9223372036854775808"));
	ck_assert(!valid("{\"maximum\":9223372036854775806}",
	    "9223372036854775807"));
	ck_assert(valid("{\"maximum\":1e308}", "9223372036854775807"));
	ck_assert(!valid("{\"minimum\":1e308}", "9223372036854775807"));
	ck_assert(valid("{\"exclusiveMinimum\":1}", "1.0000001"));
	ck_assert(!valid("{\"exclusiveMinimum\":1}", "1.0"));
	/* Bounds print as given: integer, or float with a dot. */
	ck_assert_uint_eq(run("{\"minimum\":5,\"maximum\":2.5,"
	    "\"multipleOf\":2}", "3", &e), 3);
	error_is(e, 0, "{\"type\":\"greater_than_equal\",\"loc\":[\"body\"],"
	    "\"msg\":\"Input should be greater than or equal to 5\","
	    "\"input\":3,\"ctx\":{\"ge\":5}}");
	error_is(e, 1, "{\"type\":\"less_than_equal\",\"loc\":[\"body\"],"
	    "\"msg\":\"Input should be less than or equal to 2.5\","
	    "\"input\":3,\"ctx\":{\"le\":2.5}}");
	error_is(e, 2, "{\"type\":\"multiple_of\",\"loc\":[\"body\"],"
	    "\"msg\":\"Input should be a multiple of 2\","
	    "\"input\":3,\"ctx\":{\"multiple_of\":2}}");
	json_decref(e);
	one_error("{\"exclusiveMaximum\":10.0}", "10", "less_than");
	one_error("{\"exclusiveMinimum\":0}", "0", "greater_than");
}
END_TEST

/*
 * multipleOf: the shortcut (fpg_schema_mult_check) must agree with the
 * general decimal path (fpg_schema_mult_slow) on every value, for
 * divisors it takes (10^-k, m * 10^-k, integers) and ones it does not.
 */
START_TEST(t_multiple_fast)
{
	static const char *const divs[] = {
		"0.01", "0.1", "0.5", "5", "3", "0.0001", "1e-8", "0.07",
		"0.123456789", "100", "2.5", "1e20", "1e-22", "1e-23", "1",
	};
	static const char *const odd[] = {
		"0.30000000000000004", "1e-320", "4.35", "19.99", "19.999",
		"1e308", "123456789012.34", "1125899906842.62", "0.0075",
		"5e-324", "2.2250738585072014e-308", "0.009999999999999998",
		"4503599627370495.5", "1e22", "9.999999999999999e22",
	};
	struct mult	 m;
	json_t		*d, *x;
	char		 buf[64];
	unsigned	 seed = 12345;
	size_t		 i, k, n;

	for (i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
		d = J(divs[i]);
		fpg_schema_mult_init(&m, d);
		for (n = 0; n < (quick() ? 2000 : 20000) +
		    sizeof(odd) / sizeof(odd[0]); n++) {
			if (n < sizeof(odd) / sizeof(odd[0]))
				snprintf(buf, sizeof(buf), "%s", odd[n]);
			else {
				/* Up to 16 digits, up to 9 of them decimals. */
				unsigned long long ip;
				int fd;

				seed = seed * 1103515245u + 12345u;
				fd = (int)(seed >> 16) % 10;
				seed = seed * 1103515245u + 12345u;
				ip = ((unsigned long long)seed << 20) %
				    10000000ULL;
				seed = seed * 1103515245u + 12345u;
				k = (seed >> 8) % 1000000000u;
				snprintf(buf, sizeof(buf), "%s%llu.%0*zu",
				    n % 3 == 0 ? "-" : "", ip, fd > 0 ? fd : 1,
				    fd > 0 ? k % (size_t)pow10i(fd) : 0);
			}
			x = json_real(strtod(buf, NULL));
			ck_assert_msg(fpg_schema_mult_check(&m, x) ==
			    fpg_schema_mult_slow(&m, x), "%s multipleOf %s",
			    buf, divs[i]);
			json_decref(x);
		}
		/* Integers, by the integer path. */
		for (n = 0; n < 1000; n++) {
			x = json_integer((json_int_t)n * 7 - 3000);
			ck_assert(fpg_schema_mult_check(&m, x) ==
			    fpg_schema_mult_slow(&m, x));
			json_decref(x);
		}
		json_decref(d);
	}
	ck_assert(valid("{\"multipleOf\":0.01}", "530.31"));
	ck_assert(valid("{\"multipleOf\":0.01}", "271372.53"));
	ck_assert(!valid("{\"multipleOf\":0.01}", "19.999"));
	ck_assert(valid("{\"multipleOf\":0.05}", "1.15"));
	ck_assert(!valid("{\"multipleOf\":0.05}", "1.16"));
	ck_assert(valid("{\"multipleOf\":100}", "1.2e3"));
	ck_assert(!valid("{\"multipleOf\":100}", "1250"));
}
END_TEST

/*
 * An error's input is the instance's own value, but as it was when it
 * failed: defaults added afterwards do not show in it, and it outlives
 * the instance.
 */
START_TEST(t_error_input)
{
	struct fpg_schema	*s;
	json_t			*i, *e = json_array(), *want;

	s = mk("{\"properties\":{\"a\":{\"default\":1},\"o\":{\"properties\":"
	    "{\"d\":{\"default\":2}},\"required\":[\"q\"]},"
	    "\"n\":{\"type\":\"string\"}},\"required\":[\"r\"]}");
	i = J("{\"o\":{},\"n\":5}");
	ck_assert_uint_eq(fpg_schema_validate(s, i, NULL, e, 8), 3);
	want = J("[{\"type\":\"missing\",\"loc\":[\"r\"],\"msg\":"
	    "\"Field required\",\"input\":{\"o\":{},\"n\":5}},"
	    "{\"type\":\"missing\",\"loc\":[\"o\",\"q\"],\"msg\":"
	    "\"Field required\",\"input\":{}},"
	    "{\"type\":\"string_type\",\"loc\":[\"n\"],\"msg\":"
	    "\"Input should be a valid string\",\"input\":5}]");
	/* The errors outlive both the instance and the schema. */
	json_decref(i);
	fpg_schema_free(s);
	ck_assert(json_equal(e, want));
	json_decref(want);
	json_decref(e);
}
END_TEST

/*
 * A subject too long for pcre2's JIT stack is matched again by the
 * interpreter, with the same result.
 */
START_TEST(t_pattern_long)
{
	size_t	 n = 20000, i;
	char	*inst = malloc(n + 3);

	inst[0] = '"';
	for (i = 1; i <= n; i++)
		inst[i] = i % 2 ? 'a' : 'b';
	inst[n + 1] = '"';
	inst[n + 2] = '\0';
	ck_assert(valid("{\"pattern\":\"^(a|b)*$\"}", inst));
	inst[n] = 'c';
	ck_assert(!valid("{\"pattern\":\"^(a|b)*$\"}", inst));
	free(inst);
}
END_TEST

/*
 * Patterns of the shape ^[class]+$ run without pcre2; they must give
 * pcre2's answer on every subject.
 */
START_TEST(t_pattern_simple)
{
	static const char *const pats[] = {
		"^[A-Za-z0-9._-]+$", "^[a-z]*$", "^[\\w.-]+$", "^[\\d]+$",
		"^[-a]+$", "^[a-]+$", "^[\\.-]+$", "^[+--]+$", "^[$^]+$",
		"^[\\]\\[]+$", "^[a-z-9]+$", "^[\\.-z]+$",
		"^[a\\-z]+$", "^[ -~]+$", "^[^a]+$", "^[a]+$|b", "^[\\u0041]+$",
		"^[\\s]+$", "^[[:alpha:]]+$", "^[0-9]{2}$",
	};
	static const char alpha[] = "aAzZ09._-+$^[]\\/ ~\x01" "\xc3\xa9" "b";
	struct fpg_schema	*sch = mk("{}");
	struct vctx		 c;
	struct regex		 re, slow;
	char			 err[256], subj[4];
	size_t			 i, a, b, d, n = sizeof(alpha) - 1, simple = 0;

	memset(&c, 0, sizeof(c));
	memset(subj, 0, sizeof(subj));	/* JIT may read past len */
	c.s = sch;
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		ck_assert_msg(fpg_schema_regex_new(&re, pats[i],
		    strlen(pats[i]), err, sizeof(err)), "%s: %s", pats[i], err);
		simple += re.simple != 0;
		slow = re;
		slow.simple = 0;
		/* Every subject of up to 3 bytes over alpha (quick: 2),
		 * and "". */
		for (a = 0; a <= n; a++)
			for (b = 0; b <= (a == n ? 0 : n); b++)
				for (d = quick() ? n : 0;
				    d <= (b == n ? 0 : n); d++) {
					size_t len = 0;

					if (a < n)
						subj[len++] = alpha[a];
					if (a < n && b < n)
						subj[len++] = alpha[b];
					if (a < n && b < n && d < n)
						subj[len++] = alpha[d];
					ck_assert_msg(fpg_schema_regex_test(&c,
					    &re, subj, len) ==
					    fpg_schema_regex_test(&c, &slow,
					    subj, len), "%s on %.*s", pats[i],
					    (int)len, subj);
				}
		fpg_schema_regex_free(&re);
	}
	ck_assert_uint_ge(simple, 8);
	pcre2_match_data_free(c.md);
	fpg_schema_free(sch);
}
END_TEST

START_TEST(t_defaults)
{
	struct fpg_schema	*s;
	json_t			*i, *e = json_array(), *want;

	s = mk("{\"properties\":{\"a\":{\"default\":{\"x\":[1]}},"
	    "\"b\":{\"type\":\"integer\",\"default\":\"not checked\"},"
	    "\"c\":{\"properties\":{\"d\":{\"default\":3}}},"
	    "\"r\":{\"default\":1}},\"required\":[\"r\"]}");
	i = J("{\"b\":2,\"c\":{},\"r\":0}");
	ck_assert_uint_eq(fpg_schema_validate(s, i, NULL, e, 8), 0);
	want = J("{\"b\":2,\"c\":{\"d\":3},\"r\":0,\"a\":{\"x\":[1]}}");
	ck_assert(json_equal(i, want));
	json_decref(want);
	/* A deep copy: changing it leaves the schema's default alone. */
	json_array_append_new(json_object_get(json_object_get(i, "a"), "x"),
	    json_integer(2));
	json_decref(i);
	i = J("{}");
	ck_assert_uint_eq(fpg_schema_validate(s, i, NULL, e, 8), 1);
	ck_assert_str_eq(etype(e, 0), "missing");
	want = J("{\"x\":[1]}");
	ck_assert(json_equal(json_object_get(i, "a"), want));
	ck_assert_str_eq(json_string_value(json_object_get(i, "b")),
	    "not checked");
	json_decref(want);
	json_decref(i);
	json_decref(e);
	fpg_schema_free(s);
}
END_TEST

START_TEST(t_error_shape)
{
	json_t	*e;

	ck_assert_uint_eq(run("{\"type\":\"object\",\"required\":[\"id\"],"
	    "\"properties\":{\"items\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\",\"pattern\":\"^a\"}},"
	    "\"tags\":{\"minItems\":2},\"e\":{\"enum\":[\"a\",1,true]}},"
	    "\"additionalProperties\":false}",
	    "{\"items\":[\"ab\",\"b\"],\"tags\":[],\"x\":1,\"e\":\"z\"}", &e), 5);
	error_is(e, 0, "{\"type\":\"missing\",\"loc\":[\"body\",\"id\"],"
	    "\"msg\":\"Field required\",\"input\":{\"items\":[\"ab\",\"b\"],"
	    "\"tags\":[],\"x\":1,\"e\":\"z\"}}");
	error_is(e, 1, "{\"type\":\"string_pattern_mismatch\",\"loc\":"
	    "[\"body\",\"items\",1],\"msg\":\"String should match pattern "
	    "'^a'\",\"input\":\"b\",\"ctx\":{\"pattern\":\"^a\"}}");
	error_is(e, 2, "{\"type\":\"too_short\",\"loc\":[\"body\",\"tags\"],"
	    "\"msg\":\"List should have at least 2 items after validation, "
	    "not 0\",\"input\":[],\"ctx\":{\"field_type\":\"List\","
	    "\"min_length\":2,\"actual_length\":0}}");
	error_is(e, 3, "{\"type\":\"enum\",\"loc\":[\"body\",\"e\"],"
	    "\"msg\":\"Input should be 'a', 1 or True\",\"input\":\"z\","
	    "\"ctx\":{\"expected\":\"'a', 1 or True\"}}");
	error_is(e, 4, "{\"type\":\"extra_forbidden\",\"loc\":[\"body\","
	    "\"x\"],\"msg\":\"Extra inputs are not permitted\",\"input\":1}");
	/* loc is an array with an integer index, not the string "1". */
	ck_assert(json_is_integer(json_array_get(json_object_get(
	    json_array_get(e, 1), "loc"), 2)));
	json_decref(e);

	ck_assert_uint_eq(run("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}",
	    &e), 1);
	error_is(e, 0, "{\"type\":\"too_long\",\"loc\":[\"body\"],\"msg\":"
	    "\"Dictionary should have at most 1 item after validation, not 2\","
	    "\"input\":{\"a\":1,\"b\":2},\"ctx\":{\"field_type\":\"Dictionary\","
	    "\"max_length\":1,\"actual_length\":2}}");
	json_decref(e);
}
END_TEST

START_TEST(t_applicators)
{
	json_t	*e;

	one_error("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}",
	    "1", "any_of");
	ck_assert_uint_eq(run("{\"oneOf\":[{\"minimum\":0},{\"maximum\":5}]}",
	    "3", &e), 1);
	error_is(e, 0, "{\"type\":\"one_of\",\"loc\":[\"body\"],\"msg\":"
	    "\"Input should match exactly one schema\",\"input\":3,"
	    "\"ctx\":{\"matched\":2}}");
	json_decref(e);
	ck_assert(valid("{\"oneOf\":[{\"minimum\":0},{\"maximum\":5}]}", "9"));
	one_error("{\"not\":{\"type\":\"string\"}}", "\"x\"", "not");
	/* allOf reports every branch. */
	ck_assert_uint_eq(run("{\"allOf\":[{\"type\":\"string\"},"
	    "{\"minimum\":9}]}", "1", &e), 2);
	ck_assert_str_eq(etype(e, 0), "string_type");
	ck_assert_str_eq(etype(e, 1), "greater_than_equal");
	json_decref(e);
	one_error("false", "1", "false_schema");
	ck_assert(valid("true", "{\"a\":[]}"));
	one_error("{\"properties\":{\"a\":false}}", "{\"a\":1}",
	    "extra_forbidden");
	one_error("{\"patternProperties\":{\"^x\":{\"type\":\"integer\"}},"
	    "\"additionalProperties\":false}", "{\"x1\":\"s\"}", "int_type");
	one_error("{\"patternProperties\":{\"^x\":{\"type\":\"integer\"}},"
	    "\"additionalProperties\":false}", "{\"y\":1}", "extra_forbidden");
	ck_assert(valid("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":"
	    "{\"type\":\"integer\"}}", "[\"a\",1,2]"));
	ck_assert(!valid("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":"
	    "false}", "[\"a\",1]"));
	ck_assert(valid("{\"const\":{\"a\":1,\"b\":[1.0]}}",
	    "{\"b\":[1],\"a\":1.0}"));
	ck_assert(!valid("{\"const\":[1]}", "[true]"));
}
END_TEST

START_TEST(t_pattern_format)
{
	ck_assert(valid("{\"pattern\":\"b+\"}", "\"abbc\""));
	ck_assert(!valid("{\"pattern\":\"^\\\\d+$\"}",
	    "\"\\u0663\""));	/* Arabic-Indic three: \d is ASCII */
	ck_assert(valid("{\"pattern\":\"^\\\\p{Letter}+$\"}",
	    "\"\\u03c0x\""));
	ck_assert(!valid("{\"pattern\":\"^a$\"}", "\"a\\n\""));
	ck_assert(valid("{\"pattern\":\"^\\\\u00e9$\"}", "\"\\u00e9\""));
	one_error("{\"format\":\"date\"}", "\"2021-02-29\"", "date_parsing");
	ck_assert(valid("{\"format\":\"date\"}", "\"2020-02-29\""));
	ck_assert(valid("{\"format\":\"date-time\"}",
	    "\"1998-12-31T15:59:60.123-08:00\""));
	one_error("{\"format\":\"date-time\"}", "\"1998-12-31T23:58:60Z\"",
	    "datetime_parsing");
	one_error("{\"format\":\"uuid\"}", "\"2eb8aa08-aa98-11ea-b4aa\"",
	    "uuid_parsing");
	one_error("{\"format\":\"email\"}", "\"a..b@example.com\"",
	    "value_error");
	ck_assert(valid("{\"format\":\"email\"}", "\"joe@[IPv6:::1]\""));
	one_error("{\"format\":\"uri\"}", "\"/relative\"", "url_parsing");
	ck_assert(valid("{\"format\":\"uri\"}", "\"ldap://[2001:db8::7]/c\""));
	one_error("{\"format\":\"ipv4\"}", "\"01.2.3.4\"", "ip_v4_address");
	ck_assert(valid("{\"format\":\"ipv4\"}", "4"));
}
END_TEST

START_TEST(t_compile_errors)
{
	char			 err[128];
	static const struct {
		const char	*schema;
		const char	*msg;
	} bad[] = {
		{ "{\"properties\":{\"x\":{\"$dynamicRef\":\"#a\"}}}",
		    "unsupported keyword \"$dynamicRef\" at /properties/x" },
		{ "{\"nullable\":true}",
		    "unsupported keyword \"nullable\" at /" },
		{ "{\"format\":\"hostname\"}", "unsupported format" },
		{ "{\"$ref\":\"other.json#/a\"}", "unsupported $ref" },
		{ "{\"$ref\":\"#/nowhere\"}", "points nowhere" },
		{ "{\"pattern\":\"(\"}", "invalid pattern" },
		{ "{\"minLength\":-1}", "invalid value at /minLength" },
		{ "{\"multipleOf\":0}", "must be greater than 0" },
		{ "{\"type\":\"int\"}", "unknown type" },
		{ "{\"allOf\":[]}", "non-empty array" },
		{ "{\"items\":{\"$id\":\"x\"}}", "unsupported keyword \"$id\"" },
		{ "[1]", "must be an object or a boolean" },
		{ "{\"a\":", "invalid JSON" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(fpg_schema_new(bad[i].schema,
		    strlen(bad[i].schema), err, sizeof(err)));
		ck_assert_msg(strstr(err, bad[i].msg) != NULL,
		    "%s: got \"%s\", want \"%s\"", bad[i].schema, err,
		    bad[i].msg);
	}
	/* A path too long for the message ends in "...". */
	{
		char	 deep[4096], big[512];
		size_t	 len = 0, k;

		for (k = 0; k < 60; k++)
			len += (size_t)snprintf(deep + len, sizeof(deep) - len,
			    "{\"properties\":{\"k~/%zu\":", k);
		len += (size_t)snprintf(deep + len, sizeof(deep) - len,
		    "{\"bogus\":1}");
		for (k = 0; k < 120; k++)
			deep[len++] = '}';
		deep[len] = '\0';
		ck_assert_ptr_null(fpg_schema_new(deep, len, big,
		    sizeof(big)));
		ck_assert_msg(strncmp(big, "unsupported keyword \"bogus\" at "
		    "/properties/k~0~10/properties/k~0~11/", 60) == 0, "%s",
		    big);
		ck_assert_ptr_nonnull(strstr(big, "..."));
	}
	/* Truncated, always terminated; NULL err is fine. */
	memset(err, 'x', sizeof(err));
	ck_assert_ptr_null(fpg_schema_new("{\"zz\":1}", 8, err, 6));
	ck_assert_uint_eq(strlen(err), 5);
	ck_assert_ptr_null(fpg_schema_new("{\"zz\":1}", 8, NULL, 0));
	/* Annotations and names that look like keywords are fine. */
	fpg_schema_free(mk("{\"$schema\":\"https://json-schema.org/draft/"
	    "2020-12/schema\",\"$id\":\"https://x/y\",\"title\":\"t\","
	    "\"description\":\"d\",\"examples\":[1],\"example\":1,"
	    "\"$comment\":\"c\",\"deprecated\":false,\"readOnly\":true,"
	    "\"properties\":{\"$dynamicRef\":{\"writeOnly\":true},"
	    "\"type\":true},\"$defs\":{\"nullable\":{}}}"));
}
END_TEST

START_TEST(t_error_cap)
{
	struct fpg_schema	*s;
	json_t			*arr, *e, *loc;
	size_t			 i;
	clock_t			 t0;

	s = mk("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
	arr = json_array();
	for (i = 0; i < 100000; i++)
		json_array_append_new(arr, json_integer((json_int_t)i));
	e = json_array();
	loc = json_pack("[s]", "body");
	t0 = clock();
	ck_assert_uint_eq(fpg_schema_validate(s, arr, loc, e, 64), 64);
	ck_assert_uint_eq(json_array_size(e), 64);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(
	    json_array_get(e, 63), "loc"), 1)), 63);
	ck_assert_msg(clock() - t0 < CLOCKS_PER_SEC / 2,
	    "error cap did not stop the walk early");
	/* A list already full gets nothing more. */
	ck_assert_uint_eq(fpg_schema_validate(s, arr, loc, e, 64), 0);
	ck_assert_uint_eq(json_array_size(e), 64);
	json_decref(loc);
	json_decref(e);
	json_decref(arr);
	fpg_schema_free(s);
}
END_TEST

/* One compiled schema, several threads at once. */
struct job {
	const struct fpg_schema	*s;
	size_t			 bad;
};

static void *
worker(void *arg)
{
	struct job	*j = arg;
	size_t		 i;

	for (i = 0; i < 200; i++) {
		json_t *inst = json_pack("{s[sis]}", "a", "ok", 1, "x1");
		json_t *e = json_array();

		if (fpg_schema_validate(j->s, inst, NULL, e, 64) != 2)
			j->bad++;
		json_decref(e);
		json_decref(inst);
	}
	return NULL;
}

START_TEST(t_threads)
{
	struct fpg_schema	*s;
	pthread_t		 th[4];
	struct job		 jobs[4];
	size_t			 i;

	s = mk("{\"properties\":{\"a\":{\"items\":{\"type\":\"string\","
	    "\"pattern\":\"^[a-z]+$\"}}}}");
	for (i = 0; i < 4; i++) {
		jobs[i].s = s;
		jobs[i].bad = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker,
		    &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(jobs[i].bad, 0);
	}
	fpg_schema_free(s);
}
END_TEST

/*
 * fpg_json_load() reads JSON as the server reads a body, and so do
 * the schema compiler and fastpg-validate: a "\u0000" escape and a
 * repeated key are refused (jansson's codes, for the 422's message),
 * any value may be the whole text, and an integer past int64 turns
 * the whole text into reals rather than failing.
 */
/*
 * Asserts the types schema text gives property name, and its items',
 * as strings of letters in order (n null, b boolean, o object, a
 * array, f number, s string, i integer; "" any).
 */
static void
ptypes_are(const char *text, const char *name, const char *want,
    const char *want_items)
{
	static const struct { unsigned bit; char c; } L[] = {
		{ FPG_SCHEMA_NULL, 'n' }, { FPG_SCHEMA_BOOLEAN, 'b' },
		{ FPG_SCHEMA_OBJECT, 'o' }, { FPG_SCHEMA_ARRAY, 'a' },
		{ FPG_SCHEMA_NUMBER, 'f' }, { FPG_SCHEMA_STRING, 's' },
		{ FPG_SCHEMA_INTEGER, 'i' },
	};
	struct fpg_schema	*s = mk(text);
	struct fpg_schema_types	 p, it;
	char			 got[16], goti[16];
	size_t			 i, j;

	ck_assert_int_eq(fpg_schema_prop_types(s, name, &p, &it), 0);
	for (i = 0; i < p.n; i++)
		for (j = 0; j < 7; j++)
			if (L[j].bit == p.t[i])
				got[i] = L[j].c;
	got[p.n] = '\0';
	for (i = 0; i < it.n; i++)
		for (j = 0; j < 7; j++)
			if (L[j].bit == it.t[i])
				goti[i] = L[j].c;
	goti[it.n] = '\0';
	ck_assert_msg(strcmp(got, want) == 0 && strcmp(goti, want_items) == 0,
	    "%s in %s: \"%s\" items \"%s\", expected \"%s\" items \"%s\"",
	    name, text, got, goti, want, want_items);
	fpg_schema_free(s);
}

/* fpg_schema_prop_types(): what args.c converts query strings by. */
START_TEST(t_prop_types)
{
	struct fpg_schema	*s;
	struct fpg_schema_types	 p;

	/* In the listed order; unknown and untyped properties: any. */
	ptypes_are("{\"properties\":{\"v\":{\"type\":[\"boolean\","
	    "\"integer\",\"null\"]}}}", "v", "bin", "");
	ptypes_are("{\"properties\":{\"v\":{}}}", "v", "", "");
	ptypes_are("{\"properties\":{\"v\":{}}}", "w", "", "");
	/* additionalProperties for the others, even when false. */
	ptypes_are("{\"properties\":{\"v\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":{\"type\":\"number\"}}", "w", "f",
	    "");
	ptypes_are("{\"additionalProperties\":false}", "w", "", "");
	/* $ref, a chain of them, a cycle, and items through one. */
	ptypes_are("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},"
	    "\"b\":{\"type\":[\"integer\",\"null\"]}},"
	    "\"properties\":{\"v\":{\"$ref\":\"#/$defs/a\"}}}", "v",
	    "in", "");
	ptypes_are("{\"$defs\":{\"l\":{\"type\":\"array\",\"items\":"
	    "{\"$ref\":\"#/$defs/l\"}}},"
	    "\"properties\":{\"v\":{\"$ref\":\"#/$defs/l\"}}}", "v",
	    "a", "a");
	ptypes_are("{\"$defs\":{\"i\":{\"type\":\"integer\"}},"
	    "\"properties\":{\"v\":{\"type\":\"array\",\"items\":"
	    "{\"$ref\":\"#/$defs/i\"}}}}", "v", "a", "i");
	/* Every schema on the value counts: own type, $ref, allOf;
	 * a number that must be an integer is an integer. */
	ptypes_are("{\"$defs\":{\"n\":{\"type\":[\"number\",\"null\"]}},"
	    "\"properties\":{\"v\":{\"$ref\":\"#/$defs/n\","
	    "\"allOf\":[{\"type\":[\"string\",\"integer\"]}]}}}", "v",
	    "i", "");
	ptypes_are("{\"properties\":{\"v\":{\"type\":\"integer\","
	    "\"allOf\":[{\"type\":\"string\"}]}}}", "v", "", "");
	/* The object's properties come through $ref and allOf too. */
	ptypes_are("{\"$defs\":{\"o\":{\"properties\":{\"v\":"
	    "{\"type\":\"boolean\"}}}},\"allOf\":[{\"$ref\":\"#/$defs/o\"}]}",
	    "v", "b", "");
	ptypes_are("{\"$ref\":\"#\",\"properties\":{\"v\":"
	    "{\"type\":\"null\"}}}", "v", "n", "");

	/* A boolean root has no properties. */
	s = mk("true");
	ck_assert_int_eq(fpg_schema_prop_types(s, "v", &p, NULL), -1);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(fpg_schema_prop_types(s, NULL, NULL, NULL), -1);
	fpg_schema_free(s);
	ck_assert_int_eq(fpg_schema_prop_types(NULL, NULL, NULL, NULL), -1);
	s = mk("{}");
	ck_assert_int_eq(fpg_schema_prop_types(s, NULL, NULL, NULL), 0);
	fpg_schema_free(s);
}
END_TEST

START_TEST(t_json_load)
{
	static const char	 nul[] = "{\"const\":\"x\\u0000y\"}";
	static const char	 dup[] = "{\"a\":1,\"a\":2}";
	static const char	 big[] = "[1, 123456789012345678901234567890]";
	json_error_t		 je;
	json_t			*j;
	char			 err[256];

	ck_assert_ptr_null(fpg_json_load(nul, sizeof(nul) - 1, &je));
	ck_assert_int_eq(json_error_code(&je), json_error_null_character);
	ck_assert_ptr_null(fpg_json_load(dup, sizeof(dup) - 1, &je));
	ck_assert_int_eq(json_error_code(&je), json_error_duplicate_key);
	ck_assert_ptr_null(fpg_json_load("", 0, NULL));
	ck_assert_ptr_null(fpg_json_load("1 2", 3, &je));

	j = fpg_json_load("\"s\"", 3, &je);
	ck_assert_msg(json_is_string(j), "%s", je.text);
	json_decref(j);
	/* len bounds the text: what follows is not read. */
	j = fpg_json_load("[1]garbage", 3, &je);
	ck_assert_msg(json_is_array(j), "%s", je.text);
	json_decref(j);

	j = fpg_json_load(big, sizeof(big) - 1, &je);
	ck_assert_msg(j != NULL, "%s", je.text);
	ck_assert(json_is_real(json_array_get(j, 0)));	/* all reals */
	ck_assert(json_is_real(json_array_get(j, 1)));
	ck_assert(json_real_value(json_array_get(j, 1)) > 1.2e29);
	json_decref(j);

	/* The schema compiler reads schemas the same way. */
	ck_assert_ptr_null(fpg_schema_new(nul, sizeof(nul) - 1, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
	ck_assert_ptr_null(fpg_schema_new(dup, sizeof(dup) - 1, err,
	    sizeof(err)));
	ck_assert_int_eq(valid("{\"maximum\": 1e30}", big), 1);
	ck_assert_int_eq(valid("{\"items\": {\"maximum\": 1e29}}", big), 0);
}
END_TEST

static Suite *
schema_suite(void)
{
	Suite	*s = suite_create("schema");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_integer);
	tcase_add_test(tc, t_empty_null);
	tcase_add_test(tc, t_unicode_length);
	tcase_add_test(tc, t_ref_cycle);
	tcase_add_test(tc, t_ref_loop);
	tcase_add_test(tc, t_unique);
	tcase_add_test(tc, t_numbers);
	tcase_add_test(tc, t_multiple_fast);
	tcase_add_test(tc, t_error_input);
	tcase_add_test(tc, t_pattern_long);
	tcase_add_test(tc, t_pattern_simple);
	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_error_shape);
	tcase_add_test(tc, t_applicators);
	tcase_add_test(tc, t_pattern_format);
	tcase_add_test(tc, t_compile_errors);
	tcase_add_test(tc, t_error_cap);
	tcase_add_test(tc, t_threads);
	tcase_add_test(tc, t_json_load);
	tcase_add_test(tc, t_prop_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(schema_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
