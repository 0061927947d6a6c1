/*
 * schema.c -- JSON Schema (a draft 2020-12 subset), compiled once and
 * validated many times, with Pydantic-v2-shaped error objects.
 *
 * fpg_schema_new() parses the schema text and turns every subschema
 * into a struct node: keyword values already checked and converted
 * (bounds as numbers, patterns compiled by pcre2, $ref resolved to a
 * node pointer).  A $ref may form a cycle; nodes are memoised by the
 * JSON value they come from, so each subschema is compiled once and a
 * cycle is just a pointer back.  Nothing is looked up by name at
 * validation time except property names.
 *
 * fpg_schema_validate() walks an instance against the nodes.  The
 * compiled schema is never written after compilation, so one schema
 * serves many threads; everything a call needs (path stack, pcre2
 * match data) lives in a per-call struct vctx.
 *
 * Work is bounded: recursion depth (SCHEMA_DEPTH_MAX), recursion that
 * does not consume the instance (SCHEMA_LOOP_MAX, a $ref cycle),
 * backtracking in patterns (pcre2 match and heap limits), and the
 * caller's error cap, after which validation stops.
 */
#include <sys/types.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fastpg.h"
#include "schema_int.h"

#define SCHEMA_NODES_MAX	100000	/* subschemas in one document */
#define SCHEMA_DEPTH_MAX	512	/* nested validations of one call */
#define SCHEMA_LOOP_MAX		64	/* nested ones on the same value */
#define SCHEMA_EQ_DEPTH		2048	/* nesting compared by equal() */
#define SCHEMA_PATH_MAX		256	/* bytes of a compile-error path */
#define SCHEMA_REPR_MAX		1024	/* bytes of an enum's "expected" */
#define SCHEMA_MATCH_LIMIT	1000000	/* pcre2 backtracking steps */
#define SCHEMA_HEAP_LIMIT	8192	/* pcre2 heap, KiB */

/* Instance types as bits; an integral number is both. */
enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

/* JSON Schema type names and the Pydantic error for each. */
static const struct {
	const char	*name;
	unsigned	 bit;
	const char	*type;
	const char	*msg;
} types[] = {
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

/* Pydantic error for each format. */
static const struct {
	const char	*type;
	const char	*msg;
} fmterrs[] = {
	[FPG_FMT_NONE] = { NULL, NULL },
	[FPG_FMT_DATETIME] = { "datetime_parsing",
	    "Input should be a valid datetime" },
	[FPG_FMT_DATE] = { "date_parsing", "Input should be a valid date" },
	[FPG_FMT_EMAIL] = { "value_error",
	    "value is not a valid email address" },
	[FPG_FMT_UUID] = { "uuid_parsing", "Input should be a valid UUID" },
	[FPG_FMT_URI] = { "url_parsing", "Input should be a valid URL" },
	[FPG_FMT_IPV4] = { "ip_v4_address",
	    "Input is not a valid IPv4 address" },
};

/* A number as an exact decimal: m * 10^e. */
struct dec {
	uint64_t	 m;
	long		 e;
};

/* A numeric bound: the schema's value and its text for messages. */
struct bound {
	const json_t	*v;	/* borrowed from the document; NULL: none */
	char		*str;
};

struct node;

struct prop {
	const char	*name;	/* borrowed from the document */
	size_t		 len;
	struct node	*n;
};

struct pprop {
	pcre2_code	*re;
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
	const json_t	 *enumv;
	char		 *enumexp;	/* Pydantic's 'a', 'b' or 'c' */
	const json_t	 *constv;
	char		 *constexp;
	const json_t	 *propobj;	/* "properties", for name lookups */
	struct prop	 *props;
	size_t		  nprops;
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
	pcre2_code	 *pattern;
	const char	 *patsrc;
	struct bound	  min, max, xmin, xmax, mult;
	struct dec	  multdec;
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
};

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

/* One step of the instance path, for "loc". */
struct seg {
	const char	*key;	/* NULL: array index */
	size_t		 len;
	size_t		 idx;
};

/* Validation state of one call. */
struct vctx {
	const struct fpg_schema	*s;
	const json_t		*loc;
	json_t			*errors;
	size_t			 max;
	size_t			 added;
	int			 quiet;	/* only the verdict matters */
	int			 oom;
	int			 depth;
	pcre2_match_data	*md;
	size_t			 nseg;
	struct seg		 seg[SCHEMA_DEPTH_MAX + 1];
};

static int	validate(struct vctx *, const struct node *, json_t *, int);
static struct node *compile(struct comp *, const json_t *);
static void	*cerr(struct comp *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 fail(struct vctx *, const json_t *, const char *, json_t *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

/* --- small helpers ------------------------------------------------- */

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
 * Whether the number j has an integral value: JSON Schema counts 1.0
 * as an integer, and jansson hands us it as a real.
 */
static int
integral(const json_t *j)
{
	double	 d;

	if (json_is_integer(j))
		return 1;
	d = json_real_value(j);
	return isfinite(d) && floor(d) == d;
}

/*
 * Compares two JSON numbers: -1, 0 or 1.  Integers compare exactly;
 * otherwise through long double, which holds every long long and
 * every double exactly on the platforms we build for.
 */
static int
numcmp(const json_t *a, const json_t *b)
{
	long double	 x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a),
		    j = json_integer_value(b);
		return (i > j) - (i < j);
	}
	x = json_is_integer(a) ? (long double)json_integer_value(a) :
	    (long double)json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b) :
	    (long double)json_real_value(b);
	return (x > y) - (x < y);
}

