/*
 * check_openapi.c -- the OpenAPI document comes from the same schemas
 * that validate: change a schema and both the validation and the
 * document change.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

static void
nop(struct fpg_req *r)
{
	(void)r;
}

/* The document of a one-route resource whose body schema is body. */
static json_t *
doc_for(const char *body, struct fpg_router *ro, const char *fragment)
{
	static struct fpg_route routes[3];
	static struct fpg_resource res;
	char	 err[256], *text;
	json_t	*doc;

	memset(routes, 0, sizeof(routes));
	routes[0].method = "POST";
	routes[0].path = "/things";
	routes[0].handler = nop;
	routes[0].body_schema = body;
	routes[1].method = "GET";
	routes[1].path = "/things/{id}";
	routes[1].handler = nop;
	routes[1].path_schema = "{\"type\":\"object\",\"properties\":{\"id\":"
	    "{\"type\":\"integer\",\"minimum\":1}}}";
	routes[1].query_schema = "{\"type\":\"object\",\"properties\":"
	    "{\"fields\":{\"type\":\"string\"}},\"required\":[\"fields\"]}";
	res.name = "things";
	res.routes = routes;
	res.openapi = fragment;
	ck_assert_msg(fpg_router_init(ro, routes, err, sizeof(err)) == 0,
	    "%s", err);
	text = fpg_openapi_build(&res, ro, NULL, err, sizeof(err));
	if (text == NULL)
		return NULL;
	doc = json_loads(text, 0, NULL);
	free(text);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* The request body's schema of POST /things, through its $ref. */
static json_t *
body_schema(json_t *doc)
{
	json_t		*s;
	const char	*ref;

	s = json_object_get(json_object_get(json_object_get(
	    json_object_get(json_object_get(json_object_get(json_object_get(
	    doc, "paths"), "/things"), "post"), "requestBody"), "content"),
	    "application/json"), "schema");
	ref = json_string_value(json_object_get(s, "$ref"));
	ck_assert_ptr_nonnull(ref);
	ck_assert_int_eq(strncmp(ref, "#/components/schemas/", 21), 0);
	return json_object_get(json_object_get(json_object_get(doc,
	    "components"), "schemas"), ref + 21);
}

/* Validates {"name": name} against the route's compiled body schema. */
static size_t
errors_for(struct fpg_router *ro, const char *name)
{
	json_t	*inst = json_pack("{s:s}", "name", name);
	json_t	*loc = json_pack("[s]", "body"), *errs = json_array();
	size_t	 n;

	n = fpg_schema_validate(ro->routes[0].body_schema, inst, loc, errs,
	    FPG_ERRORS_MAX);
	json_decref(inst);
	json_decref(loc);
	json_decref(errs);
	return n;
}

START_TEST(one_source_of_truth)
{
	const char	*a = "{\"type\":\"object\",\"properties\":{\"name\":"
	    "{\"type\":\"string\",\"maxLength\":5}},\"required\":[\"name\"]}";
	const char	*b = "{\"type\":\"object\",\"properties\":{\"name\":"
	    "{\"type\":\"string\",\"maxLength\":10}},\"required\":[\"name\"]}";
	struct fpg_router ro;
	json_t		*doc;

	doc = doc_for(a, &ro, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(body_schema(doc), "properties"), "name"),
	    "maxLength")), 5);
	ck_assert_int_eq(errors_for(&ro, "abcdefg"), 1);
	json_decref(doc);
	fpg_router_free(&ro);

	doc = doc_for(b, &ro, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(body_schema(doc), "properties"), "name"),
	    "maxLength")), 10);
	ck_assert_int_eq(errors_for(&ro, "abcdefg"), 0);
	json_decref(doc);
	fpg_router_free(&ro);
}
END_TEST

