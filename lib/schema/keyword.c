/*
 * keyword.c -- one keyword of a schema object compiled into its
 * struct node: the value checked (a bad one is a compile error naming
 * the keyword's JSON pointer) and converted into what validation
 * reads.  What follows once all keywords are in (the node's property
 * table and prepared errors) is fpg_schema_finish(), in compile.c.
 *
 * The keywords are one table, keywords[] (a new keyword is a row
 * there), and never go unnoticed: one not in it is an error.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

static int	 regex(struct comp *, struct regex *, const char *, size_t);

/*
 * Whether the object key (klen bytes, may hold NUL bytes) is the
 * keyword kw.  Keys carry lengths because jansson allows NUL in them.
 */
static int
iskw(const char *key, size_t klen, const char *kw)
{
	return strlen(kw) == klen && memcmp(key, kw, klen) == 0;
}

/*
 * Reads a non-negative integer (2.0 counts, as the suite requires)
 * into *out, saturating at LLONG_MAX.  Returns 0 if v is not one; the
 * caller then reports "invalid value".
 */
static int
count(const json_t *v, long long *out)
{
	double	 d;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 1;
	}
	if (json_is_real(v) && fpg_schema_integral(v) && (d = json_real_value(v)) >= 0) {
		*out = d >= 9.2e18 ? LLONG_MAX : (long long)d;
		return 1;
	}
	return 0;
}

/* A non-empty array of subschemas, for allOf, anyOf, oneOf, prefixItems. */
static int
compile_list(struct comp *c, const json_t *v, struct node ***out,
    size_t *nout)
{
	char	 idx[32];
	size_t	 i, n = json_array_size(v), old;

	if (!json_is_array(v) || n == 0)
		return fpg_schema_cerr(c, "must be a non-empty array of schemas"), 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return fpg_schema_cerr(c, "out of memory"), 0;
	*nout = n;
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		old = fpg_schema_path_push(c, idx, strlen(idx));
		(*out)[i] = fpg_schema_compile(c, json_array_get(v, i));
		fpg_schema_path_pop(c, old);
		if ((*out)[i] == NULL)
			return 0;
	}
	return 1;
}

/*
 * A map of names to subschemas (properties, patternProperties, $defs).
 * For properties and patternProperties fills *out (name and node; the
 * pattern compiled when re is set).  Returns 0 on error.
 */
static int
compile_map(struct comp *c, const json_t *v, struct prop **out,
    struct pprop **pout, size_t *nout)
{
	const char	*key;
	size_t		 klen, i = 0, old;
	json_t		*sub;
	struct node	*n;

	if (!json_is_object(v))
		return fpg_schema_cerr(c, "must be an object of schemas"), 0;
	if (out != NULL &&
	    (*out = calloc(json_object_size(v) + 1, sizeof(**out))) == NULL)
		return fpg_schema_cerr(c, "out of memory"), 0;
	if (pout != NULL &&
	    (*pout = calloc(json_object_size(v) + 1, sizeof(**pout))) == NULL)
		return fpg_schema_cerr(c, "out of memory"), 0;
	json_object_keylen_foreach((json_t *)(uintptr_t)v, key, klen, sub) {
		old = fpg_schema_path_push(c, key, klen);
		n = fpg_schema_compile(c, sub);
		if (n != NULL && pout != NULL) {
			(*pout)[i].n = n;
			if (!regex(c, &(*pout)[i].re, key, klen))
				n = NULL;
		} else if (n != NULL && out != NULL) {
			(*out)[i].name = key;
			(*out)[i].len = klen;
			(*out)[i].n = n;
			if (((*out)[i].jname = json_stringn(key, klen)) ==
			    NULL)
				n = fpg_schema_cerr(c, "out of memory");
		}
		fpg_schema_path_pop(c, old);
		if (n == NULL)
			return 0;
		if (nout != NULL)
			*nout = ++i;
	}
	return 1;
}

/*
 * A numeric bound (minimum, maximum, the exclusive ones, multipleOf)
 * and its error: type, {ctxkey: v} and "Input should be <what><v>".
 */
static int
compile_bound(struct comp *c, const json_t *v, struct bound *b,
    const char *type, const char *ctxkey, const char *what)
{
	char	*str;
	int	 ok;

	if (!json_is_number(v))
		return fpg_schema_cerr(c, "must be a number"), 0;
	b->v = v;
	if ((str = fpg_schema_numstr(v)) == NULL)
		return fpg_schema_cerr(c, "out of memory"), 0;
	ok = fpg_schema_kerr(&b->e, type, json_pack("{so}", ctxkey,
	    json_deep_copy(v)), "Input should be %s%s", what, str);
	free(str);
	if (!ok)
		return fpg_schema_cerr(c, "out of memory"), 0;
	return 1;
}

