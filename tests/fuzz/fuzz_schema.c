/*
 * fuzz_schema.c -- libFuzzer harness for the JSON Schema compiler and
 * validator (lib/schema/).
 *
 * Input: SCHEMA NUL INSTANCE.  The schema text is compiled; when it
 * compiles, the instance (parsed by fpg_json_load(), as the server
 * parses bodies) is validated twice: with the usual error cap and
 * with a cap of one.  Without a NUL, the whole input is a schema
 * validated against a few fixed instances.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fastpg.h"
#include "schema/schema.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fixed[] = {
	"null", "0", "1.5", "\"a\"", "[1,1.0,\"x\",{}]",
	"{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"2020-01-01\"}}",
};

static void
check(const struct fpg_schema *s, json_t *inst)
{
	json_t	*errs = json_array(), *loc = json_pack("[s]", "body");
	size_t	 n;

	if (errs == NULL || loc == NULL)
		abort();
	n = fpg_schema_validate(s, inst, loc, errs, FPG_ERRORS_MAX);
	if (n != SIZE_MAX && (n != json_array_size(errs) ||
	    n > FPG_ERRORS_MAX))
		abort();
	json_array_clear(errs);
	n = fpg_schema_validate(s, inst, loc, errs, 1);
	if (n != SIZE_MAX && n > 1)
		abort();
	json_decref(loc);
	json_decref(errs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fpg_schema	*s;
	const char		*text = (const char *)data, *nul;
	json_t			*inst;
	size_t			 slen, i;
	char			 err[128];

	nul = memchr(text, '\0', size);
	slen = nul != NULL ? (size_t)(nul - text) : size;
	if ((s = fpg_schema_new(text, slen, err, sizeof(err))) == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (nul != NULL) {
		inst = fpg_json_load(nul + 1, size - slen - 1, NULL);
		if (inst != NULL) {
			check(s, inst);
			json_decref(inst);
		}
	} else {
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			inst = fpg_json_load(fixed[i], strlen(fixed[i]), NULL);
			check(s, inst);
			json_decref(inst);
		}
	}
	fpg_schema_free(s);
	return 0;
}
