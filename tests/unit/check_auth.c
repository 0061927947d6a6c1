/*
 * check_auth.c -- the library's steps on the request's way (auth.c,
 * cors.c) and form bodies, driven through in-memory CGI input as
 * check_handle.c does: 401 with WWW-Authenticate, 403, a public route
 * with a bad token, the caller's role and claims queued for the
 * database, CORS preflights and headers, a form body decoded and
 * validated, a token issued and then accepted.  No database: nothing
 * here runs a statement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "extern.h"

#define SECRET	"0123456789abcdef0123456789abcdef-test"

static int	 ran;		/* handler calls */

/* Shows who called: X-User, X-Role, and the claims as the body. */
static void
h_who(struct fpg_req *r)
{
	const char *c = fpg_claims(r);

	ran++;
	if (fpg_user(r))
		fpg_set_header(r, "X-User", fpg_user(r));
	if (fpg_role(r))
		fpg_set_header(r, "X-Role", fpg_role(r));
	fpg_send(r, 200, c ? c : "{}", c ? strlen(c) : 2);
}

/* POST /token: the form's username as sub, its scope as scope. */
static void
h_token(struct fpg_req *r)
{
	json_t	*b = fpg_body(r);
	char	 tok[1024];
	long	 ttl = 0;
	const char *role = json_string_value(json_object_get(b, "password"));

	ran++;
	if (fpg_token_issue(r, json_string_value(json_object_get(b,
	    "username")), role, json_string_value(json_object_get(b, "scope")),
	    tok, sizeof(tok), &ttl) != FPG_OK || ttl != 3600)
		return;
	b = json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type",
	    "bearer", "expires_in", (int)ttl);
	fpg_send_json(r, 200, b);	/* borrowed */
	json_decref(b);
}

/* As stmt.c leaves it when the token's role cannot be set (42501 on
 * the settings' query, nothing else ran); X-Local: 0 a 42501 of the
 * statement itself. */
static void
h_denied(struct fpg_req *r)
{
	const char *l = fpg_header(r, "X-Local");

	ran++;
	memcpy(r->db->err.sqlstate, "42501", 6);
	r->db->local_failed = l == NULL || *l != '0';
}

static const struct fpg_route routes[] = {
	{ .method = "GET", .path = "/denied", .handler = h_denied },
	{ .method = "GET", .path = "/pub", .handler = h_who },
	{ .method = "GET", .path = "/me", .handler = h_who, .auth = "" },
	{ .method = "GET", .path = "/items/{id}", .handler = h_who },
	{ .method = "DELETE", .path = "/items/{id}", .handler = h_who,
	  .auth = "shop_admin shop_clerk" },
	{ .method = "POST", .path = "/token", .handler = h_token, .form = 1,
	  .body_schema = "{\"type\":\"object\",\"required\":[\"username\","
	  "\"password\"],\"additionalProperties\":false,\"properties\":{"
	  "\"username\":{\"type\":\"string\",\"minLength\":1},\"password\":"
	  "{\"type\":\"string\"},\"scope\":{\"type\":\"string\"}}}" },
	{ NULL }
};

static const struct fpg_resource res = { .name = "shop", .routes = routes };
static struct fpg_app	 app;
static struct fpg_db	 db;

static void
setup(void)
{
	char err[256];

	setenv("LOG_LEVEL", "error", 1);
	setenv("JWT_SECRET", SECRET, 1);
	setenv("JWT_ANON_ROLE", "web_anon", 1);
	setenv("CORS_ORIGINS", "https://app.example https://admin.example", 1);
	setenv("CORS_MAX_AGE", "300", 1);
	app.res = &res;
	ck_assert(fpg_conf_load(&app.conf, "/dev/null", err,
	    sizeof(err)) == 0);
	ck_assert_msg((app.jwt = fpg_jwt_new(&app.conf, err,
	    sizeof(err))) != NULL, "%s", err);
	ck_assert(fpg_router_init(&app.router, routes, err,
	    sizeof(err)) == 0);
	fpg_log_init("shop", FPG_LOG_ERROR, 0);
	app.dbconf.conninfo = app.conf.conninfo;
}