/* A pattern, with pcre2's complaint as the error message. */
static int
regex(struct comp *c, struct regex *re, const char *src, size_t len)
{
	char	 msg[192];

	if (!fpg_schema_regex_new(re, src, len, msg, sizeof(msg)))
		return fpg_schema_cerr(c, "%s", msg), 0;
	return 1;
}

/*
 * "type": a name or a non-empty array of names, kept as a bit set.
 * The first name listed picks the error type on a mismatch, as the
 * brief of a Pydantic-style error list wants one error, not several.
 */
static int
compile_type(struct comp *c, struct node *n, const json_t *v)
{
	size_t	 i, k, nt;

	nt = json_is_array(v) ? json_array_size(v) : 1;
	if (!json_is_string(v) && (!json_is_array(v) || nt == 0))
		return fpg_schema_cerr(c, "must be a type name or an array of them"), 0;
	for (i = 0; i < nt; i++) {
		const json_t *t = json_is_array(v) ? json_array_get(v, i) : v;

		for (k = 0; json_is_string(t) &&
		    k < SCHEMA_NTYPES; k++)
			if (strcmp(json_string_value(t),
			    fpg_schema_types[k].name) == 0)
				break;
		if (!json_is_string(t) || k == SCHEMA_NTYPES)
			return fpg_schema_cerr(c, "unknown type"), 0;
		if (i == 0)
			n->type1 = k;
		if ((n->types & fpg_schema_types[k].bit) == 0)
			n->tlist[n->ntlist++] = (unsigned char)k;
		n->types |= fpg_schema_types[k].bit;
	}
	return 1;
}

/* Queues n's $ref for resolution once the tree is compiled. */
static int
pending(struct comp *c, struct node *n, const char *ref)
{
	struct pending	*p;

	if (c->npend == c->pendsz) {
		if ((p = reallocarray(c->pend, c->pendsz * 2 + 8,
		    sizeof(*p))) == NULL)
			return fpg_schema_cerr(c, "out of memory") != NULL;
		c->pend = p;
		c->pendsz = c->pendsz * 2 + 8;
	}
	c->pend[c->npend].n = n;
	c->pend[c->npend++].ref = ref;
	return 1;
}

/*
 * The keywords, one function each, called with the path already naming
 * the keyword.  Each returns 0 on error, with the message written or,
 * if none was, "invalid value" written for it by fpg_schema_keyword().
 * k is the keyword's row in the table below: rows that share a
 * function tell it, by k->off (and k->off2), which field of struct
 * node to fill, and by k->arg anything else it needs.
 */
struct keyword;
typedef int	 kwfn(struct comp *, struct node *, const struct keyword *,
		    const json_t *);

struct keyword {
	const char	*name;
	kwfn		*fn;	/* NULL: an annotation, accepted and ignored */
	size_t		 off;	/* a field of struct node */
	size_t		 off2;	/* its count, for a list of subschemas */
	const void	*arg;
};

/* The field of n at offset off, for the rows that name one. */
#define FIELD(n, off, type)	((type *)(void *)((char *)(n) + (off)))

/* The error of each numeric bound: Pydantic's type, ctx key, message. */
struct boundmsg {
	const char	*type;
	const char	*ctxkey;
	const char	*what;
};

static const struct boundmsg ge = {
	"greater_than_equal", "ge", "greater than or equal to " };
static const struct boundmsg le = {
	"less_than_equal", "le", "less than or equal to " };
static const struct boundmsg gt = { "greater_than", "gt", "greater than " };
static const struct boundmsg lt = { "less_than", "lt", "less than " };

static int
kw_type(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	return compile_type(c, n, v);
}

static int
kw_enum(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	const json_t	**vals;
	size_t		  i, nv = json_array_size(v);
	char		 *exp = NULL;
	int		  ok;

	(void)k;
	if (!json_is_array(v))
		return fpg_schema_cerr(c, "must be an array") != NULL;
	n->enumv = v;
	if ((vals = calloc(nv + 1, sizeof(*vals))) != NULL) {
		for (i = 0; i < nv; i++)
			vals[i] = json_array_get(v, i);
		exp = fpg_schema_expected(vals, nv);
		free(vals);
	}
	ok = exp != NULL && fpg_schema_kerr(&n->eenum, "enum",
	    json_pack("{ss}", "expected", exp), "Input should be %s", exp);
	free(exp);
	if (!ok)
		fpg_schema_cerr(c, "out of memory");
	return ok;
}

