/*
 * fastpg-bundle -- makes one self-contained JSON Schema out of a schema
 * file that refers to others, so that a resource binary can embed it
 * (the validator resolves only "#..." references within one document).
 *
 *	fastpg-bundle [-c] [-r ROOT] [-o OUT.json] SCHEMA.json
 *
 * Every "$ref" whose URI is a relative file path, with or without a
 * fragment ("../common/money.json", "common.json#/$defs/Email"), is
 * read relative to the folder of the file that holds it.  The schema
 * it names (the fragment's sub-schema, else the whole file) is copied
 * under the root's "$defs" and the reference becomes "#/$defs/NAME".
 * NAME is the schema's "title" (so that OpenAPI shows it under that
 * name, once for every resource that uses it), else the file's name
 * and the fragment's last token ("money", "common_Email").  References
 * inside a copied schema are followed the same way, its local ones
 * ("#/...") included, since they now name a part of another document.
 * A schema reached twice is copied once; a cycle of references (a
 * recursive schema, two files naming each other) becomes a cycle of
 * "#/$defs/" references, which the validator handles.  References
 * inside SCHEMA.json itself ("#/...") are left as they are.
 *
 * Refused, naming the file and the reference: a file that cannot be
 * read or parsed, a fragment that is not a JSON pointer or points
 * nowhere, an absolute URI ("https://...": nothing is fetched), an
 * absolute path, a file outside ROOT (when -r is given), references
 * nested deeper than DEPTH_MAX files, and two different schemas that
 * want one name (give one of them another "title").
 *
 * -c reads an OpenAPI fragment (a resource's openapi.json) instead of
 * a schema: the copies go to its components/schemas, the references
 * become "#/components/schemas/NAME", and the merged document keeps a
 * definition several resources share once.
 *
 * A file with no reference to another is written byte for byte; any
 * other as jansson writes it (every number reads back as the same
 * double) with the copies added.  Exits 0, 1 on a refused reference
 * or an unreadable file, 2 on a usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define DEPTH_MAX	16	/* files, each referring to the next */

struct bundle {
	const char	*rootfile;	/* SCHEMA.json, as given */
	char		 rootreal[PATH_MAX];
	char		 jail[PATH_MAX];/* -r ROOT, resolved; "" if none */
	json_t		*defs;		/* where copies go (borrowed) */
	const char	*prefix;	/* "#/$defs/" or "#/components/schemas/" */
	int		 changed;	/* references rewritten */
	json_t		*docs;		/* real path -> parsed document */
	json_t		*names;		/* "realpath#fragment" -> name */
	json_t		*owner;		/* name -> "realpath#fragment" */
	int		 depth;
};

static void
fail(const char *file, const char *ref, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "fastpg-bundle: %s: ", file);
	if (ref != NULL)
		fprintf(stderr, "$ref \"%s\": ", ref);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Keys whose value is data, never a schema: not walked. */
static int
data_key(const char *k)
{
	return strcmp(k, "example") == 0 || strcmp(k, "examples") == 0 ||
	    strcmp(k, "default") == 0 || strcmp(k, "const") == 0 ||
	    strcmp(k, "enum") == 0 || strncmp(k, "x-", 2) == 0;
}

/* Keys whose value maps names (any names) to schemas. */
static int
map_key(const char *k)
{
	return strcmp(k, "properties") == 0 ||
	    strcmp(k, "patternProperties") == 0 ||
	    strcmp(k, "$defs") == 0 || strcmp(k, "definitions") == 0 ||
	    strcmp(k, "dependentSchemas") == 0;
}

/*
 * The node at JSON pointer frag (a URI fragment without its '#':
 * "" or "/a/b", percent-encoded, each token ~-escaped) in doc, or NULL.
 * *bad is set when frag is not a pointer at all.  last (size lastsz)
 * gets the pointer's last token, decoded, for a name.
 */