START_TEST(parameters_and_responses)
{
	const char	*a = "{\"type\":\"object\"}";
	struct fpg_router ro;
	json_t		*doc, *get, *p0, *p1, *resp, *ref;

	doc = doc_for(a, &ro, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")),
	    "3.1.0");
	get = json_object_get(json_object_get(json_object_get(doc, "paths"),
	    "/things/{id}"), "get");
	p0 = json_array_get(json_object_get(get, "parameters"), 0);
	p1 = json_array_get(json_object_get(get, "parameters"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(p0, "in")), "path");
	ck_assert(json_is_true(json_object_get(p0, "required")));
	ck_assert_int_eq(json_integer_value(json_object_get(p0, "example")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(p1, "name")),
	    "fields");
	ck_assert(json_is_true(json_object_get(p1, "required")));
	resp = json_object_get(get, "responses");
	ck_assert_ptr_nonnull(json_object_get(resp, "200"));
	ck_assert_ptr_nonnull(json_object_get(resp, "404"));
	ref = json_object_get(json_object_get(json_object_get(json_object_get(
	    json_object_get(resp, "422"), "content"), "application/json"),
	    "schema"), "$ref");
	ck_assert_str_eq(json_string_value(ref),
	    "#/components/schemas/HTTPValidationError");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    doc, "components"), "schemas"), "ValidationError"));
	json_decref(doc);
	fpg_router_free(&ro);
}
END_TEST

START_TEST(fragment_merges)
{
	const char	*frag = "{\"paths\":{\"/things\":{\"post\":{\"summary\":"
	    "\"Make a thing\",\"responses\":{\"201\":null,\"200\":{"
	    "\"description\":\"ok\"}},\"parameters\":[{\"name\":\"X-Key\","
	    "\"in\":\"header\",\"schema\":{\"type\":\"string\"}}]}}}}";
	struct fpg_router ro;
	json_t		*doc, *post;

	doc = doc_for("{\"type\":\"object\"}", &ro, frag);
	post = json_object_get(json_object_get(json_object_get(doc, "paths"),
	    "/things"), "post");
	ck_assert_str_eq(json_string_value(json_object_get(post, "summary")),
	    "Make a thing");
	ck_assert_ptr_null(json_object_get(json_object_get(post, "responses"),
	    "201"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(post,
	    "responses"), "200"));
	ck_assert_int_eq(json_array_size(json_object_get(post, "parameters")),
	    1);
	json_decref(doc);
	fpg_router_free(&ro);
	ck_assert_ptr_null(doc_for("{\"type\":\"object\"}", &ro, "[1]"));
	fpg_router_free(&ro);
}
END_TEST

/* Operation names derived from method and path. */
START_TEST(operation_names)
{
	static const char *const cases[][3] = {
		{ "GET", "/items", "listItems" },
		{ "POST", "/items", "createItem" },
		{ "GET", "/items/{id}", "readItem" },
		{ "PATCH", "/items/{id}", "updateItem" },
		{ "PUT", "/items/{id}", "replaceItem" },
		{ "DELETE", "/items/{id}", "deleteItem" },
		{ "POST", "/orders/{id}/cancel", "cancelOrder" },
		{ "GET", "/orders/{id}/lines", "listOrderLines" },
		{ "GET", "/orders/{id}/lines/{n}", "readOrderLine" },
		{ "POST", "/categories", "createCategory" },
		{ "GET", "/addresses/{id}", "readAddress" },
		{ "GET", "/order-lines", "listOrderLines" },
		{ "GET", "/status", "listStatus" },
		{ "POST", "/users/{id}/reset-password", "resetPasswordUser" },
		{ "HEAD", "/items", "headItems" },
	};
	char	 id[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(fpg_openapi_opid(cases[i][0], cases[i][1], id,
		    sizeof(id)), 0);
		ck_assert_str_eq(id, cases[i][2]);
	}
	ck_assert_int_eq(fpg_openapi_opid("GET", "/items", id, 5), -1);
	ck_assert(fpg_openapi_name_ok("cancelOrder"));
	ck_assert(!fpg_openapi_name_ok("cancel-order"));
	ck_assert(!fpg_openapi_name_ok("1st"));
	ck_assert(!fpg_openapi_name_ok(""));
}
END_TEST

