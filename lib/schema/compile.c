/*
 * compile.c -- fpg_schema_new() and fpg_schema_free(): JSON
 * Schema text (a draft 2020-12 subset) compiled into a tree of struct
 * node that fpg_schema_validate() walks many times.
 *
 * Every keyword value is checked and converted at compile time
 * (keyword.c), so validation looks nothing up by name: bounds become numbers (and the text Python
 * would print for them), patterns are compiled (and JIT-compiled) by
 * pcre2, multipleOf gets its decimal form, "properties" a hash table,
 * each required name the index of its property, and every $ref the
 * pointer to its target node.  A $ref may form a cycle; nodes are
 * memoised by the JSON value they come from, so each subschema is
 * compiled once and a cycle is just a pointer back.
 *
 * This file holds the compile state (struct comp), the memo, the
 * error path, node allocation, what follows a node's keywords (its
 * property table and prepared errors), $ref resolution and the entry
 * points.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "schema_int.h"

/*
 * Writes "msg at PATH" to the caller's error buffer.  Always returns
 * NULL so that callers can "return fpg_schema_cerr(...)".
 */
void *
fpg_schema_cerr(struct comp *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errsz > 0)
		snprintf(c->err, c->errsz, "%s at %s", msg,
		    c->pathlen == 0 ? "/" : c->path);
	return NULL;
}

/*
 * Appends "/" and key (escaped as a JSON pointer) to the path, for
 * error messages.  A path that would not fit ends in "..." and grows
 * no more.  Returns the old length, for fpg_schema_path_pop().
 */
size_t
fpg_schema_path_push(struct comp *c, const char *key, size_t klen)
{
	size_t	 old = c->pathlen, i, n;
	char	 add[3];

	for (i = 0; i <= klen; i++) {
		n = 1;
		if (i == 0)
			add[0] = '/';
		else if (key[i - 1] == '~' || key[i - 1] == '/') {
			add[0] = '~';
			add[1] = key[i - 1] == '~' ? '0' : '1';
			n = 2;
		} else
			add[0] = key[i - 1] == '\0' ? '?' : key[i - 1];
		/* Keep room for "..." and the NUL. */
		if (c->pathlen + n + 4 > sizeof(c->path)) {
			if (c->pathlen + 4 <= sizeof(c->path)) {
				memcpy(c->path + c->pathlen, "...", 4);
				c->pathlen += 3;
			}
			return old;
		}
		memcpy(c->path + c->pathlen, add, n);
		c->pathlen += n;
	}
	c->path[c->pathlen] = '\0';
	return old;
}

void
fpg_schema_path_pop(struct comp *c, size_t old)
{
	c->pathlen = old;
	c->path[old] = '\0';
}

/*
 * The memo is an open-addressing table keyed by the address of the
 * JSON value a node was compiled from; sz is a power of two.
 */
static size_t
ptrhash(const json_t *j, size_t sz)
{
	uint64_t h = (uint64_t)(uintptr_t)j;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (sz - 1);
}

/* The node compiled from j, or NULL if there is none yet. */
static struct node *
memo_get(const struct comp *c, const json_t *j)
{
	size_t	 i;

	if (c->msz == 0)
		return NULL;
	for (i = ptrhash(j, c->msz); c->mkeys[i] != NULL;
	    i = (i + 1) & (c->msz - 1))
		if (c->mkeys[i] == j)
			return c->mvals[i];
	return NULL;
}

/* Records j -> n, growing the table at half load.  Returns 0 on ENOMEM. */
static int
memo_put(struct comp *c, const json_t *j, struct node *n)
{
	const json_t	**keys;
	struct node	**vals;
	size_t		  i, k, sz;

	if (c->s->nnodes * 2 >= c->msz) {
		sz = c->msz == 0 ? 64 : c->msz * 2;
		keys = calloc(sz, sizeof(*keys));
		vals = calloc(sz, sizeof(*vals));
		if (keys == NULL || vals == NULL) {
			free(keys);
			free(vals);
			return 0;
		}
		for (i = 0; i < c->msz; i++) {
			if (c->mkeys[i] == NULL)
				continue;
			for (k = ptrhash(c->mkeys[i], sz); keys[k] != NULL;
			    k = (k + 1) & (sz - 1))
				continue;
			keys[k] = c->mkeys[i];
			vals[k] = c->mvals[i];
		}
		free(c->mkeys);
		free(c->mvals);
		c->mkeys = keys;
		c->mvals = vals;
		c->msz = sz;
	}
	for (i = ptrhash(j, c->msz); c->mkeys[i] != NULL;
	    i = (i + 1) & (c->msz - 1))
		continue;
	c->mkeys[i] = j;
	c->mvals[i] = n;
	return 1;
}