static void
teardown(void)
{
	fpg_router_free(&app.router);
	fpg_jwt_free(app.jwt);
	fpg_conf_free(&app.conf);
	fpg_token_cache_clear();
}

/* Serves one CGI request (env "K=V" list, in on stdin); the whole
 * response in *out (caller frees); returns the status. */
static int
serve(const char **env, const char *in, char **out)
{
	struct fpg_req	 r;
	size_t		 outlen = 0;
	char		*buf = NULL;

	ran = 0;
	fpg_db_init(&db, &app.dbconf, NULL, "shop", 1);
	memset(&r, 0, sizeof(r));
	r.app = &app;
	r.db = &db;
	r.envp = (char **)(uintptr_t)env;
	r.in = fmemopen((void *)(uintptr_t)(in ? in : ""), in ? strlen(in) : 0,
	    "r");
	r.out = open_memstream(&buf, &outlen);
	ck_assert(r.in != NULL && r.out != NULL);
	fpg_req_handle(&r);
	fclose(r.in);
	fclose(r.out);
	*out = buf;
	return r.status;
}

/* A token for sub 42 with role (NULL: none), scope, exp now + ttl. */
static char *
token(const char *role, const char *scope, long ttl)
{
	static char	 tok[1024];
	json_t		*c = json_pack("{s:s, s:I}", "sub", "42", "exp",
	    (json_int_t)time(NULL) + ttl);

	if (role)
		json_object_set_new(c, "role", json_string(role));
	if (scope)
		json_object_set_new(c, "scope", json_string(scope));
	ck_assert_int_eq(fpg_jwt_sign(app.jwt, c, tok, sizeof(tok)), FPG_OK);
	json_decref(c);
	return tok;
}

/* "HTTP_AUTHORIZATION=Bearer <tok>", in static memory. */
static const char *
bearer(const char *tok)
{
	static char	 h[1200];

	snprintf(h, sizeof(h), "HTTP_AUTHORIZATION=Bearer %s", tok);
	return h;
}

/* The database settings the request queued: name's value, or NULL. */
static const char *
setting(const char *name)
{
	int	 i;

	for (i = 0; i < db.nlocal; i++)
		if (strcmp(db.local[2 * i], name) == 0)
			return db.local[2 * i + 1];
	return NULL;
}

START_TEST(t_not_authenticated)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/me", NULL };
	const char *basic[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/me",
	    "HTTP_AUTHORIZATION=Basic YWxhZGRpbjpvcGVuc2VzYW1l", NULL };
	char	*out;

	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out, "\r\nWWW-Authenticate: Bearer\r\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "{\"detail\":\"Not authenticated\"}"));
	free(out);
	ck_assert_int_eq(serve(basic, NULL, &out), 401);
	ck_assert_ptr_nonnull(strstr(out, "Not authenticated"));
	free(out);
}
END_TEST

START_TEST(t_invalid_token)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/me", NULL,
	    NULL };
	char	*out, tok[1024], *big;
	size_t	 n;

	/* expired, tampered: 401 invalid_token, the token never echoed */
	env[2] = bearer(token("shop_customer", NULL, -3600));
	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_ptr_nonnull(strstr(out, "\r\nWWW-Authenticate: Bearer "
	    "error=\"invalid_token\", error_description=\"expired\"\r\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "{\"detail\":\"Could not validate credentials\"}"));
	ck_assert_ptr_null(strstr(out, env[2] + 27));
	free(out);
	snprintf(tok, sizeof(tok), "%s", token("shop_customer", NULL, 60));
	n = strlen(tok);
	tok[n - 1] = tok[n - 1] == 'A' ? 'B' : 'A';
	env[2] = bearer(tok);
	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_ptr_nonnull(strstr(out, "error_description=\""));
	ck_assert_int_eq(ran, 0);
	free(out);
	/* a header too long to read is a bad token (401), not a 400 */
	big = malloc(FPG_HEADER_MAX + 64);
	n = (size_t)snprintf(big, FPG_HEADER_MAX + 64,
	    "HTTP_AUTHORIZATION=Bearer ");
	memset(big + n, 'A', FPG_HEADER_MAX);
	big[n + FPG_HEADER_MAX] = '\0';
	env[2] = big;
	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_ptr_nonnull(strstr(out, "invalid_token"));
	free(out);
	free(big);
}
END_TEST

