/*
 * openapi.c -- a resource's OpenAPI 3.1 document, built once at start
 * from the same route table and schemas that validate its requests:
 * one source of truth.  The resource may add an OpenAPI fragment of its
 * own (summaries, response headers, other statuses), merged over what
 * is generated here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define EXAMPLE_DEPTH	8

/* FastAPI's error schemas, so that generated clients parse our 422s. */
static const char components[] =
    "{\"schemas\":{"
    "\"ValidationError\":{\"title\":\"ValidationError\",\"type\":\"object\","
    "\"required\":[\"loc\",\"msg\",\"type\"],\"properties\":{"
    "\"loc\":{\"title\":\"Location\",\"type\":\"array\",\"items\":{\"anyOf\":"
    "[{\"type\":\"string\"},{\"type\":\"integer\"}]}},"
    "\"msg\":{\"title\":\"Message\",\"type\":\"string\"},"
    "\"type\":{\"title\":\"Error Type\",\"type\":\"string\"},"
    "\"input\":{\"title\":\"Input\"},"
    "\"ctx\":{\"title\":\"Context\",\"type\":\"object\"}}},"
    "\"HTTPValidationError\":{\"title\":\"HTTPValidationError\","
    "\"type\":\"object\",\"properties\":{\"detail\":{\"title\":\"Detail\","
    "\"type\":\"array\",\"items\":{\"$ref\":"
    "\"#/components/schemas/ValidationError\"}}}},"
    "\"ErrorDetail\":{\"title\":\"ErrorDetail\",\"type\":\"object\","
    "\"required\":[\"detail\"],\"properties\":{\"detail\":{\"type\":"
    "\"string\"}}}}}";

/*
 * Deep merge: objects merge key by key, null removes the key (say, a
 * generated "201" of a POST that answers 200), "parameters" arrays
 * join (header parameters), anything else in src replaces what dst
 * has.  dst is modified; src is borrowed.
 */
static void
merge(json_t *dst, json_t *src)
{
	const char	*k;
	json_t		*v, *d;

	json_object_foreach(src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_null(v))
			json_object_del(dst, k);
		else if (json_is_array(d) && json_is_array(v) &&
		    strcmp(k, "parameters") == 0)
			json_array_extend(d, v);	/* headers join */
		else if (json_is_object(d) && json_is_object(v))
			merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

/* A value that validates against s, for the examples users try. */
static json_t *
example(const json_t *s, int depth)
{
	const json_t	*t, *v;
	const char	*type = NULL, *fmt, *k;
	json_t		*o;
	size_t		 i, n;

	if (!json_is_object(s) || depth > EXAMPLE_DEPTH)
		return json_null();
	if ((v = json_array_get(json_object_get(s, "examples"), 0)) != NULL ||
	    (v = json_object_get(s, "example")) != NULL ||
	    (v = json_object_get(s, "default")) != NULL ||
	    (v = json_object_get(s, "const")) != NULL ||
	    (v = json_array_get(json_object_get(s, "enum"), 0)) != NULL)
		return json_deep_copy(v);
	t = json_object_get(s, "type");
	type = json_is_string(t) ? json_string_value(t) :
	    json_string_value(json_array_get(t, 0));
	if (type == NULL && json_object_get(s, "properties"))
		type = "object";
	if (type == NULL)
		return json_object();
	if (strcmp(type, "object") == 0) {
		o = json_object();
		json_object_foreach((json_t *)(uintptr_t)json_object_get(s,
		    "properties"), k, v)
			json_object_set_new(o, k, example(v, depth + 1));
		return o;
	}
	if (strcmp(type, "array") == 0) {
		o = json_array();
		n = (size_t)json_integer_value(json_object_get(s, "minItems"));
		for (i = 0; i < (n ? n : 1) && i < 4; i++)
			json_array_append_new(o, example(json_object_get(s,
			    "items"), depth + 1));
		return o;
	}
	if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
		v = json_object_get(s, "minimum");
		if (json_is_number(v) && json_number_value(v) > 0)
			return json_deep_copy(v);
		v = json_object_get(s, "exclusiveMinimum");
		if (json_is_integer(v))
			return json_integer(json_integer_value(v) + 1);
		return strcmp(type, "integer") == 0 ? json_integer(1) :
		    json_real(1.5);
	}
	if (strcmp(type, "boolean") == 0)
		return json_true();
	if (strcmp(type, "null") == 0)
		return json_null();
	fmt = json_string_value(json_object_get(s, "format"));
	if (fmt == NULL)
		return json_string("string");
	if (strcmp(fmt, "email") == 0)
		return json_string("user@example.com");
	if (strcmp(fmt, "uuid") == 0)
		return json_string("3fa85f64-5717-4562-b3fc-2c963f66afa6");
	if (strcmp(fmt, "date-time") == 0)
		return json_string("2026-01-01T12:00:00Z");
	if (strcmp(fmt, "date") == 0)
		return json_string("2026-01-01");
	if (strcmp(fmt, "uri") == 0)
		return json_string("https://example.com/");
	if (strcmp(fmt, "ipv4") == 0)
		return json_string("192.0.2.1");
	return json_string("string");
}