/* Shortest "%.*g" text that reads back as d (Python's repr digits). */
static void
dblrepr(double d, char *buf, size_t sz)
{
	int	 p;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sz, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
}

/* A number as Python prints it: integers bare, floats with a dot. */
static char *
numstr(const json_t *j)
{
	char	 buf[64];

	if (json_is_integer(j))
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(j));
	else {
		dblrepr(json_real_value(j), buf, sizeof(buf) - 2);
		if (strpbrk(buf, ".eEn") == NULL)
			strcat(buf, ".0");
	}
	return strdup(buf);
}

/*
 * The exact decimal a number stands for: integers as they are, reals
 * by their shortest round-trip representation (so 0.1 is 1e-1, not
 * the binary fraction).  The sign is dropped; trailing zeros are moved
 * into the exponent.
 */
static void
todec(const json_t *j, struct dec *d)
{
	char	 buf[64], *e;
	double	 x;
	int	 p, i;

	d->m = 0;
	d->e = 0;
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		d->m = v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v;
	} else {
		x = fabs(json_real_value(j));
		if (x == 0 || !isfinite(x))
			return;
		for (p = 1; p <= 17; p++) {
			snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
			if (strtod(buf, NULL) == x)
				break;
		}
		if ((e = strchr(buf, 'e')) == NULL)
			return;
		for (i = 0; buf + i < e; i++)
			if (buf[i] >= '0' && buf[i] <= '9')
				d->m = d->m * 10 + (uint64_t)(buf[i] - '0');
		d->e = strtol(e + 1, NULL, 10) - (p > 17 ? 16 : p - 1);
	}
	while (d->m != 0 && d->m % 10 == 0) {
		d->m /= 10;
		d->e++;
	}
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Whether a is an integer multiple of b (b > 0), exactly in decimal:
 * 19.99 is a multiple of 0.01.  With a = ma*10^ea and b = mb*10^eb,
 * a/b = (ma/mb) * 10^(ea-eb); no step can overflow.
 */
static int
multiple(const struct dec *a, const struct dec *b)
{
	uint64_t	 r, p10;
	long		 e, k;

	if (a->m == 0)
		return 1;
	if (b->m == 0)
		return 0;
	e = a->e - b->e;
	if (e >= 0) {
		/* Need mb / gcd to divide 10^e: only 2s and 5s, few enough. */
		r = b->m / gcd(a->m, b->m);
		for (k = 0; r % 2 == 0; k++)
			r /= 2;
		if (k > e)
			return 0;
		for (k = 0; r % 5 == 0; k++)
			r /= 5;
		return k <= e && r == 1;
	}
	/* Need mb * 10^-e to divide ma (< 2^64, so 10^-e <= 10^19). */
	if ((k = -e) > 19)
		return 0;
	for (p10 = 1; k-- > 0; )
		p10 *= 10;
	if (a->m % p10 != 0)
		return 0;
	return (a->m / p10) % b->m == 0;
}

/*
 * JSON equality as JSON Schema defines it: 1 == 1.0, object key order
 * irrelevant.  Returns 0 beyond SCHEMA_EQ_DEPTH.
 */
static int
equal(const json_t *a, const json_t *b, int depth)
{
	const char	*key;
	size_t		 klen, i;
	json_t		*v;

	if (depth > SCHEMA_EQ_DEPTH)
		return 0;
	if (json_is_number(a) && json_is_number(b))
		return numcmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!equal(json_array_get(a, i),
			    json_array_get(b, i), depth + 1))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach((json_t *)(uintptr_t)a,
		    key, klen, v) {
			json_t *w = json_object_getn(b, key, klen);
			if (w == NULL || !equal(v, w, depth + 1))
				return 0;
		}
		return 1;
	default:
		return 1;	/* true, false, null */
	}
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t
hashbytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

/*
 * A hash consistent with equal(): equal values hash alike (1 and 1.0
 * by their integer value, objects by an order-independent sum).
 */
static uint64_t
hash(const json_t *v, int depth)
{
	const char	*key;
	size_t		 klen, i;
	uint64_t	 h;
	double		 d;
	json_t		*w;

	if (depth > SCHEMA_EQ_DEPTH)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return hashbytes(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return mix((uint64_t)json_integer_value(v));
	case JSON_REAL:
		d = json_real_value(v);
		if (floor(d) == d && d >= -9223372036854775808.0 &&
		    d < 9223372036854775808.0)
			return mix((uint64_t)(long long)d);
		memcpy(&h, &d, sizeof(h));
		return mix(h ^ 0x5555);
	case JSON_ARRAY:
		h = 0xa11a;
		for (i = 0; i < json_array_size(v); i++)
			h = mix(h * 31 + hash(json_array_get(v, i), depth + 1));
		return h;
	case JSON_OBJECT:
		h = 0x0b1ec7;
		json_object_keylen_foreach((json_t *)(uintptr_t)v,
		    key, klen, w)
			h += mix(hashbytes(key, klen) ^
			    hash(w, depth + 1) * 3);
		return h;
	default:
		return (uint64_t)json_typeof(v) * 0x9e3779b97f4a7c15ULL;
	}
}

/* An array item's hash and index, sorted by hash in unique(). */
struct hv {
	uint64_t	 h;
	size_t		 i;
};

static int
hvcmp(const void *a, const void *b)
{
	const struct hv *x = a, *y = b;

	return (x->h > y->h) - (x->h < y->h);
}

/*
 * Whether the items of arr are pairwise unequal: 1 yes, 0 no, -1 out
 * of memory.  Sorts by hash and compares only within equal hashes, so
 * a large array costs O(n log n), not O(n^2).
 */
