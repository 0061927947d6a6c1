/*
 * auth.c -- who the caller is: the library's bearer-token step, the
 * per-thread cache of verified tokens, the caller's accessors, and
 * tokens issued for a resource's POST /token.
 *
 * A route declares who may call it (struct fpg_route .auth): NULL is
 * anyone (a token given must still be valid), "" any caller with a
 * valid token, "a b" a caller whose role claim is one of the words or
 * whose scope claim holds one.  The step answers as FastAPI does: 401
 * {"detail":"Not authenticated"} with WWW-Authenticate: Bearer when a
 * token is needed and absent, 401 {"detail":"Could not validate
 * credentials"} with error="invalid_token" and a short fixed
 * description for any bad token (never the token), 403 {"detail":"Not
 * enough permissions"} for a valid one lacking the role or scope.
 *
 * Then the database decides: the caller's role and claims go with the
 * request's first statement, set_config('role', ..., true) and
 * set_config('request.jwt.claims', ..., true), in the same round trip
 * (stmt.c), and are gone with the transaction.  A role the login role
 * may not become fails there, and nothing runs (sqlstate.c: 403).
 *
 * The token itself never reaches a log: log.c writes neither headers
 * nor the query string, and nothing here logs it.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "extern.h"

/*
 * Verified tokens, per worker thread, so a repeated token costs a
 * SHA-256 and a compare, not a signature check and two JSON parses.
 * Direct-mapped by the hash, bounded: a new token takes its slot's
 * place.  An entry expires with its token (exp + skew).
 */
#define CACHE_N		128

struct centry {
	unsigned char		 key[32];	/* SHA-256 of the token */
	int			 used;
	struct fpg_ident	 id;
};

static __thread struct centry	 cache[CACHE_N];
static __thread EVP_MD_CTX	*hctx;

void
fpg_token_cache_clear(void)
{
	size_t	 i;

	for (i = 0; i < CACHE_N; i++) {
		fpg_ident_clear(&cache[i].id);
		cache[i].used = 0;
	}
	EVP_MD_CTX_free(hctx);
	hctx = NULL;
}