static int
kw_const(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	char	*exp = fpg_schema_expected(&v, 1);
	int	 ok;

	(void)k;
	n->constv = v;
	ok = exp != NULL && fpg_schema_kerr(&n->econst, "literal_error",
	    json_pack("{ss}", "expected", exp), "Input should be %s", exp);
	free(exp);
	if (!ok)
		fpg_schema_cerr(c, "out of memory");
	return ok;
}

static int
kw_properties(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	return compile_map(c, v, &n->props, NULL, &n->nprops);
}

static int
kw_pattern_properties(struct comp *c, struct node *n,
    const struct keyword *k, const json_t *v)
{
	(void)k;
	return compile_map(c, v, NULL, &n->pprops, &n->npprops);
}

/* $defs, definitions: compiled for their errors, reached by $ref. */
static int
kw_defs(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)n;
	(void)k;
	return compile_map(c, v, NULL, NULL, NULL);
}

static int
kw_required(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	const json_t	*s;
	size_t		 i;

	(void)k;
	if (!json_is_array(v) || (n->req = calloc(json_array_size(v) + 1,
	    sizeof(*n->req))) == NULL)
		return fpg_schema_cerr(c, "must be an array of strings") !=
		    NULL;
	for (i = 0; i < json_array_size(v); i++) {
		if (!json_is_string(s = json_array_get(v, i)))
			return fpg_schema_cerr(c,
			    "must be an array of strings") != NULL;
		n->req[i].name = json_string_value(s);
		n->req[i].len = json_string_length(s);
		if ((n->req[i].jname = json_stringn(n->req[i].name,
		    n->req[i].len)) == NULL)
			return fpg_schema_cerr(c, "out of memory") != NULL;
		n->nreq++;
	}
	return 1;
}

/* One subschema (additionalProperties, items, not) into k->off. */
static int
kw_schema(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	return (*FIELD(n, k->off, struct node *) =
	    fpg_schema_compile(c, v)) != NULL;
}

/* A list of subschemas (prefixItems, allOf, ...): k->off, k->off2. */
static int
kw_list(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	return compile_list(c, v, FIELD(n, k->off, struct node **),
	    FIELD(n, k->off2, size_t));
}

/* A count (minItems, maxLength, ...) into the long long at k->off. */
static int
kw_count(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)c;
	return count(v, FIELD(n, k->off, long long));
}

static int
kw_unique(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)c;
	(void)k;
	n->unique = json_is_true(v);
	return json_is_boolean(v);
}

static int
kw_pattern(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	if (!json_is_string(v))
		return fpg_schema_cerr(c, "must be a string") != NULL;
	return regex(c, &n->pattern, json_string_value(v),
	    json_string_length(v));
}

/* A numeric bound into the struct bound at k->off; k->arg its error. */
static int
kw_bound(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	const struct boundmsg	*m = k->arg;

	return compile_bound(c, v, FIELD(n, k->off, struct bound), m->type,
	    m->ctxkey, m->what);
}

static int
kw_multiple(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	if (!json_is_number(v))
		return fpg_schema_cerr(c, "must be a number") != NULL;
	if (json_number_value(v) <= 0)
		return fpg_schema_cerr(c, "must be greater than 0") != NULL;
	fpg_schema_mult_init(&n->mult, v);
	return compile_bound(c, v, &n->mult.b, "multiple_of", "multiple_of",
	    "a multiple of ");
}

static int
kw_format(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	if (!json_is_string(v))
		return fpg_schema_cerr(c, "must be a string") != NULL;
	if ((n->fmt = fpg_schema_fmt_lookup(json_string_value(v),
	    json_string_length(v))) == FPG_FMT_NONE)
		return fpg_schema_cerr(c, "unsupported format \"%s\"",
		    json_string_value(v)) != NULL;
	return 1;
}

/* "default": kept as it is, copied into an instance that lacks it. */
static int
kw_default(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)c;
	(void)k;
	n->def = v;
	return 1;
}

/* "$ref": queued, resolved once the whole document is compiled. */
static int
kw_ref(struct comp *c, struct node *n, const struct keyword *k,
    const json_t *v)
{
	(void)k;
	if (!json_is_string(v))
		return fpg_schema_cerr(c, "must be a string") != NULL;
	return pending(c, n, json_string_value(v));
}

#define NODE(f)		offsetof(struct node, f)