/* A route's .name wins; two routes with one name are refused. */
START_TEST(names_declared_and_unique)
{
	static struct fpg_route routes[3];
	struct fpg_resource res = { .name = "things", .routes = routes };
	struct fpg_router ro;
	char	 err[256], *text;
	json_t	*doc;

	memset(routes, 0, sizeof(routes));
	routes[0].method = "GET";
	routes[0].path = "/things";
	routes[0].handler = nop;
	routes[0].name = "allThings";
	routes[1].method = "POST";
	routes[1].path = "/things";
	routes[1].handler = nop;
	ck_assert_int_eq(fpg_router_init(&ro, routes, err, sizeof(err)), 0);
	text = fpg_openapi_build(&res, &ro, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(text);
	doc = json_loads(text, 0, NULL);
	free(text);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(doc, "paths"), "/things"), "get"),
	    "operationId")), "allThings");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(doc, "paths"), "/things"), "post"),
	    "operationId")), "createThing");
	json_decref(doc);
	fpg_router_free(&ro);

	routes[1].name = "allThings";
	ck_assert_int_eq(fpg_router_init(&ro, routes, err, sizeof(err)), 0);
	ck_assert_ptr_null(fpg_openapi_build(&res, &ro, NULL, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "allThings"));
	fpg_router_free(&ro);

	routes[1].name = "all things";
	ck_assert_int_eq(fpg_router_init(&ro, routes, err, sizeof(err)), 0);
	ck_assert_ptr_null(fpg_openapi_build(&res, &ro, NULL, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "identifier"));
	fpg_router_free(&ro);
}
END_TEST

/* Who may call: securitySchemes, per-operation security, 401 with
 * WWW-Authenticate and 403 on routes that need a caller only; a form
 * body is documented as one. */
START_TEST(security_and_forms)
{
	static struct fpg_route routes[4];
	struct fpg_resource res = { .name = "shop", .routes = routes };
	struct fpg_router ro;
	char	 err[256], *text;
	json_t	*doc, *paths, *op, *r401;

	memset(routes, 0, sizeof(routes));
	routes[0].method = "GET";
	routes[0].path = "/items";
	routes[0].handler = nop;
	routes[1].method = "DELETE";
	routes[1].path = "/items/{id}";
	routes[1].handler = nop;
	routes[1].auth = "shop_admin";
	routes[2].method = "POST";
	routes[2].path = "/token";
	routes[2].handler = nop;
	routes[2].form = 1;
	routes[2].body_schema = "{\"type\":\"object\",\"properties\":"
	    "{\"username\":{\"type\":\"string\"}}}";
	ck_assert_int_eq(fpg_router_init(&ro, routes, err, sizeof(err)), 0);
	text = fpg_openapi_build(&res, &ro, "/api", err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	doc = json_loads(text, 0, NULL);
	free(text);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(json_object_get(json_object_get(
	    doc, "components"), "securitySchemes"), "OAuth2PasswordBearer"),
	    "flows"), "password"), "tokenUrl")), "/api/token");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(doc, "components"),
	    "securitySchemes"), "HTTPBearer"), "scheme")), "bearer");
	paths = json_object_get(doc, "paths");
	op = json_object_get(json_object_get(paths, "/items"), "get");
	ck_assert_ptr_null(json_object_get(op, "security"));
	ck_assert_ptr_null(json_object_get(json_object_get(op, "responses"),
	    "401"));
	op = json_object_get(json_object_get(paths, "/items/{id}"), "delete");
	ck_assert_int_eq(json_array_size(json_object_get(op, "security")), 2);
	r401 = json_object_get(json_object_get(op, "responses"), "401");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(r401, "headers"),
	    "WWW-Authenticate"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    r401, "content"), "application/json"), "schema"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(op, "responses"),
	    "403"));
	op = json_object_get(json_object_get(paths, "/token"), "post");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    op, "requestBody"), "content"), "application/x-www-form-urlencoded"));
	json_decref(doc);
	fpg_router_free(&ro);
}
END_TEST

/*
 * Body schemas go to components/schemas under their title (else a
 * name from the operation); open objects say so, closed ones stay
 * closed, data (examples, defaults) is left alone.
 */