/* SHA-256 of the token, with the thread's one digest context. */
static int
token_key(const char *tok, size_t len, unsigned char key[32])
{
	unsigned int	 n;

	if (hctx == NULL && (hctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(hctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(hctx, tok, len) != 1 ||
	    EVP_DigestFinal_ex(hctx, key, &n) != 1 || n != 32)
		return -1;
	return 0;
}

const char *
fpg_token_check(const struct fpg_jwt *j, const char *tok, size_t len,
    int64_t now, const struct fpg_ident **out)
{
	unsigned char	 key[32];
	struct centry	*e;
	const char	*why;

	*out = NULL;
	if (len > FPG_TOKEN_MAX)	/* before hashing it, even */
		return "too large";
	if (token_key(tok, len, key) == -1)
		return "internal error";
	e = &cache[(key[0] | (unsigned)key[1] << 8) % CACHE_N];
	if (e->used && memcmp(e->key, key, sizeof(key)) == 0) {
		if (e->id.exp != INT64_MAX &&
		    now > e->id.exp + fpg_jwt_skew(j)) {
			fpg_ident_clear(&e->id);
			e->used = 0;
			return "expired";
		}
		fpg_metrics_count(FPG_M_TOKEN_HITS);
		*out = &e->id;
		return NULL;
	}
	fpg_metrics_count(FPG_M_TOKEN_MISSES);
	fpg_ident_clear(&e->id);
	e->used = 0;
	if ((why = fpg_jwt_verify(j, tok, len, now, &e->id)) != NULL)
		return why;
	memcpy(e->key, key, sizeof(key));
	e->used = 1;
	*out = &e->id;
	return NULL;
}

/* Whether the space-separated list holds word (len bytes). */
static int
has_word(const char *list, const char *word, size_t len)
{
	const char	*p = list;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == len && n > 0 && memcmp(p, word, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* The caller may call a route that needs one of need's words. */
static int
permitted(const char *need, const struct fpg_ident *id)
{
	const char	*p = need;
	size_t		 n;

	if (*need == '\0')
		return 1;	/* any authenticated caller */
	while (*p != '\0') {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && ((id->role && strlen(id->role) == n &&
		    memcmp(id->role, p, n) == 0) ||
		    (id->scope && has_word(id->scope, p, n))))
			return 1;
		p += n;
	}
	return 0;
}

static enum fpg_err
unauthorized(struct fpg_req *r, const char *why)
{
	char	 h[128];

	if (why == NULL) {
		fpg_set_header(r, "WWW-Authenticate", "Bearer");
		fpg_send_error(r, 401, "Not authenticated");
	} else {
		snprintf(h, sizeof(h), "Bearer error=\"invalid_token\", "
		    "error_description=\"%s\"", why);
		fpg_set_header(r, "WWW-Authenticate", h);
		fpg_send_error(r, 401, "Could not validate credentials");
	}
	return FPG_EANSWERED;
}

/* The anonymous role, when one is configured; else none. */
static enum fpg_err
anonymous(struct fpg_req *r)
{
	const char *anon = r->app->conf.jwt_anon_role;

	if (anon != NULL && *anon != '\0') {
		r->role = anon;
		fpg_db_set_local(r->db, "role", anon);
	}
	return FPG_OK;
}

/*
 * The library's step: the bearer token of the Authorization header,
 * checked against the route's declaration (.auth).  Returns FPG_OK
 * with the caller in r (user, role, claims) and its settings queued
 * for the request's statements, or FPG_EANSWERED (401, 403).
 */
enum fpg_err
fpg_auth_step(struct fpg_req *r)
{
	const char		*need = r->route->def->auth;
	const char		*h = fpg_io_env(r, FPG_ENV_AUTHORIZATION);
	const char		*why, *role;
	const struct fpg_ident	*id;

	if (r->bad_auth)
		return unauthorized(r, "malformed");
	/* Another scheme (Basic, ...) is no bearer token: none given. */
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		if (need != NULL)
			return unauthorized(r, NULL);
		return anonymous(r);
	}
	for (h += 7; *h == ' '; h++)
		;
	if (*h == '\0')
		return unauthorized(r, need != NULL ? NULL : "malformed");
	if ((why = fpg_token_check(r->app->jwt, h, strlen(h),
	    (int64_t)time(NULL), &id)) != NULL)
		return unauthorized(r, why);
	if (need != NULL && !permitted(need, id)) {
		fpg_send_error(r, 403, "Not enough permissions");
		return FPG_EANSWERED;
	}
	r->user = id->sub;
	r->claims = id->claims;
	role = id->role;
	if (role == NULL && r->app->conf.jwt_anon_role != NULL &&
	    *r->app->conf.jwt_anon_role != '\0')
		role = r->app->conf.jwt_anon_role;	/* PostgREST's way */
	r->role = role;
	if (role != NULL)
		fpg_db_set_local(r->db, "role", role);
	fpg_db_set_local(r->db, "request.jwt.claims", id->claims);
	return FPG_OK;
}

/* --- the caller, for handlers ----------------------------------------- */

const char *
fpg_user(const struct fpg_req *r)
{
	return r->user;
}

const char *
fpg_role(const struct fpg_req *r)
{
	return r->role;
}

const char *
fpg_claims(const struct fpg_req *r)
{
	return r->claims;
}

/*
 * A token for sub with role and scope (each omitted when NULL), signed
 * with JWT_SECRET, valid for JWT_TTL from now, with JWT_AUDIENCE and
 * JWT_ISSUER when configured; into out (outsz bytes), its lifetime in
 * seconds in *expires_in (may be NULL).  Returns FPG_OK; FPG_EINVAL
 * when the configured algorithm is RS256/ES256 or no secret is set (a
 * resource cannot issue then), sub is NULL, or out is too small;
 * FPG_ENOMEM.
 */
enum fpg_err
fpg_token_issue(struct fpg_req *r, const char *sub, const char *role,
    const char *scope, char *out, size_t outsz, long *expires_in)
{
	const struct fpg_conf	*c = &r->app->conf;
	json_t			*cl;
	long			 ttl = c->jwt_ttl / 1000;
	json_int_t		 now = (json_int_t)time(NULL);
	enum fpg_err		 e;

	if (sub == NULL || out == NULL || outsz == 0)
		return FPG_EINVAL;
	if ((cl = json_object()) == NULL)
		return FPG_ENOMEM;
	/* json_string is NULL for text that is not UTF-8: refused */
	if (json_object_set_new(cl, "sub", json_string(sub)) == -1 ||
	    (role != NULL && json_object_set_new(cl, c->jwt_role_claim &&
	    *c->jwt_role_claim ? c->jwt_role_claim : "role",
	    json_string(role)) == -1) ||
	    (scope != NULL && json_object_set_new(cl, "scope",
	    json_string(scope)) == -1) ||
	    json_object_set_new(cl, "iat", json_integer(now)) == -1 ||
	    json_object_set_new(cl, "exp", json_integer(now + ttl)) == -1 ||
	    (c->jwt_audience && *c->jwt_audience &&
	    json_object_set_new(cl, "aud", json_string(c->jwt_audience)) == -1) ||
	    (c->jwt_issuer && *c->jwt_issuer &&
	    json_object_set_new(cl, "iss", json_string(c->jwt_issuer)) == -1))
		e = FPG_EINVAL;
	else
		e = fpg_jwt_sign(r->app->jwt, cl, out, outsz);
	json_decref(cl);
	if (e == FPG_OK && expires_in != NULL)
		*expires_in = ttl;
	return e;
}
