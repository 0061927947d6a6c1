/*
 * error.c -- the validator's errors, shaped as Pydantic v2
 * shapes them, so that a 422 from fastpg reads like one from FastAPI:
 *
 *   {"type": "string_too_short", "loc": ["body", "name"],
 *    "msg": "String should have at least 1 character",
 *    "input": "", "ctx": {"min_length": 1}}
 *
 * An error object is mostly allocations, so as much of it as possible
 * is made once: every error's type, and the msg and ctx of every
 * keyword whose message does not depend on the instance, are prepared
 * at compile time (struct kerr) and shared by reference; property
 * names in "loc" are shared the same way; "input" is the instance's
 * own value (see fpg_schema_unshare()).  What is left per error is the
 * object itself, its "loc" array and the instance keys in it.  The
 * path costs nothing until an error is reported: it is a chain of
 * stack segments (struct seg) turned into "loc" only here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* JSON Schema type names and the Pydantic error for each. */
const struct fpg_schema_type fpg_schema_types[SCHEMA_NTYPES] = {
	{ "null", T_NULL, "none_required", "Input should be None" },
	{ "boolean", T_BOOLEAN, "bool_type",
	    "Input should be a valid boolean" },
	{ "object", T_OBJECT, "dict_type",
	    "Input should be a valid dictionary" },
	{ "array", T_ARRAY, "list_type", "Input should be a valid list" },
	{ "number", T_NUMBER, "float_type", "Input should be a valid number" },
	{ "string", T_STRING, "string_type",
	    "Input should be a valid string" },
	{ "integer", T_INTEGER, "int_type",
	    "Input should be a valid integer" },
};

/* The errors of s->fixed: type and message (NULL: formatted). */
static const struct {
	const char	*type;
	const char	*msg;
} fixed[F_COUNT] = {
	[F_MISSING] = { "missing", "Field required" },
	[F_EXTRA] = { "extra_forbidden", "Extra inputs are not permitted" },
	[F_FALSE] = { "false_schema", "No value is allowed here" },
	[F_RECURSION] = { "recursion_loop",
	    "Recursion error - cyclic reference detected" },
	[F_ANY_OF] = { "any_of", "Input should match at least one schema" },
	[F_ONE_OF] = { "one_of", "Input should match exactly one schema" },
	[F_NOT] = { "not", "Input should not match the schema" },
	[F_UNIQUE] = { "unique_items", "List should have unique items" },
	[F_INT_FROM_FLOAT] = { "int_from_float", "Input should be a valid "
	    "integer, got a number with a fractional part" },
	[F_TOO_SHORT] = { "too_short", NULL },
	[F_TOO_LONG] = { "too_long", NULL },
	[F_FMT + FPG_FMT_NONE] = { "value_error", "Invalid format" },
	[F_FMT + FPG_FMT_DATETIME] = { "datetime_parsing",
	    "Input should be a valid datetime" },
	[F_FMT + FPG_FMT_DATE] = { "date_parsing",
	    "Input should be a valid date" },
	[F_FMT + FPG_FMT_EMAIL] = { "value_error",
	    "value is not a valid email address" },
	[F_FMT + FPG_FMT_UUID] = { "uuid_parsing",
	    "Input should be a valid UUID" },
	[F_FMT + FPG_FMT_URI] = { "url_parsing",
	    "Input should be a valid URL" },
	[F_FMT + FPG_FMT_IPV4] = { "ip_v4_address",
	    "Input is not a valid IPv4 address" },
};

int
fpg_schema_kerr(struct kerr *k, const char *type, json_t *ctx,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL;
	int	 len = 0;

	k->ctx = ctx;
	if ((k->type = json_string(type)) == NULL || ctx == NULL)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (msg = malloc((size_t)len + 1)) == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	va_end(ap);
	k->msg = json_stringn(msg, (size_t)len);
	free(msg);
	return k->msg != NULL;
}

void
fpg_schema_kerr_free(struct kerr *k)
{
	json_decref(k->type);
	json_decref(k->msg);
	json_decref(k->ctx);
	memset(k, 0, sizeof(*k));
}

int
fpg_schema_fixed(struct fpg_schema *s)
{
	const struct fpg_schema_type	*t;
	size_t				 i;

	for (i = 0; i < F_COUNT; i++) {
		struct kerr *k = &s->fixed[i];

		if (i >= F_TYPE && i < F_FMT) {
			t = &fpg_schema_types[i - F_TYPE];
			k->type = json_string(t->type);
			k->msg = json_string(t->msg);
		} else {
			k->type = json_string(fixed[i].type);
			if (fixed[i].msg != NULL)
				k->msg = json_string(fixed[i].msg);
			else
				continue;
		}
		if (k->type == NULL || k->msg == NULL)
			return 0;
	}
	return 1;
}

/*
 * Appends the path from the root down to s to loc, root first, by
 * recursing up the chain (its length is bounded by SCHEMA_DEPTH_MAX).
 * Returns 0 when out of memory.
 */
static int
loc_append(json_t *loc, const struct seg *s)
{
	if (s == NULL)
		return 1;
	if (!loc_append(loc, s->up))
		return 0;
	if (s->jkey != NULL)
		return json_array_append(loc, s->jkey) == 0;
	return json_array_append_new(loc, s->key != NULL ?
	    json_stringn(s->key, s->len) :
	    json_integer((json_int_t)s->idx)) == 0;
}