static int
unique(const json_t *arr)
{
	struct hv	*v;
	size_t		 n = json_array_size(arr), i, j, k;
	int		 rc = 1;

	if (n < 2)
		return 1;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		v[i].h = hash(json_array_get(arr, i), 0);
		v[i].i = i;
	}
	qsort(v, n, sizeof(*v), hvcmp);
	for (i = 0; i < n && rc == 1; i = j) {
		for (j = i + 1; j < n && v[j].h == v[i].h; j++)
			continue;
		for (k = i; k < j && rc == 1; k++) {
			size_t l;
			for (l = k + 1; l < j; l++)
				if (equal(json_array_get(arr, v[k].i),
				    json_array_get(arr, v[l].i), 0)) {
					rc = 0;
					break;
				}
		}
	}
	free(v);
	return rc;
}

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
		if ((s = numstr(v)) != NULL)
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
static char *
expected(const json_t *const *vals, size_t n)
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

/* --- compilation ---------------------------------------------------- */

/*
 * Writes "msg at PATH" to the caller's error buffer.  Always returns
 * NULL so that callers can "return cerr(...)".
 */
static void *
cerr(struct comp *c, const char *fmt, ...)
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
 * no more.  Returns the old length, for path_pop().
 */
static size_t
path_push(struct comp *c, const char *key, size_t klen)
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

