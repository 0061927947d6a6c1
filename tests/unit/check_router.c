/*
 * check_router.c -- unit tests for lib/router.c (splitting and decoding
 * the path, compiling the route table, matching method and path, 404
 * and 405 with Allow) and lib/args.c (path and query strings converted
 * by the route's schema).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "extern.h"

/* Handlers are never called; distinct ones tell the routes apart. */
static void h_list(struct fpg_req *r) { (void)r; }
static void h_create(struct fpg_req *r) { (void)r; }
static void h_get(struct fpg_req *r) { (void)r; }
static void h_patch(struct fpg_req *r) { (void)r; }
static void h_delete(struct fpg_req *r) { (void)r; }
static void h_tags(struct fpg_req *r) { (void)r; }
static void h_root(struct fpg_req *r) { (void)r; }
static void h_special(struct fpg_req *r) { (void)r; }

#define ID_SCHEMA \
	"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}}}"

static const struct fpg_route routes[] = {
	{ "GET", "/items", h_list, NULL,
	  "{\"type\":\"object\",\"properties\":"
	  "{\"limit\":{\"type\":\"integer\"}}}", NULL },
	{ "POST", "/items", h_create, NULL, NULL,
	  "{\"type\":\"object\",\"required\":[\"name\"]}" },
	{ "GET", "/items/{id}", h_get, ID_SCHEMA, NULL, NULL },
	{ "PATCH", "/items/{id}", h_patch, ID_SCHEMA, NULL,
	  "{\"type\":\"object\"}" },
	{ "DELETE", "/items/{id}", h_delete, ID_SCHEMA, NULL, NULL },
	{ "GET", "/items/special", h_special, NULL, NULL, NULL },
	{ "GET", "/items/{id}/tags", h_tags, ID_SCHEMA, NULL, NULL },
	{ "GET", "/", h_root, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static struct fpg_router	 ro;

static void
setup(void)
{
	char	 err[256];

	ck_assert_msg(fpg_router_init(&ro, routes, err, sizeof(err)) == 0,
	    "router: %s", err);
}

static void
teardown(void)
{
	fpg_router_free(&ro);
}

/*
 * Matches method and a "/"-separated path (no decoding: segments as
 * fpg_split_path would give them); returns the status, *out and allow.
 */
static int
match(const char *method, const char *path, const struct fpg_croute **out,
    char *allow, size_t allowsz)
{
	char	 buf[512], *segs[FPG_SEGMENTS_MAX], *p;
	size_t	 n = 0;

	ck_assert_int_eq(path[0], '/');
	snprintf(buf, sizeof(buf), "%s", path + 1);
	*out = NULL;
	if (path[1] != '\0')
		for (p = buf; p != NULL && n < FPG_SEGMENTS_MAX; n++) {
			segs[n] = p;
			if ((p = strchr(p, '/')) != NULL)
				*p++ = '\0';
		}
	return fpg_router_match(&ro, method, segs, n, out, allow, allowsz);
}

/* Asserts that method and path reach handler h. */
static void
routes_to(const char *method, const char *path, fpg_handler h)
{
	const struct fpg_croute	*cr;
	char			 allow[128];

	ck_assert_msg(match(method, path, &cr, allow, sizeof(allow)) == 200,
	    "%s %s not routed", method, path);
	ck_assert_ptr_nonnull(cr);
	ck_assert_msg(cr->def->handler == h, "%s %s: wrong route %s %s",
	    method, path, cr->def->method, cr->def->path);
}

START_TEST(t_init)
{
	/* Templates are split into segments; schemas compiled. */
	ck_assert_uint_eq(ro.nroutes, 8);
	ck_assert_ptr_eq(ro.routes[0].def, &routes[0]);
	ck_assert_uint_eq(ro.routes[0].nsegs, 1);
	ck_assert_str_eq(ro.routes[0].segs[0], "items");
	ck_assert_ptr_nonnull(ro.routes[0].query_schema);
	ck_assert_ptr_nonnull(ro.routes[0].query_json);
	ck_assert_ptr_null(ro.routes[0].path_schema);
	ck_assert_ptr_null(ro.routes[0].body_schema);
	ck_assert_ptr_nonnull(ro.routes[1].body_schema);
	ck_assert_uint_eq(ro.routes[6].nsegs, 3);
	ck_assert_str_eq(ro.routes[6].segs[0], "items");
	ck_assert_str_eq(ro.routes[6].segs[1], "{id}");
	ck_assert_str_eq(ro.routes[6].segs[2], "tags");
	ck_assert_ptr_nonnull(ro.routes[6].path_json);
	ck_assert_uint_eq(ro.routes[7].nsegs, 0);
}
END_TEST

START_TEST(t_match)
{
	routes_to("GET", "/items", h_list);
	routes_to("POST", "/items", h_create);
	routes_to("GET", "/items/42", h_get);
	routes_to("PATCH", "/items/42", h_patch);
	routes_to("DELETE", "/items/abc", h_delete);
	routes_to("GET", "/items/42/tags", h_tags);
	routes_to("GET", "/", h_root);
	/* HEAD is served by the GET route. */
	routes_to("HEAD", "/items", h_list);
	routes_to("HEAD", "/items/1/tags", h_tags);
	/* The first template in table order wins. */
	routes_to("GET", "/items/special", h_get);
}
END_TEST

START_TEST(t_not_found)
{
	static const char *const paths[] = {
		"/nope", "/items/1/2", "/items/1/tags/x", "/items/1/tag",
		"/Items", "/items/",
	};
	const struct fpg_croute	*cr;
	char			 allow[128];
	size_t			 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		strcpy(allow, "junk");
		ck_assert_msg(match("GET", paths[i], &cr, allow,
		    sizeof(allow)) == 404, "GET %s should be 404", paths[i]);
		ck_assert_str_eq(allow, "");
	}
	/* A {param} never matches an empty segment. */
	ck_assert_int_eq(match("GET", "/items//tags", &cr, allow,
	    sizeof(allow)), 404);
	ck_assert_int_eq(match("DELETE", "/items/", &cr, allow,
	    sizeof(allow)), 404);
}
END_TEST

START_TEST(t_not_allowed)
{
	const struct fpg_croute	*cr;
	char			 allow[128];

	/* Table order, each method once (GET matches twice here). */
	ck_assert_int_eq(match("PUT", "/items/special", &cr, allow,
	    sizeof(allow)), 405);
	ck_assert_str_eq(allow, "GET, PATCH, DELETE");
	ck_assert_int_eq(match("PUT", "/items/42", &cr, allow,
	    sizeof(allow)), 405);
	ck_assert_str_eq(allow, "GET, PATCH, DELETE");
	ck_assert_int_eq(match("DELETE", "/items", &cr, allow,
	    sizeof(allow)), 405);
	ck_assert_str_eq(allow, "GET, POST");
	ck_assert_int_eq(match("POST", "/", &cr, allow, sizeof(allow)), 405);
	ck_assert_str_eq(allow, "GET");
	ck_assert_int_eq(match("HEAD", "/items/1", &cr, allow,
	    sizeof(allow)), 200);
	/* Methods are case-sensitive. */
	ck_assert_int_eq(match("get", "/items", &cr, allow, sizeof(allow)),
	    405);
	ck_assert_str_eq(allow, "GET, POST");

	/* A short allow buffer stays NUL-terminated within its size. */
	memset(allow, 'Z', sizeof(allow));
	ck_assert_int_eq(match("PUT", "/items/42", &cr, allow, 8), 405);
	ck_assert_uint_lt(strlen(allow), 8);
	ck_assert_int_eq(allow[8], 'Z');
	ck_assert_int_eq(strncmp(allow, "GET", 3), 0);
}
END_TEST

START_TEST(t_empty_table)
{
	static const struct fpg_route	 none[] = {
		{ NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct fpg_router		 r0;
	const struct fpg_croute		*cr = NULL;
	char				 err[256], allow[64];

	ck_assert_int_eq(fpg_router_init(&r0, none, err, sizeof(err)), 0);
	ck_assert_uint_eq(r0.nroutes, 0);
	ck_assert_int_eq(fpg_router_match(&r0, "GET", NULL, 0, &cr, allow,
	    sizeof(allow)), 404);
	ck_assert_ptr_null(cr);
	fpg_router_free(&r0);
}
END_TEST

/*
 * Compiles a one-route table that must fail; the message must hold
 * every string of want (NULL-terminated).  The router is freed after
 * the failure, as fpg_main does.
 */
static void
init_fails(const struct fpg_route *rt, const char *const *want)
{
	struct fpg_route	 t[2];
	struct fpg_router	 r0;
	char			 err[512];

	t[0] = *rt;
	memset(&t[1], 0, sizeof(t[1]));
	err[0] = '\0';
	ck_assert_int_eq(fpg_router_init(&r0, t, err, sizeof(err)), -1);
	for (; *want != NULL; want++)
		ck_assert_msg(strstr(err, *want) != NULL,
		    "message \"%s\" lacks \"%s\"", err, *want);
	fpg_router_free(&r0);
}

START_TEST(t_init_errors)
{
	static const struct fpg_route bodykw = { "POST", "/things/{id}",
	    h_create, NULL, NULL, "{\"type\":\"object\",\"frobnicate\":1}" };
	static const struct fpg_route querykw = { "GET", "/things",
	    h_list, NULL, "{\"properties\":{\"q\":{\"type\":\"string\","
	    "\"maxLen\":3}}}", NULL };
	static const struct fpg_route pathjson = { "DELETE", "/things/{id}",
	    h_delete, "{\"type\":", NULL, NULL };
	static const struct fpg_route relative = { "GET", "things",
	    h_list, NULL, NULL, NULL };
	static const struct fpg_route nohandler = { "GET", "/things",
	    NULL, NULL, NULL, NULL };
	static const struct fpg_route nopath = { "GET", NULL,
	    h_list, NULL, NULL, NULL };
	static const char *const w_body[] = { "POST /things/{id}", "body",
	    "frobnicate", NULL };
	static const char *const w_query[] = { "GET /things", "query",
	    "maxLen", NULL };
	static const char *const w_path[] = { "DELETE /things/{id}", "path",
	    NULL };
	static const char *const w_route[] = { "route 0", NULL };

	init_fails(&bodykw, w_body);
	init_fails(&querykw, w_query);
	init_fails(&pathjson, w_path);
	init_fails(&relative, w_route);
	init_fails(&nohandler, w_route);
	init_fails(&nopath, w_route);
}
END_TEST

START_TEST(t_init_error_later)
{
	/* The bad route is the third; the first two were compiled. */
	static const struct fpg_route t[] = {
		{ "GET", "/a", h_list, NULL, "{\"type\":\"object\"}", NULL },
		{ "GET", "/b/{x}", h_get, ID_SCHEMA, NULL, NULL },
		{ "PUT", "/c", h_patch, NULL, NULL, "{\"if\":{}}" },
		{ NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct fpg_router	 r0;
	char			 err[512];

	ck_assert_int_eq(fpg_router_init(&r0, t, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "PUT /c: body schema") != NULL,
	    "message \"%s\"", err);
	fpg_router_free(&r0);
	ck_assert_ptr_null(r0.routes);
	ck_assert_uint_eq(r0.nroutes, 0);
}
END_TEST

START_TEST(t_init_too_long)
{
	struct fpg_route	 t[2];
	struct fpg_router	 r0;
	char			 path[256], err[256];
	size_t			 i;

	path[0] = '\0';
	for (i = 0; i <= FPG_SEGMENTS_MAX; i++)
		strcat(path, "/a");
	memset(t, 0, sizeof(t));
	t[0].method = "GET";
	t[0].path = path;
	t[0].handler = h_list;
	ck_assert_int_eq(fpg_router_init(&r0, t, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	fpg_router_free(&r0);

	/* Exactly FPG_SEGMENTS_MAX is fine. */
	path[strlen(path) - 2] = '\0';
	ck_assert_int_eq(fpg_router_init(&r0, t, err, sizeof(err)), 0);
	ck_assert_uint_eq(r0.routes[0].nsegs, FPG_SEGMENTS_MAX);
	fpg_router_free(&r0);
}
END_TEST

/* --- fpg_args_coerce ---------------------------------------------- */

static json_t *
J(const char *text)
{
	json_error_t	 je;
	json_t		*j;

	j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(j != NULL, "json %s: %s", text, je.text);
	return j;
}

/* Asserts that j equals the JSON text want. */
static void
is(const json_t *j, const char *want)
{
	json_t	*w = J(want);
	char	*got = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_SORT_KEYS) : NULL;

	ck_assert_msg(j != NULL && json_equal(j, w), "got %s, expected %s",
	    got ? got : "NULL", want);
	free(got);
	json_decref(w);
}

/* Compiles schema text, as fpg_router_init() does, or fails. */
static struct fpg_schema *
S(const char *text)
{
	struct fpg_schema	*s;
	char			 err[256];

	s = fpg_schema_new(text, strlen(text), err, sizeof(err));
	ck_assert_msg(s != NULL, "schema %s: %s", text, err);
	return s;
}

/*
 * Coerces the pairs (key, value, ..., NULL) under schema text (NULL for
 * none) at where; returns the object (may be NULL), errors in *errs.
 */
static json_t *
coerce(const char *schema, const char *where, const char *const *pairs,
    json_t **errs)
{
	struct fpg_req		 r;
	struct fpg_kv		 kv[32];
	struct fpg_schema	*s = schema ? S(schema) : NULL;
	json_t			*out = NULL;
	size_t			 n;

	memset(&r, 0, sizeof(r));
	for (n = 0; pairs[2 * n] != NULL; n++) {
		ck_assert_uint_lt(n, 32);
		kv[n].key = (char *)(uintptr_t)pairs[2 * n];
		kv[n].val = (char *)(uintptr_t)pairs[2 * n + 1];
	}
	ck_assert_ptr_nonnull(*errs = json_array());
	ck_assert_int_eq(fpg_args_coerce(&r, s, where, kv, n, &out, *errs),
	    0);
	fpg_schema_free(s);
	return out;
}

/* Coerces one value of property "v" typed by the type JSON t. */
static json_t *
one(const char *type, const char *val, json_t **errs)
{
	char			 schema[256];
	const char *const	 p[] = { "v", val, NULL };

	snprintf(schema, sizeof(schema), "{\"type\":\"object\","
	    "\"properties\":{\"v\":{\"type\":%s}}}", type);
	return coerce(schema, "query", p, errs);
}

/* Asserts one value converts, with no error, to the JSON want. */
static void
converts(const char *type, const char *val, const char *want)
{
	json_t	*o, *e;
	char	 w[256];

	o = one(type, val, &e);
	ck_assert_msg(json_array_size(e) == 0, "%s \"%s\": %zu errors",
	    type, val, json_array_size(e));
	snprintf(w, sizeof(w), "{\"v\":%s}", want);
	is(o, w);
	json_decref(o);
	json_decref(e);
}

/*
 * Asserts error idx of errs: its type, loc (JSON text) and input; msg
 * must be a non-empty string.
 */
static void
error_is(const json_t *errs, size_t idx, const char *type, const char *loc,
    const char *input)
{
	const json_t	*e = json_array_get(errs, idx);
	const char	*msg;

	ck_assert_msg(e != NULL, "no error %zu", idx);
	ck_assert_str_eq(json_string_value(json_object_get(e, "type")), type);
	is(json_object_get(e, "loc"), loc);
	ck_assert_str_eq(json_string_value(json_object_get(e, "input")),
	    input);
	msg = json_string_value(json_object_get(e, "msg"));
	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_gt(strlen(msg), 0);
}

/* Asserts one value fails with a single error of this type. */
static void
refused(const char *type, const char *val, const char *etype)
{
	json_t	*o, *e;

	o = one(type, val, &e);
	ck_assert_msg(json_array_size(e) == 1, "%s \"%s\": %zu errors",
	    type, val, json_array_size(e));
	error_is(e, 0, etype, "[\"query\",\"v\"]", val);
	/* The value that failed is left out of the object. */
	is(o, "{}");
	json_decref(o);
	json_decref(e);
}

START_TEST(t_args_integer)
{
	json_t			*o, *e;
	const char *const	 p[] = { "limit", "10", NULL };
	const char *const	 bad[] = { "limit", "ten", NULL };

	o = coerce("{\"type\":\"object\",\"properties\":"
	    "{\"limit\":{\"type\":\"integer\"}}}", "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	ck_assert(json_is_integer(json_object_get(o, "limit")));
	is(o, "{\"limit\":10}");
	json_decref(o);
	json_decref(e);

	o = coerce("{\"type\":\"object\",\"properties\":"
	    "{\"limit\":{\"type\":\"integer\"}}}", "query", bad, &e);
	ck_assert_uint_eq(json_array_size(e), 1);
	error_is(e, 0, "int_parsing", "[\"query\",\"limit\"]", "ten");
	is(o, "{}");
	json_decref(o);
	json_decref(e);

	converts("\"integer\"", "-7", "-7");
	converts("\"integer\"", "0", "0");
	converts("\"integer\"", "9223372036854775807", "9223372036854775807");
	refused("\"integer\"", "", "int_parsing");
	refused("\"integer\"", "1.5", "int_parsing");
	refused("\"integer\"", " 1", "int_parsing");
	refused("\"integer\"", "1 ", "int_parsing");
	refused("\"integer\"", "-", "int_parsing");
	refused("\"integer\"", "0x1", "int_parsing");
	refused("\"integer\"", "99999999999999999999", "int_parsing_size");
	refused("\"integer\"", "-99999999999999999999", "int_parsing_size");
}
END_TEST

START_TEST(t_args_number)
{
	json_t	*o, *e;

	o = one("\"number\"", "1.5", &e);
	ck_assert(json_is_real(json_object_get(o, "v")));
	ck_assert(json_real_value(json_object_get(o, "v")) == 1.5);
	ck_assert_uint_eq(json_array_size(e), 0);
	json_decref(o);
	json_decref(e);

	o = one("\"number\"", "3", &e);
	ck_assert(json_is_integer(json_object_get(o, "v")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "v")), 3);
	json_decref(o);
	json_decref(e);

	converts("\"number\"", "-3", "-3");
	converts("\"number\"", "-0.25", "-0.25");
	converts("\"number\"", "1e3", "1000.0");
	refused("\"number\"", "abc", "float_parsing");
	refused("\"number\"", "", "float_parsing");
	refused("\"number\"", "nan", "float_parsing");
	refused("\"number\"", "inf", "float_parsing");
	refused("\"number\"", "1e400", "float_parsing");
	refused("\"number\"", "1.5x", "float_parsing");
}
END_TEST

START_TEST(t_args_boolean)
{
	static const char *const yes[] = { "true", "1", "yes", "on", "TRUE",
	    "Yes", "ON" };
	static const char *const no[] = { "false", "0", "no", "off", "False",
	    "NO" };
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		converts("\"boolean\"", yes[i], "true");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		converts("\"boolean\"", no[i], "false");
	refused("\"boolean\"", "maybe", "bool_parsing");
	refused("\"boolean\"", "", "bool_parsing");
	refused("\"boolean\"", "2", "bool_parsing");
}
END_TEST

START_TEST(t_args_union)
{
	converts("[\"integer\",\"null\"]", "5", "5");
	converts("[\"integer\",\"null\"]", "", "null");
	converts("[\"null\",\"integer\"]", "5", "5");
	/* The error is named after the first type. */
	refused("[\"integer\",\"null\"]", "x", "int_parsing");
	refused("[\"boolean\",\"integer\"]", "x", "bool_parsing");
	converts("[\"boolean\",\"integer\"]", "7", "7");
	/* A string in the list takes anything as it is. */
	converts("[\"integer\",\"string\"]", "x", "\"x\"");
	converts("[\"integer\",\"string\"]", "5", "\"5\"");
}
END_TEST

START_TEST(t_args_strings)
{
	json_t			*o, *e;
	const char *const	 p[] = { "s", "0010", "t", "true", "u", "",
	    "w", "12", "x", "a b", NULL };

	o = coerce("{\"type\":\"object\",\"properties\":{"
	    "\"s\":{\"type\":\"string\"},\"t\":{\"type\":\"string\"},"
	    "\"u\":{\"type\":\"string\"},\"w\":{}}}", "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	/* Untyped ("w") and unknown ("x") properties stay strings too. */
	is(o, "{\"s\":\"0010\",\"t\":\"true\",\"u\":\"\",\"w\":\"12\","
	    "\"x\":\"a b\"}");
	json_decref(o);
	json_decref(e);
}
END_TEST

START_TEST(t_args_additional_ref)
{
	json_t			*o, *e;
	const char *const	 p[] = { "a", "5", "extra", "6", NULL };

	o = coerce("{\"$defs\":{\"n\":{\"type\":\"integer\"}},"
	    "\"properties\":{\"a\":{\"$ref\":\"#/$defs/n\"}},"
	    "\"additionalProperties\":{\"type\":\"number\"}}", "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"a\":5,\"extra\":6}");
	json_decref(o);
	json_decref(e);
}
END_TEST

/*
 * A property declared through a $ref to $defs converts as the one
 * declared in place: the compiled schema resolved the $ref, the
 * validator's one resolver.  So does an array's items.
 */
static const char *const defs_schema =
	"{\"$defs\":{\"n\":{\"type\":\"integer\"},"
	"\"ns\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/n\"}},"
	"\"alias\":{\"$ref\":\"#/$defs/n\"}},"
	"\"type\":\"object\",\"properties\":{"
	"\"limit\":{\"$ref\":\"#/$defs/n\"},"
	"\"ids\":{\"$ref\":\"#/$defs/ns\"},"
	"\"page\":{\"$ref\":\"#/$defs/alias\"}}}";

START_TEST(t_args_ref_defs)
{
	json_t			*o, *e;
	const char *const	 p[] = { "limit", "10", "ids", "1", "page", "3",
	    "ids", "2", NULL };
	const char *const	 bad[] = { "limit", "ten", "ids", "1", "ids",
	    "x", NULL };
	const char *const	 one_id[] = { "ids", "7", NULL };

	o = coerce(defs_schema, "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	ck_assert(json_is_integer(json_object_get(o, "limit")));
	is(o, "{\"limit\":10,\"ids\":[1,2],\"page\":3}");
	json_decref(o);
	json_decref(e);

	/* A single value of an array property is an array of one. */
	o = coerce(defs_schema, "query", one_id, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"ids\":[7]}");
	json_decref(o);
	json_decref(e);

	o = coerce(defs_schema, "query", bad, &e);
	ck_assert_uint_eq(json_array_size(e), 2);
	error_is(e, 0, "int_parsing", "[\"query\",\"limit\"]", "ten");
	error_is(e, 1, "int_parsing", "[\"query\",\"ids\",1]", "x");
	is(o, "{\"ids\":[1]}");
	json_decref(o);
	json_decref(e);
}
END_TEST

/* The schema's own "type" applies beside its $ref, and allOf's too,
 * as in the validator; the root may itself be a $ref. */
START_TEST(t_args_ref_allof)
{
	json_t			*o, *e;
	const char *const	 p[] = { "a", "1", "b", "on", "c", "3", NULL };

	o = coerce("{\"$defs\":{\"o\":{\"properties\":{"
	    "\"a\":{\"type\":\"integer\"}}},\"any\":{}},"
	    "\"$ref\":\"#/$defs/o\","
	    "\"allOf\":[{\"properties\":{\"b\":{\"type\":\"boolean\"}}}],"
	    "\"properties\":{\"c\":{\"$ref\":\"#/$defs/any\","
	    "\"type\":\"number\"}}}", "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"a\":1,\"b\":true,\"c\":3}");
	json_decref(o);
	json_decref(e);
}
END_TEST

static const char *const array_schema =
	"{\"type\":\"object\",\"properties\":{"
	"\"ids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
	"\"tags\":{\"type\":\"array\"},"
	"\"q\":{\"type\":\"string\"}}}";

START_TEST(t_args_array)
{
	json_t			*o, *e;
	const char *const	 p[] = { "ids", "1", "q", "x", "ids", "2",
	    "tags", "a", "ids", "3", NULL };
	const char *const	 bad[] = { "ids", "1", "ids", "x", NULL };

	o = coerce(array_schema, "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"ids\":[1,2,3],\"q\":\"x\",\"tags\":[\"a\"]}");
	json_decref(o);
	json_decref(e);

	/* The error's loc ends with the item's index. */
	o = coerce(array_schema, "query", bad, &e);
	ck_assert_uint_eq(json_array_size(e), 1);
	error_is(e, 0, "int_parsing", "[\"query\",\"ids\",1]", "x");
	is(o, "{\"ids\":[1]}");
	json_decref(o);
	json_decref(e);
}
END_TEST

/*
 * Each bad item is reported at its own position among the repeated
 * values, as Pydantic does, not at the count of items converted so far.
 */
START_TEST(t_args_array_index)
{
	json_t			*o, *e;
	const char *const	 p[] = { "ids", "a", "ids", "2", "ids", "b",
	    NULL };

	o = coerce(array_schema, "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 2);
	error_is(e, 0, "int_parsing", "[\"query\",\"ids\",0]", "a");
	error_is(e, 1, "int_parsing", "[\"query\",\"ids\",2]", "b");
	json_decref(o);
	json_decref(e);
}
END_TEST

START_TEST(t_args_last_wins)
{
	json_t			*o, *e;
	const char *const	 p[] = { "limit", "1", "q", "a", "limit", "2",
	    "q", "b", NULL };
	const char *const	 bad[] = { "limit", "10", "limit", "ten",
	    NULL };
	const char *const	 schema = "{\"properties\":{"
	    "\"limit\":{\"type\":\"integer\"},\"q\":{\"type\":\"string\"}}}";

	o = coerce(schema, "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"limit\":2,\"q\":\"b\"}");
	json_decref(o);
	json_decref(e);

	/* The last value is the one that counts, even when bad. */
	o = coerce(schema, "query", bad, &e);
	ck_assert_uint_eq(json_array_size(e), 1);
	error_is(e, 0, "int_parsing", "[\"query\",\"limit\"]", "ten");
	is(o, "{}");
	json_decref(o);
	json_decref(e);
}
END_TEST

/*
 * FastAPI reads only the last value of a scalar parameter, so an
 * earlier bad one is no error.
 */
START_TEST(t_args_last_wins_earlier_bad)
{
	json_t			*o, *e;
	const char *const	 p[] = { "limit", "ten", "limit", "10", NULL };

	o = coerce("{\"properties\":{\"limit\":{\"type\":\"integer\"}}}",
	    "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"limit\":10}");
	json_decref(o);
	json_decref(e);
}
END_TEST

START_TEST(t_args_unicode)
{
	json_t			*o, *e;
	const char *const	 p[] = { "name", "\xff", "n", "ab\xc3", NULL };
	const char *const	 ok[] = { "name", "caf\xc3\xa9", NULL };
	const char *const	 schema = "{\"properties\":{"
	    "\"name\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}}}";

	o = coerce(schema, "query", p, &e);
	ck_assert_uint_eq(json_array_size(e), 2);
	/* The raw bytes cannot be quoted back: input is empty. */
	error_is(e, 0, "string_unicode", "[\"query\",\"name\"]", "");
	error_is(e, 1, "string_unicode", "[\"query\",\"n\"]", "");
	is(o, "{}");
	json_decref(o);
	json_decref(e);

	o = coerce(schema, "query", ok, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{\"name\":\"caf\xc3\xa9\"}");
	json_decref(o);
	json_decref(e);
}
END_TEST

START_TEST(t_args_path)
{
	json_t			*o, *e;
	const char *const	 p[] = { "id", "x1", NULL };
	const char *const	 none[] = { NULL };

	o = coerce(ID_SCHEMA, "path", p, &e);
	ck_assert_uint_eq(json_array_size(e), 1);
	error_is(e, 0, "int_parsing", "[\"path\",\"id\"]", "x1");
	json_decref(o);
	json_decref(e);

	/* No arguments: an empty object to validate. */
	o = coerce(ID_SCHEMA, "path", none, &e);
	ck_assert_uint_eq(json_array_size(e), 0);
	is(o, "{}");
	json_decref(o);
	json_decref(e);
}
END_TEST

/* --- fpg_args_plan, fpg_args_fast --------------------------------- */

/*
 * Whether the validator's way passes value v of the template's {id}
 * under schema (coerced, then validated); the text fpg_arg() would
 * give the handler in out.
 */
static int
slow_passes(const char *schema, const char *v, char *out, size_t outsz)
{
	struct fpg_schema	*s = S(schema);
	const char *const	 p[] = { "id", v, NULL };
	json_t			*o, *e, *loc = json_pack("[s]", "path"), *x;
	int			 ok;

	o = coerce(schema, "path", p, &e);
	if (o != NULL && json_array_size(e) == 0)
		fpg_schema_validate(s, o, loc, e, 10);
	ok = o != NULL && json_array_size(e) == 0;
	x = json_object_get(o, "id");
	if (json_is_integer(x))
		snprintf(out, outsz, "%lld", (long long)json_integer_value(x));
	else
		snprintf(out, outsz, "%s", json_is_string(x) ?
		    json_string_value(x) : "?");
	json_decref(o);
	json_decref(e);
	json_decref(loc);
	fpg_schema_free(s);
	return ok;
}

/* Plans schema for /items/{id}; the plan's length. */
static size_t
plan(const char *schema, struct fpg_argplan *p)
{
	char *const	 t[] = { (char *)(uintptr_t)"items",
			    (char *)(uintptr_t)"{id}" };
	json_t		*j = J(schema);

	fpg_args_plan(j, t, 2, p);
	json_decref(j);
	return p->n;
}

/* Schemas the fast way takes, and values it must agree on. */
static const char *const fast_schemas[] = {
	"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\","
	"\"minimum\":1,\"maximum\":9223372036854775807,\"examples\":[2]}},"
	"\"required\":[\"id\"]}",
	ID_SCHEMA,
	"{\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":-5,"
	"\"maximum\":5}},\"additionalProperties\":false}",
	"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\","
	"\"minLength\":2,\"maxLength\":4,\"title\":\"t\"}}}",
	"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}",
	NULL
};

static const char *const fast_values[] = {
	"1", "0", "-1", "5", "6", "-5", "-6", "42", "007", "+7", "-0", "-",
	"9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809",
	"99999999999999999999", "1e3", "1.0", " 1", "1 ", "abc", "ab",
	"abcde", "x", "caf\xc3\xa9", "a\tb", "\x7f", NULL
};

START_TEST(t_args_fast_agrees)
{
	struct fpg_argplan	 p;
	char			 want[128];
	char			*segs[2] = { (char *)(uintptr_t)"items", NULL };
	size_t			 i, j, passed = 0;

	for (i = 0; fast_schemas[i] != NULL; i++) {
		ck_assert_msg(plan(fast_schemas[i], &p) == 1, "no plan: %s",
		    fast_schemas[i]);
		for (j = 0; fast_values[j] != NULL; j++) {
			segs[1] = (char *)(uintptr_t)fast_values[j];
			if (!fpg_args_fast(&p, segs))
				continue;	/* the validator decides */
			passed++;
			ck_assert_msg(slow_passes(fast_schemas[i],
			    fast_values[j], want, sizeof(want)),
			    "fast passes what the validator refuses: %s %s",
			    fast_schemas[i], fast_values[j]);
			ck_assert_str_eq(want, segs[1]);
		}
	}
	ck_assert_uint_ge(passed, 15);
	/* The usual ids do take the fast way. */
	plan(fast_schemas[0], &p);
	segs[1] = (char *)(uintptr_t)"9223372036854775807";
	ck_assert(fpg_args_fast(&p, segs));
	segs[1] = (char *)(uintptr_t)"0";
	ck_assert(!fpg_args_fast(&p, segs));
	segs[1] = (char *)(uintptr_t)"9223372036854775808";
	ck_assert(!fpg_args_fast(&p, segs));
}
END_TEST

/* Anything the fast way cannot check exactly is the validator's. */
START_TEST(t_args_fast_refuses)
{
	static const char *const slow[] = {
		"true",
		"{\"type\":\"object\"}",
		"{\"type\":\"object\",\"properties\":{}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"number\"}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"[\"integer\"]}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\",\"minimum\":1.5}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\",\"exclusiveMinimum\":1}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\",\"multipleOf\":2}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"string\",\"pattern\":\"^a\"}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"string\",\"format\":\"uuid\"}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"string\",\"minLength\":-1}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"$ref\":"
		"\"#/$defs/i\"}},\"$defs\":{\"i\":{\"type\":\"integer\"}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\"},\"x\":{\"type\":\"integer\"}}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\"}},\"required\":[\"id\",\"x\"]}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\"}},\"additionalProperties\":{\"type\":\"string\"}}",
		"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
		"\"integer\"}},\"minProperties\":2}",
		"{\"type\":\"array\",\"properties\":{\"id\":{\"type\":"
		"\"integer\"}}}",
		NULL
	};
	struct fpg_argplan	 p;
	char *const		 dup[] = { (char *)(uintptr_t)"{id}",
				    (char *)(uintptr_t)"{id}" };
	char			*segs[2] = { (char *)(uintptr_t)"items",
				    (char *)(uintptr_t)"1" };
	json_t			*j;
	size_t			 i;

	for (i = 0; slow[i] != NULL; i++) {
		ck_assert_msg(plan(slow[i], &p) == 0, "planned: %s", slow[i]);
		ck_assert(!fpg_args_fast(&p, segs));
	}
	/* "/{id}/{id}": the last value wins there, not here. */
	j = J(ID_SCHEMA);
	fpg_args_plan(j, dup, 2, &p);
	json_decref(j);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

START_TEST(t_args_no_schema)
{
	struct fpg_req		 r;
	struct fpg_kv		 kv = { (char *)(uintptr_t)"a",
				    (char *)(uintptr_t)"1" };
	struct fpg_schema	*t = S("true");
	json_t			*out, *errs = json_array();

	memset(&r, 0, sizeof(r));
	out = json_true();
	ck_assert_int_eq(fpg_args_coerce(&r, NULL, "query", &kv, 1, &out,
	    errs), 0);
	ck_assert_ptr_null(out);
	/* A boolean schema, not an object one, is none either. */
	out = json_true();
	ck_assert_int_eq(fpg_args_coerce(&r, t, "query", &kv, 1, &out,
	    errs), 0);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(json_array_size(errs), 0);
	fpg_schema_free(t);
	json_decref(errs);
}
END_TEST

/* Splits path with a fresh arena; the segments are joined by "|". */
static int
split(const char *path, size_t len, char *joined, size_t *nsegs)
{
	struct fpg_arena	 a = { NULL };
	char			*segs[FPG_SEGMENTS_MAX + 1];
	size_t			 i;
	int			 rc;

	*nsegs = 12345;
	joined[0] = '\0';
	rc = fpg_split_path(&a, path, len, segs, nsegs);
	if (rc == 0) {
		ck_assert_uint_le(*nsegs, FPG_SEGMENTS_MAX);
		for (i = 0; i < *nsegs; i++) {
			if (i > 0)
				strcat(joined, "|");
			strcat(joined, segs[i]);
		}
	} else
		ck_assert_uint_eq(*nsegs, 0);
	fpg_arena_free(&a);
	return rc;
}

START_TEST(t_split_basic)
{
	char	 j[512];
	size_t	 n;

	ck_assert_int_eq(split("/", 1, j, &n), 0);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(split("/items", 6, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "items");

	ck_assert_int_eq(split("/items/42/tags", 14, j, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(j, "items|42|tags");

	/* A trailing slash makes an empty last segment. */
	ck_assert_int_eq(split("/items/", 7, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "items|");

	ck_assert_int_eq(split("//", 2, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "|");

	/* Only len bytes count. */
	ck_assert_int_eq(split("/a/b", 2, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "a");
}
END_TEST

START_TEST(t_split_decode)
{
	char	 j[512];
	size_t	 n;

	/* An encoded slash stays inside its segment. */
	ck_assert_int_eq(split("/items/a%2Fb", 12, j, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(j, "items|a/b");

	/* "+" is not a space in a path. */
	ck_assert_int_eq(split("/a+b%20c", 8, j, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(j, "a+b c");

	/* Dots are fine inside a name. */
	ck_assert_int_eq(split("/.a/.../a.b", 11, j, &n), 0);
	ck_assert_str_eq(j, ".a|...|a.b");
}
END_TEST

START_TEST(t_split_bad)
{
	static const char *const bad[] = {
		"", "a", "a/b", "items/", "/.", "/./a", "/a/.", "/a/..",
		"/..", "/%2e", "/%2e%2e", "/a/%2E%2E", "/%2E./x", "/a%zz",
		"/a%", "/a%00b", "/%2",
	};
	char	 j[512];
	size_t	 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(split(bad[i], strlen(bad[i]), j, &n) == -1,
		    "split of \"%s\" should be -1", bad[i]);
	/* A raw NUL inside len. */
	ck_assert_int_eq(split("/a\0b", 4, j, &n), -1);
}
END_TEST

START_TEST(t_split_max)
{
	char	 path[256], j[512];
	size_t	 i, n;

	path[0] = '\0';
	for (i = 0; i < FPG_SEGMENTS_MAX; i++)
		strcat(path, "/a");
	ck_assert_int_eq(split(path, strlen(path), j, &n), 0);
	ck_assert_uint_eq(n, FPG_SEGMENTS_MAX);

	/* One more, even an empty trailing one, is too many. */
	strcat(path, "/");
	ck_assert_int_eq(split(path, strlen(path), j, &n), -2);
	strcat(path, "b");
	ck_assert_int_eq(split(path, strlen(path), j, &n), -2);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite	*s = suite_create("router");
	TCase	*tc;

	tc = tcase_create("split");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_split_basic);
	tcase_add_test(tc, t_split_decode);
	tcase_add_test(tc, t_split_bad);
	tcase_add_test(tc, t_split_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_init);
	tcase_add_test(tc, t_match);
	tcase_add_test(tc, t_not_found);
	tcase_add_test(tc, t_not_allowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("init");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_empty_table);
	tcase_add_test(tc, t_init_errors);
	tcase_add_test(tc, t_init_error_later);
	tcase_add_test(tc, t_init_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("args");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_args_integer);
	tcase_add_test(tc, t_args_number);
	tcase_add_test(tc, t_args_boolean);
	tcase_add_test(tc, t_args_union);
	tcase_add_test(tc, t_args_strings);
	tcase_add_test(tc, t_args_additional_ref);
	tcase_add_test(tc, t_args_ref_defs);
	tcase_add_test(tc, t_args_ref_allof);
	tcase_add_test(tc, t_args_array);
	tcase_add_test(tc, t_args_array_index);
	tcase_add_test(tc, t_args_last_wins);
	tcase_add_test(tc, t_args_last_wins_earlier_bad);
	tcase_add_test(tc, t_args_unicode);
	tcase_add_test(tc, t_args_path);
	tcase_add_test(tc, t_args_no_schema);
	tcase_add_test(tc, t_args_fast_agrees);
	tcase_add_test(tc, t_args_fast_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(router_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
