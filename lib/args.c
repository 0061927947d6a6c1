/*
 * args.c -- path and query arguments arrive as strings; the route's
 * schema says what they are.  "?limit=10" becomes the integer 10 before
 * validation, "?limit=ten" a 422 int_parsing, as FastAPI answers.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

enum kind { K_STRING, K_INTEGER, K_NUMBER, K_BOOLEAN, K_NULL, K_ARRAY };

/*
 * The kinds of the types the compiled schema gives a value, in their
 * listed order (lib/schema/ follows $ref and allOf); 0 means any.
 * "object" has no kind: no text converts to one.
 */
static size_t
kinds(const struct fpg_schema_types *st, enum kind *out)
{
	size_t	 i, n = 0;

	for (i = 0; i < st->n; i++)
		switch (st->t[i]) {
		case FPG_SCHEMA_STRING:
			out[n++] = K_STRING;
			break;
		case FPG_SCHEMA_INTEGER:
			out[n++] = K_INTEGER;
			break;
		case FPG_SCHEMA_NUMBER:
			out[n++] = K_NUMBER;
			break;
		case FPG_SCHEMA_BOOLEAN:
			out[n++] = K_BOOLEAN;
			break;
		case FPG_SCHEMA_NULL:
			out[n++] = K_NULL;
			break;
		case FPG_SCHEMA_ARRAY:
			out[n++] = K_ARRAY;
			break;
		default:
			break;
		}
	return n;
}

static json_t *
error(const char *where, const char *name, json_int_t idx,
    const char *type, const char *msg, const char *input)
{
	json_t *loc = json_pack("[s, s]", where, name);

	if (idx >= 0)
		json_array_append_new(loc, json_integer(idx));
	return json_pack("{s:s, s:o, s:s, s:s}", "type", type, "loc", loc,
	    "msg", msg, "input", input);
}

/*
 * Converts one string to the first kind that takes it.  Returns a new
 * reference, or NULL after appending an error named after the first
 * kind, as Pydantic does.
 */
static json_t *
convert(const char *s, const enum kind *k, size_t nk, const char *where,
    const char *name, json_int_t idx, json_t *errs)
{
	size_t		 i;
	char		*end;
	long long	 ll;
	double		 d;
	json_t		*str;

	if ((str = json_string(s)) == NULL) {
		json_array_append_new(errs, error(where, name, idx,
		    "string_unicode", "Input should be a valid string, "
		    "unable to parse raw data as a unicode string", ""));
		return NULL;
	}
	for (i = 0; i < nk; i++)
		if (k[i] == K_STRING)
			return str;
	json_decref(str);
	for (i = 0; i < nk; i++) {
		switch (k[i]) {
		case K_INTEGER:
			end = (char *)(uintptr_t)s + (*s == '-' || *s == '+');
			if (*end == '\0' ||
			    strspn(end, "0123456789") != strlen(end))
				break;
			errno = 0;
			ll = strtoll(s, &end, 10);
			if (errno == ERANGE) {
				json_array_append_new(errs, error(where, name,
				    idx, "int_parsing_size", "Unable to parse "
				    "input string as an integer, exceeded "
				    "maximum size", s));
				return NULL;
			}
			return json_integer(ll);
		case K_NUMBER:
			errno = 0;
			d = strtod(s, &end);
			if (*s == '\0' || *end != '\0' || errno == ERANGE ||
			    !isfinite(d) || strspn(s, "+-0123456789.eE") !=
			    strlen(s))
				break;
			if (strspn(s + (*s == '-'), "0123456789") ==
			    strlen(s + (*s == '-')) && fabs(d) < 9e15)
				return json_integer((json_int_t)d);
			return json_real(d);
		case K_BOOLEAN:
			if (!strcasecmp(s, "true") || !strcmp(s, "1") ||
			    !strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
			    !strcasecmp(s, "t") || !strcasecmp(s, "y"))
				return json_true();
			if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
			    !strcasecmp(s, "no") || !strcasecmp(s, "off") ||
			    !strcasecmp(s, "f") || !strcasecmp(s, "n"))
				return json_false();
			break;
		case K_NULL:
			if (*s == '\0')
				return json_null();
			break;
		case K_STRING:
		case K_ARRAY:
			break;
		}
	}
	if (nk == 0)
		return json_string(s);
	switch (k[0]) {
	case K_INTEGER:
		json_array_append_new(errs, error(where, name, idx,
		    "int_parsing", "Input should be a valid integer, unable "
		    "to parse string as an integer", s));
		break;
	case K_NUMBER:
		json_array_append_new(errs, error(where, name, idx,
		    "float_parsing", "Input should be a valid number, unable "
		    "to parse string as a number", s));
		break;
	case K_BOOLEAN:
		json_array_append_new(errs, error(where, name, idx,
		    "bool_parsing", "Input should be a valid boolean, unable "
		    "to interpret input", s));
		break;
	default:
		json_array_append_new(errs, error(where, name, idx,
		    "none_required", "Input should be None", s));
		break;
	}
	return NULL;
}

