/*
 * schema_int.h -- declarations shared by the JSON Schema validator's
 * files (not installed, not part of the ABI; every name here is hidden
 * by -fvisibility=hidden).
 *
 *   compile.c  fpg_schema_new(), fpg_schema_free(): text -> nodes
 *   keyword.c  the keyword table: each value checked and converted
 *   valid.c    fpg_schema_validate(): the walk over an instance
 *   error.c    Pydantic-shaped error objects and messages
 *   number.c   number comparison, printing and multipleOf
 *   equal.c    JSON equality, hashing, uniqueItems
 *   regex.c    ECMA-262 patterns on pcre2 (JIT when available)
 *   format.c   the "format" assertions
 *   proptype.c fpg_schema_prop_types(): what a property accepts
 *
 * Threading: a compiled schema (struct fpg_schema and every node) is
 * written only by fpg_schema_new() and only read afterwards, so any
 * number of threads may validate against it at once.  All per-call
 * state lives in a struct vctx on the caller's stack.
 */
#ifndef FPG_SCHEMA_INT_H
#define FPG_SCHEMA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "schema.h"

#define SCHEMA_NODES_MAX	100000	/* subschemas in one document */
#define SCHEMA_DEPTH_MAX	512	/* nested validations of one call */
#define SCHEMA_LOOP_MAX		64	/* nested ones on the same value */
#define SCHEMA_EQ_DEPTH		2048	/* nesting compared by equal() */
#define SCHEMA_PATH_MAX		256	/* bytes of a compile-error path */
#define SCHEMA_REPR_MAX		1024	/* bytes of an enum's "expected" */
#define SCHEMA_MATCH_LIMIT	1000000	/* pcre2 backtracking steps */
#define SCHEMA_HEAP_LIMIT	8192	/* pcre2 heap, KiB */

/* The "format" values the validator asserts. */
enum fpg_fmt {
	FPG_FMT_NONE = 0,
	FPG_FMT_DATETIME,	/* RFC 3339 date-time */
	FPG_FMT_DATE,		/* RFC 3339 full-date */
	FPG_FMT_EMAIL,		/* RFC 5321 Mailbox, ASCII only */
	FPG_FMT_UUID,		/* RFC 4122 text form */
	FPG_FMT_URI,		/* RFC 3986 absolute URI */
	FPG_FMT_IPV4,		/* dotted quad */
};

/* Instance types as bits (schema.h's, which callers see); an integral
 * number is both. */
enum {
	T_NULL = FPG_SCHEMA_NULL,
	T_BOOLEAN = FPG_SCHEMA_BOOLEAN,
	T_OBJECT = FPG_SCHEMA_OBJECT,
	T_ARRAY = FPG_SCHEMA_ARRAY,
	T_NUMBER = FPG_SCHEMA_NUMBER,
	T_STRING = FPG_SCHEMA_STRING,
	T_INTEGER = FPG_SCHEMA_INTEGER,
};

/* A JSON Schema type name, its bit and the Pydantic error for it. */
struct fpg_schema_type {
	const char	*name;
	unsigned	 bit;
	const char	*type;
	const char	*msg;
};

/* Indexed as "type1" in struct node; 7 entries (error.c). */
extern const struct fpg_schema_type	fpg_schema_types[];
#define SCHEMA_NTYPES	7

/* A number as an exact decimal: m * 10^e. */
struct dec {
	uint64_t	 m;
	long		 e;
};

/*
 * A prepared error: the parts of a Pydantic error object that do not
 * depend on the instance, built once at compile time and shared (by
 * reference) by every error object made from it.  jansson's reference
 * counts are atomic (JSON_HAVE_ATOMIC_BUILTINS), so threads may share
 * them; nothing ever modifies them.
 */
struct kerr {
	json_t		*type;	/* string */
	json_t		*msg;	/* string; NULL: formatted per error */
	json_t		*ctx;	/* object or NULL */
};

/* A numeric bound: the schema's value and its prepared error. */
struct bound {
	const json_t	*v;	/* borrowed from the document; NULL: none */
	struct kerr	 e;
};

/* The errors that do not depend on a keyword's value. */
enum {
	F_MISSING,
	F_EXTRA,
	F_FALSE,
	F_RECURSION,
	F_ANY_OF,
	F_ONE_OF,
	F_NOT,
	F_UNIQUE,
	F_INT_FROM_FLOAT,
	F_TOO_SHORT,
	F_TOO_LONG,
	F_TYPE,			/* + index in fpg_schema_types */
	F_FMT = F_TYPE + SCHEMA_NTYPES,	/* + enum fpg_fmt */
	F_COUNT = F_FMT + FPG_FMT_IPV4 + 1,
};

