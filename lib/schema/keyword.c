/*
 * keyword.c -- one keyword of a schema object compiled into its
 * struct node: the value checked (a bad one is a compile error naming
 * the keyword's JSON pointer) and converted into what validation
 * reads, and, once all keywords are in, the node's property table and
 * prepared errors (fpg_schema_finish()).
 *
 * Keywords never go unnoticed: one we do not implement is an error.
 */
#include <limits.h>
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

/* Names only the reader uses: accepted and ignored. */
static const char *const annotations[] = {
	"$schema", "$comment", "$anchor", "title", "description",
	"examples", "example", "deprecated", "readOnly", "writeOnly",
	"contentMediaType", "contentEncoding",
};

/*
 * One keyword of the schema object being compiled into n.  The path
 * names the subschema; keyword-value errors add the keyword to it.
 * Returns 0 on error (message written).
 */
int
fpg_schema_keyword(struct comp *c, struct node *n, const json_t *self,
    const char *key, size_t klen, const json_t *v)
{
	size_t	 i, old;
	int	 ok = 1;

	for (i = 0; i < sizeof(annotations) / sizeof(annotations[0]); i++)
		if (iskw(key, klen, annotations[i]))
			return 1;
	if (iskw(key, klen, "$id") && self == c->s->doc)
		return 1;

	/*
	 * Error paths below use "ok = fpg_schema_cerr(...) != NULL": fpg_schema_cerr() writes
	 * the message and returns NULL, so ok becomes 0.
	 */
	old = fpg_schema_path_push(c, key, klen);
	if (iskw(key, klen, "type"))
		ok = compile_type(c, n, v);
	else if (iskw(key, klen, "enum")) {
		if (!json_is_array(v))
			ok = fpg_schema_cerr(c, "must be an array") != NULL;
		else {
			const json_t **vals;
			size_t nv = json_array_size(v);
			char *exp = NULL;

			n->enumv = v;
			if ((vals = calloc(nv + 1, sizeof(*vals))) != NULL) {
				for (i = 0; i < nv; i++)
					vals[i] = json_array_get(v, i);
				exp = fpg_schema_expected(vals, nv);
				free(vals);
			}
			ok = exp != NULL && fpg_schema_kerr(&n->eenum, "enum",
			    json_pack("{ss}", "expected", exp),
			    "Input should be %s", exp);
			free(exp);
			if (!ok)
				fpg_schema_cerr(c, "out of memory");
		}
	} else if (iskw(key, klen, "const")) {
		char *exp = fpg_schema_expected(&v, 1);

		n->constv = v;
		ok = exp != NULL && fpg_schema_kerr(&n->econst,
		    "literal_error", json_pack("{ss}", "expected", exp),
		    "Input should be %s", exp);
		free(exp);
		if (!ok)
			fpg_schema_cerr(c, "out of memory");
	} else if (iskw(key, klen, "properties")) {
		ok = compile_map(c, v, &n->props, NULL, &n->nprops);
	} else if (iskw(key, klen, "patternProperties"))
		ok = compile_map(c, v, NULL, &n->pprops, &n->npprops);
	else if (iskw(key, klen, "$defs") || iskw(key, klen, "definitions"))
		ok = compile_map(c, v, NULL, NULL, NULL);
	else if (iskw(key, klen, "required")) {
		if (!json_is_array(v) ||
		    (n->req = calloc(json_array_size(v) + 1,
		    sizeof(*n->req))) == NULL)
			ok = fpg_schema_cerr(c, "must be an array of strings") != NULL;
		for (i = 0; ok && i < json_array_size(v); i++) {
			const json_t *s = json_array_get(v, i);
			if (!json_is_string(s)) {
				ok = fpg_schema_cerr(c, "must be an array of strings") !=
				    NULL;
				break;
			}
			n->req[i].name = json_string_value(s);
			n->req[i].len = json_string_length(s);
			if ((n->req[i].jname = json_stringn(n->req[i].name,
			    n->req[i].len)) == NULL) {
				ok = fpg_schema_cerr(c, "out of memory") != NULL;
				break;
			}
			n->nreq++;
		}
	} else if (iskw(key, klen, "additionalProperties"))
		ok = (n->addl = fpg_schema_compile(c, v)) != NULL;
	else if (iskw(key, klen, "items"))
		ok = (n->items = fpg_schema_compile(c, v)) != NULL;
	else if (iskw(key, klen, "not"))
		ok = (n->not = fpg_schema_compile(c, v)) != NULL;
	else if (iskw(key, klen, "prefixItems"))
		ok = compile_list(c, v, &n->prefix, &n->nprefix);
	else if (iskw(key, klen, "allOf"))
		ok = compile_list(c, v, &n->allof, &n->nallof);
	else if (iskw(key, klen, "anyOf"))
		ok = compile_list(c, v, &n->anyof, &n->nanyof);
	else if (iskw(key, klen, "oneOf"))
		ok = compile_list(c, v, &n->oneof, &n->noneof);
	else if (iskw(key, klen, "minProperties"))
		ok = count(v, &n->minprops);
	else if (iskw(key, klen, "maxProperties"))
		ok = count(v, &n->maxprops);
	else if (iskw(key, klen, "minItems"))
		ok = count(v, &n->minitems);
	else if (iskw(key, klen, "maxItems"))
		ok = count(v, &n->maxitems);
	else if (iskw(key, klen, "minLength"))
		ok = count(v, &n->minlen);
	else if (iskw(key, klen, "maxLength"))
		ok = count(v, &n->maxlen);
	else if (iskw(key, klen, "uniqueItems")) {
		ok = json_is_boolean(v);
		n->unique = json_is_true(v);
	} else if (iskw(key, klen, "pattern")) {
		if (!json_is_string(v))
			ok = fpg_schema_cerr(c, "must be a string") != NULL;
		else
			ok = regex(c, &n->pattern, json_string_value(v),
			    json_string_length(v));
	} else if (iskw(key, klen, "minimum"))
		ok = compile_bound(c, v, &n->min, "greater_than_equal", "ge",
		    "greater than or equal to ");
	else if (iskw(key, klen, "maximum"))
		ok = compile_bound(c, v, &n->max, "less_than_equal", "le",
		    "less than or equal to ");
	else if (iskw(key, klen, "exclusiveMinimum"))
		ok = compile_bound(c, v, &n->xmin, "greater_than", "gt",
		    "greater than ");
	else if (iskw(key, klen, "exclusiveMaximum"))
		ok = compile_bound(c, v, &n->xmax, "less_than", "lt",
		    "less than ");
	else if (iskw(key, klen, "multipleOf")) {
		if (!json_is_number(v))
			ok = fpg_schema_cerr(c, "must be a number") != NULL;
		else if (json_number_value(v) <= 0)
			ok = fpg_schema_cerr(c, "must be greater than 0") != NULL;
		else {
			fpg_schema_mult_init(&n->mult, v);
			ok = compile_bound(c, v, &n->mult.b, "multiple_of",
			    "multiple_of", "a multiple of ");
		}
	} else if (iskw(key, klen, "format")) {
		if (!json_is_string(v))
			ok = fpg_schema_cerr(c, "must be a string") != NULL;
		else if ((n->fmt = fpg_schema_fmt_lookup(json_string_value(v),
		    json_string_length(v))) == FPG_FMT_NONE)
			ok = fpg_schema_cerr(c, "unsupported format \"%s\"",
			    json_string_value(v)) != NULL;
	} else if (iskw(key, klen, "default"))
		n->def = v;
	else if (iskw(key, klen, "$ref")) {
		if (!json_is_string(v))
			ok = fpg_schema_cerr(c, "must be a string") != NULL;
		else
			ok = pending(c, n, json_string_value(v));
	} else {
		fpg_schema_path_pop(c, old);
		return fpg_schema_cerr(c, "unsupported keyword \"%.*s\"",
		    (int)(klen > 64 ? 64 : klen), key) != NULL;
	}
	/* Helpers that fail without a message (count(), uniqueItems). */
	if (!ok && c->err != NULL && c->errsz > 0 && c->err[0] == '\0')
		fpg_schema_cerr(c, "invalid value");
	fpg_schema_path_pop(c, old);
	return ok;
}