/* A schema as OpenAPI shows it: without "$schema"; $defs move to the
 * components, and their $refs with them. */
static json_t *
public_schema(const json_t *s, json_t *comps)
{
	json_t		*c = json_deep_copy(s), *defs, *v;
	const char	*k;
	char		*text, *p;

	if (!json_is_object(c))
		return c;
	json_object_del(c, "$schema");
	json_object_del(c, "$id");
	defs = json_object_get(c, "$defs");
	if (!json_is_object(defs))
		return c;
	json_object_foreach(defs, k, v)
		json_object_set(json_object_get(comps, "schemas"), k, v);
	json_object_del(c, "$defs");
	/* Rewrite "#/$defs/" references in the text, once. */
	if ((text = json_dumps(c, JSON_COMPACT)) == NULL)
		return c;
	json_decref(c);
	{
		struct fpg_buf b = { 0 };

		for (p = text; *p; p++)
			if (strncmp(p, "\"#/$defs/", 9) == 0) {
				fpg_buf_puts(&b, "\"#/components/schemas/");
				p += 8;
			} else
				fpg_buf_put(&b, p, 1);
		c = b.oom ? NULL : json_loads(b.p, 0, NULL);
		fpg_buf_free(&b);
	}
	free(text);
	return c;
}

static json_t *
error_response(const char *desc, const char *schema)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", desc,
	    "content", "application/json", "schema", "$ref", schema);
}

/*
 * A route that needs a caller (.auth): the OAuth2 password flow or a
 * plain bearer token will do, and 401 (with WWW-Authenticate) and 403
 * can be its answers.  Roles are written in the description: OpenAPI's
 * scopes of a requirement are all needed, the route's words any one.
 */
static void
security(json_t *op, json_t *resp, const char *auth)
{
	json_t	*r;

	json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]",
	    "OAuth2PasswordBearer", "HTTPBearer"));
	if (*auth != '\0')
		json_object_set_new(op, "description", json_sprintf("Needs a "
		    "bearer token whose role (or scope) is one of: %s.", auth));
	else
		json_object_set_new(op, "description", json_string("Needs a "
		    "bearer token."));
	r = error_response("Not authenticated, or the token is not valid",
	    "#/components/schemas/ErrorDetail");
	json_object_set_new(r, "headers", json_pack("{s:{s:s, s:{s:s}}}",
	    "WWW-Authenticate", "description", "Bearer, with error=\""
	    "invalid_token\" and a description for a bad token", "schema",
	    "type", "string"));
	json_object_set_new(resp, "401", r);
	json_object_set_new(resp, "403", error_response("Not enough "
	    "permissions", "#/components/schemas/ErrorDetail"));
}

