/*
 * jwt.c -- JSON Web Tokens (RFC 7519, JWS compact form of RFC 7515)
 * verified and signed with OpenSSL's libcrypto, nothing else.
 *
 * Why not libjwt (Debian 12 has 1.10): it reads the algorithm from the
 * token's header, accepts "alg":"none" when no key is given, checks no
 * claim, and compares HMACs with strcmp.  Here the one algorithm is the
 * configured one (JWT_ALG), the header's must equal it before anything
 * else is looked at, HMACs are compared with CRYPTO_memcmp, and exp,
 * nbf, aud and iss are checked below.  Tokens are bounded
 * (FPG_TOKEN_MAX) before any parsing; the signature is checked before
 * the payload is parsed.  Nothing here knows HTTP: auth.c answers.
 *
 * The keys are read once at start and only read after: any number of
 * worker threads may verify with them at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "extern.h"

enum alg { HS256, HS384, HS512, RS256, ES256, ALG_N };

static const char *const alg_names[ALG_N] = {
	"HS256", "HS384", "HS512", "RS256", "ES256"
};

#define KEYS_MAX	32	/* keys of a JWKS file */
#define KID_MAX		128

struct jwk {
	char		 kid[KID_MAX];
	EVP_PKEY	*pkey;
};

struct fpg_jwt {
	enum alg	 alg;
	const EVP_MD	*md;		/* of the algorithm */
	unsigned char	*secret;	/* HS*: JWT_SECRET, or NULL */
	size_t		 secretlen;
	struct jwk	 keys[KEYS_MAX];/* RS256/ES256: PEM (one) or JWKS */
	size_t		 nkeys;
	int64_t		 skew;		/* seconds */
	int		 require_exp;
	char		*aud, *iss, *role_claim;
	char		 head[64];	/* encoded header of issued tokens */
};

/* --- base64url (RFC 4648 5), no padding -------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decodes n characters of base64url into out (at most outsz bytes).
 * Padding, other alphabets and non-zero trailing bits are refused, so
 * one byte string has one encoding.  Returns the length, or -1.
 */
long
fpg_b64url_decode(const char *s, size_t n, unsigned char *out, size_t outsz)
{
	size_t		 i, o = 0;
	uint32_t	 acc = 0;
	int		 bits = 0, v;

	if (n % 4 == 1 || n / 4 * 3 + n % 4 * 3 / 4 > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc != 0 ? -1 : (long)o;
}

/* Encodes n bytes into out (4 * n / 3 + 3 bytes); returns the length. */
size_t
fpg_b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t		 i, o = 0;
	uint32_t	 acc = 0;
	int		 bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		for (bits += 8; bits >= 6; bits -= 6)
			out[o++] = b64[(acc >> (bits - 6)) & 63];
	}
	if (bits > 0)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

/* --- keys ------------------------------------------------------------- */

/* Whether pkey is the kind alg needs: RSA of 2048 bits or more, P-256. */
static int
key_fits(enum alg alg, EVP_PKEY *pkey)
{
	char	 grp[32];
	size_t	 len;

	if (alg == RS256)
		return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= 2048;
	return EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    grp, sizeof(grp), &len) == 1 && strcmp(grp, "prime256v1") == 0;
}

/* A JWK member as bytes (base64url), or -1. */
static long
jwk_bytes(json_t *k, const char *name, unsigned char *out, size_t outsz)
{
	const char *s = json_string_value(json_object_get(k, name));

	return s ? fpg_b64url_decode(s, strlen(s), out, outsz) : -1;
}

