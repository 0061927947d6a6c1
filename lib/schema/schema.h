/*
 * schema.h -- the JSON Schema validator (lib/schema/): its API (not
 * installed).
 *
 * lib/schema/ depends on nothing else in the library but the URL
 * helpers (lib/url.h, a leaf on libc alone), which decode a $ref
 * fragment as the router decodes a path.  Its other needs are jansson
 * and pcre2.  Files outside lib/schema/ include this header (extern.h
 * does) and never schema_int.h, which is the validator's own.
 *
 * fpg_schema_new(), fpg_schema_validate() and fpg_schema_free() are
 * exported: lib/fastpg.h declares them for resources, with the same
 * prototypes as here (a file that includes both has the compiler
 * check that they agree), and the visibility pragma below keeps them
 * exported from the files here, which do not include fastpg.h.
 */
#ifndef FPG_SCHEMA_H
#define FPG_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

#pragma GCC visibility push(default)

struct fpg_schema;

/*
 * Compiles the len bytes of schema text (JSON;
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

#pragma GCC visibility pop

#endif /* FPG_SCHEMA_H */
