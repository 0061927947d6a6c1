/*
 * fuzz_request.c -- libFuzzer harness for the whole request pipeline
 * without a database: parameters, path and query parsing, routing,
 * body limits and parsing, argument coercion, validation, handlers
 * and responses (lib/req.c, args.c, router.c, resp.c, schema.c).
 *
 * Input: FastCGI-style parameters, one "NAME=value" per line, up to an
 * empty line; everything after it is the request body.  Lines without
 * "=" are ignored, and without an empty line there is no body:
 *
 *	REQUEST_METHOD=POST
 *	REQUEST_URI=/api/items
 *	CONTENT_TYPE=application/json
 *
 *	{"sku":"a","name":"b","price":1}
 *
 * The routes mirror apps/items (its schemas are copied below) plus a
 * route with a path "{tag}" and a query schema of every argument
 * kind, and one without schemas.  Handlers never touch the database; they check what the
 * library promises them (validated, defaulted arguments) and abort
 * when it does not hold.  Each response is checked too: one Status
 * line with a status, well-formed headers with the request id, and
 * (but for HEAD, 204 and 304) a JSON body that parses.
 * With FUZZ_PRINT set in the environment, responses go to stderr.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "schemas.h"	/* SCHEMA_<name> for apps/items/<name>.json */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PARAMS_MAX	128





/* Not from apps/: a string path argument beside the integer id. */
static const char tag_path[] =
"{"
"  \"type\": \"object\","
"  \"properties\": {"
"    \"id\": { \"type\": \"integer\", \"minimum\": 1 },"
"    \"tag\": { \"type\": \"string\", \"minLength\": 1, \"maxLength\": 32 }"
"  },"
"  \"required\": [\"id\", \"tag\"],"
"  \"additionalProperties\": false"
"}";

/*
 * Every kind args.c converts to, a $ref, a union and arrays.  The
 * default sits beside the $ref, where Pydantic puts it: schema.c
 * applies only a property's own "default", not one behind a $ref.
 */
static const char tag_query[] =
"{"
"  \"type\": \"object\","
"  \"$defs\": { \"flag\": { \"type\": \"boolean\" } },"
"  \"properties\": {"
"    \"n\": { \"type\": \"integer\", \"minimum\": -5, \"maximum\": 5 },"
"    \"x\": { \"type\": \"number\", \"exclusiveMinimum\": 0 },"
"    \"q\": { \"type\": \"string\", \"maxLength\": 16 },"
"    \"flag\": { \"$ref\": \"#/$defs/flag\", \"default\": false },"
"    \"maybe\": { \"type\": [\"integer\", \"null\"] },"
"    \"ids\": { \"type\": \"array\", \"items\": { \"type\": \"integer\" },"
"      \"maxItems\": 4, \"uniqueItems\": true },"
"    \"tags\": { \"type\": \"array\", \"items\": { \"type\": \"string\","
"      \"enum\": [\"a\", \"b\", \"c d\"] } }"
"  },"
"  \"additionalProperties\": { \"type\": \"string\" }"
"}";

/* Any JSON body: {} accepts everything. */
static const char any_body[] = "{}";

/*
 * An argument the schema made required, as text: an integer within
 * [min, max], else abort.
 */
static long long
int_arg(struct fpg_req *r, const char *name, long long min, long long max)
{
	const char	*v = fpg_arg(r, name);
	long long	 n;

	if (v == NULL || fpg_strtonum(v, min, max, &n) == -1)
		abort();
	return n;
}

/*
 * GET /items: the limit defaulted and bounded, the validated query as
 * one JSON object (what the list statement gets), and a Link to the
 * next page built from the request's URI, as fpg_send_page does.
 */
static void
h_list(struct fpg_req *r)
{
	long long	 limit = int_arg(r, "limit", 1, 100);
	const char	*text = fpg_query_text(r);
	json_t		*q;

	if (text == NULL || (q = json_loads(text, 0, NULL)) == NULL ||
	    !json_is_object(q) || !json_is_integer(json_object_get(q,
	    "limit")) || json_integer_value(json_object_get(q, "limit")) !=
	    limit)
		abort();
	/* A Link that does not fit is left out, never a 500 (the corpus
	 * input list_link_4092 holds the case). */
	fpg_link_next(r, "after", "c\"1 2");
	fpg_send_json(r, 200, q);
	json_decref(q);
}