/*
 * Builds the JSON object the route's compiled schema validates from n
 * string arguments: each value converted to the type the schema gives
 * its property (fpg_schema_prop_types(): through $ref and allOf, as
 * the validator reads it); a repeated key is an array when the
 * property is one, else its last value wins (as in FastAPI).
 * Conversion errors go to errs.  *out is a new reference (NULL when
 * there is no schema, or a boolean one).  Returns 0 or -1.
 */
int
fpg_args_coerce(struct fpg_req *r, const struct fpg_schema *schema,
    const char *where, struct fpg_kv *kv, size_t n, json_t **out,
    json_t *errs)
{
	struct fpg_schema_types pt, it;
	enum kind	 k[7], ik[7];
	size_t		 nk, nik, i, j;
	json_int_t	 pos;
	json_t		*obj, *v;

	(void)r;
	*out = NULL;
	/* A boolean schema names no property: there is nothing to do. */
	if (fpg_schema_prop_types(schema, NULL, NULL, NULL) == -1)
		return 0;
	if ((obj = json_object()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		/* Path keys come from the route table: only query keys are
		 * the client's to check. */
		json_t *kt = where[0] == 'p' ? NULL : json_string(kv[i].key);

		if (kt == NULL && where[0] != 'p') {
			/* A key that is not UTF-8 cannot even be named. */
			json_array_append_new(errs, json_pack("{s:s, s:[s], "
			    "s:s, s:s}", "type", "string_unicode", "loc", where,
			    "msg", "Parameter names should be valid UTF-8",
			    "input", ""));
			continue;
		}
		json_decref(kt);
		fpg_schema_prop_types(schema, kv[i].key, &pt, &it);
		nk = kinds(&pt, k);
		if (nk > 0 && k[0] == K_ARRAY) {
			json_t *arr = json_object_get(obj, kv[i].key);

			if (arr != NULL)
				continue;	/* collected below */
			nik = kinds(&it, ik);
			arr = json_array();
			for (j = i, pos = 0; j < n; j++) {
				if (strcmp(kv[j].key, kv[i].key) != 0)
					continue;
				/* loc names the value's place in the query */
				v = convert(kv[j].val, ik, nik, where,
				    kv[i].key, pos++, errs);
				if (v != NULL)
					json_array_append_new(arr, v);
			}
			json_object_set_new(obj, kv[i].key, arr);
			continue;
		}
		/* The last value wins: earlier ones are not even read. */
		for (j = i + 1; j < n; j++)
			if (strcmp(kv[j].key, kv[i].key) == 0)
				break;
		if (j < n)
			continue;
		/* A value that does not convert is left out; its error
		 * stands for it (fpg_req drops a "missing" behind it). */
		v = convert(kv[i].val, k, nk, where, kv[i].key, -1, errs);
		if (v != NULL)
			json_object_set_new(obj, kv[i].key, v);
	}
	*out = obj;
	return 0;
}