/* An EVP_PKEY from an RSA (n, e) or EC P-256 (x, y) JWK, or NULL. */
static EVP_PKEY *
jwk_pkey(json_t *k, enum alg alg)
{
	unsigned char	 a[1024], b[1024], pub[65];
	long		 na, nb;
	OSSL_PARAM_BLD	*bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*pc = NULL;
	EVP_PKEY	*pkey = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	const char	*kty = json_string_value(json_object_get(k, "kty"));
	const char	*crv = json_string_value(json_object_get(k, "crv"));

	if (bld == NULL || kty == NULL)
		goto out;
	if (alg == RS256 && strcmp(kty, "RSA") == 0) {
		if ((na = jwk_bytes(k, "n", a, sizeof(a))) <= 0 ||
		    (nb = jwk_bytes(k, "e", b, sizeof(b))) <= 0 ||
		    (n = BN_bin2bn(a, (int)na, NULL)) == NULL ||
		    (e = BN_bin2bn(b, (int)nb, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
		pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else if (alg == ES256 && strcmp(kty, "EC") == 0 && crv != NULL &&
	    strcmp(crv, "P-256") == 0) {
		if (jwk_bytes(k, "x", a, sizeof(a)) != 32 ||
		    jwk_bytes(k, "y", b, sizeof(b)) != 32)
			goto out;
		pub[0] = 0x04;	/* uncompressed point */
		memcpy(pub + 1, a, 32);
		memcpy(pub + 33, b, 32);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)))
			goto out;
		pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else
		goto out;
	if (pc == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	BN_free(n);
	BN_free(e);
	if (pkey != NULL && !key_fits(alg, pkey)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/*
 * Reads a JWKS file: every key for signatures ("use" absent or "sig")
 * of the configured algorithm ("alg" absent or equal) and kind.  Keys
 * of other kinds are skipped; one that should fit but cannot be read
 * stops the start.  Returns 0, or -1 with a message.
 */
static int
load_jwks(struct fpg_jwt *j, const char *path, char *err, size_t errsz)
{
	json_error_t	 je;
	json_t		*doc, *keys, *k;
	size_t		 i;
	const char	*use, *alg, *kid;

	if ((doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errsz, "JWT_JWKS_FILE: %s: line %d: %s", path,
		    je.line, je.text);
		return -1;
	}
	if (!json_is_array(keys = json_object_get(doc, "keys"))) {
		snprintf(err, errsz, "JWT_JWKS_FILE: %s: no \"keys\" array",
		    path);
		json_decref(doc);
		return -1;
	}
	json_array_foreach(keys, i, k) {
		use = json_string_value(json_object_get(k, "use"));
		alg = json_string_value(json_object_get(k, "alg"));
		kid = json_string_value(json_object_get(k, "kid"));
		if ((use && strcmp(use, "sig") != 0) ||
		    (alg && strcmp(alg, alg_names[j->alg]) != 0))
			continue;
		if (j->nkeys == KEYS_MAX || (kid && strlen(kid) >= KID_MAX)) {
			snprintf(err, errsz, "JWT_JWKS_FILE: %s: more than %d "
			    "keys, or a kid too long", path, KEYS_MAX);
			json_decref(doc);
			return -1;
		}
		if ((j->keys[j->nkeys].pkey = jwk_pkey(k, j->alg)) == NULL)
			continue;	/* another kind of key */
		snprintf(j->keys[j->nkeys].kid, KID_MAX, "%s", kid ? kid : "");
		j->nkeys++;
	}
	json_decref(doc);
	if (j->nkeys == 0) {
		snprintf(err, errsz, "JWT_JWKS_FILE: %s: no %s key", path,
		    alg_names[j->alg]);
		return -1;
	}
	return 0;
}

static int
load_pem(struct fpg_jwt *j, const char *path, char *err, size_t errsz)
{
	BIO		*bio = BIO_new_file(path, "r");
	EVP_PKEY	*pkey = NULL;

	if (bio != NULL)
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL || !key_fits(j->alg, pkey)) {
		snprintf(err, errsz, "JWT_PUBLIC_KEY: %s: not a PEM public "
		    "key for %s (RSA >= 2048 bits, EC P-256)", path,
		    alg_names[j->alg]);
		EVP_PKEY_free(pkey);
		return -1;
	}
	j->keys[0].pkey = pkey;
	j->nkeys = 1;
	return 0;
}

/*
 * The token rules of a configuration: the algorithm, its key(s), the
 * claims to check.  Returns NULL with a message in err (never quoting
 * JWT_SECRET) when the start must be refused.  Free with fpg_jwt_free.
 */
struct fpg_jwt *
fpg_jwt_new(const struct fpg_conf *c, char *err, size_t errsz)
{
	struct fpg_jwt	*j;
	static const char *const hd[3] = {
		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
	};
	int		 a;

	for (a = 0; a < ALG_N; a++)
		if (c->jwt_alg && strcmp(c->jwt_alg, alg_names[a]) == 0)
			break;
	if (a == ALG_N) {
		snprintf(err, errsz, "JWT_ALG: expected HS256, HS384, HS512, "
		    "RS256 or ES256");
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	j->alg = (enum alg)a;
	j->md = a == HS384 ? EVP_sha384() : a == HS512 ? EVP_sha512() :
	    EVP_sha256();
	j->skew = c->jwt_skew / 1000;
	j->require_exp = c->jwt_require_exp;
	if ((c->jwt_audience && *c->jwt_audience &&
	    (j->aud = strdup(c->jwt_audience)) == NULL) ||
	    (c->jwt_issuer && *c->jwt_issuer &&
	    (j->iss = strdup(c->jwt_issuer)) == NULL) ||
	    (c->jwt_role_claim && *c->jwt_role_claim &&
	    (j->role_claim = strdup(c->jwt_role_claim)) == NULL)) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (j->alg <= HS512) {
		if ((c->jwt_public_key && *c->jwt_public_key) ||
		    (c->jwt_jwks_file && *c->jwt_jwks_file)) {
			snprintf(err, errsz, "JWT_PUBLIC_KEY and JWT_JWKS_FILE "
			    "need JWT_ALG=RS256 or ES256 (JWT_ALG is %s)",
			    alg_names[j->alg]);
			goto fail;
		}
		/* conf.c refused a secret under 32 bytes already */
		if (c->jwt_secret && *c->jwt_secret) {
			j->secretlen = strlen(c->jwt_secret);
			if ((j->secret = malloc(j->secretlen)) == NULL) {
				snprintf(err, errsz, "out of memory");
				goto fail;
			}
			memcpy(j->secret, c->jwt_secret, j->secretlen);
		}
		fpg_b64url_encode((const unsigned char *)hd[a],
		    strlen(hd[a]), j->head);
		return j;
	}
	if (c->jwt_public_key && *c->jwt_public_key) {
		if (load_pem(j, c->jwt_public_key, err, errsz) == -1)
			goto fail;
	} else if (c->jwt_jwks_file && *c->jwt_jwks_file) {
		if (load_jwks(j, c->jwt_jwks_file, err, errsz) == -1)
			goto fail;
	} else {
		snprintf(err, errsz, "JWT_ALG=%s needs JWT_PUBLIC_KEY or "
		    "JWT_JWKS_FILE", alg_names[j->alg]);
		goto fail;
	}
	return j;
fail:
	fpg_jwt_free(j);
	return NULL;
}

void
fpg_jwt_free(struct fpg_jwt *j)
{
	size_t	 i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nkeys; i++)
		EVP_PKEY_free(j->keys[i].pkey);
	if (j->secret != NULL)
		OPENSSL_cleanse(j->secret, j->secretlen);
	free(j->secret);
	free(j->aud);
	free(j->iss);
	free(j->role_claim);
	free(j);
}

/* Whether tokens can be checked at all (a key is configured). */
int
fpg_jwt_has_key(const struct fpg_jwt *j)
{
	return j != NULL && (j->secretlen > 0 || j->nkeys > 0);
}

/* --- verifying -------------------------------------------------------- */

/* The public-key signature sig over msg, with key; 1 if it holds. */
static int
verify_pk(const struct fpg_jwt *j, EVP_PKEY *key, const char *msg,
    size_t msglen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*br, *bs;
	unsigned char	*der = NULL;
	int		 derlen, ok = 0;

	if (j->alg == ES256) {
		/* JWS: r || s, 32 bytes each; OpenSSL: DER */
		if (siglen != 64 || (es = ECDSA_SIG_new()) == NULL)
			return 0;
		br = BN_bin2bn(sig, 32, NULL);
		bs = BN_bin2bn(sig + 32, 32, NULL);
		if (br == NULL || bs == NULL || !ECDSA_SIG_set0(es, br, bs)) {
			BN_free(br);
			BN_free(bs);
			ECDSA_SIG_free(es);
			return 0;
		}
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (derlen <= 0)
			return 0;
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg,
	    msglen) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

/* A claim's number as whole seconds; 0 when absent, -1 when not one. */
static int
num_claim(json_t *p, const char *name, int64_t *out)
{
	json_t	*v = json_object_get(p, name);

	if (v == NULL)
		return 0;
	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) > -9e18 &&
	    json_real_value(v) < 9e18)
		*out = (int64_t)json_real_value(v);
	else
		return -1;
	return 1;
}

/* The aud claim names aud: equal to it, or an array holding it. */
static int
aud_ok(json_t *v, const char *aud)
{
	size_t	 i;
	json_t	*e;

	if (json_is_string(v))
		return strcmp(json_string_value(v), aud) == 0;
	json_array_foreach(v, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), aud) == 0)
			return 1;
	return 0;
}

/* A string claim, copied; NULL when absent.  *bad when not a string. */
static char *
str_claim(json_t *p, const char *name, int *bad)
{
	json_t	*v = name ? json_object_get(p, name) : NULL;
	char	*s;

	if (v == NULL)
		return NULL;
	if (json_is_integer(v)) {	/* a numeric sub */
		if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0)
			*bad = 1, s = NULL;
		return s;
	}
	if (!json_is_string(v) || (s = strdup(json_string_value(v))) == NULL) {
		*bad = 1;
		return NULL;
	}
	return s;
}

