/*
 * check_jwt.c -- lib/jwt.c and auth.c's token cache: tokens made here
 * with OpenSSL directly (HMAC, RSA and EC keys generated at run time)
 * are verified, and every kind of bad token is refused: expired, not
 * yet valid, tampered, alg none, alg swapped, wrong key, wrong aud or
 * iss, no exp, oversized, malformed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "extern.h"

#define SECRET	"0123456789abcdef0123456789abcdef-test"

static EVP_PKEY	*rsa, *rsa2, *ec, *ec2;
static char	 dir[] = "/tmp/check_jwt.XXXXXX";
static char	 rsa_pem[64], ec_pem[64], rsa_jwks[64], ec_jwks[64];
static int64_t	 now;

/* --- making tokens ------------------------------------------------------ */

static void
b64(const void *p, size_t n, char *out)
{
	fpg_b64url_encode(p, n, out);
}

/* header.payload, then the signature alg makes with key (or secret). */
static char *
make(const char *alg, const char *hdr, const char *pay, EVP_PKEY *key,
    const char *secret)
{
	static char	 tok[20000];
	unsigned char	 sig[1024];
	size_t		 n, siglen = sizeof(sig);
	unsigned int	 ml;
	char		 h[512];

	if (hdr == NULL) {
		snprintf(h, sizeof(h), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
		hdr = h;
	}
	b64(hdr, strlen(hdr), tok);
	n = strlen(tok);
	tok[n++] = '.';
	b64(pay, strlen(pay), tok + n);
	n = strlen(tok);
	if (secret != NULL) {
		const EVP_MD *md = strcmp(alg, "HS384") == 0 ? EVP_sha384() :
		    strcmp(alg, "HS512") == 0 ? EVP_sha512() : EVP_sha256();

		ck_assert_ptr_nonnull(HMAC(md, secret, (int)strlen(secret),
		    (unsigned char *)tok, n, sig, &ml));
		siglen = ml;
	} else if (key != NULL) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(),
		    NULL, key), 1);
		ck_assert_int_eq(EVP_DigestSign(ctx, sig, &siglen,
		    (unsigned char *)tok, n), 1);
		EVP_MD_CTX_free(ctx);
		if (EVP_PKEY_is_a(key, "EC")) {	/* DER -> r || s */
			const unsigned char *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
			const BIGNUM *r, *s;

			ck_assert_ptr_nonnull(es);
			ECDSA_SIG_get0(es, &r, &s);
			BN_bn2binpad(r, sig, 32);
			BN_bn2binpad(s, sig + 32, 32);
			siglen = 64;
			ECDSA_SIG_free(es);
		}
	} else
		siglen = 0;
	tok[n++] = '.';
	b64(sig, siglen, tok + n);
	return tok;
}

/* A payload with sub, role and exp = now + ttl. */
static const char *
claims(long ttl)
{
	static char	 p[256];

	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"role\":\"shop_customer\","
	    "\"scope\":\"orders:read\",\"exp\":%lld}", (long long)now + ttl);
	return p;
}

/* --- configurations ------------------------------------------------------ */

static struct fpg_conf	 conf;

/* The rules for "NAME=value" pairs; NULL when the start is refused. */
static struct fpg_jwt *
rules(const char *const *kv, char *err, size_t errsz)
{
	static const char *const names[] = { "JWT_SECRET", "JWT_ALG",
	    "JWT_PUBLIC_KEY", "JWT_JWKS_FILE", "JWT_SKEW", "JWT_REQUIRE_EXP",
	    "JWT_AUDIENCE", "JWT_ISSUER", NULL };
	const char *const *n;
	struct fpg_jwt	*j = NULL;

	for (n = names; *n; n++)
		unsetenv(*n);
	for (; kv && *kv; kv += 2)
		setenv(kv[0], kv[1], 1);
	fpg_conf_free(&conf);
	if (fpg_conf_load(&conf, "/dev/null", err, errsz) == 0)
		j = fpg_jwt_new(&conf, err, errsz);
	return j;
}

static struct fpg_jwt *
hs(const char *alg)
{
	const char	*kv[] = { "JWT_SECRET", SECRET, "JWT_ALG", alg, NULL };
	char		 err[256];
	struct fpg_jwt	*j = rules(kv, err, sizeof(err));

	ck_assert_msg(j != NULL, "%s", err);
	return j;
}

