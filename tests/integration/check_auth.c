/*
 * check_auth.c -- who may do what, through the web server under test:
 * users and tokens (POST /users, POST /token, GET /users/me), bearer
 * tokens refused (expired, tampered, alg none, wrong key), and the
 * orders of one user that no other user can read, list, cancel or
 * replay by any route (row-level security: 404, never 403).  Tokens are
 * forged here with OpenSSL's HMAC and the stack's JWT_SECRET.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static char	*email_a, *email_b, *tok_a, *tok_b, *tok_admin;
static long	 item_id, uid_a;

/* base64url without padding of n bytes of p into out. */
static void
b64url(const unsigned char *p, size_t n, char *out)
{
	int	 len = EVP_EncodeBlock((unsigned char *)out, p, (int)n), i;

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

/* A token: header and claims JSON, HS256 with key (NULL: unsigned). */
static char *
forge(const char *header, const char *claims, const char *key)
{
	char		 h[512], c[1024], sig[128], *t = malloc(2048);
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 mlen = 0;

	b64url((const unsigned char *)header, strlen(header), h);
	b64url((const unsigned char *)claims, strlen(claims), c);
	snprintf(t, 2048, "%s.%s", h, c);
	sig[0] = '\0';
	if (key != NULL) {
		HMAC(EVP_sha256(), key, (int)strlen(key),
		    (const unsigned char *)t, strlen(t), mac, &mlen);
		b64url(mac, mlen, sig);
	}
	strcat(t, ".");
	strcat(t, sig);
	return t;
}

static char *
claims(long sub, const char *role, long exp_from_now)
{
	char *c = malloc(256);

	snprintf(c, 256, "{\"sub\":\"%ld\",\"role\":\"%s\",\"iat\":%ld,"
	    "\"exp\":%ld}", sub, role, (long)time(NULL),
	    (long)time(NULL) + exp_from_now);
	return c;
}

static struct resp
as(const char *tok, const char *method, const char *path, const char *body)
{
	char		 a[4096];
	const char	*h[] = { a, NULL };

	snprintf(a, sizeof(a), tok ? "Authorization: Bearer %s" :
	    "Authorization:", tok);
	return http(method, path, body, body ? strlen(body) : 0, h);
}

static long
status_as(const char *tok, const char *method, const char *path,
    const char *body)
{
	struct resp	 r = as(tok, method, path, body);
	long		 s = r.status;

	resp_free(&r);
	return s;
}

/* Two customers, their tokens, the admin's, and an item to order. */
static void
setup(void)
{
	struct resp	 r;
	char		 body[256];

	use_token(NULL);
	email_a = register_user("auth-a");
	email_b = register_user("auth-b");
	tok_a = login(email_a, PASSWORD);
	tok_b = login(email_b, PASSWORD);
	tok_admin = admin_token();
	snprintf(body, sizeof(body), "{\"sku\":\"AUTH-%ld-%d\",\"name\":"
	    "\"Auth\",\"price\":3,\"stock\":1000}", (long)time(NULL),
	    (int)getpid());
	r = as(tok_admin, "POST", "/items", body);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	item_id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	r = as(tok_a, "GET", "/users/me", NULL);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	uid_a = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
}

static void
teardown(void)
{
	free(email_a);
	free(email_b);
	free(tok_a);
	free(tok_b);
	free(tok_admin);
}

START_TEST(users_and_tokens)
{
	struct resp	 r;
	char		 body[512];
	const char	*form[] = { "Authorization:",
	    "Content-Type: application/x-www-form-urlencoded", NULL };

	/* /users/me: the caller, without the hash */
	r = as(tok_a, "GET", "/users/me", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "email")),
	    email_a);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "role")),
	    "shop_customer");
	ck_assert_ptr_null(strstr(r.body, "$y$"));
	ck_assert_ptr_null(strstr(r.body, PASSWORD));
	resp_free(&r);
	/* the hash is yescrypt, the password nowhere */
	snprintf(body, sizeof(body), "SELECT count(*) FROM users WHERE "
	    "email = '%s' AND password_hash LIKE '$y$%%'", email_a);
	ck_assert_int_eq(db_long(body), 1);
	snprintf(body, sizeof(body), "SELECT count(*) FROM users WHERE "
	    "password_hash LIKE '%%%s%%'", PASSWORD);
	ck_assert_int_eq(db_long(body), 0);
	/* a duplicate email, whatever its case: 409 */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":"
	    "\"another-password\"}", email_a);
	body[10] = (char)(body[10] - 32);	/* upper-case first letter */
	r = as(NULL, "POST", "/users", body);
	ck_assert_msg(r.status == 409, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* a short password: 422 */
	r = as(NULL, "POST", "/users", "{\"email\":\"s@example.com\","
	    "\"password\":\"short\"}");
	ck_assert_int_eq(r.status, 422);
	resp_free(&r);
	/* wrong password, unknown email: the same 401 */
	snprintf(body, sizeof(body), "username=%s&password=wrong-password",
	    email_a);
	r = http("POST", "/token", body, strlen(body), form);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(detail(&r), "Incorrect username or password");
	assert_header(&r, "WWW-Authenticate", "Bearer");
	resp_free(&r);
	r = http("POST", "/token", "username=nobody%40example.com&password=x",
	    40, form);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(detail(&r), "Incorrect username or password");
	resp_free(&r);
	/* a token's shape */
	snprintf(body, sizeof(body), "grant_type=password&username=%s&"
	    "password=%s&scope=", email_a, PASSWORD);
	r = http("POST", "/token", body, strlen(body), form);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json,
	    "token_type")), "bearer");
	ck_assert_int_gt(json_integer_value(json_object_get(r.json,
	    "expires_in")), 0);
	resp_free(&r);
	/* anonymous: 401 Bearer */
	r = as(NULL, "GET", "/users/me", NULL);
	ck_assert_int_eq(r.status, 401);
	assert_header(&r, "WWW-Authenticate", NULL);
	resp_free(&r);
}
END_TEST