START_TEST(named_and_open)
{
	const char	*titled = "{\"title\":\"ThingCreate\",\"type\":\"object\","
	    "\"properties\":{\"attrs\":{\"type\":\"object\",\"default\":"
	    "{\"type\":\"object\"}},\"tags\":{\"type\":\"array\",\"items\":"
	    "{\"properties\":{\"k\":{\"type\":\"string\"}}}},\"example\":{"
	    "\"type\":\"object\"}},\"additionalProperties\":false}";
	struct fpg_router ro;
	json_t		*doc, *s, *props, *schemas;

	doc = doc_for(titled, &ro, NULL);
	schemas = json_object_get(json_object_get(doc, "components"),
	    "schemas");
	s = json_object_get(schemas, "ThingCreate");
	ck_assert_ptr_eq(body_schema(doc), s);
	ck_assert(json_is_false(json_object_get(s, "additionalProperties")));
	props = json_object_get(s, "properties");
	ck_assert(json_is_true(json_object_get(json_object_get(props,
	    "attrs"), "additionalProperties")));
	/* An optional body field's default is told, not declared: with
	 * it openapi-typescript would make the field required. */
	ck_assert_ptr_null(json_object_get(json_object_get(props, "attrs"),
	    "default"));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    props, "attrs"), "description")), "Default: {\"type\":\"object\"}.");
	ck_assert(json_is_true(json_object_get(json_object_get(
	    json_object_get(props, "tags"), "items"),
	    "additionalProperties")));
	/* A property named "example" is a schema all the same. */
	ck_assert(json_is_true(json_object_get(json_object_get(props,
	    "example"), "additionalProperties")));
	s = json_pack("{s:s, s:b}", "type", "object", "unevaluatedProperties",
	    0);
	fpg_openapi_open_objects(s, 0);	/* true there would open it */
	ck_assert_ptr_null(json_object_get(s, "additionalProperties"));
	json_decref(s);
	/* FastAPI's error models are open where FastAPI's are. */
	ck_assert(json_is_true(json_object_get(json_object_get(json_object_get(
	    json_object_get(schemas, "ValidationError"), "properties"), "ctx"),
	    "additionalProperties")));
	json_decref(doc);
	fpg_router_free(&ro);

	doc = doc_for("{\"type\":\"object\"}", &ro, NULL);
	s = body_schema(doc);
	ck_assert_ptr_eq(s, json_object_get(json_object_get(json_object_get(
	    doc, "components"), "schemas"), "CreateThingBody"));
	ck_assert(json_is_true(json_object_get(s, "additionalProperties")));
	json_decref(doc);
	fpg_router_free(&ro);

	/* One name, two different schemas: the fragment's and the body's. */
	ck_assert_ptr_null(doc_for(titled, &ro, "{\"components\":{\"schemas\":"
	    "{\"ThingCreate\":{\"type\":\"string\"}}}}"));
	fpg_router_free(&ro);
}
END_TEST

/* If-Match declared: 412 documented, and 428 when it is required;
 * an error without content gets {"detail": "..."}. */
START_TEST(conditional_responses)
{
	const char	*frag = "{\"paths\":{\"/things/{id}\":{\"get\":{"
	    "\"parameters\":[{\"name\":\"if-match\",\"in\":\"header\","
	    "\"required\":true,\"schema\":{\"type\":\"string\"}}],"
	    "\"responses\":{\"409\":{\"description\":\"taken\"}}}}}}";
	struct fpg_router ro;
	json_t		*doc, *resp, *post;

	doc = doc_for("{\"type\":\"object\"}", &ro, frag);
	resp = json_object_get(json_object_get(json_object_get(json_object_get(
	    doc, "paths"), "/things/{id}"), "get"), "responses");
	ck_assert_ptr_nonnull(json_object_get(resp, "412"));
	ck_assert_ptr_nonnull(json_object_get(resp, "428"));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(json_object_get(resp, "409"),
	    "content"), "application/json"), "schema"), "$ref")),
	    "#/components/schemas/ErrorDetail");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    resp, "503"), "headers"), "Retry-After"));
	post = json_object_get(json_object_get(json_object_get(doc, "paths"),
	    "/things"), "post");
	ck_assert_ptr_null(json_object_get(json_object_get(post, "responses"),
	    "412"));
	json_decref(doc);
	fpg_router_free(&ro);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("openapi");
	TCase	*t = tcase_create("document");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(t, 30);
	tcase_add_test(t, one_source_of_truth);
	tcase_add_test(t, parameters_and_responses);
	tcase_add_test(t, fragment_merges);
	tcase_add_test(t, operation_names);
	tcase_add_test(t, names_declared_and_unique);
	tcase_add_test(t, named_and_open);
	tcase_add_test(t, conditional_responses);
	tcase_add_test(t, security_and_forms);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