/*
 * multipleOf, prepared at compile time.  dec is the divisor as an
 * exact decimal.  When fast is set the divisor is mb * 10^-k with
 * 0 <= k <= 22, which lets most real instances be checked with one
 * multiplication and one division (number.c explains why that
 * is exact).
 */
struct mult {
	struct bound	 b;	/* b.v NULL: no multipleOf */
	struct dec	 dec;
	int		 fast;
	int		 k;
	uint64_t	 mb;
};

/*
 * A compiled ECMA-262 pattern.  The commonest shape in API schemas,
 * ^[class]+$ or ^[class]*$ over ASCII, is also kept as a byte set and
 * matched without pcre2 (simple > 0).
 */
struct regex {
	pcre2_code	*code;
	const char	*src;	/* borrowed from the document, for errors */
	int		 jit;	/* pcre2_jit_compile() succeeded */
	int		 simple;	/* 0: no; else the minimum length, + 1 */
	unsigned char	 set[32];	/* simple: bit c set if c matches */
};

struct node;

/* A property (or a required name); strings borrowed from the document. */
struct prop {
	const char	*name;
	size_t		 len;
	json_t		*jname;	/* the name as a string, for "loc" */
	struct node	*n;	/* NULL for a required name */
	long		 pidx;	/* required: index in props, or -1 */
};

struct pprop {
	struct regex	 re;
	struct node	*n;
};

/*
 * One compiled subschema.  Counts of -1 mean the keyword is absent.
 * JSON values are borrowed from the schema document (struct fpg_schema
 * keeps it alive) and only read.
 */
struct node {
	int		  boolean;	/* -1: object schema, else false/true */
	struct node	 *ref;
	unsigned	  types;	/* 0: any */
	size_t		  type1;	/* first listed type, for errors */
	unsigned char	  tlist[SCHEMA_NTYPES];	/* "type" as listed: */
	size_t		  ntlist;	/* fpg_schema_types indexes, once */
	const json_t	 *enumv;
	struct kerr	  eenum;
	const json_t	 *constv;
	struct kerr	  econst;
	struct prop	 *props;
	size_t		  nprops;
	uint32_t	 *ptab;		/* name hash -> props index + 1 */
	uint32_t	  pmask;	/* ptab size - 1 */
	int		  anydef;	/* a property has a "default" */
	struct prop	 *req;
	size_t		  nreq;
	struct pprop	 *pprops;
	size_t		  npprops;
	struct node	 *addl;
	long long	  minprops, maxprops;
	struct node	**prefix;
	size_t		  nprefix;
	struct node	 *items;
	long long	  minitems, maxitems;
	int		  unique;
	long long	  minlen, maxlen;
	struct kerr	  eminlen, emaxlen;
	struct regex	  pattern;	/* code NULL: none */
	struct kerr	  epattern;
	struct bound	  min, max, xmin, xmax;
	struct mult	  mult;		/* b.v NULL: none */
	struct node	**allof, **anyof, **oneof;
	size_t		  nallof, nanyof, noneof;
	struct node	 *not;
	enum fpg_fmt	  fmt;
	const json_t	 *def;
};

struct fpg_schema {
	json_t			 *doc;
	struct node		 *root;
	struct node		**nodes;	/* all of them, for freeing */
	size_t			  nnodes, nodesz;
	pcre2_match_context	 *mctx;
	struct kerr		  fixed[F_COUNT];
};

/*
 * One step of the instance path, for "loc".  Segments live in the
 * stack frames of the walk and point up to their parent, so the path
 * costs nothing until an error is reported.
 */
struct seg {
	const struct seg *up;
	json_t		*jkey;	/* key as a string, borrowed; or NULL */
	const char	*key;	/* NULL: array index; borrowed */
	size_t		 len;
	size_t		 idx;
};

/* Validation state of one fpg_schema_validate() call. */
struct vctx {
	const struct fpg_schema	*s;
	const json_t		*loc;	/* caller's loc prefix; may be NULL */
	json_t			*errors;
	size_t			 max;
	size_t			 added;
	int			 quiet;	/* only the verdict matters */
	int			 oom;
	int			 depth;
	size_t			 cow;	/* see fpg_schema_unshare() */
	const struct seg	*top;	/* innermost path step, or NULL */
	pcre2_match_data	*md;	/* interpreter matches; lazily made */
};