static json_t *
pointer(json_t *doc, const char *frag, int *bad, char *last,
    size_t lastsz)
{
	json_t		*cur = doc;
	char		 tok[1024];
	const char	*p = frag;
	size_t		 n;
	int		 c;

	*bad = 0;
	last[0] = '\0';
	if (*p != '\0' && *p != '/') {
		*bad = 1;	/* "#name": an anchor, not supported */
		return NULL;
	}
	while (*p == '/' && cur != NULL) {
		p++;
		for (n = 0; *p != '\0' && *p != '/'; p++) {
			c = (unsigned char)*p;
			if (c == '%') {
				unsigned int	 x;

				if (sscanf(p + 1, "%2x", &x) != 1 ||
				    p[1] == '\0' || p[2] == '\0') {
					*bad = 1;
					return NULL;
				}
				c = (int)x;
				p += 2;
			}
			if (c == '~') {
				if (p[1] != '0' && p[1] != '1') {
					*bad = 1;
					return NULL;
				}
				c = *++p == '0' ? '~' : '/';
			}
			if (n + 1 >= sizeof(tok)) {
				*bad = 1;
				return NULL;
			}
			tok[n++] = (char)c;
		}
		tok[n] = '\0';
		if (json_is_object(cur))
			cur = json_object_getn(cur, tok, n);
		else if (json_is_array(cur)) {
			char	*end;
			long	 i = strtol(tok, &end, 10);

			cur = (n == 0 || *end != '\0' || i < 0 ||
			    (tok[0] == '0' && n > 1)) ? NULL :
			    json_array_get(cur, (size_t)i);
		} else
			cur = NULL;
		snprintf(last, lastsz, "%s", tok);
	}
	return cur;
}

/* The parsed document at real path real, loaded once. */
static json_t *
document(struct bundle *b, const char *real, const char *file,
    const char *ref)
{
	json_t		*doc;
	json_error_t	 je;

	if ((doc = json_object_get(b->docs, real)) != NULL)
		return doc;
	if ((doc = json_load_file(real, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &je)) == NULL) {
		fail(file, ref, "%s:%d: %s", real, je.line, je.text);
		return NULL;
	}
	json_object_set_new(b->docs, real, doc);
	return doc;
}

/*
 * A name for the schema s from file real at fragment frag (last its
 * pointer's last token): s's title, else the file's base name and
 * last, each letter, digit, '.', '-' or '_' kept, others as '_'.
 */
static void
def_name(char *name, size_t sz, const json_t *s, const char *real,
    const char *last)
{
	const char	*title = json_string_value(json_object_get(s, "title"));
	const char	*base = strrchr(real, '/') ? strrchr(real, '/') + 1 :
			    real;
	size_t		 i, blen = strlen(base);

	if (blen > 5 && strcmp(base + blen - 5, ".json") == 0)
		blen -= 5;
	if (title != NULL && title[0] != '\0')
		snprintf(name, sz, "%s", title);
	else if (last[0] != '\0')
		snprintf(name, sz, "%.*s_%s", (int)blen, base, last);
	else
		snprintf(name, sz, "%.*s", (int)blen, base);
	for (i = 0; name[i] != '\0'; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') &&
		    name[i] != '.' && name[i] != '-' && name[i] != '_')
			name[i] = '_';
}

static int walk(struct bundle *, json_t *, int, const char *,
    const char *);

/*
 * Rewrites the reference *refp (a "$ref" of node, found in file
 * whose real path is real) to "#/$defs/NAME", copying its target
 * there first.  local says a "#..." reference is to be rewritten too
 * (it is in a copied schema, not in the root file).  Returns 0, or
 * -1 after a message.
 */
