/*
 * fuzz_query.c -- libFuzzer harness for what turns a request line into
 * arguments: fpg_pct_decode (strict, and "+" as space), fpg_split_path
 * and fpg_args_coerce, then validation against the same schema
 * (lib/router.c, lib/args.c, lib/schema.c).
 *
 * The input is used three ways: decoded whole in both modes (checked
 * against a reference decoder written here), split as a path ("/"
 * prepended when missing; checked segment by segment against the same
 * reference), and read as a query string of key=value pairs, split as
 * lib/req.c does, which are coerced against a fixed schema with every
 * kind args.c knows, validated, and checked: a scalar property holds
 * the conversion of its last value, an array property every value
 * that converts, in order.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Pairs coerced per input.  Fewer than FPG_PARAMS_MAX (lib/req.c's
 * limit, fuzzed by fuzz_request): coercion compares every pair with
 * the later ones, and under the fuzzer's comparison hooks 256 pairs
 * cost milliseconds an input.
 */
#define KV_MAX	64

static const char query_schema[] =
"{"
"  \"type\": \"object\","
"  \"$defs\": { \"int\": { \"type\": \"integer\" } },"
"  \"properties\": {"
"    \"i\": { \"type\": \"integer\", \"minimum\": -100, \"maximum\": 100 },"
"    \"num\": { \"type\": \"number\" },"
"    \"b\": { \"type\": \"boolean\" },"
"    \"ni\": { \"type\": [\"integer\", \"null\"] },"
"    \"bn\": { \"type\": [\"boolean\", \"number\"] },"
"    \"s\": { \"type\": \"string\", \"maxLength\": 8,"
"      \"pattern\": \"^[a-z]*$\" },"
"    \"ai\": { \"type\": \"array\", \"items\": { \"$ref\": \"#/$defs/int\" },"
"      \"maxItems\": 3 },"
"    \"as\": { \"type\": \"array\", \"items\": { \"type\": \"string\" } },"
"    \"any\": {},"
"    \"r\": { \"$ref\": \"#/$defs/int\" },"
"    \"d\": { \"type\": \"integer\", \"default\": 7 }"
"  },"
"  \"additionalProperties\": { \"type\": [\"integer\", \"string\"] }"
"}";

static struct fpg_schema	*schema;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];

	(void)argc;
	(void)argv;
	json_object_seed(1);
	schema = fpg_schema_new(query_schema, strlen(query_schema), err,
	    sizeof(err));
	if (schema == NULL) {
		fprintf(stderr, "fuzz_query: %s\n", err);
		abort();
	}
	return 0;
}

static int
hexdig(unsigned char c)
{
	static const char	 digits[] = "0123456789abcdef";
	const char		*p;

	if (c == '\0')
		return -1;
	if (c >= 'A' && c <= 'F')
		c = (unsigned char)(c - 'A' + 'a');
	p = strchr(digits, c);
	return p ? (int)(p - digits) : -1;
}

/*
 * The reference decoder: what fpg_pct_decode's contract says, written
 * independently.  Writes to out (len + 1 bytes); returns the length,
 * or -1.
 */
static long
ref_decode(const char *s, size_t len, int plus, char *out)
{
	size_t	 o = 0;

	while (len > 0) {
		unsigned char c = (unsigned char)*s;
		size_t use = 1;

		if (c == '%' && len >= 3 && hexdig((unsigned char)s[1]) >= 0 &&
		    hexdig((unsigned char)s[2]) >= 0) {
			c = (unsigned char)(hexdig((unsigned char)s[1]) * 16 +
			    hexdig((unsigned char)s[2]));
			use = 3;
		} else if (c == '%' && !plus)
			return -1;
		else if (c == '+' && plus)
			c = ' ';
		if (c == '\0')
			return -1;
		out[o++] = (char)c;
		s += use;
		len -= use;
	}
	out[o] = '\0';
	return (long)o;
}