START_TEST(t_public_route)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/pub", NULL,
	    NULL };
	char	*out;

	/* anonymous: the anonymous role, no user, no claims */
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Role: web_anon\r\n"));
	ck_assert_ptr_null(strstr(out, "X-User"));
	ck_assert_str_eq(setting("role"), "web_anon");
	ck_assert_ptr_null(setting("request.jwt.claims"));
	free(out);
	/* a bad token on a public route is still 401 */
	env[2] = "HTTP_AUTHORIZATION=Bearer not.a.token";
	ck_assert_int_eq(serve(env, NULL, &out), 401);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out, "invalid_token"));
	free(out);
	/* a good one: the caller, and its role and claims for SQL */
	env[2] = bearer(token("shop_customer", NULL, 60));
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-User: 42\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Role: shop_customer\r\n"));
	ck_assert_str_eq(setting("role"), "shop_customer");
	ck_assert_ptr_nonnull(strstr(setting("request.jwt.claims"),
	    "\"sub\":\"42\""));
	free(out);
	/* a token without a role: the anonymous role, as PostgREST */
	env[2] = bearer(token(NULL, NULL, 60));
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	ck_assert_str_eq(setting("role"), "web_anon");
	ck_assert_ptr_nonnull(setting("request.jwt.claims"));
	free(out);
}
END_TEST

START_TEST(t_permissions)
{
	const char *env[] = { "REQUEST_METHOD=DELETE",
	    "REQUEST_URI=/items/1", NULL, NULL };
	char	*out;

	env[2] = bearer(token("shop_customer", "items:read", 60));
	ck_assert_int_eq(serve(env, NULL, &out), 403);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "{\"detail\":\"Not enough permissions\"}"));
	ck_assert_int_eq(db.nlocal, 0);	/* nothing for the database */
	free(out);
	env[2] = bearer(token("shop_clerk", NULL, 60));
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	free(out);
	/* a scope naming the role will do; a part of a word will not */
	env[2] = bearer(token("shop_customer", "a shop_admin b", 60));
	ck_assert_int_eq(serve(env, NULL, &out), 200);
	free(out);
	env[2] = bearer(token("shop", "shop_adm", 60));
	ck_assert_int_eq(serve(env, NULL, &out), 403);
	free(out);
	/* no token at all: 401, not 403 */
	env[2] = NULL;
	ck_assert_int_eq(serve(env, NULL, &out), 401);
	free(out);
}
END_TEST

/* A role the login role may not become: 403, as sqlstate.c says. */
START_TEST(t_role_refused)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/denied",
	    NULL, NULL };
	char	*out;

	ck_assert_int_eq(serve(env, NULL, &out), 403);
	ck_assert_ptr_nonnull(strstr(out,
	    "{\"detail\":\"Not enough permissions\"}"));
	free(out);
	env[2] = "HTTP_X_LOCAL=0";
	ck_assert_int_eq(serve(env, NULL, &out), 403);
	ck_assert_ptr_nonnull(strstr(out, "{\"detail\":\"Forbidden\"}"));
	free(out);
}
END_TEST

