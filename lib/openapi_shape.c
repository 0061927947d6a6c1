/*
 * openapi_shape.c -- what a generated client needs from a resource's
 * OpenAPI document beyond being valid: operation names it can use as
 * method names, body schemas under names it can use as type names,
 * open objects that say they are open, and a response schema for every
 * error it may read.  openapi-typescript, orval and
 * openapi-python-client all read the document this way; FastAPI writes
 * it this way (its models in components/schemas, dict[str, Any] as
 * "additionalProperties": true), and this file follows FastAPI.
 *
 * Everything here works on jansson values the caller owns; nothing is
 * kept between calls.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

/*
 * Appends src to dst (size dsz, holding *o bytes) in PascalCase: words
 * split at anything but a letter or digit, each word's first letter
 * upper-cased, the rest kept ("order-lines" OrderLines, "ItemCreate"
 * as it is).  Returns -1 when dst is too small.
 */
static int
pascal(char *dst, size_t dsz, size_t *o, const char *src, size_t len)
{
	size_t	 i;
	int	 up = 1;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)src[i])) {
			up = 1;
			continue;
		}
		if (*o + 1 >= dsz)
			return -1;
		dst[(*o)++] = up ? (char)toupper((unsigned char)src[i]) :
		    src[i];
		up = 0;
	}
	dst[*o] = '\0';
	return 0;
}

/*
 * The singular of the English plural that ends dst at [from, *o), in
 * place, simply: -ies -y, -sses -xes -ches -shes -zes lose "es", other
 * -s lose "s" unless -ss, -us or -is ("status", "analysis" stay).
 * Names it gets wrong are what fpg_route.name is for.
 */
static void
singular(char *dst, size_t from, size_t *o)
{
	size_t	 n = *o - from;
	char	*w = dst + from;

	if (n > 3 && strcasecmp(w + n - 3, "ies") == 0) {
		w[n - 3] = 'y';
		*o -= 2;
	} else if ((n > 4 && (strcasecmp(w + n - 4, "sses") == 0 ||
	    strcasecmp(w + n - 4, "ches") == 0 ||
	    strcasecmp(w + n - 4, "shes") == 0)) ||
	    (n > 3 && (strcasecmp(w + n - 3, "xes") == 0 ||
	    strcasecmp(w + n - 3, "zes") == 0)))
		*o -= 2;
	else if (n > 1 && tolower((unsigned char)w[n - 1]) == 's' &&
	    strchr("suiSUI", w[n - 2]) == NULL)
		*o -= 1;
	dst[*o] = '\0';
}

/* The verb of a method on one thing, or on a collection. */
static const char *
verb(const char *method, int one)
{
	if (strcmp(method, "GET") == 0)
		return one ? "read" : "list";
	if (strcmp(method, "POST") == 0)
		return "create";
	if (strcmp(method, "PUT") == 0)
		return "replace";
	if (strcmp(method, "PATCH") == 0)
		return "update";
	if (strcmp(method, "DELETE") == 0)
		return "delete";
	return NULL;
}

/*
 * Derives an operation's name from its method and path template into
 * buf (size sz): GET /items listItems, POST /items createItem, GET
 * /items/{id} readItem (PUT replaceItem, PATCH updateItem, DELETE
 * deleteItem), POST /orders/{id}/cancel cancelOrder (a POST to a word
 * after a parameter is an action named by that word), GET
 * /orders/{id}/lines listOrderLines.  Each literal segment is one
 * PascalCase word, singular except a collection's own last one.
 * Returns 0, or -1 when buf is too small.
 */
int
fpg_openapi_opid(const char *method, const char *path, char *buf,
    size_t sz)
{
	const char	*seg[FPG_SEGMENTS_MAX], *p, *v;
	size_t		 len[FPG_SEGMENTS_MAX], n = 0, i, o = 0, last, from;
	int		 one, action;

	for (p = path; *p != '\0' && n < FPG_SEGMENTS_MAX; ) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		seg[n] = p;
		while (*p != '\0' && *p != '/')
			p++;
		len[n] = (size_t)(p - seg[n]);
		n++;
	}
#define PARAM(i)	(seg[i][0] == '{')
	one = n == 0 || PARAM(n - 1);
	action = n >= 2 && !PARAM(n - 1) && PARAM(n - 2) &&
	    strcmp(method, "POST") == 0;
	if (sz == 0)
		return -1;
	buf[0] = '\0';
	if (action) {
		/* The action's word, camelCase: its first letter lower. */
		if (pascal(buf, sz, &o, seg[n - 1], len[n - 1]) == -1)
			return -1;
		buf[0] = (char)tolower((unsigned char)buf[0]);
		n--;
	} else {
		if ((v = verb(method, one)) == NULL) {
			/* Another method: its name, lower case. */
			for (i = 0; method[i] && o + 1 < sz; i++)
				buf[o++] = (char)tolower((unsigned char)
				    method[i]);
			buf[o] = '\0';
			if (method[i])
				return -1;
		} else if ((o = (size_t)snprintf(buf, sz, "%s", v)) >= sz)
			return -1;
	}
	/* The last literal stays plural for a list or a bulk change. */
	last = (!one && !action && strcmp(method, "POST") != 0) ? n - 1 :
	    (size_t)-1;
	for (i = 0; i < n; i++) {
		if (PARAM(i))
			continue;
		from = o;
		if (pascal(buf, sz, &o, seg[i], len[i]) == -1)
			return -1;
		if (i != last)
			singular(buf, from, &o);
	}