/*
 * Every keyword the compiler knows: a keyword not here makes a schema
 * unsupported, never silently ignored.  A new keyword is one row (and,
 * unless it fills a field as an existing row does, one kw_ function),
 * plus what validation does with its field in valid.c.  "$id" is not
 * here: it is ignored at the root only (see fpg_schema_keyword()).
 */
static const struct keyword keywords[] = {
	/* Read by people and tools only. */
	{ .name = "$schema" },
	{ .name = "$comment" },
	{ .name = "$anchor" },
	{ .name = "title" },
	{ .name = "description" },
	{ .name = "examples" },
	{ .name = "example" },
	{ .name = "deprecated" },
	{ .name = "readOnly" },
	{ .name = "writeOnly" },
	{ .name = "contentMediaType" },
	{ .name = "contentEncoding" },

	/* Any instance. */
	{ .name = "type",	.fn = kw_type },
	{ .name = "enum",	.fn = kw_enum },
	{ .name = "const",	.fn = kw_const },
	{ .name = "allOf",	.fn = kw_list,
	    .off = NODE(allof), .off2 = NODE(nallof) },
	{ .name = "anyOf",	.fn = kw_list,
	    .off = NODE(anyof), .off2 = NODE(nanyof) },
	{ .name = "oneOf",	.fn = kw_list,
	    .off = NODE(oneof), .off2 = NODE(noneof) },
	{ .name = "not",	.fn = kw_schema,	.off = NODE(not) },
	{ .name = "$ref",	.fn = kw_ref },
	{ .name = "$defs",	.fn = kw_defs },
	{ .name = "definitions", .fn = kw_defs },
	{ .name = "default",	.fn = kw_default },

	/* Objects. */
	{ .name = "properties",	.fn = kw_properties },
	{ .name = "patternProperties", .fn = kw_pattern_properties },
	{ .name = "additionalProperties", .fn = kw_schema, .off = NODE(addl) },
	{ .name = "required",	.fn = kw_required },
	{ .name = "minProperties", .fn = kw_count,	.off = NODE(minprops) },
	{ .name = "maxProperties", .fn = kw_count,	.off = NODE(maxprops) },

	/* Arrays. */
	{ .name = "items",	.fn = kw_schema,	.off = NODE(items) },
	{ .name = "prefixItems", .fn = kw_list,
	    .off = NODE(prefix), .off2 = NODE(nprefix) },
	{ .name = "minItems",	.fn = kw_count,		.off = NODE(minitems) },
	{ .name = "maxItems",	.fn = kw_count,		.off = NODE(maxitems) },
	{ .name = "uniqueItems", .fn = kw_unique },

	/* Strings. */
	{ .name = "minLength",	.fn = kw_count,		.off = NODE(minlen) },
	{ .name = "maxLength",	.fn = kw_count,		.off = NODE(maxlen) },
	{ .name = "pattern",	.fn = kw_pattern },
	{ .name = "format",	.fn = kw_format },

	/* Numbers: a bound's row names its field and its error. */
	{ .name = "minimum",	.fn = kw_bound,	.off = NODE(min), .arg = &ge },
	{ .name = "maximum",	.fn = kw_bound,	.off = NODE(max), .arg = &le },
	{ .name = "exclusiveMinimum", .fn = kw_bound,
	    .off = NODE(xmin), .arg = &gt },
	{ .name = "exclusiveMaximum", .fn = kw_bound,
	    .off = NODE(xmax), .arg = &lt },
	{ .name = "multipleOf",	.fn = kw_multiple },
};

/*
 * One keyword of the schema object being compiled into n, found in
 * keywords[].  The path names the subschema; keyword-value errors add
 * the keyword to it.  Returns 0 on error (message written).
 */
int
fpg_schema_keyword(struct comp *c, struct node *n, const json_t *self,
    const char *key, size_t klen, const json_t *v)
{
	const struct keyword	*k;
	size_t			 i, old;
	int			 ok;

	if (iskw(key, klen, "$id") && self == c->s->doc)
		return 1;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (iskw(key, klen, keywords[i].name))
			break;
	if (i == sizeof(keywords) / sizeof(keywords[0]))
		return fpg_schema_cerr(c, "unsupported keyword \"%.*s\"",
		    (int)(klen > 64 ? 64 : klen), key) != NULL;
	if ((k = &keywords[i])->fn == NULL)
		return 1;

	old = fpg_schema_path_push(c, key, klen);
	ok = k->fn(c, n, k, v);
	/* Functions that fail without a message (count(), uniqueItems). */
	if (!ok && c->err != NULL && c->errsz > 0 && c->err[0] == '\0')
		fpg_schema_cerr(c, "invalid value");
	fpg_schema_path_pop(c, old);
	return ok;
}
