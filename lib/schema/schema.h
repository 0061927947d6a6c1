/*
 * schema.h -- the JSON Schema validator (lib/schema/): its API and the
 * one JSON parser of fastpg (not installed).
 *
 * lib/schema/ depends on nothing else in the library but the URL
 * helpers (lib/url.h, a leaf on libc alone), which decode a $ref
 * fragment as the router decodes a path.  Its other needs are jansson
 * and pcre2.  Files outside lib/schema/ include this header (extern.h
 * does) and never schema_int.h, which is the validator's own.
 *
 * Every function here is exported: lib/fastpg.h declares them for
 * resources and tools with the same prototypes (a file that includes
 * both, as every file including extern.h does, has the compiler check
 * that they agree), and the visibility pragma below keeps them
 * exported from the files here, which do not include fastpg.h.
 */
#ifndef FPG_SCHEMA_H
#define FPG_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

#pragma GCC visibility push(default)

struct fpg_schema;

/*
 * Compiles the len bytes of schema text (parsed by fpg_json_load();
 * true and false alone are schemas too) into a schema that validates
 * without reading the text again.  Returns the schema, freed with
 * fpg_schema_free(), or NULL with a one-line reason in err
 * (NUL-terminated, truncated to errsz; err may be NULL).
 */
struct fpg_schema *fpg_schema_new(const char *text, size_t len,
		    char *err, size_t errsz);

/*
 * Validates inst against s, appending at most max Pydantic-shaped
 * error objects to the array errors, each "loc" starting with the
 * elements of loc (borrowed, may be NULL).  inst may gain the
 * "default" of a missing property.  Returns the number of errors
 * appended (0: valid), or SIZE_MAX when memory ran out.  Concurrent
 * calls on one schema are safe.  The whole contract is in valid.c.
 */
size_t		 fpg_schema_validate(const struct fpg_schema *s, json_t *inst,
		    json_t *loc, json_t *errors, size_t max);

/* Frees a schema from fpg_schema_new(); NULL is a no-op. */
void		 fpg_schema_free(struct fpg_schema *);

/*
 * Parses the len bytes at buf as one JSON value, the way the server
 * reads a request body, so that every reader of JSON in fastpg (the
 * server, fastpg-validate, the schema compiler, the fuzz harnesses)
 * accepts and refuses the same texts:
 *
 *   - any value at the top level, not only arrays and objects;
 *   - a duplicate object key is an error (two parsers could keep
 *     different ones: a smuggling risk);
 *   - a "\u0000" escape is an error (jansson's default: the value
 *     would end early wherever it becomes a C string);
 *   - an integer beyond json_int_t (jansson reports
 *     json_error_numeric_overflow) is parsed again, the whole text,
 *     with every integer as a real, so that it can still be checked
 *     against bounds; the exact text is the caller's to keep.
 *
 * Returns a new reference (json_decref() it), or NULL with err filled
 * in (err may be NULL).  The depth limit is jansson's (2048).
 */
json_t		*fpg_json_load(const char *buf, size_t len, json_error_t *err);

#pragma GCC visibility pop

/*
 * For the library alone (hidden, like every name outside the block
 * above): what the compiled schema says a property of an object is,
 * so that lib/args.c can turn a query string's text into the value
 * the schema validates, without reading the schema's text again.
 */

/* Instance types as bits; an integral number is both NUMBER and
 * INTEGER. */
enum {
	FPG_SCHEMA_NULL = 1 << 0,
	FPG_SCHEMA_BOOLEAN = 1 << 1,
	FPG_SCHEMA_OBJECT = 1 << 2,
	FPG_SCHEMA_ARRAY = 1 << 3,
	FPG_SCHEMA_NUMBER = 1 << 4,
	FPG_SCHEMA_STRING = 1 << 5,
	FPG_SCHEMA_INTEGER = 1 << 6,
};

/* The types a value may have, one FPG_SCHEMA_ bit each, in the order
 * the schema's "type" lists them (the first names a conversion's
 * error); n == 0 means any type. */
struct fpg_schema_types {
	size_t		 n;
	unsigned	 t[7];
};

/*
 * The types the object schema s accepts for its property name (from
 * "properties", else "additionalProperties"; "patternProperties" is
 * not consulted) in *prop, and, for an array property, its items'
 * types ("items"; "prefixItems" is not consulted) in *items (may be
 * NULL).  As the validator does, $ref and allOf apply to the same
 * value: the object's properties come from s's root and every schema
 * its $ref and allOf reach, and a property's types are those that all
 * of its schemas (and theirs, through $ref and allOf) allow.  A
 * property no type fits (false) comes out as any type: its text stays
 * a string for the validator to refuse.
 *
 * Returns 0, or -1 (both lists empty) when s is NULL or its root is a
 * boolean schema, which has no properties to ask about.  With name
 * NULL the call only asks that.
 */
int		 fpg_schema_prop_types(const struct fpg_schema *s,
		    const char *name, struct fpg_schema_types *prop,
		    struct fpg_schema_types *items);

#endif /* FPG_SCHEMA_H */
