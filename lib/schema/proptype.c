/*
 * proptype.c -- fpg_schema_prop_types(): the types a compiled object
 * schema accepts for one property, and for its items, read from the
 * nodes (their $ref already resolved by compile.c) rather than from
 * the schema's text, so that there is one resolver of $ref.
 *
 * A value meets every schema that applies to it: the node itself, its
 * $ref target and its allOf branches (valid.c's check()), and theirs
 * in turn.  Those are gathered into a small set (struct nset), and the
 * types of the set are the intersection of their "type" lists.
 * anyOf, oneOf and not are not followed: they allow a union, or an
 * exception, that a list in one order cannot say.
 */
#include <string.h>

#include "schema_int.h"

#define NSET_MAX	64	/* schemas gathered for one value */

/* Nodes that apply to one value, each once, in the order found. */
struct nset {
	const struct node	*v[NSET_MAX];
	size_t			 n;
};

/* Adds n and what applies with it (its $ref, its allOf) to ns. */
static void
gather(struct nset *ns, const struct node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < ns->n; i++)
		if (ns->v[i] == n)
			return;		/* a $ref cycle, or met before */
	if (ns->n == NSET_MAX)
		return;
	ns->v[ns->n++] = n;
	if (n->boolean != -1)
		return;
	gather(ns, n->ref);
	for (i = 0; i < n->nallof; i++)
		gather(ns, n->allof[i]);
}

/*
 * Types as fpg_schema_types indexes, in listed order; none: no value
 * fits; n == 0 and !none: any.
 */
struct tlist {
	int		 none;
	size_t		 n;
	unsigned char	 t[SCHEMA_NTYPES];
};

static size_t
type_index(unsigned bit)
{
	size_t	 k;

	for (k = 0; k < SCHEMA_NTYPES; k++)
		if (fpg_schema_types[k].bit == bit)
			break;
	return k;
}

/*
 * Narrows acc to the types the list of node m also allows, keeping
 * acc's order (the first list met gives it).  An integer is a number,
 * so "number" meeting "integer" leaves "integer".
 */
static void
narrow(struct tlist *acc, const struct node *m)
{
	struct tlist	 out;
	size_t		 i, j;
	unsigned	 bit, keep;

	if (acc->none)
		return;
	if (m->boolean == 0) {
		acc->none = 1;
		return;
	}
	if (m->boolean == 1 || m->ntlist == 0)
		return;
	if (acc->n == 0) {
		memcpy(acc->t, m->tlist, m->ntlist);
		acc->n = m->ntlist;
		return;
	}
	memset(&out, 0, sizeof(out));
	for (i = 0; i < acc->n; i++) {
		bit = fpg_schema_types[acc->t[i]].bit;
		keep = 0;
		if (m->types & bit)
			keep = bit;
		else if ((bit == T_NUMBER && (m->types & T_INTEGER)) ||
		    (bit == T_INTEGER && (m->types & T_NUMBER)))
			keep = T_INTEGER;
		if (keep == 0)
			continue;
		for (j = 0; j < out.n; j++)
			if (fpg_schema_types[out.t[j]].bit == keep)
				break;
		if (j == out.n)
			out.t[out.n++] = (unsigned char)type_index(keep);
	}
	if (out.n == 0)
		out.none = 1;
	*acc = out;
}

/* The types every node of ns allows, into out (any when none fits). */
static void
types_of(const struct nset *ns, struct fpg_schema_types *out)
{
	struct tlist	 acc;
	size_t		 i;

	memset(&acc, 0, sizeof(acc));
	for (i = 0; i < ns->n; i++)
		narrow(&acc, ns->v[i]);
	out->n = 0;
	if (acc.none)
		return;
	for (i = 0; i < acc.n; i++)
		out->t[out->n++] = fpg_schema_types[acc.t[i]].bit;
}

/* See schema.h. */
int
fpg_schema_prop_types(const struct fpg_schema *s, const char *name,
    struct fpg_schema_types *prop, struct fpg_schema_types *items)
{
	struct nset	 obj, ps, is;
	const struct node *m;
	size_t		 i, j;
	long		 k;

	if (prop != NULL)
		prop->n = 0;
	if (items != NULL)
		items->n = 0;
	if (s == NULL || s->root == NULL || s->root->boolean != -1)
		return -1;
	if (name == NULL)
		return 0;
	obj.n = ps.n = is.n = 0;
	gather(&obj, s->root);
	/* The property's schemas: "properties" of each object schema,
	 * else its "additionalProperties". */
	for (i = 0; i < obj.n; i++) {
		m = obj.v[i];
		if (m->boolean != -1)
			continue;
		if ((k = fpg_schema_prop_find(m, name, strlen(name))) >= 0)
			gather(&ps, m->props[k].n);
		else
			gather(&ps, m->addl);
	}
	if (prop != NULL)
		types_of(&ps, prop);
	if (items != NULL) {
		for (j = 0; j < ps.n; j++)
			if (ps.v[j]->boolean == -1)
				gather(&is, ps.v[j]->items);
		types_of(&is, items);
	}
	return 0;
}