/* Both modes on the whole input, against the reference. */
static void
fuzz_decode(const char *data, size_t size)
{
	char	*a = malloc(size + 1), *b = malloc(size + 1);
	size_t	 outlen;
	int	 plus, rc;
	long	 want;

	if (a == NULL || b == NULL)
		abort();
	for (plus = 0; plus < 2; plus++) {
		memcpy(a, data, size);
		a[size] = 'X';		/* the decoder must not need a NUL */
		outlen = SIZE_MAX;
		rc = fpg_pct_decode(a, size, plus, &outlen);
		want = ref_decode(data, size, plus, b);
		if (rc != (want < 0 ? -1 : 0))
			abort();
		if (rc == 0 && (outlen != (size_t)want || outlen > size ||
		    memcmp(a, b, outlen + 1) != 0))
			abort();
	}
	free(a);
	free(b);
}

/* The path splitter against the reference, segment by segment. */
static void
fuzz_path(const char *data, size_t size)
{
	struct fpg_arena	 arena = { NULL, NULL };
	char			*path, *segs[FPG_SEGMENTS_MAX], *ref;
	size_t			 len, nsegs = SIZE_MAX, n = 0, i, start;
	int			 rc, want = 0;

	if ((path = malloc(size + 2)) == NULL || (ref = malloc(size + 2)) ==
	    NULL)
		abort();
	len = 0;
	if (size == 0 || data[0] != '/')
		path[len++] = '/';
	memcpy(path + len, data, size);
	len += size;
	path[len] = 'X';		/* not NUL-terminated either */
	rc = fpg_split_path(&arena, path, len, segs, &nsegs);

	/* What it must have done. */
	if (len > 1)
		for (i = 1; i <= len && want == 0; i++) {
			long dl;

			start = i;
			while (i < len && path[i] != '/')
				i++;
			if (n == FPG_SEGMENTS_MAX) {
				want = -2;
				break;
			}
			dl = ref_decode(path + start, i - start, 0, ref);
			if (dl < 0 || strcmp(ref, ".") == 0 ||
			    strcmp(ref, "..") == 0) {
				want = -1;
				break;
			}
			if (rc == 0 && (n >= nsegs || strcmp(segs[n], ref) != 0))
				abort();
			n++;
		}
	if (rc != want || (rc == 0 && nsegs != n))
		abort();
	fpg_arena_free(&arena);
	free(path);
	free(ref);
}

/* An integer as args.c takes it: [+-]digits within int64; -1 if not,
 * -2 when out of range. */
static int
ref_int(const char *s, long long *out)
{
	const char	*d = s + (*s == '+' || *s == '-');
	char		*end;

	if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == ERANGE ? -2 : 0;
}

/* How many conversion errors name key. */
static int
has_error(json_t *errs, const char *where, const char *key)
{
	size_t		 i;
	json_t		*e;
	const char	*w, *k;
	int		 n = 0;

	json_array_foreach(errs, i, e) {
		json_t *loc = json_object_get(e, "loc");

		w = json_string_value(json_array_get(loc, 0));
		k = json_string_value(json_array_get(loc, 1));
		if (w != NULL && k != NULL && strcmp(w, where) == 0 &&
		    strcmp(k, key) == 0)
			n++;
	}
	return n;
}