/* A new "loc": the caller's prefix (shared elements), then the path. */
static json_t *
mkloc(const struct vctx *c)
{
	json_t	*loc;
	size_t	 i;

	if ((loc = json_array()) == NULL)
		return NULL;
	for (i = 0; json_is_array(c->loc) && i < json_array_size(c->loc); i++)
		if (json_array_append(loc, json_array_get(c->loc, i)) == -1)
			goto fail;
	if (loc_append(loc, c->top))
		return loc;
fail:
	json_decref(loc);
	return NULL;
}

/*
 * Appends the error object.  type, msg and ctx are borrowed (shared);
 * json_object_set_nocheck() fails on a NULL value and takes nothing,
 * so no path leaks.
 */
static void
emit(struct vctx *c, json_t *input, json_t *type, json_t *msg,
    json_t *ctx)
{
	json_t	*e;

	if ((json_is_object(input) || json_is_array(input)) &&
	    c->cow == SIZE_MAX)
		c->cow = json_array_size(c->errors);
	if ((e = json_object()) == NULL ||
	    json_object_set_nocheck(e, "type", type) == -1 ||
	    json_object_set_new_nocheck(e, "loc", mkloc(c)) == -1 ||
	    json_object_set_nocheck(e, "msg", msg) == -1 ||
	    json_object_set_nocheck(e, "input", input) == -1 ||
	    (ctx != NULL && json_object_set_nocheck(e, "ctx", ctx) == -1)) {
		json_decref(e);
		c->oom = 1;
	} else if (json_array_append_new(c->errors, e) == -1)
		c->oom = 1;	/* e freed by jansson */
	else
		c->added++;
}

int
fpg_schema_fail(struct vctx *c, json_t *input, const struct kerr *k)
{
	if (!fpg_schema_stop(c))
		emit(c, input, k->type, k->msg, k->ctx);
	return 1;
}

int
fpg_schema_failf(struct vctx *c, json_t *input, const struct kerr *k,
    json_t *ctx, const char *fmt, ...)
{
	va_list	 ap;
	json_t	*msg;
	char	 buf[256];
	int	 len;

	if (fpg_schema_stop(c)) {
		json_decref(ctx);
		return 1;
	}
	/* Formatted messages are short: counts and fixed words. */
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(buf))
		len = sizeof(buf) - 1;
	if ((msg = json_stringn_nocheck(buf, (size_t)len)) == NULL)
		c->oom = 1;
	else
		emit(c, input, k->type, msg, ctx != NULL ? ctx : k->ctx);
	json_decref(msg);
	json_decref(ctx);
	return 1;
}

void
fpg_schema_unshare(struct vctx *c)
{
	json_t	*e, *in, *copy;
	size_t	 i;

	for (i = c->cow; i < json_array_size(c->errors); i++) {
		e = json_array_get(c->errors, i);
		in = json_object_get(e, "input");
		if (!json_is_object(in) && !json_is_array(in))
			continue;
		if ((copy = json_deep_copy(in)) == NULL ||
		    json_object_set_new_nocheck(e, "input", copy) == -1)
			c->oom = 1;
	}
	c->cow = SIZE_MAX;
}

json_t *
fpg_schema_ctx_len(struct vctx *c, const char *ft, const char *k,
    long long lim, size_t actual)
{
	json_t	*o;

	if ((o = json_object()) == NULL ||
	    json_object_set_new_nocheck(o, "field_type",
	    json_string_nocheck(ft)) == -1 ||
	    json_object_set_new_nocheck(o, k,
	    json_integer((json_int_t)lim)) == -1 ||
	    json_object_set_new_nocheck(o, "actual_length",
	    json_integer((json_int_t)actual)) == -1) {
		json_decref(o);
		c->oom = 1;
		return NULL;
	}
	return o;
}

/* --- Pydantic's "expected" text for enum and const ---------------- */

/*
 * A fixed-size text buffer (SCHEMA_REPR_MAX bytes plus "..." and NUL)
 * for the "expected" text: a 10000-value enum must not make a
 * 10000-value message.
 */
struct sbuf {
	char	*p;
	size_t	 len;
	int	 full;
};

/* Appends n bytes of s, or as many as fit followed by "...". */
static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->len + n > SCHEMA_REPR_MAX) {
		/* Cut before a character, never inside one (UTF-8). */
		n = SCHEMA_REPR_MAX - b->len;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		b->full = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	if (b->full) {
		memcpy(b->p + b->len, "...", 3);
		b->len += 3;
	}
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/*
 * One value as Python's repr() would show it, since Pydantic's
 * messages quote values that way: 'text', 3, 2.5, True, None.  Arrays
 * and objects fall back to compact JSON.
 */
static void
repr(struct sbuf *b, const json_t *v)
{
	char	*s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_puts(b, "'");
		sb_put(b, json_string_value(v), json_string_length(v));
		sb_puts(b, "'");
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if ((s = fpg_schema_numstr(v)) != NULL)
			sb_puts(b, s);
		free(s);
		break;
	case JSON_TRUE:
		sb_puts(b, "True");
		break;
	case JSON_FALSE:
		sb_puts(b, "False");
		break;
	case JSON_NULL:
		sb_puts(b, "None");
		break;
	default:
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL)
			sb_puts(b, s);
		free(s);
		break;
	}
}

/* "'a', 'b' or 'c'" for the n values at vals; NULL if out of memory. */
char *
fpg_schema_expected(const json_t *const *vals, size_t n)
{
	struct sbuf	 b;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	if ((b.p = malloc(SCHEMA_REPR_MAX + 4)) == NULL)
		return NULL;
	b.p[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_puts(&b, i + 1 == n ? " or " : ", ");
		repr(&b, vals[i]);
	}
	return b.p;
}