/* The claims of a payload whose signature held; NULL, or why not. */
static const char *
check_claims(const struct fpg_jwt *j, json_t *p, int64_t now,
    struct fpg_ident *id)
{
	int64_t	 exp = INT64_MAX, nbf = 0;
	int	 rc, bad = 0;
	json_t	*v;

	if (!json_is_object(p))
		return "malformed";
	if ((rc = num_claim(p, "exp", &exp)) < 0 ||
	    num_claim(p, "nbf", &nbf) < 0)
		return "malformed claims";
	if (rc == 0 && j->require_exp)
		return "no exp";
	if (exp != INT64_MAX && now > exp + j->skew)
		return "expired";
	if (nbf != 0 && now + j->skew < nbf)
		return "not yet valid";
	if (j->iss != NULL && ((v = json_object_get(p, "iss")) == NULL ||
	    !json_is_string(v) || strcmp(json_string_value(v), j->iss) != 0))
		return "wrong issuer";
	if (j->aud != NULL && !aud_ok(json_object_get(p, "aud"), j->aud))
		return "wrong audience";
	id->exp = exp;
	id->sub = str_claim(p, "sub", &bad);
	id->role = str_claim(p, j->role_claim, &bad);
	id->scope = str_claim(p, "scope", &bad);
	id->claims = json_dumps(p, JSON_COMPACT);
	if (bad || id->claims == NULL) {
		fpg_ident_clear(id);
		return "malformed claims";
	}
	return NULL;
}