/* A fresh node for j, registered for freeing and in the memo. */
static struct node *
node_new(struct comp *c, const json_t *j)
{
	struct fpg_schema	 *s = c->s;
	struct node		 *n, **nv;

	if (s->nnodes >= SCHEMA_NODES_MAX)
		return fpg_schema_cerr(c, "schema has too many subschemas");
	if (s->nnodes == s->nodesz) {
		size_t sz = s->nodesz == 0 ? 32 : s->nodesz * 2;
		if ((nv = reallocarray(s->nodes, sz, sizeof(*nv))) == NULL)
			return fpg_schema_cerr(c, "out of memory");
		s->nodes = nv;
		s->nodesz = sz;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return fpg_schema_cerr(c, "out of memory");
	n->boolean = -1;
	n->minprops = n->maxprops = n->minitems = n->maxitems = -1;
	n->minlen = n->maxlen = -1;
	if (!memo_put(c, j, n)) {
		free(n);
		return fpg_schema_cerr(c, "out of memory");
	}
	s->nodes[s->nnodes++] = n;
	return n;
}

/*
 * Frees what a node owns.  Subschema pointers are not followed: every
 * node is in the schema's nodes array and is freed from there, which
 * is what makes $ref cycles harmless here.
 */
static void
node_free(struct node *n)
{
	size_t	 i;

	fpg_schema_kerr_free(&n->eenum);
	fpg_schema_kerr_free(&n->econst);
	fpg_schema_kerr_free(&n->eminlen);
	fpg_schema_kerr_free(&n->emaxlen);
	fpg_schema_kerr_free(&n->epattern);
	fpg_schema_kerr_free(&n->min.e);
	fpg_schema_kerr_free(&n->max.e);
	fpg_schema_kerr_free(&n->xmin.e);
	fpg_schema_kerr_free(&n->xmax.e);
	fpg_schema_kerr_free(&n->mult.b.e);
	for (i = 0; i < n->nprops; i++)
		json_decref(n->props[i].jname);
	for (i = 0; i < n->nreq; i++)
		json_decref(n->req[i].jname);
	free(n->props);
	free(n->ptab);
	free(n->req);
	for (i = 0; i < n->npprops; i++)
		fpg_schema_regex_free(&n->pprops[i].re);
	free(n->pprops);
	free(n->prefix);
	fpg_schema_regex_free(&n->pattern);
	free(n->allof);
	free(n->anyof);
	free(n->oneof);
	free(n);
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

/* After n's keywords: see schema_int.h. */
int
fpg_schema_finish(struct comp *c, struct node *n)
{
	return proptab(c, n) && strerrs(c, n);
}

/*
 * Compiles the subschema j (memoised: a value already compiled, or
 * being compiled higher up a $ref cycle, returns its node).  Returns
 * NULL on error with the message written.
 */
struct node *
fpg_schema_compile(struct comp *c, const json_t *j)
{
	struct node	*n;
	const char	*key;
	size_t		 klen;
	json_t		*v;

	if ((n = memo_get(c, j)) != NULL)
		return n;
	if (!json_is_object(j) && !json_is_boolean(j))
		return fpg_schema_cerr(c, "a schema must be an object or a boolean");
	if (c->depth >= SCHEMA_DEPTH_MAX)
		return fpg_schema_cerr(c, "schema nested too deeply");
	if ((n = node_new(c, j)) == NULL)
		return NULL;
	if (json_is_boolean(j)) {
		n->boolean = json_is_true(j);
		return n;
	}
	c->depth++;
	json_object_keylen_foreach((json_t *)(uintptr_t)j, key, klen, v)
		if (!fpg_schema_keyword(c, n, j, key, klen, v)) {
			c->depth--;
			return NULL;
		}
	c->depth--;
	if (!fpg_schema_finish(c, n))
		return NULL;
	return n;
}

/*
 * Resolves a local $ref ("#" or "#/json/pointer", percent-encoded as a
 * URI fragment) within doc.  Returns the target or NULL (message set).
 */
static const json_t *
resolve(struct comp *c, const char *ref)
{
	const json_t	*cur = c->s->doc;
	char		*buf, *seg, *p, *q;
	size_t		 i, len = strlen(ref);

	if (ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/'))
		return fpg_schema_cerr(c, "unsupported $ref \"%.64s\" (only local "
		    "JSON pointers: bundle a schema that refers to another "
		    "file with fastpg-bundle)", ref);
	if ((buf = malloc(len + 1)) == NULL)
		return fpg_schema_cerr(c, "out of memory");
	/* Percent-decode the fragment, as the router decodes a path. */
	memcpy(buf, ref + 1, len);	/* with its NUL */
	if (fpg_pct_decode(buf, len - 1, 0, &len) == -1)
		goto bad;
	/* Walk the pointer: "/a/b", each segment ~-unescaped. */
	for (p = buf; cur != NULL && p < buf + len; ) {
		seg = ++p;
		while (p < buf + len && *p != '/')
			p++;
		for (q = seg, i = 0; seg + i < p; i++) {
			if (seg[i] == '~') {
				if (seg + i + 1 >= p ||
				    (seg[i + 1] != '0' && seg[i + 1] != '1'))
					goto bad;
				*q++ = seg[++i] == '0' ? '~' : '/';
			} else
				*q++ = seg[i];
		}
		if (json_is_object(cur))
			cur = json_object_getn(cur, seg, (size_t)(q - seg));
		else if (json_is_array(cur)) {
			char *end;
			unsigned long long k;

			if (q == seg || (seg[0] == '0' && q - seg > 1) ||
			    seg[0] < '0' || seg[0] > '9')
				goto bad;
			k = strtoull(seg, &end, 10);
			if (end != q && *end != '/')
				goto bad;
			cur = json_array_get(cur, (size_t)k);
		} else
			cur = NULL;
	}
	free(buf);
	if (cur == NULL)
		return fpg_schema_cerr(c, "$ref \"%.64s\" points nowhere", ref);
	return cur;
bad:
	free(buf);
	return fpg_schema_cerr(c, "invalid $ref \"%.64s\"", ref);
}

/*
 * Compiles the len bytes of schema text (JSON; true and false alone are
 * schemas too) into a schema that validates without reading the text
 * again.  Returns the schema, freed with fpg_schema_free(), or NULL
 * with a one-line reason in err (NUL-terminated, truncated to errsz;
 * err may be NULL): invalid JSON, an unsupported keyword, format or
 * $ref, an invalid keyword value or pattern, or out of memory.
 * Keywords never go unnoticed: one we do not implement is an error.
 */
struct fpg_schema *
fpg_schema_new(const char *text, size_t len, char *err, size_t errsz)
{
	struct fpg_schema	*s;
	struct comp		 c;
	json_error_t		 je;
	const json_t		*target;
	size_t			 i;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errsz = errsz;
	if (text == NULL)
		return fpg_schema_cerr(&c, "no schema text");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fpg_schema_cerr(&c, "out of memory");
	c.s = s;

	/* Read as bodies are read: a schema holds what a body may. */
	if ((s->doc = fpg_json_load(text, len, &je)) == NULL) {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "invalid JSON at line %d "
			    "column %d: %s", je.line, je.column, je.text);
		goto fail;
	}

	if ((s->mctx = pcre2_match_context_create(NULL)) == NULL) {
		fpg_schema_cerr(&c, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(s->mctx, SCHEMA_MATCH_LIMIT);
	pcre2_set_heap_limit(s->mctx, SCHEMA_HEAP_LIMIT);
	if (!fpg_schema_fixed(s)) {
		fpg_schema_cerr(&c, "out of memory");
		goto fail;
	}

	if ((s->root = fpg_schema_compile(&c, s->doc)) == NULL)
		goto fail;

	/* Resolve $refs; compiling a target may queue more. */
	for (i = 0; i < c.npend; i++) {
		const char *ref = c.pend[i].ref;

		c.pathlen = 0;
		c.path[0] = '\0';
		if ((target = resolve(&c, ref)) == NULL)
			goto fail;
		snprintf(c.path, sizeof(c.path), "%s", ref + 1);
		c.pathlen = strlen(c.path);
		if ((c.pend[i].n->ref = fpg_schema_compile(&c, target)) == NULL)
			goto fail;
	}
	free(c.mkeys);
	free(c.mvals);
	free(c.pend);
	return s;
fail:
	free(c.mkeys);
	free(c.mvals);
	free(c.pend);
	fpg_schema_free(s);
	return NULL;
}

/*
 * Frees a schema from fpg_schema_new() and everything it owns.
 * NULL is a no-op.  No validation may be running on it.
 */
void
fpg_schema_free(struct fpg_schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnodes; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	pcre2_match_context_free(s->mctx);
	for (i = 0; i < F_COUNT; i++)
		fpg_schema_kerr_free(&s->fixed[i]);
	json_decref(s->doc);
	free(s);
}
