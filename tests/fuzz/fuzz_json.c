/*
 * fuzz_json.c -- libFuzzer harness for the body path: the input is a
 * request body, parsed by fpg_json_load() as the server parses one
 * (any JSON value; duplicate keys and NUL escapes refused; integers
 * past int64 parsed again as reals) and validated against the items create schema (a copy of
 * apps/items/item_create.json) with the usual error cap and a cap of
 * one (lib/schema/).
 *
 * Checked: the error count and cap; each error has Pydantic's shape
 * (type, loc starting with "body", msg) and the whole 422 list
 * serialises; a body declared valid holds what the schema says, with
 * the defaults (stock 0, attributes {}) filled in; and the verdict
 * does not depend on the cap.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpg.h"
#include "schema/schema.h"
#include "schemas.h"	/* SCHEMA_<name> for apps/items/<name>.json */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);


static struct fpg_schema	*schema;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];

	(void)argc;
	(void)argv;
	json_object_seed(1);
	if ((schema = fpg_schema_new(SCHEMA_item_create,
	    strlen(SCHEMA_item_create), err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_json: %s\n", err);
		abort();
	}
	return 0;
}

/* Code points in a valid UTF-8 string of len bytes. */
static size_t
u8count(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int
str_between(const json_t *v, size_t min, size_t max)
{
	size_t	 n;

	if (!json_is_string(v))
		return 0;
	n = u8count(json_string_value(v), json_string_length(v));
	return n >= min && n <= max;
}

/* What a body the validator lets through must be. */
static void
check_valid(json_t *b)
{
	const char	*key, *sku;
	json_t		*v;
	double		 d;

	if (!json_is_object(b))
		abort();
	json_object_foreach(b, key, v)
		if (strcmp(key, "sku") && strcmp(key, "name") &&
		    strcmp(key, "description") && strcmp(key, "price") &&
		    strcmp(key, "stock") && strcmp(key, "attributes"))
			abort();
	v = json_object_get(b, "sku");
	if (!str_between(v, 1, 64))
		abort();
	sku = json_string_value(v);
	if (strspn(sku, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != json_string_length(v))
		abort();
	if (!str_between(json_object_get(b, "name"), 1, 200))
		abort();
	v = json_object_get(b, "description");
	if (v != NULL && !json_is_null(v) && !str_between(v, 0, 4000))
		abort();
	v = json_object_get(b, "price");
	if (!json_is_number(v))
		abort();
	d = json_number_value(v);
	if (!(d >= 0 && d <= 9999999999.99))
		abort();
	/* A multiple of 0.01, give or take the binary rounding. */
	if (fabs(d * 100 - nearbyint(d * 100)) > 1e-6 * (d * 100 + 1))
		abort();
	/* Default 0.  An integral real (3.0) is an integer to JSON
	 * Schema and Pydantic alike. */
	v = json_object_get(b, "stock");
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 2147483647 ||
	    floor(json_number_value(v)) != json_number_value(v))
		abort();
	if (!json_is_object(json_object_get(b, "attributes")))	/* {} */
		abort();
}

/* Runs the validator with cap max; returns the errors (new). */
static json_t *
validate(json_t *inst, size_t max, size_t *n)
{
	json_t	*errs = json_array(), *loc = json_pack("[s]", "body"), *e;
	size_t	 i;

	if (errs == NULL || loc == NULL)
		abort();
	*n = fpg_schema_validate(schema, inst, loc, errs, max);
	if (*n == SIZE_MAX)
		abort();	/* memory does not run out here */
	if (*n != json_array_size(errs) || *n > max)
		abort();
	json_array_foreach(errs, i, e) {
		json_t *l = json_object_get(e, "loc");

		if (!json_is_string(json_object_get(e, "type")) ||
		    !json_is_string(json_object_get(e, "msg")) ||
		    json_object_get(e, "input") == NULL ||
		    !json_is_array(l) || strcmp(json_string_value(
		    json_array_get(l, 0)), "body") != 0)
			abort();
	}
	json_decref(loc);
	return errs;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		 n, n1;
	json_t		*body, *copy, *errs, *errs1, *detail;
	char		*s;

	if ((body = fpg_json_load((const char *)data, size, NULL)) == NULL)
		return 0;
	/* The validator adds defaults: the capped run gets its own. */
	if ((copy = json_deep_copy(body)) == NULL)
		abort();
	errs = validate(body, FPG_ERRORS_MAX, &n);
	errs1 = validate(copy, 1, &n1);
	if ((n == 0) != (n1 == 0))
		abort();	/* the cap changed the verdict */
	if (n == 0)
		check_valid(body);
	/* The 422 body, as fpg_send_json writes it. */
	detail = json_pack("{s:O}", "detail", errs);
	s = json_dumps(detail, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(17));
	if (s == NULL)
		abort();
	free(s);
	json_decref(detail);
	json_decref(errs);
	json_decref(errs1);
	json_decref(copy);
	json_decref(body);
	return 0;
}