/* One operation named id: parameters, body, responses. */
static json_t *
operation(const struct fpg_croute *cr, const char *id, json_t *comps)
{
	const struct fpg_route	*rt = cr->def;
	json_t			*op, *params, *resp, *ps, *s, *req;
	const json_t		*props;
	const char		*k;
	char			 name[64];
	size_t			 i;
	int			 haspath = 0;

	op = json_pack("{s:s, s:s}", "operationId", id, "summary", "");
	json_object_set_new(op, "summary", json_sprintf("%s %s", rt->method,
	    rt->path));
	params = json_array();
	for (i = 0; i < cr->nsegs; i++) {
		size_t l = strlen(cr->segs[i]);

		if (cr->segs[i][0] != '{' || l < 3 || l - 2 >= sizeof(name))
			continue;
		memcpy(name, cr->segs[i] + 1, l - 2);
		name[l - 2] = '\0';
		haspath = 1;
		ps = json_object_get(json_object_get(cr->path_json,
		    "properties"), name);
		s = ps ? public_schema(ps, comps) : json_pack("{s:s}", "type",
		    "string");
		json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o, "
		    "s:o}", "name", name, "in", "path", "required", 1,
		    "schema", s, "example", example(s, 0)));
	}
	props = json_object_get(cr->query_json, "properties");
	json_object_foreach((json_t *)(uintptr_t)props, k, ps) {
		const json_t	*req_list = json_object_get(cr->query_json,
		    "required");
		json_t		*r;
		int		 required = 0;

		json_array_foreach(req_list, i, r)
			if (json_is_string(r) &&
			    strcmp(json_string_value(r), k) == 0)
				required = 1;
		s = public_schema(ps, comps);
		json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}",
		    "name", k, "in", "query", "required", required, "schema",
		    s));
	}
	if (json_array_size(params) > 0)
		json_object_set(op, "parameters", params);
	json_decref(params);
	if (rt->body_schema != NULL) {
		json_t *body = json_loads(rt->body_schema, 0, NULL);

		s = public_schema(body, comps);
		json_decref(body);
		req = json_pack("{s:b, s:{s:{s:o, s:o}}}", "required", 1,
		    "content", rt->form ? "application/x-www-form-urlencoded" :
		    "application/json", "schema", s, "example", example(s, 0));
		json_object_set_new(op, "requestBody", req);
	}
	resp = json_object();
	if (strcmp(rt->method, "POST") == 0)
		k = "201";
	else if (strcmp(rt->method, "DELETE") == 0)
		k = "204";
	else
		k = "200";
	json_object_set_new(resp, k, strcmp(k, "204") == 0 ?
	    json_pack("{s:s}", "description", "No Content") :
	    json_pack("{s:s, s:{s:{s:{}}}}", "description",
	    "Successful Response", "content", "application/json", "schema"));
	/* Every request can be malformed in ways no schema describes (a
	 * NUL or ".." in the path, a broken query string). */
	json_object_set_new(resp, "400", error_response("Bad Request",
	    "#/components/schemas/ErrorDetail"));
	if (haspath)
		json_object_set_new(resp, "404", error_response("Not Found",
		    "#/components/schemas/ErrorDetail"));
	if (rt->body_schema != NULL) {
		json_object_set_new(resp, "411", error_response("Length "
		    "Required", "#/components/schemas/ErrorDetail"));
		json_object_set_new(resp, "413", error_response("Request body "
		    "too large", "#/components/schemas/ErrorDetail"));
		json_object_set_new(resp, "415", error_response(rt->form ?
		    "Not a form body" : "Not a JSON body",
		    "#/components/schemas/ErrorDetail"));
	}
	if (rt->auth != NULL)
		security(op, resp, rt->auth);
	if (rt->body_schema || cr->path_json || cr->query_json)
		json_object_set_new(resp, "422", error_response("Validation "
		    "Error", "#/components/schemas/HTTPValidationError"));
	s = error_response("Database unavailable, try again",
	    "#/components/schemas/ErrorDetail");
	json_object_set_new(s, "headers", json_pack("{s:{s:s, s:{s:s}}}",
	    "Retry-After", "description", "seconds", "schema", "type",
	    "integer"));
	json_object_set_new(resp, "503", s);
	json_object_set_new(op, "responses", resp);
	return op;
}

/*
 * The operation's name into id (size sz): the route's own, or one
 * derived from method and path.  -1 with err when neither gives an
 * identifier.
 */
static int
operation_id(const struct fpg_route *rt, char *id, size_t sz, char *err,
    size_t errsz)
{
	if (rt->name != NULL) {
		if (!fpg_openapi_name_ok(rt->name) ||
		    (size_t)snprintf(id, sz, "%s", rt->name) >= sz) {
			snprintf(err, errsz, "%s %s: name \"%.64s\" is not an "
			    "identifier (a letter, then letters, digits, _)",
			    rt->method, rt->path, rt->name);
			return -1;
		}
		return 0;
	}
	if (fpg_openapi_opid(rt->method, rt->path, id, sz) == -1 ||
	    !fpg_openapi_name_ok(id)) {
		snprintf(err, errsz, "%s %s: no operation name can be derived;"
		    " give the route a .name", rt->method, rt->path);
		return -1;
	}
	return 0;
}