static int
rewrite(struct bundle *b, json_t *node, const char *ref, int local,
    const char *file, const char *real)
{
	char		 path[PATH_MAX * 2], tgt[PATH_MAX], key[PATH_MAX + 1024];
	char		 name[256], last[1024];
	const char	*hash = strchr(ref, '#'), *frag = hash ? hash + 1 : "";
	const char	*colon = strchr(ref, ':'), *slash, *have;
	size_t		 ulen = hash ? (size_t)(hash - ref) : strlen(ref);
	json_t		*doc, *s, *copy;
	int		 bad, rc;

	if (ulen == 0 && !local)
		return 0;
	if (colon != NULL && (hash == NULL || colon < hash) &&
	    ((slash = strchr(ref, '/')) == NULL || colon < slash)) {
		fail(file, ref, "an absolute URI: only relative file paths "
		    "are bundled (nothing is fetched)");
		return -1;
	}
	if (ulen > 0 && ref[0] == '/') {
		fail(file, ref, "an absolute path: name the file relative "
		    "to %s", file);
		return -1;
	}
	if (ulen == 0)
		snprintf(tgt, sizeof(tgt), "%s", real);
	else {
		slash = strrchr(real, '/');
		if ((size_t)snprintf(path, sizeof(path), "%.*s/%.*s",
		    (int)(slash - real), real, (int)ulen, ref) >= sizeof(path)) {
			fail(file, ref, "path too long");
			return -1;
		}
		if (realpath(path, tgt) == NULL) {
			fail(file, ref, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (b->jail[0] != '\0' && (strncmp(tgt, b->jail,
		    strlen(b->jail)) != 0 || tgt[strlen(b->jail)] != '/')) {
			fail(file, ref, "%s is outside %s", tgt, b->jail);
			return -1;
		}
	}
	if (strcmp(tgt, b->rootreal) == 0) {
		/* Back to the root file: its pointers still hold. */
		json_object_set_new(node, "$ref", json_sprintf("#%s", frag));
		b->changed++;
		return 0;
	}
	snprintf(key, sizeof(key), "%s#%s", tgt, frag);
	if ((have = json_string_value(json_object_get(b->names, key))) !=
	    NULL) {
		json_object_set_new(node, "$ref", json_sprintf("%s%s",
		    b->prefix, have));
		b->changed++;
		return 0;
	}
	if (b->depth >= DEPTH_MAX) {
		fail(file, ref, "references nested more than %d files deep",
		    DEPTH_MAX);
		return -1;
	}
	if ((doc = document(b, tgt, file, ref)) == NULL)
		return -1;
	if ((s = pointer(doc, frag, &bad, last, sizeof(last))) == NULL ||
	    (!json_is_object(s) && !json_is_boolean(s))) {
		fail(file, ref, bad ? "the fragment is not a JSON pointer" :
		    s == NULL ? "#%s points nowhere in %s" :
		    "#%s in %s is not a schema", frag, tgt);
		return -1;
	}
	def_name(name, sizeof(name), s, tgt, last);
	copy = json_deep_copy(s);
	if (json_is_object(copy)) {
		json_object_del(copy, "$schema");
		json_object_del(copy, "$id");
	}
	/* The same definition reached from two files is one. */
	if (json_equal(json_object_get(b->defs, name), copy)) {
		json_object_set_new(b->names, key, json_string(name));
		json_object_set_new(node, "$ref", json_sprintf("%s%s",
		    b->prefix, name));
		json_decref(copy);
		b->changed++;
		return 0;
	}
	/* Named before its own references are followed: a cycle ends. */
	if ((have = json_string_value(json_object_get(b->owner, name))) !=
	    NULL || json_object_get(b->defs, name) != NULL) {
		fail(file, ref, "$defs/%s is already %s (give one of them "
		    "another \"title\")", name, have ? have : "in the root file");
		json_decref(copy);
		return -1;
	}
	json_object_set_new(b->names, key, json_string(name));
	json_object_set_new(b->owner, name, json_string(key));
	json_object_set(b->defs, name, copy);
	json_object_set_new(node, "$ref", json_sprintf("%s%s", b->prefix,
	    name));
	b->changed++;
	b->depth++;
	rc = walk(b, copy, 0, tgt, tgt);
	b->depth--;
	/* Its own $defs were reached through references, if at all. */
	if (rc == 0 && json_is_object(copy))
		json_object_del(copy, "$defs");
	json_decref(copy);
	return rc;
}

/*
 * Rewrites the file references in schema v (from file, real path
 * real), depth first.  map says v's keys are names, not keywords.
 * A copied schema (real is not the root) has its "#..." references
 * rewritten too.
 */
static int
walk(struct bundle *b, json_t *v, int map, const char *file,
    const char *real)
{
	const char	*k, *ref;
	json_t		*c;
	size_t		 i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if (walk(b, c, 0, file, real) == -1)
				return -1;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	if (!map && (ref = json_string_value(json_object_get(v, "$ref"))) !=
	    NULL) {
		char	*dup = strdup(ref);
		int	 rc;

		if (dup == NULL)
			return -1;
		rc = rewrite(b, v, dup, strcmp(real, b->rootreal) != 0,
		    file, real);
		free(dup);
		if (rc == -1)
			return -1;
	}
	json_object_foreach(v, k, c) {
		if (!map && (data_key(k) || strcmp(k, "$ref") == 0))
			continue;
		if (walk(b, c, !map && map_key(k), file, real) == -1)
			return -1;
	}
	return 0;
}

/*
 * Whether every real number under v prints back as itself with 15
 * significant digits (it does for any literal of up to 15): then the
 * output keeps "9999999999.99" rather than its 17-digit double.
 */
static int
short_reals(json_t *v)
{
	const char	*k;
	json_t		*c;
	char		 buf[64];
	size_t		 i;

	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		return strtod(buf, NULL) == json_real_value(v);
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if (!short_reals(c))
				return 0;
	} else if (json_is_object(v))
		json_object_foreach(v, k, c)
			if (!short_reals(c))
				return 0;
	return 1;
}

/* Copies file in to fp byte for byte.  Returns 0 or -1 (errno set). */
static int
copy_file(const char *in, FILE *fp)
{
	FILE	*f = fopen(in, "r");
	char	 buf[8192];
	size_t	 n;

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, fp) != n) {
			fclose(f);
			return -1;
		}
	return fclose(f) == EOF ? -1 : 0;
}

