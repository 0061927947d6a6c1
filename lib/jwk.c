/*
 * jwk.c -- the encodings of JSON Web Tokens and keys: base64url (RFC
 * 4648 5, strict: one encoding for one byte string) and public keys
 * from JWKs (RFC 7517), built with OpenSSL 3's EVP_PKEY_fromdata, and
 * whether a key is of the kind an algorithm needs.  A leaf under jwt.c.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "extern.h"

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

/* Whether pkey is the kind needed: RSA of 2048 bits or more (RS256),
 * or EC P-256 (ES256, ec set). */
int
fpg_jwk_fits(int ec, EVP_PKEY *pkey)
{
	char	 grp[32];
	size_t	 len;

	if (!ec)
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

/*
 * An EVP_PKEY from a JWK (RFC 7517, 7518 6): RSA (n, e) for RS256, EC
 * P-256 (x, y) for ES256 (ec set); NULL for another kind of key, or
 * one that cannot be read.  The caller frees it with EVP_PKEY_free.
 */
EVP_PKEY *
fpg_jwk_pkey(json_t *k, int ec)
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
	if (!ec && strcmp(kty, "RSA") == 0) {
		if ((na = jwk_bytes(k, "n", a, sizeof(a))) <= 0 ||
		    (nb = jwk_bytes(k, "e", b, sizeof(b))) <= 0 ||
		    (n = BN_bin2bn(a, (int)na, NULL)) == NULL ||
		    (e = BN_bin2bn(b, (int)nb, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
		pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else if (ec && strcmp(kty, "EC") == 0 && crv != NULL &&
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
	if (pkey != NULL && !fpg_jwk_fits(ec, pkey)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

