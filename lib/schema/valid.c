/*
 * valid.c -- fpg_schema_validate(): walks an instance against
 * the nodes fpg_schema_new() compiled, in Pydantic's order (type
 * first; a type mismatch ends the node), collecting every error up to
 * the caller's cap.
 *
 * The walk allocates nothing while the instance is valid: its state
 * (struct vctx) and the path (struct seg) live on the stack, property
 * names are found in each node's hash table in one pass over the
 * instance, and patterns use a per-thread pcre2 match data.
 *
 * Work is bounded: recursion depth (SCHEMA_DEPTH_MAX), recursion that
 * does not consume the instance (SCHEMA_LOOP_MAX, a $ref cycle),
 * backtracking in patterns (pcre2 match and heap limits), and the
 * caller's error cap, after which validation stops.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* Object slots for up to this many properties live on the stack. */
#define SLOTS_STACK	32

static int	validate(struct vctx *, const struct node *, json_t *, int);

/* Builds a "ctx" only when the error will be kept. */
#define CTX(c, expr)	(fpg_schema_stop(c) ? NULL : (expr))

/*
 * Code points in a valid UTF-8 string: bytes that are not 10xxxxxx.
 * jansson only builds valid UTF-8, so no decoding is needed, and an
 * emoji counts as one character, as in Python.
 */
static size_t
u8len(const char *p, size_t len)
{
	size_t	 n = 0;

	while (len-- > 0)
		if (((unsigned char)*p++ & 0xc0) != 0x80)
			n++;
	return n;
}

/* The T_ bits an instance value satisfies. */
static unsigned
jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return T_OBJECT;
	case JSON_ARRAY:
		return T_ARRAY;
	case JSON_STRING:
		return T_STRING;
	case JSON_INTEGER:
		return T_INTEGER | T_NUMBER;
	case JSON_REAL:
		return fpg_schema_integral(v) ? T_INTEGER | T_NUMBER :
		    T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOLEAN;
	default:
		return T_NULL;
	}
}

/*
 * Validates v one path step down: s is the caller's stack segment for
 * the step (key, or index when key is NULL), linked in for the call.
 */
static int
down(struct vctx *c, struct seg *s, const struct node *n, json_t *v)
{
	int	 r;

	s->up = c->top;
	c->top = s;
	r = validate(c, n, v, 0);
	c->top = s->up;
	return r;
}

/*
 * A property value: a false subschema means the key is not allowed.
 * jkey is the key as a JSON string when the schema has one, or NULL.
 */
static int
child(struct vctx *c, json_t *jkey, const char *key, size_t len,
    const struct node *n, json_t *v)
{
	struct seg	 s;
	int		 r;

	s.jkey = jkey;
	s.key = key;
	s.len = len;
	s.idx = 0;
	if (n->boolean != 0)
		return down(c, &s, n, v);
	s.up = c->top;
	c->top = &s;
	r = fpg_schema_fail(c, v, &c->s->fixed[F_EXTRA]);
	c->top = s.up;
	return r;
}

/*
 * The string keywords.  Each check_*() returns 1 if inst failed one of
 * them, and returns early when fpg_schema_stop() says so.
 */
static int
check_string(struct vctx *c, const struct node *n, json_t *inst)
{
	const char	*p = json_string_value(inst);
	size_t		 len = json_string_length(inst);
	int		 bad = 0;

	/*
	 * A string has between len / 4 and len code points, which
	 * settles most length checks without counting them.
	 */
	if (n->minlen >= 0 && (len + 3) / 4 < (unsigned long long)n->minlen &&
	    (len < (unsigned long long)n->minlen ||
	    u8len(p, len) < (unsigned long long)n->minlen)) {
		bad = fpg_schema_fail(c, inst, &n->eminlen);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->maxlen >= 0 && len > (unsigned long long)n->maxlen &&
	    ((len + 3) / 4 > (unsigned long long)n->maxlen ||
	    u8len(p, len) > (unsigned long long)n->maxlen)) {
		bad = fpg_schema_fail(c, inst, &n->emaxlen);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->pattern.code != NULL &&
	    !fpg_schema_regex_test(c, &n->pattern, p, len)) {
		bad = fpg_schema_fail(c, inst, &n->epattern);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->fmt != FPG_FMT_NONE && !fpg_schema_fmt_check(n->fmt, p, len))
		bad = fpg_schema_fail(c, inst, &c->s->fixed[F_FMT + n->fmt]);
	return bad;
}