#undef PARAM
	if (o == 0 || !isalpha((unsigned char)buf[0]))
		return -1;
	return 0;
}

/* Whether name can be a method name in every client language. */
int
fpg_openapi_name_ok(const char *name)
{
	size_t	 i;

	if (name == NULL || !isalpha((unsigned char)name[0]))
		return 0;
	for (i = 1; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return i < 128;
}

/* Whether schema s is an object schema (type "object" or a list with it,
 * or no type and properties). */
static int
object_schema(const json_t *s)
{
	const json_t	*t = json_object_get(s, "type"), *v;
	size_t		 i;

	if (json_is_string(t))
		return strcmp(json_string_value(t), "object") == 0;
	if (json_is_array(t)) {
		json_array_foreach(t, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), "object") == 0)
				return 1;
		return 0;
	}
	return t == NULL && (json_object_get(s, "properties") != NULL ||
	    json_object_get(s, "patternProperties") != NULL);
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
	    strcmp(k, "$defs") == 0 || strcmp(k, "dependentSchemas") == 0 ||
	    strcmp(k, "schemas") == 0;
}

/*
 * Says "additionalProperties": true in every object schema under v
 * that does not say it.  JSON Schema leaves such an object open, and
 * true changes nothing for a validator; but openapi-typescript reads
 * an object without it as closed ({"type": "object"} comes out as
 * Record<string, never>), so a free-form field could not be sent.
 * Skipped: schemas with unevaluatedProperties (true there would open
 * them) or a $ref (the referenced schema decides).  map says v's keys
 * are names, not keywords.
 */
void
fpg_openapi_open_objects(json_t *v, int map)
{
	const char	*k;
	json_t		*c;
	size_t		 i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			fpg_openapi_open_objects(c, 0);
		return;
	}
	if (!json_is_object(v))
		return;
	if (!map && object_schema(v) &&
	    json_object_get(v, "additionalProperties") == NULL &&
	    json_object_get(v, "unevaluatedProperties") == NULL &&
	    json_object_get(v, "$ref") == NULL)
		json_object_set_new(v, "additionalProperties", json_true());
	json_object_foreach(v, k, c) {
		if (!map && data_key(k))
			continue;
		fpg_openapi_open_objects(c, !map && map_key(k));
	}
}

/*
 * Moves the schema at holder["schema"] to components/schemas (the
 * object schemas) under a name -- its "title" in PascalCase, else
 * fallback -- and leaves {"$ref": ...} in its place, as FastAPI does
 * with its models.  Left inline: a $ref already, an empty schema, an
 * untitled array (a list of $refs reads well inline).  The same name
 * twice is fine for the same schema (two routes, one body); for two
 * different ones it is an error: -1 with a message in err.
 */
int
fpg_openapi_name_schema(json_t *schemas, json_t *holder,
    const char *fallback, char *err, size_t errsz)
{
	json_t		*s = json_object_get(holder, "schema"), *t, *old;
	const char	*title;
	char		 name[128];
	size_t		 o = 0;

	if (!json_is_object(s) || json_object_size(s) == 0 ||
	    json_object_get(s, "$ref") != NULL)
		return 0;
	t = json_object_get(s, "type");
	title = json_string_value(json_object_get(s, "title"));
	if (title == NULL && json_is_string(t) &&
	    strcmp(json_string_value(t), "array") == 0)
		return 0;
	name[0] = '\0';
	if (title == NULL || pascal(name, sizeof(name), &o, title,
	    strlen(title)) == -1 || o == 0)
		snprintf(name, sizeof(name), "%s", fallback);
	if ((old = json_object_get(schemas, name)) != NULL &&
	    !json_equal(old, s)) {
		snprintf(err, errsz, "components/schemas/%s: two different "
		    "schemas have that name (give one another \"title\")",
		    name);
		return -1;
	}
	json_object_set(schemas, name, s);
	json_object_set_new(holder, "schema", json_pack("{s:s+}", "$ref",
	    "#/components/schemas/", name));
	return 0;
}

/*
 * A request body's optional properties with a "default": the default
 * moves into the description ("Default: 0."), in place.  The server
 * fills it in (the route's own schema keeps it); but openapi-typescript
 * types a property with a default as always present, and does so for
 * a schema in components/schemas even when it is a request body: a
 * client could not leave "stock" out.  Required properties and data
 * (examples, defaults themselves) are left alone.
 */