START_TEST(orders_are_private)
{
	char		 body[256], path[128], key[128];
	const char	*h[3] = { key, NULL, NULL };
	char		 auth[4096];
	struct resp	 r;
	long		 oid, before;
	char		*a_body;

	snprintf(body, sizeof(body), "{\"lines\":[{\"item_id\":%ld,"
	    "\"quantity\":1}]}", item_id);
	snprintf(key, sizeof(key), "Idempotency-Key: auth-%ld-%d",
	    (long)time(NULL), (int)getpid());
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok_a);
	h[1] = auth;
	r = http("POST", "/orders", body, strlen(body), h);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	oid = (long)json_integer_value(json_object_get(r.json, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(r.json,
	    "customer_email")), email_a);
	a_body = strdup(r.body);
	resp_free(&r);
	/* A reads it; B does not, by any route */
	snprintf(path, sizeof(path), "/orders/%ld", oid);
	ck_assert_int_eq(status_as(tok_a, "GET", path, NULL), 200);
	ck_assert_int_eq(status_as(tok_b, "GET", path, NULL), 404);
	snprintf(path, sizeof(path), "/orders/%ld/cancel", oid);
	ck_assert_int_eq(status_as(tok_b, "POST", path, NULL), 404);
	r = as(tok_b, "GET", "/orders", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(r.json), 0);
	resp_free(&r);
	snprintf(path, sizeof(path), "/orders?customer_email=%s", email_a);
	r = as(tok_b, "GET", path, NULL);
	ck_assert_int_eq(json_array_size(r.json), 0);
	resp_free(&r);
	/* B replaying A's key gets a new order of B's own */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok_b);
	before = db_long("SELECT count(*) FROM orders");
	r = http("POST", "/orders", body, strlen(body), h);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_int_ne(json_integer_value(json_object_get(r.json, "id")),
	    oid);
	ck_assert_str_eq(json_string_value(json_object_get(r.json,
	    "customer_email")), email_b);
	resp_free(&r);
	ck_assert_int_eq(db_long("SELECT count(*) FROM orders"), before + 1);
	/* A's replay is A's first answer */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok_a);
	r = http("POST", "/orders", body, strlen(body), h);
	ck_assert_str_eq(r.body, a_body);
	resp_free(&r);
	free(a_body);
	/* A lists exactly their own */
	r = as(tok_a, "GET", "/orders", NULL);
	ck_assert_int_eq(json_array_size(r.json), 1);
	resp_free(&r);
	/* the admin sees it, and filters by customer */
	snprintf(path, sizeof(path), "/orders/%ld", oid);
	ck_assert_int_eq(status_as(tok_admin, "GET", path, NULL), 200);
	snprintf(path, sizeof(path), "/orders?customer_email=%s", email_a);
	r = as(tok_admin, "GET", path, NULL);
	ck_assert_int_eq(json_array_size(r.json), 1);
	resp_free(&r);
	/* B cannot cancel it; A can */
	snprintf(path, sizeof(path), "/orders/%ld/cancel", oid);
	ck_assert_int_eq(status_as(tok_a, "POST", path, NULL), 200);
	/* anonymous: 401 on every orders route */
	r = as(NULL, "GET", "/orders", NULL);
	ck_assert_int_eq(r.status, 401);
	assert_header(&r, "WWW-Authenticate", NULL);
	resp_free(&r);
	ck_assert_int_eq(status_as(NULL, "POST", "/orders", body), 401);
}
END_TEST