/*
 * The numeric keywords.  ctx carries the bound as the schema gave it
 * (integer or real), as Pydantic's {"ge": 5} does.
 */
static int
check_number(struct vctx *c, const struct node *n, json_t *inst)
{
	int	 bad = 0;

	if (n->min.v != NULL && fpg_schema_numcmp(inst, n->min.v) < 0) {
		bad = fpg_schema_fail(c, inst, &n->min.e);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->xmin.v != NULL && fpg_schema_numcmp(inst, n->xmin.v) <= 0) {
		bad = fpg_schema_fail(c, inst, &n->xmin.e);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->max.v != NULL && fpg_schema_numcmp(inst, n->max.v) > 0) {
		bad = fpg_schema_fail(c, inst, &n->max.e);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->xmax.v != NULL && fpg_schema_numcmp(inst, n->xmax.v) >= 0) {
		bad = fpg_schema_fail(c, inst, &n->xmax.e);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->mult.b.v != NULL && !fpg_schema_mult_check(&n->mult, inst))
		bad = fpg_schema_fail(c, inst, &n->mult.b.e);
	return bad;
}

/*
 * The array keywords.  Lengths come first: they cost nothing and a
 * too-long array then fails before its items are walked.  prefixItems
 * covers the first items, items the rest (draft 2020-12).
 */
static int
check_array(struct vctx *c, const struct node *n, json_t *inst)
{
	size_t		 sz = json_array_size(inst), i;
	const struct node *sub;
	struct seg	 s;
	int		 bad = 0, r;

	if (n->minitems >= 0 && sz < (unsigned long long)n->minitems) {
		bad = fpg_schema_failf(c, inst, &c->s->fixed[F_TOO_SHORT],
		    CTX(c, fpg_schema_ctx_len(c, "List", "min_length",
		    n->minitems, sz)),
		    "List should have at least %lld item%s after validation, "
		    "not %zu", n->minitems, n->minitems == 1 ? "" : "s", sz);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->maxitems >= 0 && sz > (unsigned long long)n->maxitems) {
		bad = fpg_schema_failf(c, inst, &c->s->fixed[F_TOO_LONG],
		    CTX(c, fpg_schema_ctx_len(c, "List", "max_length",
		    n->maxitems, sz)),
		    "List should have at most %lld item%s after validation, "
		    "not %zu", n->maxitems, n->maxitems == 1 ? "" : "s", sz);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->unique && (r = fpg_schema_unique(inst)) != 1) {
		if (r == -1)
			c->oom = 1;
		bad = fpg_schema_fail(c, inst, &c->s->fixed[F_UNIQUE]);
		if (fpg_schema_stop(c))
			return 1;
	}
	s.jkey = NULL;
	s.key = NULL;
	s.len = 0;
	for (i = 0; i < sz; i++) {
		if ((sub = i < n->nprefix ? n->prefix[i] : n->items) == NULL)
			break;
		s.idx = i;
		if (down(c, &s, sub, json_array_get(inst, i))) {
			bad = 1;
			if (fpg_schema_stop(c))
				return 1;
		}
	}
	return bad;
}

/*
 * The keys that "properties" does not name, in the instance's order:
 * patternProperties for those that match a pattern, and
 * additionalProperties for those that match none.
 */