/* Verifies; returns NULL or why, the identity cleared. */
static const char *
check(const struct fpg_jwt *j, const char *tok)
{
	struct fpg_ident id;
	const char	*why = fpg_jwt_verify(j, tok, strlen(tok), now, &id);

	if (why == NULL) {
		ck_assert_str_eq(id.sub, "42");
		ck_assert_ptr_nonnull(id.claims);
		fpg_ident_clear(&id);
	}
	return why;
}

/* --- keys, once for the suite ------------------------------------------- */

static void
jwk_b64(EVP_PKEY *k, const char *param, char *out, int pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	 b[600];
	int		 n;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = pad ? BN_bn2binpad(bn, b, pad) : BN_bn2bin(bn, b);
	b64(b, (size_t)n, out);
	BN_free(bn);
}

static void
write_pem(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

static void
keys_setup(void)
{
	char	 n1[400], e1[16], n2[400], e2[16], x1[64], y1[64], x2[64],
		 y2[64];
	FILE	*f;

	now = (int64_t)time(NULL);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert(rsa && rsa2 && ec && ec2);
	snprintf(rsa_pem, sizeof(rsa_pem), "%s/rsa.pem", dir);
	snprintf(ec_pem, sizeof(ec_pem), "%s/ec.pem", dir);
	snprintf(rsa_jwks, sizeof(rsa_jwks), "%s/rsa.jwks", dir);
	snprintf(ec_jwks, sizeof(ec_jwks), "%s/ec.jwks", dir);
	write_pem(rsa, rsa_pem);
	write_pem(ec, ec_pem);
	jwk_b64(rsa, OSSL_PKEY_PARAM_RSA_N, n1, 0);
	jwk_b64(rsa, OSSL_PKEY_PARAM_RSA_E, e1, 0);
	jwk_b64(rsa2, OSSL_PKEY_PARAM_RSA_N, n2, 0);
	jwk_b64(rsa2, OSSL_PKEY_PARAM_RSA_E, e2, 0);
	ck_assert_ptr_nonnull(f = fopen(rsa_jwks, "w"));
	fprintf(f, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"one\",\"use\":\"sig\","
	    "\"n\":\"%s\",\"e\":\"%s\"},{\"kty\":\"RSA\",\"kid\":\"two\","
	    "\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"},{\"kty\":\"oct\","
	    "\"kid\":\"x\",\"k\":\"AAAA\"}]}", n1, e1, n2, e2);
	fclose(f);
	jwk_b64(ec, OSSL_PKEY_PARAM_EC_PUB_X, x1, 32);
	jwk_b64(ec, OSSL_PKEY_PARAM_EC_PUB_Y, y1, 32);
	jwk_b64(ec2, OSSL_PKEY_PARAM_EC_PUB_X, x2, 32);
	jwk_b64(ec2, OSSL_PKEY_PARAM_EC_PUB_Y, y2, 32);
	ck_assert_ptr_nonnull(f = fopen(ec_jwks, "w"));
	fprintf(f, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e1\","
	    "\"x\":\"%s\",\"y\":\"%s\"},{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"kid\":\"e2\",\"x\":\"%s\",\"y\":\"%s\"}]}", x1, y1, x2, y2);
	fclose(f);
	setenv("LOG_LEVEL", "error", 1);
}

static void
keys_teardown(void)
{
	unlink(rsa_pem);
	unlink(ec_pem);
	unlink(rsa_jwks);
	unlink(ec_jwks);
	rmdir(dir);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec2);
	fpg_conf_free(&conf);
}

/* --- the tests ------------------------------------------------------------ */