/* Checks a validated item body (create or patch) the handler gets. */
static void
check_item(struct fpg_req *r, int create)
{
	json_t		*b = fpg_body(r), *v;
	const char	*text, *key;
	size_t		 len;

	text = fpg_body_text(r, &len);
	if (!json_is_object(b) || text == NULL || len == 0 ||
	    text[len] != '\0')
		abort();
	json_object_foreach(b, key, v)
		if (strcmp(key, "sku") && strcmp(key, "name") &&
		    strcmp(key, "description") && strcmp(key, "price") &&
		    strcmp(key, "stock") && strcmp(key, "attributes"))
			abort();	/* additionalProperties: false */
	v = json_object_get(b, "sku");
	if (create && v == NULL)
		abort();
	if (v != NULL && (!json_is_string(v) ||
	    json_string_length(v) < 1 || json_string_length(v) > 64 ||
	    strspn(json_string_value(v), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    json_string_length(v)))
		abort();
	v = json_object_get(b, "price");
	if (create && v == NULL)
		abort();
	if (v != NULL && (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 9999999999.99))
		abort();
	v = json_object_get(b, "stock");
	if (create && v == NULL)	/* default 0 */
		abort();
	if (v != NULL && (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 2147483647 ||
	    floor(json_number_value(v)) != json_number_value(v)))
		abort();	/* 3.0 is an integer too */
	v = json_object_get(b, "attributes");
	if (create && v == NULL)	/* default {} */
		abort();
	if (v != NULL && !json_is_object(v))
		abort();
	v = json_object_get(b, "description");
	if (v != NULL && !json_is_string(v) && !json_is_null(v))
		abort();
	if (!create && json_object_size(b) < 1)
		abort();
}

/* POST /items: the validated body back, as the database would. */
static void
h_create(struct fpg_req *r)
{
	check_item(r, 1);
	fpg_set_header(r, "Location", "/items/1");
	fpg_send_json(r, 201, fpg_body(r));
}

/* GET /items/{id}: 304 for a matching If-None-Match. */
static void
h_get(struct fpg_req *r)
{
	long long	 id = int_arg(r, "id", 1, INT64_MAX);
	const char	*inm = fpg_header(r, "If-None-Match");
	json_t		*v;

	if (inm != NULL && strcmp(inm, "\"1\"") == 0) {
		fpg_send_empty(r, 304);
		return;
	}
	v = json_pack("{s:I, s:s}", "id", (json_int_t)id, "path",
	    fpg_path(r));
	fpg_set_header(r, "ETag", "\"1\"");
	fpg_send_json(r, 200, v);
	json_decref(v);
}

/*
 * PATCH /items/{id}: If-Match's tags as the app reads them, a text[]
 * literal: braces around quoted elements, never a bare quote inside.
 */
static void
h_patch(struct fpg_req *r)
{
	const char	*m = fpg_if_match(r);
	size_t		 len = m ? strlen(m) : 0;

	int_arg(r, "id", 1, INT64_MAX);
	if (m != NULL && (len < 2 || m[0] != '{' || m[len - 1] != '}'))
		abort();
	check_item(r, 0);
	fpg_send_json(r, 200, fpg_body(r));
}

static void
h_delete(struct fpg_req *r)
{
	int_arg(r, "id", 1, INT64_MAX);
	fpg_send_empty(r, 204);
}

/*
 * GET /items/{id}/tags/{tag}: every argument back, typed as the
 * schema says; an X-Echo header goes back as a response header (the
 * library must refuse what would split the response).
 */
static void
h_tag(struct fpg_req *r)
{
	static const char *const names[] = { "n", "x", "q", "flag",
	    "maybe", "ids", "tags", "other" };
	const char	*tag = fpg_arg(r, "tag"), *echo, *v;
	json_t		*o = json_object();
	size_t		 i;

	int_arg(r, "id", 1, INT64_MAX);
	if (tag == NULL || *tag == '\0')
		abort();
	json_object_set_new(o, "tag", json_string(tag));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = fpg_arg(r, names[i]);
		json_object_set_new(o, names[i], v ? json_string(v) :
		    json_null());
	}
	v = fpg_arg(r, "flag");		/* a $ref, defaulted */
	if (v == NULL || (strcmp(v, "true") && strcmp(v, "false")))
		abort();
	if ((v = fpg_arg(r, "n")) != NULL)
		int_arg(r, "n", -5, 5);
	json_object_set_new(o, "method", json_string(fpg_method(r)));
	json_object_set_new(o, "id", json_string(fpg_request_id(r)));
	if ((echo = fpg_header(r, "X-Echo")) != NULL && strlen(echo) < 1024)
		fpg_set_header(r, "X-Echo", echo);
	fpg_send_json(r, 200, o);
	json_decref(o);
}

