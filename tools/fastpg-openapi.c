/*
 * fastpg-openapi -- merges the OpenAPI documents of several resources
 * (each printed by `RESOURCE --openapi`) into one, for a site that
 * serves them all: paths and components joined, one info block.
 *
 *	fastpg-openapi [-t title] doc.json ...
 *
 * Generated clients take their method names from operationIds and
 * their type names from components/schemas, so both must mean one
 * thing in the merged document: a component name used by several
 * documents is kept once when the definitions are equal (ErrorDetail,
 * a shared model) and is an error when they differ; an operationId
 * used twice is an error -- never renamed with a suffix, which would
 * change a client's method name with the order of the documents.  The
 * fix is a .name on one route or another "title" on one schema.
 *
 * Exits 0, 1 when two documents disagree (the same path, the same
 * operationId, or the same component name with different content), 2
 * on a usage or read error.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static int
join(json_t *dst, json_t *src, const char *what, const char *file)
{
	const char	*k;
	json_t		*v, *d;

	json_object_foreach(src, k, v) {
		if ((d = json_object_get(dst, k)) != NULL && !json_equal(d, v)) {
			fprintf(stderr, "fastpg-openapi: %s: %s %s differs "
			    "from an earlier document\n", file, what, k);
			return -1;
		}
		json_object_set(dst, k, v);
	}
	return 0;
}

/*
 * Records the operationIds of doc's paths in ids (operationId ->
 * "file: METHOD path"); -1 after naming each one an earlier document
 * has.
 */
static int
unique_ids(json_t *ids, json_t *doc, const char *file)
{
	const char	*p, *m, *id;
	json_t		*item, *op, *seen;
	int		 rc = 0;

	json_object_foreach(json_object_get(doc, "paths"), p, item)
		json_object_foreach(item, m, op) {
			id = json_string_value(json_object_get(op,
			    "operationId"));
			if (id == NULL)
				continue;
			if ((seen = json_object_get(ids, id)) != NULL) {
				fprintf(stderr, "fastpg-openapi: %s: operationId"
				    " %s of %s %s is also %s's (give one route "
				    "another .name)\n", file, id, m, p,
				    json_string_value(seen));
				rc = -1;
				continue;
			}
			json_object_set_new(ids, id, json_sprintf("%s: %s %s",
			    file, m, p));
		}
	return rc;
}

int
main(int argc, char *argv[])
{
	json_t		*out, *doc, *paths, *comps, *sec, *v, *ids;
	json_error_t	 je;
	const char	*title = "fastpg", *k;
	int		 i = 1, rc = 0;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		title = argv[2];
		i = 3;
	}
	if (i >= argc || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		fprintf(i >= argc ? stderr : stdout,
		    "usage: fastpg-openapi [-t title] doc.json ...\n");
		return i >= argc ? 2 : 0;
	}
	paths = json_object();
	comps = json_object();
	ids = json_object();
	for (; i < argc; i++) {
		if ((doc = json_load_file(argv[i], JSON_REJECT_DUPLICATES,
		    &je)) == NULL) {
			fprintf(stderr, "fastpg-openapi: %s: %s\n", argv[i],
			    je.text);
			return 2;
		}
		if (join(paths, json_object_get(doc, "paths"), "path",
		    argv[i]) == -1)
			rc = 1;
		if (unique_ids(ids, doc, argv[i]) == -1)
			rc = 1;
		json_object_foreach(json_object_get(doc, "components"), k, v) {
			if ((sec = json_object_get(comps, k)) == NULL) {
				sec = json_object();
				json_object_set_new(comps, k, sec);
			}
			if (join(sec, v, k, argv[i]) == -1)
				rc = 1;
		}
		json_decref(doc);
	}
	out = json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "openapi", "3.1.0",
	    "info", "title", title, "version", "1.0.0", "paths", paths,
	    "components", comps);
	if (out == NULL || json_dumpf(out, stdout, JSON_INDENT(1)) == -1)
		return 2;
	putchar('\n');
	json_decref(out);
	json_decref(ids);
	return rc;
}