/*
 * Once all of n's keywords are in: the hash table of its property
 * names (open addressing, at most half full, so a probe ends soon),
 * and for each required name the index of its property, so that
 * validation finds both in one pass over the instance.
 */
static int
proptab(struct comp *c, struct node *n)
{
	size_t		 i, sz;
	uint32_t	 k;

	if (n->nprops > 0) {
		for (sz = 4; sz < n->nprops * 2; sz *= 2)
			continue;
		if (sz > UINT32_MAX ||
		    (n->ptab = calloc(sz, sizeof(*n->ptab))) == NULL)
			return fpg_schema_cerr(c, "out of memory") != NULL;
		n->pmask = (uint32_t)(sz - 1);
		for (i = 0; i < n->nprops; i++) {
			k = fpg_schema_namehash(n->props[i].name,
			    n->props[i].len) & n->pmask;
			while (n->ptab[k] != 0)
				k = (k + 1) & n->pmask;
			n->ptab[k] = (uint32_t)i + 1;
			if (n->props[i].n->def != NULL)
				n->anydef = 1;
		}
	}
	for (i = 0; i < n->nreq; i++)
		n->req[i].pidx = fpg_schema_prop_find(n, n->req[i].name,
		    n->req[i].len);
	return 1;
}

/* The prepared errors of n's string keywords. */
static int
strerrs(struct comp *c, struct node *n)
{
	if (n->minlen >= 0 && !fpg_schema_kerr(&n->eminlen,
	    "string_too_short", json_pack("{sI}", "min_length",
	    (json_int_t)n->minlen),
	    "String should have at least %lld character%s",
	    n->minlen, n->minlen == 1 ? "" : "s"))
		return fpg_schema_cerr(c, "out of memory") != NULL;
	if (n->maxlen >= 0 && !fpg_schema_kerr(&n->emaxlen,
	    "string_too_long", json_pack("{sI}", "max_length",
	    (json_int_t)n->maxlen),
	    "String should have at most %lld character%s",
	    n->maxlen, n->maxlen == 1 ? "" : "s"))
		return fpg_schema_cerr(c, "out of memory") != NULL;
	if (n->pattern.code != NULL && !fpg_schema_kerr(&n->epattern,
	    "string_pattern_mismatch", json_pack("{ss}", "pattern",
	    n->pattern.src), "String should match pattern '%s'",
	    n->pattern.src))
		return fpg_schema_cerr(c, "out of memory") != NULL;
	return 1;
}

int
fpg_schema_finish(struct comp *c, struct node *n)
{
	return proptab(c, n) && strerrs(c, n);
}