/*
 * After a failure: whether further checks are pointless.  A quiet
 * branch (anyOf, oneOf, not) only needs to know it failed; a loud one
 * stops once the caller's list is full, which is what keeps a huge
 * array of bad items cheap.  Also tells callers of fpg_schema_fail()
 * whether building a "ctx" object is worth it.
 */
static inline int
fpg_schema_stop(const struct vctx *c)
{
	return c->quiet || c->oom || json_array_size(c->errors) >= c->max;
}

/*
 * FNV-1a of a property name: the property table's hash.  Built by
 * compile.c, probed by valid.c, so both see this one.
 */
static inline uint32_t
fpg_schema_namehash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

/*
 * The index in n->props of the property named key (len bytes), or -1.
 * n->ptab holds index + 1 at the slot of the name's hash, 0 if empty.
 */
static inline long
fpg_schema_prop_find(const struct node *n, const char *key, size_t len)
{
	const struct prop	*p;
	uint32_t		 i, v;

	if (n->ptab == NULL)
		return -1;
	for (i = fpg_schema_namehash(key, len) & n->pmask;
	    (v = n->ptab[i]) != 0; i = (i + 1) & n->pmask) {
		p = &n->props[v - 1];
		if (p->len == len && memcmp(p->name, key, len) == 0)
			return (long)v - 1;
	}
	return -1;
}

/* --- compile.c, keyword.c (compile time only) ---------------------- */

/* A $ref waiting for its target to be compiled. */
struct pending {
	struct node	*n;
	const char	*ref;
};

/* Compile state, gone when fpg_schema_new() returns. */
struct comp {
	struct fpg_schema	 *s;
	const json_t		**mkeys;	/* memo: JSON value -> node */
	struct node		**mvals;
	size_t			  msz;
	struct pending		 *pend;
	size_t			  npend, pendsz;
	int			  depth;
	char			  path[SCHEMA_PATH_MAX];
	size_t			  pathlen;
	char			 *err;
	size_t			  errsz;
};

/*
 * Writes "msg at PATH" to the caller's error buffer.  Always returns
 * NULL so that callers can "return fpg_schema_cerr(...)".
 */
