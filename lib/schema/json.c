/*
 * json.c -- fpg_json_load(): the one place where fastpg decides which
 * JSON texts it accepts (see schema.h for the rules and why).
 */
#include <stddef.h>

#include "schema.h"

/* See schema.h. */
json_t *
fpg_json_load(const char *buf, size_t len, json_error_t *err)
{
	json_error_t	 je;
	json_t		*j;
	size_t		 flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES;

	if ((j = json_loadb(buf, len, flags, &je)) == NULL &&
	    json_error_code(&je) == json_error_numeric_overflow)
		j = json_loadb(buf, len, flags | JSON_DECODE_INT_AS_REAL, &je);
	if (j == NULL && err != NULL)
		*err = je;
	return j;
}