START_TEST(t_hs_valid)
{
	static const char *const algs[] = { "HS256", "HS384", "HS512" };
	struct fpg_jwt	*j = hs(algs[_i]);
	struct fpg_ident id;
	const char	*tok = make(algs[_i], NULL, claims(60), NULL, SECRET);

	ck_assert_ptr_null(fpg_jwt_verify(j, tok, strlen(tok), now, &id));
	ck_assert_str_eq(id.sub, "42");
	ck_assert_str_eq(id.role, "shop_customer");
	ck_assert_str_eq(id.scope, "orders:read");
	ck_assert_int_eq(id.exp, now + 60);
	ck_assert_ptr_nonnull(strstr(id.claims, "\"sub\":\"42\""));
	fpg_ident_clear(&id);
	/* another HS size with the same secret is another algorithm */
	tok = make(_i == 0 ? "HS512" : "HS256", NULL, claims(60), NULL,
	    SECRET);
	ck_assert_str_eq(check(j, tok), "wrong algorithm");
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_times)
{
	struct fpg_jwt	*j = hs("HS256");
	const char	*kv[] = { "JWT_SECRET", SECRET, "JWT_SKEW", "0", NULL };
	char		 p[256], err[256];

	ck_assert_str_eq(check(j, make("HS256", NULL, claims(-100), NULL,
	    SECRET)), "expired");
	/* 10 s past exp is within the default 30 s of skew ... */
	ck_assert_ptr_null(check(j, make("HS256", NULL, claims(-10), NULL,
	    SECRET)));
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"nbf\":%lld}",
	    (long long)now + 600, (long long)now + 100);
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "not yet valid");
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"nbf\":%lld}",
	    (long long)now + 600, (long long)now + 10);
	ck_assert_ptr_null(check(j, make("HS256", NULL, p, NULL, SECRET)));
	fpg_jwt_free(j);
	/* ... and not without it */
	ck_assert_ptr_nonnull(j = rules(kv, err, sizeof(err)));
	ck_assert_str_eq(check(j, make("HS256", NULL, claims(-10), NULL,
	    SECRET)), "expired");
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "not yet valid");
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":\"soon\"}");
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "malformed claims");
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_tampered)
{
	struct fpg_jwt	*j = hs("HS256");
	char		 good[2048], *d1, *d2, *evil;
	char		 pay[256];

	snprintf(good, sizeof(good), "%s", make("HS256", NULL, claims(60),
	    NULL, SECRET));
	ck_assert_ptr_null(check(j, good));
	/* the payload of another token, with this one's signature */
	snprintf(pay, sizeof(pay), "{\"sub\":\"42\",\"role\":\"shop_admin\","
	    "\"exp\":%lld}", (long long)now + 60);
	evil = make("HS256", NULL, pay, NULL, SECRET);
	d1 = strrchr(evil, '.');
	d2 = strrchr(good, '.');
	strcpy(d1, d2);
	ck_assert_str_eq(check(j, evil), "bad signature");
	/* one signature bit flipped */
	snprintf(good, sizeof(good), "%s", make("HS256", NULL, claims(60),
	    NULL, SECRET));
	d2 = strrchr(good, '.') + 3;
	*d2 = *d2 == 'A' ? 'B' : 'A';
	ck_assert_str_eq(check(j, good), "bad signature");
	/* another secret */
	ck_assert_str_eq(check(j, make("HS256", NULL, claims(60), NULL,
	    "another-secret-of-at-least-32-bytes!!")), "bad signature");
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_alg_none_and_swaps)
{
	struct fpg_jwt	*j = hs("HS256");
	const char	*kv[] = { "JWT_ALG", "RS256", "JWT_PUBLIC_KEY", rsa_pem,
	    NULL };
	char		 err[256], pem[4096];
	FILE		*f;
	size_t		 n;

	/* alg none, with and without a signature */
	ck_assert_ptr_nonnull(check(j, make("none", NULL, claims(60), NULL,
	    NULL)));
	ck_assert_str_eq(check(j, make("none", NULL, claims(60), NULL,
	    SECRET)), "wrong algorithm");
	ck_assert_str_eq(check(j, make("NONE", NULL, claims(60), NULL,
	    SECRET)), "wrong algorithm");
	ck_assert_str_eq(check(j, make("x", "{\"typ\":\"JWT\"}", claims(60),
	    NULL, SECRET)), "wrong algorithm");
	/* an RS256 token against an HS256 configuration */
	ck_assert_str_eq(check(j, make("RS256", NULL, claims(60), rsa, NULL)),
	    "wrong algorithm");
	fpg_jwt_free(j);
	/* an HS256 token against RS256, signed with the public key's PEM
	 * as the HMAC secret (the classic confusion) */
	ck_assert_ptr_nonnull(f = fopen(rsa_pem, "r"));
	n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	fclose(f);
	ck_assert_msg((j = rules(kv, err, sizeof(err))) != NULL, "%s", err);
	ck_assert_str_eq(check(j, make("HS256", NULL, claims(60), NULL, pem)),
	    "wrong algorithm");
	ck_assert_ptr_null(check(j, make("RS256", NULL, claims(60), rsa,
	    NULL)));
	ck_assert_str_eq(check(j, make("RS256", NULL, claims(60), rsa2,
	    NULL)), "bad signature");
	fpg_jwt_free(j);
	/* "crit" names extensions we do not know: refused */
	j = hs("HS256");
	ck_assert_str_eq(check(j, make("HS256", "{\"alg\":\"HS256\","
	    "\"crit\":[\"b64\"],\"b64\":false}", claims(60), NULL, SECRET)),
	    "unsupported header");
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_aud_iss_exp)
{
	const char	*kv[] = { "JWT_SECRET", SECRET, "JWT_AUDIENCE", "shop",
	    "JWT_ISSUER", "https://auth.example", NULL };
	const char	*kv2[] = { "JWT_SECRET", SECRET, "JWT_REQUIRE_EXP",
	    "false", NULL };
	char		 err[256], p[512];
	struct fpg_jwt	*j;

	ck_assert_ptr_nonnull(j = rules(kv, err, sizeof(err)));
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"aud\":\"shop\","
	    "\"iss\":\"https://auth.example\"}", (long long)now + 60);
	ck_assert_ptr_null(check(j, make("HS256", NULL, p, NULL, SECRET)));
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"aud\":[\"x\","
	    "\"shop\"],\"iss\":\"https://auth.example\"}", (long long)now + 60);
	ck_assert_ptr_null(check(j, make("HS256", NULL, p, NULL, SECRET)));
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"aud\":\"shop2\","
	    "\"iss\":\"https://auth.example\"}", (long long)now + 60);
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "wrong audience");
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,"
	    "\"iss\":\"https://auth.example\"}", (long long)now + 60);
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "wrong audience");
	snprintf(p, sizeof(p), "{\"sub\":\"42\",\"exp\":%lld,\"aud\":\"shop\","
	    "\"iss\":\"https://evil.example\"}", (long long)now + 60);
	ck_assert_str_eq(check(j, make("HS256", NULL, p, NULL, SECRET)),
	    "wrong issuer");
	fpg_jwt_free(j);
	/* no exp: refused, unless configured otherwise */
	j = hs("HS256");
	ck_assert_str_eq(check(j, make("HS256", NULL, "{\"sub\":\"42\"}",
	    NULL, SECRET)), "no exp");
	fpg_jwt_free(j);
	ck_assert_ptr_nonnull(j = rules(kv2, err, sizeof(err)));
	ck_assert_ptr_null(check(j, make("HS256", NULL, "{\"sub\":42}",
	    NULL, SECRET)));
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_malformed)
{
	static const char *const bad[] = { "", "abc", "a.b", "a.b.c.d",
	    "....", "eyJhbGciOiJIUzI1NiJ9..", "e!J.e30.AAAA",
	    "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA", "a.b.c", NULL };
	struct fpg_jwt	*j = hs("HS256");
	const char *const *b;
	char		*big;
	size_t		 i;

	for (b = bad; *b; b++)
		ck_assert_msg(check(j, *b) != NULL, "accepted \"%s\"", *b);
	/* header and payload that are not JSON, validly signed */
	ck_assert_str_eq(check(j, make("HS256", "{\"alg\":", claims(60), NULL,
	    SECRET)), "malformed");
	ck_assert_str_eq(check(j, make("HS256", NULL, "{\"sub\":", NULL,
	    SECRET)), "malformed");
	ck_assert_str_eq(check(j, make("HS256", NULL, "[1,2]", NULL,
	    SECRET)), "malformed");
	ck_assert_str_eq(check(j, make("HS256", NULL, "{\"sub\":\"1\","
	    "\"sub\":\"2\",\"exp\":9999999999}", NULL, SECRET)), "malformed");
	/* a role that is not a string */
	ck_assert_str_eq(check(j, make("HS256", NULL, "{\"sub\":\"42\","
	    "\"role\":[\"postgres\"],\"exp\":9999999999}", NULL, SECRET)),
	    "malformed claims");
	/* over 8 KB: refused before anything is parsed */
	big = malloc(FPG_TOKEN_MAX + 2);
	for (i = 0; i < FPG_TOKEN_MAX + 1; i++)
		big[i] = 'A';
	big[FPG_TOKEN_MAX + 1] = '\0';
	ck_assert_str_eq(check(j, big), "too large");
	free(big);
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_public_keys)
{
	const char	*rs_pem[] = { "JWT_ALG", "RS256", "JWT_PUBLIC_KEY",
	    rsa_pem, NULL };
	const char	*es_pem[] = { "JWT_ALG", "ES256", "JWT_PUBLIC_KEY",
	    ec_pem, NULL };
	const char	*rs_jwks[] = { "JWT_ALG", "RS256", "JWT_JWKS_FILE",
	    rsa_jwks, NULL };
	const char	*es_jwks[] = { "JWT_ALG", "ES256", "JWT_JWKS_FILE",
	    ec_jwks, NULL };
	const char	*es_with_rsa[] = { "JWT_ALG", "ES256", "JWT_PUBLIC_KEY",
	    rsa_pem, NULL };
	char		 err[256];
	struct fpg_jwt	*j;

	ck_assert_msg((j = rules(es_pem, err, sizeof(err))) != NULL, "%s", err);
	ck_assert_ptr_null(check(j, make("ES256", NULL, claims(60), ec, NULL)));
	ck_assert_str_eq(check(j, make("ES256", NULL, claims(60), ec2, NULL)),
	    "bad signature");
	ck_assert_str_eq(check(j, make("RS256", NULL, claims(60), rsa, NULL)),
	    "wrong algorithm");
	fpg_jwt_free(j);
	ck_assert_msg((j = rules(rs_jwks, err, sizeof(err))) != NULL, "%s",
	    err);
	ck_assert_ptr_null(check(j, make("RS256", "{\"alg\":\"RS256\","
	    "\"kid\":\"one\"}", claims(60), rsa, NULL)));
	ck_assert_ptr_null(check(j, make("RS256", "{\"alg\":\"RS256\","
	    "\"kid\":\"two\"}", claims(60), rsa2, NULL)));
	ck_assert_str_eq(check(j, make("RS256", "{\"alg\":\"RS256\","
	    "\"kid\":\"two\"}", claims(60), rsa, NULL)), "bad signature");
	ck_assert_str_eq(check(j, make("RS256", "{\"alg\":\"RS256\","
	    "\"kid\":\"three\"}", claims(60), rsa, NULL)), "unknown key");
	ck_assert_str_eq(check(j, make("RS256", NULL, claims(60), rsa, NULL)),
	    "unknown key");	/* two keys: a kid is needed */
	fpg_jwt_free(j);
	ck_assert_msg((j = rules(es_jwks, err, sizeof(err))) != NULL, "%s",
	    err);
	ck_assert_ptr_null(check(j, make("ES256", "{\"alg\":\"ES256\","
	    "\"kid\":\"e2\"}", claims(60), ec2, NULL)));
	ck_assert_str_eq(check(j, make("ES256", "{\"alg\":\"ES256\","
	    "\"kid\":\"e1\"}", claims(60), ec2, NULL)), "bad signature");
	fpg_jwt_free(j);
	ck_assert_msg((j = rules(rs_pem, err, sizeof(err))) != NULL, "%s", err);
	ck_assert_ptr_null(check(j, make("RS256", NULL, claims(60), rsa, NULL)));
	fpg_jwt_free(j);
	/* a key of the wrong kind stops the start */
	ck_assert_ptr_null(rules(es_with_rsa, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "JWT_PUBLIC_KEY"));
}
END_TEST