/* PUT /items/{id}/tags/{tag}: any JSON body, echoed. */
static void
h_put_tag(struct fpg_req *r)
{
	size_t len;

	if (fpg_body(r) == NULL || fpg_body_text(r, &len) == NULL ||
	    len == 0)
		abort();
	fpg_send_json(r, 200, fpg_body(r));
}

/* GET /raw/{name}: no schemas, so {name} is the decoded segment as a
 * string, and the query is "{}" for the database. */
static void
h_raw(struct fpg_req *r)
{
	const char	*name = fpg_arg(r, "name"), *qt = fpg_query_text(r);
	json_t		*v;

	if (name == NULL || *name == '\0' || qt == NULL || strcmp(qt, "{}"))
		abort();
	if ((v = json_string(name)) == NULL)
		abort();	/* must have been refused as not UTF-8 */
	fpg_send_json(r, 200, v);
	json_decref(v);
}

/* GET /health: no schemas at all; answers nothing (library's 500). */
static void
h_health(struct fpg_req *r)
{
	if (fpg_query(r, "silent") != NULL)
		return;
	fpg_send(r, 200, "{\"ok\":true}", 11);
}

static const struct fpg_route routes[] = {
	{ "GET", "/items", h_list, NULL, SCHEMA_item_list, NULL },
	{ "POST", "/items", h_create, NULL, NULL, SCHEMA_item_create },
	{ "GET", "/items/{id}", h_get, SCHEMA_item_id, NULL, NULL },
	{ "PATCH", "/items/{id}", h_patch, SCHEMA_item_id, NULL, SCHEMA_item_patch },
	{ "DELETE", "/items/{id}", h_delete, SCHEMA_item_id, NULL, NULL },
	{ "GET", "/items/{id}/tags/{tag}", h_tag, tag_path, tag_query, NULL },
	{ "PUT", "/items/{id}/tags/{tag}", h_put_tag, tag_path, NULL,
	    any_body },
	{ "GET", "/raw/{name}", h_raw, NULL, NULL, NULL },
	{ "GET", "/health", h_health, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

static const struct fpg_resource resource = { .name = "fuzz",
    .routes = routes };

static const char idchars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789._-";

static struct fpg_app	 app;
static FILE	*devnull;
static int	 print;		/* FUZZ_PRINT set: responses to stderr */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[512];

	(void)argc;
	(void)argv;
	/* Quiet (no access lines), a small body limit, a mount prefix. */
	setenv("LOG_LEVEL", "error", 1);
	setenv("MAX_BODY_SIZE", "4k", 1);
	setenv("ROOT_PATH", "/api", 1);
	json_object_seed(1);
	app.res = &resource;
	if (fpg_conf_load(&app.conf, "/dev/null", err,
	    sizeof(err)) == -1 ||
	    fpg_router_init(&app.router, routes, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	fpg_log_init("fuzz", app.conf.log_level, 0);
	app.dbconf.conninfo = app.conf.conninfo;
	if ((devnull = fopen("/dev/null", "r")) == NULL)
		abort();
	print = getenv("FUZZ_PRINT") != NULL;
	return 0;
}

/* The status of a response as fpg_req_handle wrote it; aborts if the
 * response is not well formed. */
static int
check_response(const char *out, size_t len, const char *method,
    const char *id)
{
	const char	*end, *body, *p;
	size_t		 hlen;
	long long	 st;
	char		 code[4];
	json_t		*j;

	if (len < 12 || strncmp(out, "Status: ", 8) != 0 ||
	    memchr(out, '\0', len) != NULL)
		abort();
	memcpy(code, out + 8, 3);
	code[3] = '\0';
	if (out[11] != ' ' || fpg_strtonum(code, 100, 599, &st) == -1)
		abort();
	if ((end = strstr(out, "\r\n\r\n")) == NULL)
		abort();
	hlen = (size_t)(end - out) + 4;
	body = end + 4;
	/* Headers: each line "Name: value", no bare CR or LF inside. */
	for (p = out; p < end + 2; ) {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL || memchr(p, ':', (size_t)(eol - p)) == NULL ||
		    memchr(p, '\n', (size_t)(eol - p)) != NULL ||
		    memchr(p, '\r', (size_t)(eol - p)) != NULL)
			abort();
		p = eol + 2;
	}
	if ((p = strstr(out, "\r\nX-Request-ID: ")) == NULL ||
	    strncmp(p + 16, id, strlen(id)) != 0 ||
	    strncmp(p + 16 + strlen(id), "\r\n", 2) != 0 ||
	    strstr(out, "\r\nX-Content-Type-Options: nosniff\r\n") == NULL)
		abort();
	if (st == 204 || st == 304 || strcmp(method, "HEAD") == 0) {
		if (len != hlen)
			abort();	/* no body */
	} else {
		if (strstr(out, "\r\nContent-Type: application/json\r\n") ==
		    NULL)
			abort();
		j = json_loadb(body, len - hlen, JSON_DECODE_ANY |
		    JSON_DECODE_INT_AS_REAL, NULL);
		if (j == NULL)
			abort();
		/* Errors are {"detail": ...}, as DESIGN.md says. */
		if (st >= 400 && json_object_get(j, "detail") == NULL)
			abort();
		json_decref(j);
	}
	return (int)st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *p, *nl, *envp[PARAMS_MAX + 1], *out = NULL;
	char		*body = NULL;
	const char	*rid;
	size_t		 n = 0, bodylen = 0, outlen = 0;
	struct fpg_db	 db;
	struct fpg_req	 r;
	int		 st;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p < buf + size; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + size - p))) == NULL)
			nl = buf + size;
		*nl = '\0';
		if (*p == '\0' && nl < buf + size) {	/* empty line */
			body = nl + 1;
			bodylen = (size_t)(buf + size - body);
			break;
		}
		if (strchr(p, '=') != NULL && n < PARAMS_MAX)
			envp[n++] = p;
	}
	envp[n] = NULL;

	fpg_db_init(&db, &app.dbconf, NULL, "fuzz", 1);
	memset(&r, 0, sizeof(r));
	r.app = &app;
	r.envp = envp;
	r.db = &db;
	if (bodylen > 0)
		r.in = fmemopen(body, bodylen, "r");
	else {
		clearerr(devnull);
		r.in = devnull;
	}
	r.out = open_memstream(&out, &outlen);
	if (r.in == NULL || r.out == NULL)
		abort();
	fpg_req_handle(&r);
	if (r.in != devnull)
		fclose(r.in);
	fclose(r.out);

	if (print)
		fprintf(stderr, "%.*s\n", (int)outlen, out);
	st = check_response(out, outlen, r.method, r.id);
	/* The client's request id when sane, else 32 hex digits. */
	rid = fpg_env_get(envp, "HTTP_X_REQUEST_ID");
	if (rid != NULL && *rid != '\0' && strlen(rid) <= FPG_ID_MAX &&
	    strspn(rid, idchars) == strlen(rid)) {
		if (strcmp(r.id, rid) != 0)
			abort();
	} else if (strlen(r.id) != 32 ||
	    strspn(r.id, "0123456789abcdef") != 32)
		abort();
	if (st != r.status || !r.answered)
		abort();
	/* Nothing here answers 500 but /health?silent, which answers
	 * nothing at all (memory does not run out under the fuzzer). */
	if (st == 500 && (r.route == NULL ||
	    r.route->def->handler != h_health))
		abort();
	if (db.conn != NULL)
		abort();
	free(out);
	free(buf);
	return 0;
}