void		*fpg_schema_cerr(struct comp *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Appends "/" and key (klen bytes, escaped as a JSON pointer) to the
 * path of compile errors; returns the old length, for path_pop().
 */
size_t		 fpg_schema_path_push(struct comp *, const char *key,
		    size_t klen);
void		 fpg_schema_path_pop(struct comp *, size_t old);

/*
 * Compiles the subschema j into a node (memoised by j).  Returns NULL
 * with the message written.
 */
struct node	*fpg_schema_compile(struct comp *, const json_t *j);

/*
 * Compiles the keyword key (klen bytes) with value v of the schema
 * object self into n.  Returns 0 with the message written.
 */
int		 fpg_schema_keyword(struct comp *, struct node *n,
		    const json_t *self, const char *key, size_t klen,
		    const json_t *v);

/* After n's keywords: property table and prepared errors.  0: error. */
int		 fpg_schema_finish(struct comp *, struct node *n);

/* --- error.c ------------------------------------------------------- */

/*
 * Records one failure: appends the Pydantic error object {type, loc,
 * msg, input, ctx} to c->errors, where type, msg and ctx come from the
 * prepared k (shared), loc is a new array (the elements of c->loc,
 * then the current path) and input is input itself, a new reference:
 * see fpg_schema_unshare().  Does nothing when the call is quiet or
 * the list is full.  Sets c->oom when memory runs out.  Returns 1, the
 * "invalid" verdict.
 */
int		 fpg_schema_fail(struct vctx *, json_t *input,
		    const struct kerr *k);

/*
 * The same for a message that depends on the instance: msg is
 * formatted from fmt, and ctx (taken; may be NULL) replaces k->ctx.
 * Callers build ctx only when fpg_schema_stop() is false.
 */
int		 fpg_schema_failf(struct vctx *, json_t *input,
		    const struct kerr *k, json_t *ctx, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/*
 * Errors share their "input" with the instance instead of copying it
 * (a deep copy of an object is most of an error's cost).  The walk
 * only ever changes the instance by adding defaults to objects, so
 * before it adds one it calls this, which replaces every object or
 * array input recorded since the last call (c->errors from index
 * c->cow on; SIZE_MAX: none) by a deep copy of its current, still
 * unchanged, value.  Every error therefore shows the value as it was
 * when it failed.  Sets c->oom when memory runs out.
 */
void		 fpg_schema_unshare(struct vctx *);

/* {"field_type": ft, k: lim, "actual_length": actual}, or NULL + oom. */
json_t		*fpg_schema_ctx_len(struct vctx *, const char *ft,
		    const char *k, long long lim, size_t actual);

/*
 * Prepares k: type, the message formatted from fmt and ctx (taken;
 * NULL means making it ran out of memory).  Returns 0 when out of
 * memory (k then holds what was made: fpg_schema_kerr_free() it).
 */
int		 fpg_schema_kerr(struct kerr *k, const char *type,
		    json_t *ctx, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
void		 fpg_schema_kerr_free(struct kerr *);

/* Prepares s->fixed.  Returns 0 when out of memory. */
int		 fpg_schema_fixed(struct fpg_schema *s);

/*
 * Pydantic's "expected" text for enum and const: "'a', 1 or True" for
 * the n values at vals, cut near SCHEMA_REPR_MAX bytes.  Returns a
 * string the caller frees, or NULL when out of memory.
 */
char		*fpg_schema_expected(const json_t *const *vals, size_t n);

/* --- number.c ------------------------------------------------------ */

/* Whether the number j has an integral value (1.0 counts). */
int		 fpg_schema_integral(const json_t *j);

/* Compares two JSON numbers exactly: -1, 0 or 1. */
int		 fpg_schema_numcmp(const json_t *a, const json_t *b);

/*
 * A number as Python prints it (3, 2.5, 1e-07); a string the caller
 * frees, or NULL when out of memory.
 */
char		*fpg_schema_numstr(const json_t *j);

/*
 * Prepares multipleOf from the positive number v (borrowed), all but
 * its error (m->b.e).
 */
void		 fpg_schema_mult_init(struct mult *, const json_t *v);

/*
 * Whether the number inst is an integer multiple of the divisor,
 * exactly in decimal (19.99 is a multiple of 0.01): a real counts as
 * the shortest decimal that reads back as it.
 */
int		 fpg_schema_mult_check(const struct mult *,
		    const json_t *inst);

/* The same, always by the general (slow) path; for tests. */
int		 fpg_schema_mult_slow(const struct mult *,
		    const json_t *inst);

/* --- equal.c ------------------------------------------------------- */

/*
 * JSON equality as JSON Schema defines it: 1 == 1.0, object key order
 * irrelevant.  Returns 0 beyond SCHEMA_EQ_DEPTH.
 */
int		 fpg_schema_equal(const json_t *a, const json_t *b);

/*
 * Whether the items of arr are pairwise unequal: 1 yes, 0 no, -1 out
 * of memory.
 */
int		 fpg_schema_unique(const json_t *arr);

/* --- regex.c ------------------------------------------------------- */

/*
 * Compiles the ECMA-262 pattern src (len bytes, borrowed; kept in
 * re->src) into re, JIT-compiled when pcre2 can.  Returns 0 with a
 * message in err (errsz bytes) on a bad pattern or out of memory.
 */
int		 fpg_schema_regex_new(struct regex *re, const char *src,
		    size_t len, char *err, size_t errsz);
void		 fpg_schema_regex_free(struct regex *);

/*
 * Unanchored search of re in the len bytes at p, as ECMA-262
 * RegExp.prototype.test.  A hit limit counts as a mismatch; running
 * out of memory sets c->oom and returns 0.
 */
int		 fpg_schema_regex_test(struct vctx *c, const struct regex *re,
		    const char *p, size_t len);

/* --- format.c ------------------------------------------------------ */

/*
 * Maps a format name of len bytes to its enum fpg_fmt.
 * Returns FPG_FMT_NONE for a name we do not support.
 */
enum fpg_fmt	 fpg_schema_fmt_lookup(const char *name, size_t len);

/*
 * Checks the len bytes at p (UTF-8, may hold NUL bytes) against fmt.
 * Returns 1 when the string is in the format, 0 when it is not.
 * Pure function: no allocation, no global state, thread-safe.
 */
int		 fpg_schema_fmt_check(enum fpg_fmt fmt, const char *p,
		    size_t len);

#endif /* FPG_SCHEMA_INT_H */