static void
path_pop(struct comp *c, size_t old)
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
	return (size_t)mix((uint64_t)(uintptr_t)j) & (sz - 1);
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
		return cerr(c, "schema has too many subschemas");
	if (s->nnodes == s->nodesz) {
		size_t sz = s->nodesz == 0 ? 32 : s->nodesz * 2;
		if ((nv = reallocarray(s->nodes, sz, sizeof(*nv))) == NULL)
			return cerr(c, "out of memory");
		s->nodes = nv;
		s->nodesz = sz;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return cerr(c, "out of memory");
	n->boolean = -1;
	n->minprops = n->maxprops = n->minitems = n->maxitems = -1;
	n->minlen = n->maxlen = -1;
	if (!memo_put(c, j, n)) {
		free(n);
		return cerr(c, "out of memory");
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

	free(n->enumexp);
	free(n->constexp);
	free(n->props);
	free(n->req);
	for (i = 0; i < n->npprops; i++)
		pcre2_code_free(n->pprops[i].re);
	free(n->pprops);
	free(n->prefix);
	pcre2_code_free(n->pattern);
	free(n->min.str);
	free(n->max.str);
	free(n->xmin.str);
	free(n->xmax.str);
	free(n->mult.str);
	free(n->allof);
	free(n->anyof);
	free(n->oneof);
	free(n);
}

/* ECMA-262 long General_Category names; pcre2 10.42 knows the short. */
static const char *const gcnames[][2] = {
	{ "Letter", "L" }, { "Cased_Letter", "L&" },
	{ "Uppercase_Letter", "Lu" }, { "Lowercase_Letter", "Ll" },
	{ "Titlecase_Letter", "Lt" }, { "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" }, { "Mark", "M" }, { "Combining_Mark", "M" },
	{ "Nonspacing_Mark", "Mn" }, { "Spacing_Mark", "Mc" },
	{ "Enclosing_Mark", "Me" }, { "Number", "N" },
	{ "Decimal_Number", "Nd" }, { "digit", "Nd" },
	{ "Letter_Number", "Nl" }, { "Other_Number", "No" },
	{ "Punctuation", "P" }, { "punct", "P" },
	{ "Connector_Punctuation", "Pc" }, { "Dash_Punctuation", "Pd" },
	{ "Open_Punctuation", "Ps" }, { "Close_Punctuation", "Pe" },
	{ "Initial_Punctuation", "Pi" }, { "Final_Punctuation", "Pf" },
	{ "Other_Punctuation", "Po" }, { "Symbol", "S" },
	{ "Math_Symbol", "Sm" }, { "Currency_Symbol", "Sc" },
	{ "Modifier_Symbol", "Sk" }, { "Other_Symbol", "So" },
	{ "Separator", "Z" }, { "Space_Separator", "Zs" },
	{ "Line_Separator", "Zl" }, { "Paragraph_Separator", "Zp" },
	{ "Other", "C" }, { "Control", "Cc" }, { "cntrl", "Cc" },
	{ "Format", "Cf" }, { "Surrogate", "Cs" }, { "Private_Use", "Co" },
	{ "Unassigned", "Cn" },
};

/*
 * Rewrites ECMA-262 property escapes pcre2 does not read: \p{Letter}
 * becomes \p{L}, \p{General_Category=Lu} and \p{Script=Greek} lose the
 * prefix.  The result is never longer than the source.  Returns a new
 * string (*outlen bytes) or NULL when out of memory.
 */
static char *
ecma_props(const char *src, size_t len, size_t *outlen)
{
	char		*out, *o;
	const char	*name, *end, *eq;
	size_t		 i, k, nlen;

	if ((out = o = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		*o++ = src[i];
		if (src[i] != '\\' || i + 1 >= len)
			continue;
		*o++ = src[++i];
		if ((src[i] != 'p' && src[i] != 'P') || i + 1 >= len ||
		    src[i + 1] != '{')
			continue;
		name = src + i + 2;
		if ((end = memchr(name, '}', len - (size_t)(name - src))) ==
		    NULL)
			continue;
		if ((eq = memchr(name, '=', (size_t)(end - name))) != NULL)
			name = eq + 1;
		nlen = (size_t)(end - name);
		for (k = 0; k < sizeof(gcnames) / sizeof(gcnames[0]); k++)
			if (strlen(gcnames[k][0]) == nlen &&
			    memcmp(gcnames[k][0], name, nlen) == 0)
				break;
		*o++ = '{';
		if (k < sizeof(gcnames) / sizeof(gcnames[0])) {
			memcpy(o, gcnames[k][1], strlen(gcnames[k][1]));
			o += strlen(gcnames[k][1]);
		} else {
			memcpy(o, name, nlen);
			o += nlen;
		}
		*o++ = '}';
		i = (size_t)(end - src);
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/*
 * Compiles an ECMA-262-flavoured pattern: \d and \w stay ASCII (no
 * PCRE2_UCP), \uXXXX is accepted (ALT_BSUX), $ only matches at the end
 * (DOLLAR_ENDONLY), and [^] is allowed.
 */
static pcre2_code *
regex(struct comp *c, const char *src, size_t len)
{
	pcre2_code	*re;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[128];
	char		*pat;
	size_t		 plen;
	int		 code;

	if ((pat = ecma_props(src, len, &plen)) == NULL)
		return cerr(c, "out of memory");
	re = pcre2_compile((PCRE2_SPTR)pat, plen, PCRE2_UTF | PCRE2_ALT_BSUX |
	    PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS |
	    PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
	free(pat);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		return cerr(c, "invalid pattern (offset %zu: %s)",
		    (size_t)off, (const char *)msg);
	}
	return re;
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
	if (json_is_real(v) && integral(v) && (d = json_real_value(v)) >= 0) {
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
		return cerr(c, "must be a non-empty array of schemas"), 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return cerr(c, "out of memory"), 0;
	*nout = n;
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		old = path_push(c, idx, strlen(idx));
		(*out)[i] = compile(c, json_array_get(v, i));
		path_pop(c, old);
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
		return cerr(c, "must be an object of schemas"), 0;
	if (out != NULL &&
	    (*out = calloc(json_object_size(v) + 1, sizeof(**out))) == NULL)
		return cerr(c, "out of memory"), 0;
	if (pout != NULL &&
	    (*pout = calloc(json_object_size(v) + 1, sizeof(**pout))) == NULL)
		return cerr(c, "out of memory"), 0;
	json_object_keylen_foreach((json_t *)(uintptr_t)v, key, klen, sub) {
		old = path_push(c, key, klen);
		n = compile(c, sub);
		if (n != NULL && pout != NULL) {
			(*pout)[i].n = n;
			if (((*pout)[i].re = regex(c, key, klen)) == NULL)
				n = NULL;
		} else if (n != NULL && out != NULL) {
			(*out)[i].name = key;
			(*out)[i].len = klen;
			(*out)[i].n = n;
		}
		path_pop(c, old);
		if (n == NULL)
			return 0;
		if (nout != NULL)
			*nout = ++i;
	}
	return 1;
}

/* A numeric keyword: minimum and friends, multipleOf (> 0). */
static int
compile_bound(struct comp *c, const json_t *v, struct bound *b, int positive)
{
	if (!json_is_number(v))
		return cerr(c, "must be a number"), 0;
	if (positive && json_number_value(v) <= 0)
		return cerr(c, "must be greater than 0"), 0;
	b->v = v;
	if ((b->str = numstr(v)) == NULL)
		return cerr(c, "out of memory"), 0;
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
		return cerr(c, "must be a type name or an array of them"), 0;
	for (i = 0; i < nt; i++) {
		const json_t *t = json_is_array(v) ? json_array_get(v, i) : v;

		for (k = 0; json_is_string(t) &&
		    k < sizeof(types) / sizeof(types[0]); k++)
			if (strcmp(json_string_value(t), types[k].name) == 0)
				break;
		if (!json_is_string(t) || k == sizeof(types) / sizeof(types[0]))
			return cerr(c, "unknown type"), 0;
		if (i == 0)
			n->type1 = k;
		n->types |= types[k].bit;
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
			return cerr(c, "out of memory") != NULL;
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
static int
keyword(struct comp *c, struct node *n, const json_t *self,
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
	 * Error paths below use "ok = cerr(...) != NULL": cerr() writes
	 * the message and returns NULL, so ok becomes 0.
	 */
	old = path_push(c, key, klen);
	if (iskw(key, klen, "type"))
		ok = compile_type(c, n, v);
	else if (iskw(key, klen, "enum")) {
		if (!json_is_array(v))
			ok = cerr(c, "must be an array") != NULL;
		else {
			const json_t **vals;
			size_t nv = json_array_size(v);

			n->enumv = v;
			if ((vals = calloc(nv + 1, sizeof(*vals))) != NULL) {
				for (i = 0; i < nv; i++)
					vals[i] = json_array_get(v, i);
				n->enumexp = expected(vals, nv);
				free(vals);
			}
			if (n->enumexp == NULL)
				ok = cerr(c, "out of memory") != NULL;
		}
	} else if (iskw(key, klen, "const")) {
		n->constv = v;
		if ((n->constexp = expected(&v, 1)) == NULL)
			ok = cerr(c, "out of memory") != NULL;
	} else if (iskw(key, klen, "properties")) {
		n->propobj = v;
		ok = compile_map(c, v, &n->props, NULL, &n->nprops);
	} else if (iskw(key, klen, "patternProperties"))
		ok = compile_map(c, v, NULL, &n->pprops, &n->npprops);
	else if (iskw(key, klen, "$defs") || iskw(key, klen, "definitions"))
		ok = compile_map(c, v, NULL, NULL, NULL);
	else if (iskw(key, klen, "required")) {
		if (!json_is_array(v) ||
		    (n->req = calloc(json_array_size(v) + 1,
		    sizeof(*n->req))) == NULL)
			ok = cerr(c, "must be an array of strings") != NULL;
		for (i = 0; ok && i < json_array_size(v); i++) {
			const json_t *s = json_array_get(v, i);
			if (!json_is_string(s)) {
				ok = cerr(c, "must be an array of strings") !=
				    NULL;
				break;
			}
			n->req[i].name = json_string_value(s);
			n->req[i].len = json_string_length(s);
			n->nreq++;
		}
	} else if (iskw(key, klen, "additionalProperties"))
		ok = (n->addl = compile(c, v)) != NULL;
	else if (iskw(key, klen, "items"))
		ok = (n->items = compile(c, v)) != NULL;
	else if (iskw(key, klen, "not"))
		ok = (n->not = compile(c, v)) != NULL;
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
			ok = cerr(c, "must be a string") != NULL;
		else {
			n->patsrc = json_string_value(v);
			ok = (n->pattern = regex(c, n->patsrc,
			    json_string_length(v))) != NULL;
		}
	} else if (iskw(key, klen, "minimum"))
		ok = compile_bound(c, v, &n->min, 0);
	else if (iskw(key, klen, "maximum"))
		ok = compile_bound(c, v, &n->max, 0);
	else if (iskw(key, klen, "exclusiveMinimum"))
		ok = compile_bound(c, v, &n->xmin, 0);
	else if (iskw(key, klen, "exclusiveMaximum"))
		ok = compile_bound(c, v, &n->xmax, 0);
	else if (iskw(key, klen, "multipleOf")) {
		if ((ok = compile_bound(c, v, &n->mult, 1)))
			todec(v, &n->multdec);
	} else if (iskw(key, klen, "format")) {
		if (!json_is_string(v))
			ok = cerr(c, "must be a string") != NULL;
		else if ((n->fmt = fpg_schema_fmt_lookup(json_string_value(v),
		    json_string_length(v))) == FPG_FMT_NONE)
			ok = cerr(c, "unsupported format \"%s\"",
			    json_string_value(v)) != NULL;
	} else if (iskw(key, klen, "default"))
		n->def = v;
	else if (iskw(key, klen, "$ref")) {
		if (!json_is_string(v))
			ok = cerr(c, "must be a string") != NULL;
		else
			ok = pending(c, n, json_string_value(v));
	} else {
		path_pop(c, old);
		return cerr(c, "unsupported keyword \"%.*s\"",
		    (int)(klen > 64 ? 64 : klen), key) != NULL;
	}
	/* Helpers that fail without a message (count(), uniqueItems). */
	if (!ok && c->err != NULL && c->errsz > 0 && c->err[0] == '\0')
		cerr(c, "invalid value");
	path_pop(c, old);
	return ok;
}

/*
 * Compiles the subschema j (memoised: a value already compiled, or
 * being compiled higher up a $ref cycle, returns its node).  Returns
 * NULL on error with the message written.
 */
static struct node *
compile(struct comp *c, const json_t *j)
{
	struct node	*n;
	const char	*key;
	size_t		 klen;
	json_t		*v;

	if ((n = memo_get(c, j)) != NULL)
		return n;
	if (!json_is_object(j) && !json_is_boolean(j))
		return cerr(c, "a schema must be an object or a boolean");
	if (c->depth >= SCHEMA_DEPTH_MAX)
		return cerr(c, "schema nested too deeply");
	if ((n = node_new(c, j)) == NULL)
		return NULL;
	if (json_is_boolean(j)) {
		n->boolean = json_is_true(j);
		return n;
	}
	c->depth++;
	json_object_keylen_foreach((json_t *)(uintptr_t)j, key, klen, v)
		if (!keyword(c, n, j, key, klen, v)) {
			c->depth--;
			return NULL;
		}
	c->depth--;
	return n;
}

/* The value of a hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		return cerr(c, "unsupported $ref \"%.64s\" (only local "
		    "JSON pointers)", ref);
	if ((buf = malloc(len + 1)) == NULL)
		return cerr(c, "out of memory");
	/* Percent-decode the fragment. */
	for (i = 1, q = buf; i < len; i++) {
		if (ref[i] == '%') {
			if (i + 2 >= len)
				goto bad;
			if (hexval(ref[i + 1]) < 0 || hexval(ref[i + 2]) < 0)
				goto bad;
			*q++ = (char)(hexval(ref[i + 1]) * 16 +
			    hexval(ref[i + 2]));
			i += 2;
		} else
			*q++ = ref[i];
	}
	*q = '\0';
	len = (size_t)(q - buf);
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
		return cerr(c, "$ref \"%.64s\" points nowhere", ref);
	return cur;
bad:
	free(buf);
	return cerr(c, "invalid $ref \"%.64s\"", ref);
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
	size_t			 i, flags;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errsz = errsz;
	if (text == NULL)
		return cerr(&c, "no schema text");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cerr(&c, "out of memory");
	c.s = s;

	flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
	s->doc = json_loadb(text, len, flags, &je);
	if (s->doc == NULL &&
	    json_error_code(&je) == json_error_numeric_overflow)
		s->doc = json_loadb(text, len,
		    flags | JSON_DECODE_INT_AS_REAL, &je);
	if (s->doc == NULL) {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "invalid JSON at line %d "
			    "column %d: %s", je.line, je.column, je.text);
		goto fail;
	}

	if ((s->mctx = pcre2_match_context_create(NULL)) == NULL) {
		cerr(&c, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(s->mctx, SCHEMA_MATCH_LIMIT);
	pcre2_set_heap_limit(s->mctx, SCHEMA_HEAP_LIMIT);

	if ((s->root = compile(&c, s->doc)) == NULL)
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
		if ((c.pend[i].n->ref = compile(&c, target)) == NULL)
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
	json_decref(s->doc);
	free(s);
}

/* --- validation ----------------------------------------------------- */

/*
 * Records one failure.  Appends the Pydantic error object (loc = the
 * prefix plus the current path, input = a deep copy of input) unless
 * the call only wants a verdict or the list is full.  Takes ctx (may
 * be NULL).  Returns 1, the "invalid" verdict, so callers can
 * "return fail(...)".
 */
static int
fail(struct vctx *c, const json_t *input, const char *type, json_t *ctx,
    const char *fmt, ...)
{
	va_list	 ap;
	json_t	*e = NULL, *loc = NULL;
	char	*msg = NULL;
	size_t	 i;
	int	 len;

	if (c->quiet || c->oom || json_array_size(c->errors) >= c->max) {
		json_decref(ctx);
		return 1;
	}
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len >= 0 && (msg = malloc((size_t)len + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	loc = json_is_array(c->loc) ? json_deep_copy(c->loc) : json_array();
	for (i = 0; loc != NULL && i < c->nseg; i++)
		if (json_array_append_new(loc, c->seg[i].key != NULL ?
		    json_stringn(c->seg[i].key, c->seg[i].len) :
		    json_integer((json_int_t)c->seg[i].idx)) == -1) {
			json_decref(loc);
			loc = NULL;
		}
	/*
	 * loc and ctx are set with json_object_set() and released below
	 * in every case, so no failure path can leak them.
	 */
	if (msg == NULL || loc == NULL || (e = json_object()) == NULL)
		c->oom = 1;
	else if (json_object_set_new(e, "type", json_string(type)) == -1 ||
	    json_object_set(e, "loc", loc) == -1 ||
	    json_object_set_new(e, "msg", json_string(msg)) == -1 ||
	    json_object_set_new(e, "input", json_deep_copy(input)) == -1 ||
	    (ctx != NULL && json_object_set(e, "ctx", ctx) == -1)) {
		json_decref(e);
		c->oom = 1;
	} else if (json_array_append_new(c->errors, e) == -1)
		c->oom = 1;	/* e freed by jansson */
	else
		c->added++;
	json_decref(loc);
	json_decref(ctx);
	free(msg);
	return 1;
}

/*
 * After a failure: whether further checks are pointless.  A quiet
 * branch (anyOf, oneOf, not) only needs to know it failed; a loud one
 * stops once the caller's list is full, which is what keeps a huge
 * array of bad items cheap.
 */
static int
stop(const struct vctx *c)
{
	return c->quiet || c->oom || json_array_size(c->errors) >= c->max;
}

/*
 * The path stack: one entry per instance level entered.  Its depth is
 * bounded by c->depth (every push is followed by a validate() that
 * checks SCHEMA_DEPTH_MAX), so the fixed array cannot overflow.  Keys
 * are borrowed from the instance or the schema.
 */
static void
push_key(struct vctx *c, const char *key, size_t len)
{
	c->seg[c->nseg].key = key;
	c->seg[c->nseg].len = len;
	c->nseg++;
}

static void
push_idx(struct vctx *c, size_t idx)
{
	c->seg[c->nseg].key = NULL;
	c->seg[c->nseg].idx = idx;
	c->nseg++;
}

/* Unanchored search, as ECMA-262 RegExp.prototype.test. */
static int
match(struct vctx *c, const pcre2_code *re, const char *p, size_t len)
{
	if (c->md == NULL &&
	    (c->md = pcre2_match_data_create(1, NULL)) == NULL) {
		c->oom = 1;
		return 0;
	}
	/* A match limit hit is a mismatch: such input is hostile. */
	return pcre2_match(re, (PCRE2_SPTR)p, len, 0, 0, c->md,
	    c->s->mctx) >= 0;
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
		return integral(v) ? T_INTEGER | T_NUMBER : T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOLEAN;
	default:
		return T_NULL;
	}
}

/* A property value: a false subschema means the key is not allowed. */
static int
child(struct vctx *c, const struct node *n, json_t *v)
{
	if (n->boolean == 0)
		return fail(c, v, "extra_forbidden", NULL,
		    "Extra inputs are not permitted");
	return validate(c, n, v, 0);
}

/*
 * The string keywords.  Each check_*() returns 1 if inst failed one of
 * them, and returns early when stop() says so.
 */
static int
check_string(struct vctx *c, const struct node *n, const json_t *inst)
{
	const char	*p = json_string_value(inst);
	size_t		 len = json_string_length(inst), cp;
	int		 bad = 0;

	if (n->minlen >= 0 || n->maxlen >= 0) {
		cp = u8len(p, len);
		if (n->minlen >= 0 && cp < (unsigned long long)n->minlen) {
			bad = fail(c, inst, "string_too_short",
			    json_pack("{sI}", "min_length",
			    (json_int_t)n->minlen),
			    "String should have at least %lld character%s",
			    n->minlen, n->minlen == 1 ? "" : "s");
			if (stop(c))
				return 1;
		}
		if (n->maxlen >= 0 && cp > (unsigned long long)n->maxlen) {
			bad = fail(c, inst, "string_too_long",
			    json_pack("{sI}", "max_length",
			    (json_int_t)n->maxlen),
			    "String should have at most %lld character%s",
			    n->maxlen, n->maxlen == 1 ? "" : "s");
			if (stop(c))
				return 1;
		}
	}
	if (n->pattern != NULL && !match(c, n->pattern, p, len)) {
		bad = fail(c, inst, "string_pattern_mismatch",
		    json_pack("{ss}", "pattern", n->patsrc),
		    "String should match pattern '%s'", n->patsrc);
		if (stop(c))
			return 1;
	}
	if (n->fmt != FPG_FMT_NONE && !fpg_schema_fmt_check(n->fmt, p, len))
		bad = fail(c, inst, fmterrs[n->fmt].type, NULL, "%s",
		    fmterrs[n->fmt].msg);
	return bad;
}

/*
 * The numeric keywords.  ctx carries the bound as the schema gave it
 * (integer or real), as Pydantic's {"ge": 5} does.
 */
static int
check_number(struct vctx *c, const struct node *n, const json_t *inst)
{
	struct dec	 d;
	int		 bad = 0;

	if (n->min.v != NULL && numcmp(inst, n->min.v) < 0) {
		bad = fail(c, inst, "greater_than_equal", json_pack("{so}",
		    "ge", json_deep_copy(n->min.v)),
		    "Input should be greater than or equal to %s", n->min.str);
		if (stop(c))
			return 1;
	}
	if (n->xmin.v != NULL && numcmp(inst, n->xmin.v) <= 0) {
		bad = fail(c, inst, "greater_than", json_pack("{so}",
		    "gt", json_deep_copy(n->xmin.v)),
		    "Input should be greater than %s", n->xmin.str);
		if (stop(c))
			return 1;
	}
	if (n->max.v != NULL && numcmp(inst, n->max.v) > 0) {
		bad = fail(c, inst, "less_than_equal", json_pack("{so}",
		    "le", json_deep_copy(n->max.v)),
		    "Input should be less than or equal to %s", n->max.str);
		if (stop(c))
			return 1;
	}
	if (n->xmax.v != NULL && numcmp(inst, n->xmax.v) >= 0) {
		bad = fail(c, inst, "less_than", json_pack("{so}",
		    "lt", json_deep_copy(n->xmax.v)),
		    "Input should be less than %s", n->xmax.str);
		if (stop(c))
			return 1;
	}
	if (n->mult.v != NULL) {
		todec(inst, &d);
		if (!multiple(&d, &n->multdec))
			bad = fail(c, inst, "multiple_of", json_pack("{so}",
			    "multiple_of", json_deep_copy(n->mult.v)),
			    "Input should be a multiple of %s", n->mult.str);
	}
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
	int		 bad = 0, r;

	if (n->minitems >= 0 && sz < (unsigned long long)n->minitems) {
		bad = fail(c, inst, "too_short", json_pack("{sssIsI}",
		    "field_type", "List", "min_length", (json_int_t)n->minitems,
		    "actual_length", (json_int_t)sz),
		    "List should have at least %lld item%s after validation, "
		    "not %zu", n->minitems, n->minitems == 1 ? "" : "s", sz);
		if (stop(c))
			return 1;
	}
	if (n->maxitems >= 0 && sz > (unsigned long long)n->maxitems) {
		bad = fail(c, inst, "too_long", json_pack("{sssIsI}",
		    "field_type", "List", "max_length", (json_int_t)n->maxitems,
		    "actual_length", (json_int_t)sz),
		    "List should have at most %lld item%s after validation, "
		    "not %zu", n->maxitems, n->maxitems == 1 ? "" : "s", sz);
		if (stop(c))
			return 1;
	}
	if (n->unique && (r = unique(inst)) != 1) {
		if (r == -1)
			c->oom = 1;
		bad = fail(c, inst, "unique_items", NULL,
		    "List should have unique items");
		if (stop(c))
			return 1;
	}
	for (i = 0; i < sz; i++) {
		if ((sub = i < n->nprefix ? n->prefix[i] : n->items) == NULL)
			break;
		push_idx(c, i);
		r = validate(c, sub, json_array_get(inst, i), 0);
		c->nseg--;
		if (r) {
			bad = 1;
			if (stop(c))
				return 1;
		}
	}
	return bad;
}

/*
 * The object keywords.  required reports "missing" at the absent key
 * with the whole object as input (as Pydantic does).  A key is
 * "additional" when neither properties nor a patternProperties
 * pattern names it; a false additionalProperties gives
 * extra_forbidden.  Only the instance's keys are walked for patterns,
 * so a big schema does not cost on small objects.
 */
static int
check_object(struct vctx *c, const struct node *n, json_t *inst)
{
	const char	*key;
	size_t		 klen, i, sz;
	json_t		*v;
	int		 bad = 0, matched, r;

	for (i = 0; i < n->nreq; i++) {
		if (json_object_getn(inst, n->req[i].name,
		    n->req[i].len) != NULL)
			continue;
		push_key(c, n->req[i].name, n->req[i].len);
		bad = fail(c, inst, "missing", NULL, "Field required");
		c->nseg--;
		if (stop(c))
			return 1;
	}
	for (i = 0; i < n->nprops; i++) {
		if ((v = json_object_getn(inst, n->props[i].name,
		    n->props[i].len)) == NULL)
			continue;
		push_key(c, n->props[i].name, n->props[i].len);
		r = child(c, n->props[i].n, v);
		c->nseg--;
		if (r) {
			bad = 1;
			if (stop(c))
				return 1;
		}
	}
	if (n->npprops > 0 || n->addl != NULL) {
		json_object_keylen_foreach(inst, key, klen, v) {
			matched = n->propobj != NULL &&
			    json_object_getn(n->propobj, key, klen) != NULL;
			push_key(c, key, klen);
			r = 0;
			for (i = 0; i < n->npprops; i++) {
				if (!match(c, n->pprops[i].re, key, klen))
					continue;
				matched = 1;
				if (child(c, n->pprops[i].n, v)) {
					r = 1;
					if (stop(c))
						break;
				}
			}
			if (!matched && n->addl != NULL && !(r && stop(c)))
				r |= child(c, n->addl, v);
			c->nseg--;
			if (r) {
				bad = 1;
				if (stop(c))
					return 1;
			}
		}
	}
	sz = json_object_size(inst);
	if (n->minprops >= 0 && sz < (unsigned long long)n->minprops) {
		bad = fail(c, inst, "too_short", json_pack("{sssIsI}",
		    "field_type", "Dictionary", "min_length",
		    (json_int_t)n->minprops, "actual_length", (json_int_t)sz),
		    "Dictionary should have at least %lld item%s after "
		    "validation, not %zu", n->minprops,
		    n->minprops == 1 ? "" : "s", sz);
		if (stop(c))
			return 1;
	}
	if (n->maxprops >= 0 && sz > (unsigned long long)n->maxprops) {
		bad = fail(c, inst, "too_long", json_pack("{sssIsI}",
		    "field_type", "Dictionary", "max_length",
		    (json_int_t)n->maxprops, "actual_length", (json_int_t)sz),
		    "Dictionary should have at most %lld item%s after "
		    "validation, not %zu", n->maxprops,
		    n->maxprops == 1 ? "" : "s", sz);
		if (stop(c))
			return 1;
	}
	/*
	 * Defaults go in last, so they are not validated (as Pydantic
	 * does not) and only when the verdict is going to be used.
	 */
	for (i = 0; !c->quiet && i < n->nprops; i++) {
		const json_t *def = n->props[i].n->def;
		json_t *copy;

		if (def == NULL || json_object_getn(inst, n->props[i].name,
		    n->props[i].len) != NULL)
			continue;
		if ((copy = json_deep_copy(def)) == NULL ||
		    json_object_setn_new(inst, n->props[i].name,
		    n->props[i].len, copy) == -1)
			c->oom = 1;
	}
	return bad;
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
			if (stop(c))
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
			bad = fail(c, inst, "any_of", NULL,
			    "Input should match at least one schema");
			if (stop(c))
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
			bad = fail(c, inst, "one_of", json_pack("{sI}",
			    "matched", (json_int_t)hit),
			    "Input should match exactly one schema");
			if (stop(c))
				return 1;
		} else if (!quiet)
			bad |= validate(c, n->oneof[first], inst, level + 1);
	}
	if (n->not != NULL) {
		c->quiet = 1;
		hit = !validate(c, n->not, inst, level + 1);
		c->quiet = quiet;
		if (hit)
			bad = fail(c, inst, "not", NULL,
			    "Input should not match the schema");
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
		if (stop(c))
			return 1;
	}
	/* A type mismatch ends the node: the rest would only add noise. */
	if (n->types != 0 && (n->types & t) == 0) {
		if (types[n->type1].bit == T_INTEGER && json_is_real(inst))
			return fail(c, inst, "int_from_float", NULL,
			    "Input should be a valid integer, got a number "
			    "with a fractional part");
		return fail(c, inst, types[n->type1].type, NULL, "%s",
		    types[n->type1].msg);
	}
	if (n->enumv != NULL) {
		for (i = 0; i < json_array_size(n->enumv); i++)
			if (equal(inst, json_array_get(n->enumv, i), 0))
				break;
		if (i == json_array_size(n->enumv)) {
			bad = fail(c, inst, "enum", json_pack("{ss}",
			    "expected", n->enumexp), "Input should be %s",
			    n->enumexp);
			if (stop(c))
				return 1;
		}
	}
	if (n->constv != NULL && !equal(inst, n->constv, 0)) {
		bad = fail(c, inst, "literal_error", json_pack("{ss}",
		    "expected", n->constexp), "Input should be %s",
		    n->constexp);
		if (stop(c))
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
		if (stop(c))
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
		return fail(c, inst, "false_schema", NULL,
		    "No value is allowed here");
	if (c->depth >= SCHEMA_DEPTH_MAX || level > SCHEMA_LOOP_MAX)
		return fail(c, inst, "recursion_loop", NULL,
		    "Recursion error - cyclic reference detected");
	c->depth++;
	bad = check(c, n, inst, level);
	c->depth--;
	return bad;
}

/*
 * Validates inst against schema s, appending one Pydantic-v2-shaped
 * error object per failure to the array errors (new references owned
 * by errors), each with loc = a copy of the array loc (borrowed, may
 * be NULL) followed by the path to the failing value.  Appends nothing
 * once errors holds max entries, and stops working then.
 *
 * inst may be modified: a missing property whose subschema has a
 * "default" gets a deep copy of it.  s is only read, so concurrent
 * calls on one schema are safe (with different instances).
 *
 * Returns the number of errors appended (0: valid, if errors was below
 * max on entry), or SIZE_MAX if memory ran out, in which case the
 * instance must be treated as invalid.
 */
size_t
fpg_schema_validate(const struct fpg_schema *s, json_t *inst, json_t *loc,
    json_t *errors, size_t max)
{
	struct vctx	*c;
	size_t		 added;

	if (s == NULL || inst == NULL || !json_is_array(errors))
		return SIZE_MAX;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SIZE_MAX;
	c->s = s;
	c->loc = loc;
	c->errors = errors;
	c->max = max;
	validate(c, s->root, inst, 0);
	pcre2_match_data_free(c->md);
	added = c->oom ? SIZE_MAX : c->added;
	free(c);
	return added;
}