/*
 * Verifies the len bytes of tok at time now (seconds since the epoch):
 * the header's alg is the configured one, the signature holds with the
 * configured key, and the claims pass.  Returns NULL and fills id (the
 * caller frees it with fpg_ident_clear), or a short fixed description
 * of what is wrong, for the WWW-Authenticate header ("expired", "bad
 * signature"); nothing of the token is ever in it.
 */
const char *
fpg_jwt_verify(const struct fpg_jwt *j, const char *tok, size_t len,
    int64_t now, struct fpg_ident *id)
{
	unsigned char	 buf[FPG_TOKEN_MAX], mac[EVP_MAX_MD_SIZE];
	const char	*d1, *d2, *kid = NULL, *why = NULL;
	long		 hl, pl, sl;
	unsigned int	 maclen;
	json_t		*h = NULL, *p = NULL, *a;
	json_error_t	 je;
	EVP_PKEY	*key = NULL;
	size_t		 i;

	memset(id, 0, sizeof(*id));
	if (len == 0)
		return "malformed";
	if (len > FPG_TOKEN_MAX)
		return "too large";
	if (!fpg_jwt_has_key(j))
		return "no key configured";
	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return "malformed";
	/* header, then payload, then signature, one after the other */
	if ((hl = fpg_b64url_decode(tok, (size_t)(d1 - tok), buf,
	    sizeof(buf))) <= 0 ||
	    (pl = fpg_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf + hl,
	    sizeof(buf) - (size_t)hl)) <= 0 ||
	    (sl = fpg_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - tok),
	    buf + hl + pl, sizeof(buf) - (size_t)(hl + pl))) <= 0)
		return "malformed";
	if ((h = json_loadb((const char *)buf, (size_t)hl,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(h)) {
		why = "malformed";
		goto out;
	}
	/* The algorithm is the configured one, whatever the token says. */
	a = json_object_get(h, "alg");
	if (!json_is_string(a) ||
	    strcmp(json_string_value(a), alg_names[j->alg]) != 0) {
		why = "wrong algorithm";
		goto out;
	}
	if (json_object_get(h, "crit") != NULL) {	/* RFC 7515 4.1.11 */
		why = "unsupported header";
		goto out;
	}
	if ((a = json_object_get(h, "kid")) != NULL &&
	    (kid = json_string_value(a)) == NULL) {
		why = "malformed";
		goto out;
	}
	if (j->alg <= HS512) {
		if (HMAC(j->md, j->secret, (int)j->secretlen,
		    (const unsigned char *)tok, (size_t)(d2 - tok), mac,
		    &maclen) == NULL || (size_t)sl != maclen ||
		    CRYPTO_memcmp(mac, buf + hl + pl, maclen) != 0)
			why = "bad signature";
	} else {
		/* a JWKS key by kid; one key alone needs none */
		for (i = 0; i < j->nkeys && key == NULL; i++)
			if (kid ? strcmp(j->keys[i].kid, kid) == 0 :
			    j->nkeys == 1)
				key = j->keys[i].pkey;
		if (key == NULL && kid != NULL && j->nkeys == 1 &&
		    j->keys[0].kid[0] == '\0')
			key = j->keys[0].pkey;	/* a PEM key has no kid */
		if (key == NULL)
			why = "unknown key";
		else if (!verify_pk(j, key, tok, (size_t)(d2 - tok),
		    buf + hl + pl, (size_t)sl))
			why = "bad signature";
	}
	if (why != NULL)
		goto out;
	/* Only now is the payload worth parsing. */
	if ((p = json_loadb((const char *)buf + hl, (size_t)pl,
	    JSON_REJECT_DUPLICATES, &je)) == NULL)
		why = "malformed";
	else
		why = check_claims(j, p, now, id);
out:
	json_decref(h);
	json_decref(p);
	return why;
}

void
fpg_ident_clear(struct fpg_ident *id)
{
	free(id->claims);
	free(id->sub);
	free(id->role);
	free(id->scope);
	memset(id, 0, sizeof(*id));
}

/* The skew allowed, seconds (for the cache's own exp check). */
int64_t
fpg_jwt_skew(const struct fpg_jwt *j)
{
	return j->skew;
}

/* --- signing ---------------------------------------------------------- */

/*
 * Signs claims (a JSON object) with JWT_SECRET into out, NUL-terminated.
 * Returns FPG_OK; FPG_EINVAL when the algorithm is RS256/ES256 or no
 * secret is configured (a resource cannot issue tokens then), or out
 * is too small; FPG_ENOMEM.
 */
enum fpg_err
fpg_jwt_sign(const struct fpg_jwt *j, json_t *claims, char *out,
    size_t outsz)
{
	char		*text;
	size_t		 hl, pl, tl;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;

	if (j == NULL || j->alg > HS512 || j->secretlen == 0)
		return FPG_EINVAL;
	if ((text = json_dumps(claims, JSON_COMPACT)) == NULL)
		return FPG_ENOMEM;
	hl = strlen(j->head);
	tl = strlen(text);
	/* header.payload.signature (64 bytes at most: 86 characters) */
	if (hl + 1 + (tl + 2) / 3 * 4 + 1 + 88 + 1 > outsz) {
		free(text);
		return FPG_EINVAL;
	}
	memcpy(out, j->head, hl);
	out[hl] = '.';
	pl = fpg_b64url_encode((unsigned char *)text, tl, out + hl + 1);
	free(text);
	if (HMAC(j->md, j->secret, (int)j->secretlen, (unsigned char *)out,
	    hl + 1 + pl, mac, &maclen) == NULL)
		return FPG_ENOMEM;
	out[hl + 1 + pl] = '.';
	fpg_b64url_encode(mac, maclen, out + hl + 1 + pl + 1);
	return FPG_OK;
}
