/*
 * fastpg-validate -- validate a JSON instance against a JSON Schema
 * with libfastpg's validator, as a resource would validate a body.
 *
 * Exit status: 0 valid (nothing printed), 1 invalid (the 422 "detail"
 * list printed on stdout, one line), 2 on a usage error, an unreadable
 * file, or an unparsable or unsupported schema (reason on stderr).
 * An instance is read as the server reads a body: one the server
 * answers with 422 before validation (empty, or JSON it refuses, such
 * as "\u0000" in a string) is invalid here too, with the same detail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpg.h"

#define INPUT_MAX	(64 * 1024 * 1024)	/* bytes of one file */

static const char *const usage =
    "usage: fastpg-validate [-h | --help] SCHEMA.json [INSTANCE.json]\n"
    "Validates INSTANCE.json (standard input when absent or \"-\")\n"
    "against SCHEMA.json.  Exit 0: valid; 1: invalid, errors printed\n"
    "as JSON on standard output; 2: unreadable input or schema.\n";

/*
 * Reads all of fp into a new buffer (*len bytes, NUL-terminated).
 * Returns NULL with errno set, EFBIG beyond INPUT_MAX.
 */
static char *
slurp(FILE *fp, size_t *len)
{
	char	*buf = NULL, *nb;
	size_t	 cap = 0, n;

	*len = 0;
	for (;;) {
		if (cap - *len < 2) {
			if (cap >= INPUT_MAX + 2) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > INPUT_MAX + 2)
				cap = INPUT_MAX + 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len - 1, fp);
		*len += n;
		if (*len > INPUT_MAX) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if (n == 0) {
			if (ferror(fp)) {
				free(buf);
				errno = EIO;
				return NULL;
			}
			break;
		}
	}
	buf[*len] = '\0';
	return buf;
}

/* Reads the file at path ("-": standard input); message on failure. */
static char *
readfile(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	int	 saved;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fastpg-validate: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	buf = slurp(fp, len);
	saved = errno;
	if (fp != stdin)
		fclose(fp);
	if (buf == NULL)
		fprintf(stderr, "fastpg-validate: %s: %s\n", path,
		    saved == EFBIG ? "file larger than 64 MiB" :
		    strerror(saved));
	return buf;
}

int
main(int argc, char *argv[])
{
	struct fpg_schema	*schema = NULL;
	json_t			*inst = NULL, *errors = NULL, *loc = NULL;
	json_error_t		 je;
	const char		*ipath;
	char			*stext = NULL, *itext = NULL, *out;
	char			 err[512];
	size_t			 slen, ilen, n;
	int			 rc = 2;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3) {
		fputs(usage, stderr);
		return 2;
	}
	ipath = argc == 3 ? argv[2] : "-";

	if ((stext = readfile(argv[1], &slen)) == NULL)
		goto out;
	if ((schema = fpg_schema_new(stext, slen, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fastpg-validate: %s: %s\n", argv[1], err);
		goto out;
	}
	if ((itext = readfile(ipath, &ilen)) == NULL)
		goto out;

	if ((errors = json_array()) == NULL ||
	    (loc = json_pack("[s]", "body")) == NULL) {
		fprintf(stderr, "fastpg-validate: out of memory\n");
		goto out;
	}
	/*
	 * Read as the server reads a body (fpg_json_load), and a body it
	 * refuses gets its answer: the 422 detail of an empty body or of
	 * JSON it does not accept (a "\u0000" escape, a repeated key).
	 */
	if (ilen == 0)
		n = json_array_append_new(errors, json_pack("{s:s, s:[s], "
		    "s:s, s:n}", "type", "missing", "loc", "body", "msg",
		    "Field required", "input")) == 0 ? 1 : (size_t)-1;
	else if ((inst = fpg_json_load(itext, ilen, &je)) == NULL) {
		fprintf(stderr, "fastpg-validate: %s: line %d column %d: %s\n",
		    ipath, je.line, je.column, je.text);
		n = json_array_append_new(errors, json_pack("{s:s, s:[s, I], "
		    "s:s, s:{}, s:{s:s}}", "type", "json_invalid", "loc",
		    "body", (json_int_t)je.position, "msg",
		    "JSON decode error", "input", "ctx", "error",
		    je.text)) == 0 ? 1 : (size_t)-1;
	} else
		n = fpg_schema_validate(schema, inst, loc, errors,
		    FPG_ERRORS_MAX);
	if (n == (size_t)-1) {
		fprintf(stderr, "fastpg-validate: %s: out of memory\n", ipath);
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if ((out = json_dumps(errors, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "fastpg-validate: out of memory\n");
		goto out;
	}
	puts(out);
	free(out);
	rc = fflush(stdout) == 0 ? 1 : 2;
out:
	json_decref(loc);
	json_decref(errors);
	json_decref(inst);
	fpg_schema_free(schema);
	free(itext);
	free(stext);
	return rc;
}