START_TEST(t_cors)
{
	const char *pre[] = { "REQUEST_METHOD=OPTIONS", "REQUEST_URI=/items/1",
	    "HTTP_ORIGIN=https://app.example",
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE",
	    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS=authorization", NULL };
	const char *evil[] = { "REQUEST_METHOD=OPTIONS", "REQUEST_URI=/items/1",
	    "HTTP_ORIGIN=https://evil.example",
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE", NULL };
	const char *get[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/me",
	    "HTTP_ORIGIN=https://admin.example", NULL };
	const char *get_evil[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/pub",
	    "HTTP_ORIGIN=https://app.example.evil", NULL };
	const char *options[] = { "REQUEST_METHOD=OPTIONS",
	    "REQUEST_URI=/items/1", NULL };
	char	*out;

	/* a preflight: 204, no token needed, nothing run */
	ck_assert_int_eq(serve(pre, NULL, &out), 204);
	ck_assert_int_eq(ran, 0);
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Allow-Origin: "
	    "https://app.example\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nVary: Origin\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Allow-Methods: "
	    "GET, DELETE\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Allow-Headers: "
	    "Authorization, Content-Type, If-Match, If-None-Match, "
	    "Idempotency-Key, X-Request-ID\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Max-Age: 300\r\n"));
	ck_assert_ptr_null(strstr(out, "Allow-Credentials"));
	free(out);
	/* another origin: no CORS header at all */
	ck_assert_int_eq(serve(evil, NULL, &out), 204);
	ck_assert_ptr_null(strstr(out, "Access-Control-"));
	free(out);
	/* OPTIONS that is no preflight: still 405 */
	ck_assert_int_eq(serve(options, NULL, &out), 405);
	free(out);
	/* an answer to an allowed origin, a 401 too, carries them */
	ck_assert_int_eq(serve(get, NULL, &out), 401);
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Allow-Origin: "
	    "https://admin.example\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nAccess-Control-Expose-Headers: "
	    "ETag, Location, Link, X-Request-ID\r\n"));
	free(out);
	ck_assert_int_eq(serve(get_evil, NULL, &out), 200);
	ck_assert_ptr_null(strstr(out, "Access-Control-"));
	free(out);
	/* credentials when configured */
	app.conf.cors_credentials = 1;
	ck_assert_int_eq(serve(pre, NULL, &out), 204);
	ck_assert_ptr_nonnull(strstr(out,
	    "\r\nAccess-Control-Allow-Credentials: true\r\n"));
	free(out);
	app.conf.cors_credentials = 0;
}
END_TEST

START_TEST(t_form)
{
	const char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/token",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL, NULL };
	const char *json[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/token",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=2", NULL };
	const char *me[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/me", NULL,
	    NULL };
	static const char body[] = "username=ann%40example.com&password=x&"
	    "password=shop_clerk&scope=a+b";
	char	 clen[32], *out, *tok, *e;

	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu", strlen(body));
	env[3] = clen;
	ck_assert_int_eq(serve(env, body, &out), 200);
	ck_assert_int_eq(ran, 1);
	ck_assert_ptr_nonnull(tok = strstr(out, "\"access_token\":\""));
	tok += 16;
	ck_assert_ptr_nonnull(e = strchr(tok, '"'));
	*e = '\0';
	/* the token issued is accepted, and says what the form said */
	me[2] = bearer(tok);
	free(out);
	ck_assert_int_eq(serve(me, NULL, &out), 200);
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-User: ann@example.com\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Role: shop_clerk\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\"scope\":\"a b\""));
	free(out);
	/* validated as JSON would be: a field missing, one unknown */
	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu",
	    strlen("username=ann&extra=1"));
	ck_assert_int_eq(serve(env, "username=ann&extra=1", &out), 422);
	ck_assert_ptr_nonnull(strstr(out, "password"));
	ck_assert_int_eq(ran, 0);
	free(out);
	/* not UTF-8: 422 */
	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu",
	    strlen("username=%ff&password=x"));
	ck_assert_int_eq(serve(env, "username=%ff&password=x", &out), 422);
	ck_assert_ptr_nonnull(strstr(out, "form_invalid"));
	free(out);
	/* JSON where a form is declared: 415 */
	ck_assert_int_eq(serve(json, "{}", &out), 415);
	free(out);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc = tcase_create("auth");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_not_authenticated);
	tcase_add_test(tc, t_invalid_token);
	tcase_add_test(tc, t_public_route);
	tcase_add_test(tc, t_permissions);
	tcase_add_test(tc, t_role_refused);
	tcase_add_test(tc, t_cors);
	tcase_add_test(tc, t_form);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(suite());
	int	 nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