/* The query string, coerced, validated and checked. */
static void
fuzz_args(const char *data, size_t size)
{
	struct fpg_req	 r;
	struct fpg_kv	 kv[KV_MAX];
	const char	*p, *end = data + size, *amp, *eq, *where, *last_i = NULL;
	const char	*last_b = NULL;
	size_t		 n = 0, klen, vlen, i, nai = 0, nerr, nconv;
	json_t		*out = NULL, *errs = json_array(), *loc, *v, *e;
	char		*dump;
	long long	 ll;

	memset(&r, 0, sizeof(r));
	where = size > 0 && data[0] == '/' ? "path" : "query";
	for (p = data; p < end && n < KV_MAX; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = eq ? (size_t)(eq - p) : (size_t)(amp - p);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		kv[n].key = fpg_arena_strndup(&r.arena, p, klen);
		kv[n].val = fpg_arena_strndup(&r.arena, eq ? eq + 1 : "", vlen);
		if (kv[n].key == NULL || kv[n].val == NULL)
			abort();
		if (fpg_pct_decode(kv[n].key, klen, 1, &klen) == -1 ||
		    fpg_pct_decode(kv[n].val, vlen, 1, &vlen) == -1 ||
		    *kv[n].key == '\0')
			continue;
		if (strcmp(kv[n].key, "i") == 0)
			last_i = kv[n].val;
		if (strcmp(kv[n].key, "b") == 0)
			last_b = kv[n].val;
		n++;
	}
	if (errs == NULL ||
	    fpg_args_coerce(&r, schema, where, kv, n, &out, errs) != 0 ||
	    !json_is_object(out))
		abort();

	/* Every conversion error names where and the key (but for a
	 * key that is not UTF-8); a scalar has one value, so one error. */
	json_array_foreach(errs, i, e) {
		loc = json_object_get(e, "loc");
		if (!json_is_string(json_object_get(e, "type")) ||
		    !json_is_string(json_object_get(e, "msg")) ||
		    !json_is_array(loc) || json_array_size(loc) < 1 ||
		    strcmp(json_string_value(json_array_get(loc, 0)),
		    where) != 0)
			abort();
		if (json_array_size(loc) == 1 ? strcmp(json_string_value(
		    json_object_get(e, "type")), "string_unicode") != 0 :
		    !json_is_string(json_array_get(loc, 1)))
			abort();
	}
	if (has_error(errs, where, "i") > 1 || has_error(errs, where, "b") > 1)
		abort();

	/* "i": the last value, converted; absent (and an error) if it
	 * is not an integer. */
	v = json_object_get(out, "i");
	if (last_i == NULL && v != NULL)
		abort();
	if (last_i != NULL) {
		if (ref_int(last_i, &ll) == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != ll)
				abort();
		} else if (v != NULL || !has_error(errs, where, "i"))
			abort();
	}
	v = json_object_get(out, "b");
	if (last_b != NULL && v != NULL && !json_is_boolean(v))
		abort();
	if (last_b != NULL && v == NULL && !has_error(errs, where, "b"))
		abort();
	if ((v = json_object_get(out, "num")) != NULL &&
	    (!json_is_number(v) || !isfinite(json_number_value(v))))
		abort();
	if ((v = json_object_get(out, "ni")) != NULL && !json_is_integer(v) &&
	    !json_is_null(v))
		abort();
	if ((v = json_object_get(out, "s")) != NULL && !json_is_string(v))
		abort();
	/* "ai": every value that is an integer, in order. */
	v = json_object_get(out, "ai");
	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "ai") != 0 ||
		    ref_int(kv[i].val, &ll) != 0)
			continue;
		if (!json_is_integer(json_array_get(v, nai)) ||
		    json_integer_value(json_array_get(v, nai)) != ll)
			abort();
		nai++;
	}
	if (v != NULL && (!json_is_array(v) || json_array_size(v) != nai))
		abort();

	/*
	 * Validation, as lib/req.c runs it after coercion.  Coercion
	 * errors are not capped (one per value at most), validation
	 * errors are: the validator adds none once FPG_ERRORS_MAX are in.
	 */
	if ((nconv = json_array_size(errs)) > n)
		abort();
	loc = json_pack("[s]", where);
	nerr = fpg_schema_validate(schema, out, loc, errs, FPG_ERRORS_MAX);
	if (loc == NULL || nerr == SIZE_MAX || json_array_size(errs) !=
	    nconv + nerr || (nerr > 0 && json_array_size(errs) >
	    FPG_ERRORS_MAX))
		abort();
	/* A default for what was not given, once valid. */
	if (nconv < FPG_ERRORS_MAX && nerr == 0 &&
	    json_object_get(out, "d") == NULL)
		abort();
	/* The 422 body must serialise. */
	if ((dump = json_dumps(errs, JSON_COMPACT)) == NULL)
		abort();
	free(dump);
	json_decref(loc);
	json_decref(out);
	json_decref(errs);
	fpg_arena_free(&r.arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;

	fuzz_decode(s, size);
	fuzz_path(s, size);
	fuzz_args(s, size);
	return 0;
}
