/*
 * equal.c -- JSON value equality as JSON Schema defines it
 * (1 == 1.0, object key order irrelevant), for enum, const and
 * uniqueItems, with a hash consistent with it so that uniqueItems
 * costs O(n log n) on a large array.
 *
 * Pure functions of their arguments: no allocation except unique()'s
 * scratch array, no global state, thread-safe.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

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
		return fpg_schema_numcmp(a, b) == 0;
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
int
fpg_schema_unique(const json_t *arr)
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

/* The entry point of equal(), at depth 0. */
int
fpg_schema_equal(const json_t *a, const json_t *b)
{
	return equal(a, b, 0);
}