static void
input_defaults(json_t *s)
{
	const char	*k, *desc;
	json_t		*p, *d, *c;
	char		*text;
	size_t		 i;

	if (json_is_array(s)) {
		json_array_foreach(s, i, c)
			input_defaults(c);
		return;
	}
	if (!json_is_object(s))
		return;
	json_object_foreach(json_object_get(s, "properties"), k, p) {
		int required = 0;

		json_array_foreach(json_object_get(s, "required"), i, c)
			if (json_is_string(c) &&
			    strcmp(json_string_value(c), k) == 0)
				required = 1;
		if (required || !json_is_object(p) ||
		    (d = json_object_get(p, "default")) == NULL)
			continue;
		if ((text = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL)
			continue;
		desc = json_string_value(json_object_get(p, "description"));
		json_object_set_new(p, "description", desc ?
		    json_sprintf("%s (default: %s)", desc, text) :
		    json_sprintf("Default: %s.", text));
		free(text);
		json_object_del(p, "default");
	}
	json_object_foreach(s, k, c)
		if (!data_key(k))
			input_defaults(c);
}

/* An operation's header parameter named name (any case), or NULL. */
static const json_t *
header_param(const json_t *op, const char *name)
{
	const json_t	*p;
	size_t		 i;

	json_array_foreach(json_object_get(op, "parameters"), i, p)
		if (json_is_string(json_object_get(p, "in")) &&
		    strcmp(json_string_value(json_object_get(p, "in")),
		    "header") == 0 && json_is_string(json_object_get(p,
		    "name")) && strcasecmp(json_string_value(
		    json_object_get(p, "name")), name) == 0)
			return p;
	return NULL;
}

static json_t *
detail_response(const char *desc)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", desc,
	    "content", "application/json", "schema", "$ref",
	    "#/components/schemas/ErrorDetail");
}

/*
 * The responses of an operation as the resource's fragment left them,
 * made to say what is sent: an operation that takes If-Match answers
 * 412 when it names an old version (or is malformed), and 428 when the
 * fragment made it required and it is missing; an error the fragment
 * declared without content has the {"detail": "..."} body every
 * library error has (fpg_send_error).  A request body's defaults go to
 * its description (input_defaults).  Then each JSON body schema, in
 * and out, is named (fpg_openapi_name_schema): request bodies
 * <OpId>Body, responses <OpId>Response or <OpId><status>Response
 * unless titled.  Returns -1 with err on a name conflict.
 */
int
fpg_openapi_shape_op(json_t *op, json_t *schemas, char *err, size_t errsz)
{
	const json_t	*im = header_param(op, "If-Match");
	json_t		*resp = json_object_get(op, "responses"), *r, *mt;
	const char	*k, *id = json_string_value(json_object_get(op,
			    "operationId"));
	char		 fb[160];
	size_t		 o = 0;
	int		 st;

	if (!json_is_object(resp))
		return 0;
	if (im != NULL && json_object_get(resp, "412") == NULL)
		json_object_set_new(resp, "412", detail_response("Precondition "
		    "Failed: If-Match names no current version"));
	if (im != NULL && json_is_true(json_object_get(im, "required")) &&
	    json_object_get(resp, "428") == NULL)
		json_object_set_new(resp, "428", detail_response("Precondition "
		    "Required: send If-Match with the ETag you read"));
	json_object_foreach(resp, k, r) {
		st = atoi(k);
		if (st >= 400 && json_is_object(r) &&
		    json_object_get(r, "content") == NULL &&
		    json_object_get(r, "$ref") == NULL)
			json_object_set_new(r, "content", json_pack("{s:{s:{s:s}}}",
			    "application/json", "schema", "$ref",
			    "#/components/schemas/ErrorDetail"));
	}
	if (id == NULL || pascal(fb, sizeof(fb) - 16, &o, id,
	    strlen(id)) == -1)
		return 0;
	mt = json_object_get(json_object_get(op, "requestBody"), "content");
	mt = json_object_get(mt, "application/json") ?
	    json_object_get(mt, "application/json") :
	    json_object_get(mt, "application/x-www-form-urlencoded");
	snprintf(fb + o, sizeof(fb) - o, "Body");
	if (mt != NULL)
		input_defaults(json_object_get(mt, "schema"));
	if (mt != NULL && fpg_openapi_name_schema(schemas, mt, fb, err,
	    errsz) == -1)
		return -1;
	json_object_foreach(resp, k, r) {
		st = atoi(k);
		mt = json_object_get(json_object_get(r, "content"),
		    "application/json");
		if (st >= 200 && st < 300)
			snprintf(fb + o, sizeof(fb) - o, "Response");
		else
			snprintf(fb + o, sizeof(fb) - o, "%sResponse", k);
		if (mt != NULL && fpg_openapi_name_schema(schemas, mt, fb,
		    err, errsz) == -1)
			return -1;
	}
	return 0;
}
