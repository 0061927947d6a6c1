/*
 * args.c -- path and query arguments arrive as strings; the route's
 * schema says what they are.  "?limit=10" becomes the integer 10 before
 * validation, "?limit=ten" a 422 int_parsing, as FastAPI answers.
 */
#include <errno.h>
#include <limits.h>
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

/* --- the fast way for a simple path schema ------------------------- */

/* Keywords that annotate and never fail an instance. */
static int
annotation(const char *k)
{
	return strcmp(k, "title") == 0 || strcmp(k, "description") == 0 ||
	    strcmp(k, "examples") == 0 || strcmp(k, "$comment") == 0 ||
	    strcmp(k, "deprecated") == 0;
}

/* A non-negative integer bound (minLength) or any integer one. */
static int
bound(const json_t *v, int nonneg, long long *out)
{
	if (!json_is_integer(v) || (nonneg && json_integer_value(v) < 0))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* One property's schema: {"type": "integer", minimum, maximum} or
 * {"type": "string", minLength, maxLength}, and annotations.  0 or -1. */
static int
plan_prop(const json_t *ps, int *integer, long long *min, long long *max)
{
	const char	*k, *t = json_string_value(json_object_get(ps, "type"));
	json_t		*v;

	if (!json_is_object(ps) || t == NULL)
		return -1;
	*integer = strcmp(t, "integer") == 0;
	if (!*integer && strcmp(t, "string") != 0)
		return -1;
	*min = *integer ? LLONG_MIN : 0;
	*max = LLONG_MAX;
	json_object_foreach((json_t *)(uintptr_t)ps, k, v) {
		if (strcmp(k, "type") == 0 || annotation(k))
			continue;
		if (strcmp(k, *integer ? "minimum" : "minLength") == 0) {
			if (bound(v, !*integer, min) == -1)
				return -1;
		} else if (strcmp(k, *integer ? "maximum" : "maxLength") == 0) {
			if (bound(v, !*integer, max) == -1)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* The index in p of the template's parameter named k (l bytes), or -1. */
static int
plan_findn(const struct fpg_argplan *p, const char *k, size_t l)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (p->a[i].namelen == l && memcmp(p->a[i].name, k, l) == 0)
			return (int)i;
	return -1;
}

static int
plan_find(const struct fpg_argplan *p, const char *k)
{
	return plan_findn(p, k, strlen(k));
}

void
fpg_args_plan(const json_t *schema, char *const *tsegs, size_t n,
    struct fpg_argplan *p)
{
	const char	*k;
	json_t		*v, *props, *req;
	size_t		 i, l, nprops = 0;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < n; i++) {
		if (tsegs[i][0] != '{')
			continue;
		l = strlen(tsegs[i]);
		p->a[p->n].name = tsegs[i] + 1;
		p->a[p->n].namelen = l > 2 ? l - 2 : 0;
		p->a[p->n].seg = i;
		/* "/{id}/{id}": the last wins there, not here */
		if (p->a[p->n].namelen == 0 || plan_findn(p, p->a[p->n].name,
		    p->a[p->n].namelen) >= 0)
			goto none;
		p->n++;
	}
	if (!json_is_object(schema) || p->n == 0)
		goto none;
	props = json_object_get(schema, "properties");
	req = json_object_get(schema, "required");
	json_object_foreach((json_t *)(uintptr_t)schema, k, v) {
		if (strcmp(k, "type") == 0) {
			if (!json_is_string(v) ||
			    strcmp(json_string_value(v), "object") != 0)
				goto none;
		} else if (strcmp(k, "additionalProperties") == 0) {
			if (!json_is_boolean(v))
				goto none;	/* a schema: the validator's */
		} else if (strcmp(k, "properties") != 0 &&
		    strcmp(k, "required") != 0 && strcmp(k, "$schema") != 0 &&
		    !annotation(k))
			goto none;
	}
	if (!json_is_object(props))
		goto none;
	/* Every property a parameter of the template, and each of them
	 * a property: additionalProperties never applies. */
	json_object_foreach(props, k, v) {
		int j = plan_find(p, k);

		if (j < 0 || plan_prop(v, &p->a[j].integer, &p->a[j].min,
		    &p->a[j].max) == -1)
			goto none;
		nprops++;
	}
	if (nprops != p->n)
		goto none;
	/* What is required is there: the route matched the template. */
	if (req != NULL) {
		if (!json_is_array(req))
			goto none;
		for (i = 0; i < json_array_size(req); i++) {
			k = json_string_value(json_array_get(req, i));
			if (k == NULL || plan_find(p, k) < 0)
				goto none;
		}
	}
	return;
none:
	memset(p, 0, sizeof(*p));
}

/*
 * An integer in its canonical decimal form, as fpg_arg() would print
 * it back ("7", "-12"; not "+7", "007", "-0"), within [min, max].
 */
static int
fast_integer(const char *s, long long min, long long max)
{
	unsigned long long	 u = 0, lim;
	int			 neg = *s == '-';

	s += neg;
	if (*s < '1' || *s > '9')
		return s[0] == '0' && s[1] == '\0' && !neg && min <= 0 &&
		    max >= 0;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (u > (lim - (unsigned long long)(*s - '0')) / 10)
			return 0;	/* out of range: int_parsing_size */
		u = u * 10 + (unsigned long long)(*s - '0');
	}
	if (*s != '\0')
		return 0;
	if (neg)
		return u == lim ? min == LLONG_MIN :
		    -(long long)u >= min && -(long long)u <= max;
	return (long long)u >= min && (long long)u <= max;
}

/* A string of printable ASCII (so valid UTF-8, one character a byte)
 * whose length is within [min, max]. */
static int
fast_string(const char *s, long long min, long long max)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	return (long long)n >= min && (long long)n <= max;
}

int
fpg_args_fast(const struct fpg_argplan *p, char *const *segs)
{
	size_t	 i;

	if (p->n == 0)
		return 0;
	for (i = 0; i < p->n; i++) {
		const char *s = segs[p->a[i].seg];

		if (p->a[i].integer ? !fast_integer(s, p->a[i].min,
		    p->a[i].max) : !fast_string(s, p->a[i].min, p->a[i].max))
			return 0;
	}
	return 1;
}