START_TEST(t_start_refused)
{
	const char	*shortsecret[] = { "JWT_SECRET", "s3cr3t-but-short",
	    NULL };
	const char	*none[] = { "JWT_ALG", "none", NULL };
	const char	*nokey[] = { "JWT_ALG", "RS256", NULL };
	const char	*hs_pem[] = { "JWT_SECRET", SECRET, "JWT_PUBLIC_KEY",
	    rsa_pem, NULL };
	char		 err[256];

	ck_assert_ptr_null(rules(shortsecret, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "JWT_SECRET:", 11) == 0, "%s", err);
	ck_assert_ptr_null(strstr(err, "s3cr3t"));	/* never echoed */
	ck_assert_ptr_null(rules(none, err, sizeof(err)));
	ck_assert_ptr_null(rules(nokey, err, sizeof(err)));
	ck_assert_ptr_null(rules(hs_pem, err, sizeof(err)));
}
END_TEST

/* The cache: a token twice is one verification and one hit; an entry
 * expires with its token. */
START_TEST(t_cache)
{
	struct fpg_jwt		*j = hs("HS256");
	const struct fpg_ident	*a, *b;
	struct fpg_buf		 m = { .max = 1 << 20 };
	struct fpg_router	 ro = { NULL, 0 };
	char			 err[256], tok[1024];

	ck_assert_int_eq(fpg_metrics_init(NULL, "t", &ro, err, sizeof(err)),
	    0);
	snprintf(tok, sizeof(tok), "%s", make("HS256", NULL, claims(5), NULL,
	    SECRET));
	ck_assert_ptr_null(fpg_token_check(j, tok, strlen(tok), now, &a));
	ck_assert_ptr_null(fpg_token_check(j, tok, strlen(tok), now, &b));
	ck_assert_ptr_eq(a, b);
	ck_assert_str_eq(b->sub, "42");
	fpg_metrics_text(&m);
	ck_assert_ptr_nonnull(strstr(m.p, "fastpg_token_cache_hits_total 1\n"));
	ck_assert_ptr_nonnull(strstr(m.p,
	    "fastpg_token_cache_misses_total 1\n"));
	fpg_buf_free(&m);
	/* past exp + skew, the cached token is refused */
	ck_assert_str_eq(fpg_token_check(j, tok, strlen(tok), now + 36, &b),
	    "expired");
	ck_assert_ptr_null(b);
	ck_assert_str_eq(fpg_token_check(j, tok, strlen(tok), now + 36, &b),
	    "expired");
	/* a tampered token never hits the cache */
	tok[strlen(tok) - 2] ^= 1;
	ck_assert_ptr_nonnull(fpg_token_check(j, tok, strlen(tok), now, &b));
	fpg_token_cache_clear();
	fpg_jwt_free(j);
}
END_TEST