/*
 * After the fragment is merged: every operation shaped for generated
 * clients (fpg_openapi_shape_op), then every open object made to say
 * so.  -1 with err on a schema name used twice.
 */
static int
shape(json_t *doc, char *err, size_t errsz)
{
	json_t		*schemas, *item, *op;
	const char	*p, *m;

	schemas = json_object_get(json_object_get(doc, "components"),
	    "schemas");
	json_object_foreach(json_object_get(doc, "paths"), p, item)
		json_object_foreach(item, m, op)
			if (json_is_object(op) && json_object_get(op,
			    "responses") != NULL &&
			    fpg_openapi_shape_op(op, schemas, err, errsz) == -1)
				return -1;
	fpg_openapi_open_objects(doc, 0);
	return 0;
}

/*
 * Builds the resource's OpenAPI 3.1 document as compact JSON text
 * (caller frees), or NULL with a message in err when the resource's own
 * fragment (res->openapi) is not a JSON object, two routes have one
 * operation name, a route's name is no identifier, or two different
 * body schemas claim one name in components/schemas.  root_path (the
 * mount prefix, or NULL) becomes the document's server URL.
 */
char *
fpg_openapi_build(const struct fpg_resource *res,
    const struct fpg_router *ro, const char *root_path, char *err,
    size_t errsz)
{
	json_t		*doc, *paths, *comps, *item, *extra, *ids, *op;
	json_error_t	 je;
	char		 lower[16], id[128], *text = NULL;
	size_t		 i, j;

	comps = json_loads(components, 0, NULL);
	paths = json_object();
	ids = json_object();
	doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "openapi", "3.1.0",
	    "info", "title", res->name, "version", "1.0.0", "paths", paths,
	    "components", comps);
	for (i = 0; i < ro->nroutes; i++) {
		const struct fpg_croute *cr = &ro->routes[i];

		if (operation_id(cr->def, id, sizeof(id), err, errsz) == -1)
			goto out;
		if ((item = json_object_get(ids, id)) != NULL) {
			snprintf(err, errsz, "%s %s: operation name %s is "
			    "also %s's; give one route another .name",
			    cr->def->method, cr->def->path, id,
			    json_string_value(item));
			goto out;
		}
		json_object_set_new(ids, id, json_sprintf("%s %s",
		    cr->def->method, cr->def->path));
		if ((item = json_object_get(paths, cr->def->path)) == NULL) {
			item = json_object();
			json_object_set_new(paths, cr->def->path, item);
		}
		for (j = 0; cr->def->method[j] && j < sizeof(lower) - 1; j++)
			lower[j] = (char)tolower((unsigned char)
			    cr->def->method[j]);
		lower[j] = '\0';
		op = operation(cr, id, comps);
		json_object_set_new(item, lower, op);
	}
	if (root_path && root_path[0])
		json_object_set_new(doc, "servers", json_pack("[{s:s}]", "url",
		    root_path));
	/* How a caller gets a token: FastAPI's OAuth2PasswordBearer (the
	 * users resource's POST /token, a form), or any bearer JWT. */
	json_object_set_new(comps, "securitySchemes", json_pack("{s:{s:s, "
	    "s:{s:{s:o, s:{}}}}, s:{s:s, s:s, s:s}}", "OAuth2PasswordBearer",
	    "type", "oauth2", "flows", "password", "tokenUrl",
	    json_sprintf("%s/token", root_path ? root_path : ""), "scopes",
	    "HTTPBearer", "type", "http", "scheme", "bearer", "bearerFormat",
	    "JWT"));
	if (res->openapi != NULL) {
		if ((extra = json_loads(res->openapi, JSON_REJECT_DUPLICATES,
		    &je)) == NULL || !json_is_object(extra)) {
			snprintf(err, errsz, "OpenAPI fragment: %s", extra ?
			    "not an object" : je.text);
			json_decref(extra);
			goto out;
		}
		merge(doc, extra);
		json_decref(extra);
	}
	if (shape(doc, err, errsz) == -1)
		goto out;
	text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (text == NULL)
		snprintf(err, errsz, "out of memory");
out:
	json_decref(ids);
	json_decref(doc);
	return text;
}