static int
check_extra(struct vctx *c, const struct node *n, json_t *inst)
{
	const char	*key;
	size_t		 klen, i;
	json_t		*v;
	void		*it;
	int		 bad = 0, matched, r;

	for (it = json_object_iter(inst); it != NULL;
	    it = json_object_iter_next(inst, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		v = json_object_iter_value(it);
		matched = fpg_schema_prop_find(n, key, klen) >= 0;
		r = 0;
		for (i = 0; i < n->npprops; i++) {
			if (!fpg_schema_regex_test(c, &n->pprops[i].re, key,
			    klen))
				continue;
			matched = 1;
			if (child(c, NULL, key, klen, n->pprops[i].n, v)) {
				r = 1;
				if (fpg_schema_stop(c))
					break;
			}
		}
		if (!matched && n->addl != NULL && !(r && fpg_schema_stop(c)))
			r |= child(c, NULL, key, klen, n->addl, v);
		if (r) {
			bad = 1;
			if (fpg_schema_stop(c))
				return 1;
		}
	}
	return bad;
}

/* Property count bounds. */
static int
check_size(struct vctx *c, const struct node *n, json_t *inst)
{
	size_t	 sz = json_object_size(inst);
	int	 bad = 0;

	if (n->minprops >= 0 && sz < (unsigned long long)n->minprops) {
		bad = fpg_schema_failf(c, inst, &c->s->fixed[F_TOO_SHORT],
		    CTX(c, fpg_schema_ctx_len(c, "Dictionary", "min_length",
		    n->minprops, sz)),
		    "Dictionary should have at least %lld item%s after "
		    "validation, not %zu", n->minprops,
		    n->minprops == 1 ? "" : "s", sz);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (n->maxprops >= 0 && sz > (unsigned long long)n->maxprops)
		bad = fpg_schema_failf(c, inst, &c->s->fixed[F_TOO_LONG],
		    CTX(c, fpg_schema_ctx_len(c, "Dictionary", "max_length",
		    n->maxprops, sz)),
		    "Dictionary should have at most %lld item%s after "
		    "validation, not %zu", n->maxprops,
		    n->maxprops == 1 ? "" : "s", sz);
	return bad;
}

/*
 * The object keywords, given slot[i] = the instance's value for
 * props[i] (NULL: absent) and extra = the number of instance keys
 * that are not properties.  required reports "missing" at the absent
 * key with the whole object as input (as Pydantic does); then
 * properties in the schema's order, the other keys in the instance's,
 * and the size bounds.
 */
static int
check_props(struct vctx *c, const struct node *n, json_t *inst,
    json_t **slot, size_t extra)
{
	struct seg	 s;
	size_t		 i;
	int		 bad = 0, r;

	for (i = 0; i < n->nreq; i++) {
		const struct prop *q = &n->req[i];

		if (q->pidx >= 0 ? slot[q->pidx] != NULL :
		    json_object_getn(inst, q->name, q->len) != NULL)
			continue;
		s.jkey = q->jname;
		s.key = q->name;
		s.len = q->len;
		s.up = c->top;
		c->top = &s;
		bad = fpg_schema_fail(c, inst, &c->s->fixed[F_MISSING]);
		c->top = s.up;
		if (fpg_schema_stop(c))
			return 1;
	}
	for (i = 0; i < n->nprops; i++) {
		if (slot[i] == NULL)
			continue;
		r = child(c, n->props[i].jname, n->props[i].name,
		    n->props[i].len, n->props[i].n, slot[i]);
		if (r) {
			bad = 1;
			if (fpg_schema_stop(c))
				return 1;
		}
	}
	if (n->npprops > 0 || (n->addl != NULL && extra > 0)) {
		if (check_extra(c, n, inst)) {
			bad = 1;
			if (fpg_schema_stop(c))
				return 1;
		}
	}
	if (check_size(c, n, inst)) {
		bad = 1;
		if (fpg_schema_stop(c))
			return 1;
	}
	/*
	 * Defaults go in last, so they are not validated (as Pydantic
	 * does not) and only when the verdict is going to be used.
	 */
	for (i = 0; n->anydef && !c->quiet && i < n->nprops; i++) {
		const json_t *def = n->props[i].n->def;
		json_t *copy;

		if (def == NULL || slot[i] != NULL)
			continue;
		if (c->cow != SIZE_MAX)
			fpg_schema_unshare(c);
		if ((copy = json_deep_copy(def)) == NULL ||
		    json_object_setn_new(inst, n->props[i].name,
		    n->props[i].len, copy) == -1)
			c->oom = 1;
	}
	return bad;
}

/*
 * One pass over the instance's keys fills the property slots (on the
 * stack for up to SLOTS_STACK properties) and counts the other keys.
 */
static int
check_object(struct vctx *c, const struct node *n, json_t *inst)
{
	json_t		*stack[SLOTS_STACK], **slot = stack;
	size_t		 extra = 0;
	void		*it;
	long		 k;
	int		 bad;

	if (n->nprops > SLOTS_STACK &&
	    (slot = calloc(n->nprops, sizeof(*slot))) == NULL) {
		c->oom = 1;
		return 1;
	}
	if (slot == stack && n->nprops > 0)
		memset(stack, 0, n->nprops * sizeof(*slot));
	if (n->nprops == 0)
		extra = json_object_size(inst);
	else
		for (it = json_object_iter(inst); it != NULL;
		    it = json_object_iter_next(inst, it)) {
			k = fpg_schema_prop_find(n, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			if (k >= 0)
				slot[k] = json_object_iter_value(it);
			else
				extra++;
		}
	bad = check_props(c, n, inst, slot, extra);
	if (slot != stack)
		free(slot);
	return bad;
}

/* oneOf's ctx: {"matched": hit}, or NULL with c->oom set. */
static json_t *
ctx_matched(struct vctx *c, size_t hit)
{
	json_t	*o;

	if ((o = json_object()) == NULL || json_object_set_new_nocheck(o,
	    "matched", json_integer((json_int_t)hit)) == -1) {
		json_decref(o);
		c->oom = 1;
		return NULL;
	}
	return o;
}

/*
 * The applicators on the same value: allOf reports every branch;
 * anyOf, oneOf and not only need verdicts, so their branches run
 * quiet and one summary error is reported.
 */
static int
check_apply(struct vctx *c, const struct node *n, json_t *inst, int level)
{
	size_t	 i, hit = 0, first = 0;
	int	 bad = 0, quiet;

	for (i = 0; i < n->nallof; i++)
		if (validate(c, n->allof[i], inst, level + 1)) {
			bad = 1;
			if (fpg_schema_stop(c))
				return 1;
		}
	quiet = c->quiet;
	if (n->nanyof > 0) {
		c->quiet = 1;
		for (i = 0; i < n->nanyof && hit == 0; i++)
			if (!validate(c, n->anyof[i], inst, level + 1))
				hit = i + 1;
		c->quiet = quiet;
		if (hit == 0) {
			bad = fpg_schema_fail(c, inst,
			    &c->s->fixed[F_ANY_OF]);
			if (fpg_schema_stop(c))
				return 1;
		} else if (!quiet)
			/* Again, aloud, to apply the branch's defaults. */
			bad |= validate(c, n->anyof[hit - 1], inst, level + 1);
	}
	if (n->noneof > 0) {
		c->quiet = 1;
		for (i = 0, hit = 0; i < n->noneof && hit < 2; i++)
			if (!validate(c, n->oneof[i], inst, level + 1)) {
				if (hit++ == 0)
					first = i;
			}
		c->quiet = quiet;
		if (hit != 1) {
			bad = fpg_schema_failf(c, inst,
			    &c->s->fixed[F_ONE_OF], CTX(c, ctx_matched(c, hit)),
			    "Input should match exactly one schema");
			if (fpg_schema_stop(c))
				return 1;
		} else if (!quiet)
			bad |= validate(c, n->oneof[first], inst, level + 1);
	}
	if (n->not != NULL) {
		c->quiet = 1;
		hit = !validate(c, n->not, inst, level + 1);
		c->quiet = quiet;
		if (hit)
			bad = fpg_schema_fail(c, inst, &c->s->fixed[F_NOT]);
	}
	return bad;
}

/* All keywords of n on inst, in Pydantic's order: type first. */
static int
check(struct vctx *c, const struct node *n, json_t *inst, int level)
{
	unsigned	 t = jtype(inst);
	size_t		 i;
	int		 bad = 0, r = 0;

	if (n->ref != NULL && validate(c, n->ref, inst, level + 1)) {
		bad = 1;
		if (fpg_schema_stop(c))
			return 1;
	}
	/* A type mismatch ends the node: the rest would only add noise. */
	if (n->types != 0 && (n->types & t) == 0) {
		if (fpg_schema_types[n->type1].bit == T_INTEGER &&
		    json_is_real(inst))
			return fpg_schema_fail(c, inst,
			    &c->s->fixed[F_INT_FROM_FLOAT]);
		return fpg_schema_fail(c, inst,
		    &c->s->fixed[F_TYPE + n->type1]);
	}
	if (n->enumv != NULL) {
		for (i = 0; i < json_array_size(n->enumv); i++)
			if (fpg_schema_equal(inst, json_array_get(n->enumv, i)))
				break;
		if (i == json_array_size(n->enumv)) {
			bad = fpg_schema_fail(c, inst, &n->eenum);
			if (fpg_schema_stop(c))
				return 1;
		}
	}
	if (n->constv != NULL && !fpg_schema_equal(inst, n->constv)) {
		bad = fpg_schema_fail(c, inst, &n->econst);
		if (fpg_schema_stop(c))
			return 1;
	}
	if (t & T_STRING)
		r = check_string(c, n, inst);
	else if (t & T_NUMBER)
		r = check_number(c, n, inst);
	else if (t & T_ARRAY)
		r = check_array(c, n, inst);
	else if (t & T_OBJECT)
		r = check_object(c, n, inst);
	if (r) {
		bad = 1;
		if (fpg_schema_stop(c))
			return 1;
	}
	return check_apply(c, n, inst, level) || bad;
}

/*
 * Validates inst against n.  level counts nested validations of this
 * same value (a $ref cycle that consumes nothing); c->depth counts all
 * of them.  Returns 1 if invalid, 0 if valid.
 */
static int
validate(struct vctx *c, const struct node *n, json_t *inst, int level)
{
	int	 bad;

	if (n->boolean == 1)
		return 0;
	if (n->boolean == 0)
		return fpg_schema_fail(c, inst, &c->s->fixed[F_FALSE]);
	if (c->depth >= SCHEMA_DEPTH_MAX || level > SCHEMA_LOOP_MAX)
		return fpg_schema_fail(c, inst, &c->s->fixed[F_RECURSION]);
	c->depth++;
	bad = check(c, n, inst, level);
	c->depth--;
	return bad;
}

/*
 * Validates inst against schema s, appending one Pydantic-v2-shaped
 * error object per failure to the array errors (new references owned
 * by errors), each with loc = a new array holding the elements of loc
 * (borrowed, may be NULL) followed by the path to the failing value.
 * Appends nothing once errors holds max entries, and stops working
 * then.
 *
 * inst may be modified: a missing property whose subschema has a
 * "default" gets a deep copy of it.  An error's "input" is the failing
 * value of inst itself (a new reference), as it was when it failed:
 * the errors stay valid after inst is freed, but inst must not be
 * changed while they are in use.  s is only read, so concurrent calls
 * on one schema are safe (with different instances).
 *
 * Returns the number of errors appended (0: valid, if errors was below
 * max on entry), or SIZE_MAX if memory ran out, in which case the
 * instance must be treated as invalid.
 */
size_t
fpg_schema_validate(const struct fpg_schema *s, json_t *inst, json_t *loc,
    json_t *errors, size_t max)
{
	struct vctx	 c;

	if (s == NULL || inst == NULL || !json_is_array(errors))
		return SIZE_MAX;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.loc = loc;
	c.errors = errors;
	c.max = max;
	c.cow = SIZE_MAX;
	validate(&c, s->root, inst, 0);
	pcre2_match_data_free(c.md);
	return c.oom ? SIZE_MAX : c.added;
}
