/*
 * bench.c -- validations per second of fpg_schema_validate() on one
 * schema, for a valid and an invalid instance set.
 *
 * usage: bench SCHEMA VALID.json INVALID.json [SECONDS [WARMUP]]
 *
 * The schema is compiled once.  Each set (a JSON array of instances,
 * parsed once up front) is validated round-robin, first for WARMUP
 * seconds (default 0.5, not counted), then for SECONDS (default 2).
 * The same parsed instances are validated again on every pass; the
 * validator writes defaults into them, so defaults only apply on the
 * first pass (ajv.js does the same with useDefaults).  Each validation
 * gets a fresh error array, as a request does, collecting every error
 * up to FPG_ERRORS_MAX (64) with loc ["body", ...], and releases it.
 *
 * Before timing, every instance of VALID must pass and every one of
 * INVALID must fail; otherwise the bench exits 1.
 *
 * Prints one JSON line:
 *   {"validator":"fastpg","valid_per_s":...,"invalid_per_s":...,...}
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastpg.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
readfile(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 cap = 0, n = 0, r;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		if ((r = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static json_t *
loadset(const char *path)
{
	json_error_t	 je;
	json_t		*a;

	/* Decoded as the library decodes bodies. */
	a = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (a == NULL) {
		fprintf(stderr, "bench: %s: line %d: %s\n", path, je.line,
		    je.text);
		return NULL;
	}
	if (!json_is_array(a) || json_array_size(a) == 0) {
		fprintf(stderr, "bench: %s: not a non-empty array\n", path);
		json_decref(a);
		return NULL;
	}
	return a;
}

/* One validation as a request does it; returns the error count. */
static size_t
one(const struct fpg_schema *s, json_t *inst, json_t *loc)
{
	json_t	*errs;
	size_t	 n;

	if ((errs = json_array()) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	n = fpg_schema_validate(s, inst, loc, errs, FPG_ERRORS_MAX);
	json_decref(errs);
	if (n == SIZE_MAX) {
		fprintf(stderr, "bench: validator out of memory\n");
		exit(1);
	}
	return n;
}

struct result {
	double		 per_s;
	unsigned long	 count;
	unsigned long	 errors;	/* sum over the first pass */
};

/* Validates set round-robin for warm-up, then for secs. */
static void
run(const struct fpg_schema *s, json_t *set, json_t *loc, double warm,
    double secs, struct result *res)
{
	size_t		 n = json_array_size(set), i;
	unsigned long	 count = 0;
	double		 t0, t1, end;
	volatile size_t	 sink = 0;

	end = now() + warm;
	while (now() < end)
		for (i = 0; i < n; i++)
			sink += one(s, json_array_get(set, i), loc);
	t0 = now();
	end = t0 + secs;
	do {
		for (i = 0; i < n; i++)
			sink += one(s, json_array_get(set, i), loc);
		count += n;
	} while ((t1 = now()) < end);
	res->per_s = (double)count / (t1 - t0);
	res->count = count;
	(void)sink;
}

/* First pass, untimed: checks the verdicts, sums the errors. */
static int
verify(const struct fpg_schema *s, json_t *set, json_t *loc, int want_valid,
    const char *name, struct result *res)
{
	size_t	 i, e;
	int	 ok = 1;

	res->errors = 0;
	for (i = 0; i < json_array_size(set); i++) {
		e = one(s, json_array_get(set, i), loc);
		res->errors += e;
		if ((e == 0) != want_valid) {
			char *t = json_dumps(json_array_get(set, i),
			    JSON_COMPACT | JSON_ENCODE_ANY);

			fprintf(stderr, "bench: %s[%zu] is %s: %s\n", name, i,
			    e == 0 ? "valid" : "invalid", t ? t : "?");
			free(t);
			ok = 0;
		}
	}
	return ok;
}

int
main(int argc, char *argv[])
{
	struct fpg_schema	*s;
	struct result		 rv, ri;
	json_t			*valid, *invalid, *loc;
	char			 err[512], *text;
	size_t			 len;
	double			 secs = 2, warm = 0.5;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: bench SCHEMA VALID.json INVALID.json "
		    "[SECONDS [WARMUP]]\n");
		return 2;
	}
	if (argc > 4)
		secs = strtod(argv[4], NULL);
	if (argc > 5)
		warm = strtod(argv[5], NULL);
	if (!(secs > 0) || !(warm >= 0)) {
		fprintf(stderr, "bench: bad SECONDS or WARMUP\n");
		return 2;
	}
	if ((text = readfile(argv[1], &len)) == NULL)
		return 1;
	if ((s = fpg_schema_new(text, len, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench: %s: %s\n", argv[1], err);
		return 1;
	}
	free(text);
	if ((valid = loadset(argv[2])) == NULL ||
	    (invalid = loadset(argv[3])) == NULL)
		return 1;
	if ((loc = json_pack("[s]", "body")) == NULL)
		return 1;

	if (!verify(s, valid, loc, 1, "valid", &rv) ||
	    !verify(s, invalid, loc, 0, "invalid", &ri))
		return 1;
	run(s, valid, loc, warm, secs, &rv);
	run(s, invalid, loc, warm, secs, &ri);

	printf("{\"validator\":\"fastpg\",\"valid_per_s\":%.0f,"
	    "\"invalid_per_s\":%.0f,\"valid_n\":%zu,\"invalid_n\":%zu,"
	    "\"invalid_errors\":%lu,\"seconds\":%g,\"warmup\":%g}\n",
	    rv.per_s, ri.per_s, json_array_size(valid),
	    json_array_size(invalid), ri.errors, secs, warm);

	json_decref(loc);
	json_decref(valid);
	json_decref(invalid);
	fpg_schema_free(s);
	return 0;
}