static const char *const usage =
    "usage: fastpg-bundle [-c] [-r ROOT] [-o OUT.json] SCHEMA.json\n"
    "Copies the schemas SCHEMA.json refers to in other files under its\n"
    "\"$defs\" (-c: an OpenAPI fragment's components/schemas) and\n"
    "refers to them there.  -r: refuse files outside ROOT.\n";

int
main(int argc, char *argv[])
{
	struct bundle	 b;
	const char	*out = NULL, *root = NULL;
	json_t		*doc, *defs, *old, *holder;
	json_error_t	 je;
	FILE		*fp;
	int		 ch, rc, comps = 0;
	char		*text = NULL;

	memset(&b, 0, sizeof(b));
	while ((ch = getopt(argc, argv, "cho:r:")) != -1)
		switch (ch) {
		case 'c':
			comps = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	b.rootfile = argv[optind];
	if (realpath(b.rootfile, b.rootreal) == NULL) {
		fail(b.rootfile, NULL, "%s", strerror(errno));
		return 1;
	}
	if (root != NULL && realpath(root, b.jail) == NULL) {
		fail(root, NULL, "%s", strerror(errno));
		return 1;
	}
	if ((doc = json_load_file(b.rootfile, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &je)) == NULL) {
		fail(b.rootfile, NULL, "%d: %s", je.line, je.text);
		return 1;
	}
	/*
	 * The copies go to a new object holding the root's own
	 * definitions too (so that a name is taken once), set in place
	 * at the end: the walk never adds to an object it is iterating.
	 */
	b.prefix = comps ? "#/components/schemas/" : "#/$defs/";
	holder = doc;
	if (comps && json_is_object(doc) &&
	    (holder = json_object_get(doc, "components")) == NULL) {
		holder = json_object();
		json_object_set_new(doc, "components", holder);
	}
	b.docs = json_object();
	b.names = json_object();
	b.owner = json_object();
	b.defs = defs = json_object();
	if (json_is_object(holder) && (old = json_object_get(holder, comps ?
	    "schemas" : "$defs")) != NULL && json_is_object(old))
		json_object_update(defs, old);
	rc = walk(&b, doc, 0, b.rootfile, b.rootreal);
	if (rc == 0 && json_object_size(b.owner) > 0)
		json_object_set(holder, comps ? "schemas" : "$defs", defs);
	json_decref(defs);
	json_decref(b.docs);
	json_decref(b.names);
	json_decref(b.owner);
	if (rc == 0 && b.changed > 0 && (text = json_dumps(doc,
	    JSON_INDENT(2) | JSON_ENCODE_ANY | (short_reals(doc) ?
	    JSON_REAL_PRECISION(15) : 0))) == NULL)
		rc = -1;
	json_decref(doc);
	if (rc == -1)
		return 1;
	/* Nothing to bundle: the file as it is, byte for byte. */
	fp = out ? fopen(out, "w") : stdout;
	if (fp == NULL || (text ? fprintf(fp, "%s\n", text) < 0 :
	    copy_file(b.rootfile, fp) == -1) || (out && fclose(fp) == EOF)) {
		fail(out ? out : b.rootfile, NULL, "%s", strerror(errno));
		free(text);
		if (out)
			unlink(out);
		return 1;
	}
	free(text);
	return 0;
}