START_TEST(items_need_admin)
{
	char		 path[64];
	long		 before = db_long("SELECT count(*) FROM items");

	ck_assert_int_eq(status_as(tok_a, "POST", "/items",
	    "{\"sku\":\"NOPE-1\",\"name\":\"x\",\"price\":1}"), 403);
	ck_assert_int_eq(status_as(NULL, "POST", "/items",
	    "{\"sku\":\"NOPE-1\",\"name\":\"x\",\"price\":1}"), 401);
	snprintf(path, sizeof(path), "/items/%ld", item_id);
	ck_assert_int_eq(status_as(tok_a, "PATCH", path, "{\"price\":0}"),
	    403);
	ck_assert_int_eq(status_as(tok_a, "DELETE", path, NULL), 403);
	ck_assert_int_eq(status_as(NULL, "GET", path, NULL), 200);
	ck_assert_int_eq(status_as(tok_a, "GET", "/items?limit=1", NULL), 200);
	ck_assert_int_eq(db_long("SELECT count(*) FROM items"), before);
}
END_TEST

START_TEST(bad_tokens)
{
	const char	*key = getenv("JWT_SECRET");
	char		*c, *t, *bad[8];
	size_t		 i, n = 0;
	long		 before = db_long("SELECT count(*) FROM orders");
	char		 body[128];

	ck_assert_ptr_nonnull(key);
	snprintf(body, sizeof(body), "{\"lines\":[{\"item_id\":%ld,"
	    "\"quantity\":1}]}", item_id);
	/* a good forged token works: the key is right */
	c = claims(uid_a, "shop_customer", 600);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", c, key);
	ck_assert_int_eq(status_as(t, "GET", "/users/me", NULL), 200);
	free(t);
	free(c);
	c = claims(uid_a, "shop_customer", -3600);		/* expired */
	bad[n++] = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", c, key);
	free(c);
	c = claims(uid_a, "shop_customer", 600);
	bad[n++] = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, NULL);
	bad[n++] = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", c,
	    "a-wrong-key-of-at-least-32-bytes-long");
	free(c);
	/* tampered: B's token with A's sub, B's signature kept */
	{
		char	*dot1, *dot2, pl[1024];

		t = strdup(tok_b);
		dot1 = strchr(t, '.');
		dot2 = strchr(dot1 + 1, '.');
		c = claims(uid_a, "shop_admin", 600);
		b64url((const unsigned char *)c, strlen(c), pl);
		free(c);
		bad[n] = malloc(strlen(t) + strlen(pl) + 8);
		*dot1 = '\0';
		sprintf(bad[n++], "%s.%s%s", t, pl, dot2);
		free(t);
	}
	bad[n++] = strdup("not.a.token");
	for (i = 0; i < n; i++) {
		struct resp r = as(bad[i], "GET", "/orders", NULL);

		ck_assert_msg(r.status == 401, "token %zu: %ld %s", i,
		    r.status, r.body);
		assert_header(&r, "WWW-Authenticate", NULL);
		resp_free(&r);
		ck_assert_int_eq(status_as(bad[i], "POST", "/orders", body),
		    401);
		free(bad[i]);
	}
	/* a role the login role cannot become: 403, nothing written */
	c = claims(uid_a, "postgres", 600);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", c, key);
	ck_assert_int_eq(status_as(t, "POST", "/orders", body), 403);
	ck_assert_int_eq(status_as(t, "GET", "/orders", NULL), 403);
	free(t);
	free(c);
	ck_assert_int_eq(db_long("SELECT count(*) FROM orders"), before);
}
END_TEST

/*
 * Nothing of one request's identity survives into the next on the same
 * connection: A, B and anonymous, alternating, 24 times over POOL_SIZE
 * (4) connections, each sees only itself.
 */
START_TEST(identity_does_not_leak)
{
	int		 i;
	struct resp	 r;
	const char	*who;
	char		 body[128];

	snprintf(body, sizeof(body), "{\"lines\":[{\"item_id\":%ld,"
	    "\"quantity\":1}]}", item_id);
	ck_assert_int_eq(status_as(tok_a, "POST", "/orders", body), 201);
	for (i = 0; i < 24; i++) {
		const char *tok = i % 3 == 0 ? tok_a : i % 3 == 1 ? tok_b :
		    NULL;

		r = as(tok, "GET", "/users/me", NULL);
		if (tok == NULL) {
			ck_assert_int_eq(r.status, 401);
		} else {
			who = json_string_value(json_object_get(r.json,
			    "email"));
			ck_assert_ptr_nonnull(who);
			ck_assert_str_eq(who, tok == tok_a ? email_a : email_b);
		}
		resp_free(&r);
		r = as(tok, "GET", "/items?limit=1", NULL);
		ck_assert_int_eq(r.status, 200);	/* anon reads items */
		resp_free(&r);
		if (tok == tok_b) {
			r = as(tok, "GET", "/orders", NULL);
			ck_assert_int_eq(json_array_size(r.json), 0);
			resp_free(&r);
		}
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("auth");
	TCase	*t = tcase_create("auth");

	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, users_and_tokens);
	tcase_add_test(t, orders_are_private);
	tcase_add_test(t, items_need_admin);
	tcase_add_test(t, bad_tokens);
	tcase_add_test(t, identity_does_not_leak);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return run_suite(suite());
}