/* Signed by the library, verified by it. */
START_TEST(t_sign)
{
	struct fpg_jwt	*j = hs("HS384");
	json_t		*c = json_pack("{s:s, s:I}", "sub", "42", "exp",
	    (json_int_t)now + 60);
	char		 tok[1024];

	ck_assert_int_eq(fpg_jwt_sign(j, c, tok, sizeof(tok)), FPG_OK);
	ck_assert_ptr_null(check(j, tok));
	ck_assert_int_eq(fpg_jwt_sign(j, c, tok, 40), FPG_EINVAL);
	json_decref(c);
	fpg_jwt_free(j);
}
END_TEST

START_TEST(t_b64url)
{
	unsigned char	 out[16];
	char		 enc[32];

	ck_assert_int_eq(fpg_b64url_decode("AQID", 4, out, sizeof(out)), 3);
	ck_assert_int_eq(fpg_b64url_decode("AQI", 3, out, sizeof(out)), 2);
	ck_assert_int_eq(fpg_b64url_decode("AQ", 2, out, sizeof(out)), 1);
	ck_assert_int_eq(fpg_b64url_decode("A", 1, out, sizeof(out)), -1);
	ck_assert_int_eq(fpg_b64url_decode("AR", 2, out, sizeof(out)), -1);
	ck_assert_int_eq(fpg_b64url_decode("AQ==", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(fpg_b64url_decode("+/8A", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(fpg_b64url_decode("-_8A", 4, out, sizeof(out)), 3);
	ck_assert_int_eq(fpg_b64url_decode("AQIDBA", 6, out, 3), -1);
	fpg_b64url_encode((const unsigned char *)"\xfb\xff", 2, enc);
	ck_assert_str_eq(enc, "-_8");
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("jwt");
	TCase	*tc = tcase_create("jwt");

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_hs_valid, 0, 3);
	tcase_add_test(tc, t_times);
	tcase_add_test(tc, t_tampered);
	tcase_add_test(tc, t_alg_none_and_swaps);
	tcase_add_test(tc, t_aud_iss_exp);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_public_keys);
	tcase_add_test(tc, t_start_refused);
	tcase_add_test(tc, t_cache);
	tcase_add_test(tc, t_sign);
	tcase_add_test(tc, t_b64url);
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
