/*
 * fuzz_token.c -- libFuzzer harness for what reads a bearer token and
 * a form body: fpg_jwt_verify (lib/jwt.c: base64url, the header, the
 * signature, the claims), auth.c's cache, and fpg_req_parse_form
 * (lib/req.c).
 *
 * The first byte picks the way:
 *   'S'  the rest is header.payload (base64url); the harness signs it
 *        with the configured secret, so that the payload's parsing and
 *        the claim checks are reached, not only the signature check;
 *   'F'  the rest is a form body, decoded into a JSON object: when it
 *        is accepted, every member is a string and the body's text is
 *        that object's JSON;
 *   else the input is a token as it came, verified as is (through the
 *        cache, twice: the second answer must be the first's).
 * A token the harness did not sign must never verify.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "extern.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SECRET	"fuzz-secret-fuzz-secret-fuzz-secret!"

static struct fpg_conf	 conf;
static struct fpg_jwt	*jwt;
static struct fpg_app	 app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];

	(void)argc;
	(void)argv;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("JWT_AUDIENCE", "shop", 1);
	setenv("LOG_LEVEL", "error", 1);
	if (fpg_conf_load(&conf, "/dev/null", err, sizeof(err)) == -1 ||
	    (jwt = fpg_jwt_new(&conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_token: %s\n", err);
		abort();
	}
	fpg_log_init("fuzz", FPG_LOG_ERROR, 0);
	app.conf = conf;
	app.jwt = jwt;
	return 0;
}

/* The rest, signed: header.payload.HMAC. */
static void
signed_token(const uint8_t *d, size_t n)
{
	char		*t = malloc(n + 100);
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 ml;
	struct fpg_ident id;
	const char	*why;

	memcpy(t, d, n);
	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), d, n, mac,
	    &ml) == NULL)
		abort();
	t[n] = '.';
	fpg_b64url_encode(mac, ml, t + n + 1);
	why = fpg_jwt_verify(jwt, t, strlen(t), 1700000000, &id);
	if (why == NULL) {
		/* accepted: the claims are an object's JSON */
		json_t *c = json_loads(id.claims, 0, NULL);

		if (!json_is_object(c) || id.exp == 0)
			abort();
		json_decref(c);
		fpg_ident_clear(&id);
	} else if (id.claims || id.sub || id.role || id.scope)
		abort();	/* refused with something left behind */
	free(t);
}

static void
raw_token(const uint8_t *d, size_t n)
{
	char			*t = malloc(n + 1);
	const struct fpg_ident	*a, *b;
	const char		*w1, *w2;

	memcpy(t, d, n);
	t[n] = '\0';
	w1 = fpg_token_check(jwt, t, strlen(t), 1700000000, &a);
	w2 = fpg_token_check(jwt, t, strlen(t), 1700000000, &b);
	/* nothing unsigned verifies; twice, the same answer */
	if (w1 == NULL || w2 == NULL || a != NULL || b != NULL)
		abort();
	free(t);
}

static void
form(const uint8_t *d, size_t n)
{
	struct fpg_req	 r;
	FILE		*out = fopen("/dev/null", "w");
	const char	*k;
	json_t		*v, *again;

	memset(&r, 0, sizeof(r));
	r.app = &app;
	r.out = out;
	fpg_arena_init(&r.arena, r.arena0, sizeof(r.arena0));
	r.body = malloc(n + 1);
	memcpy(r.body, d, n);
	r.body[n] = '\0';
	r.bodylen = n;
	if (fpg_req_parse_form(&r) == FPG_OK) {
		json_object_foreach(r.body_json, k, v)
			if (!json_is_string(v))
				abort();
		again = json_loadb(r.body, r.bodylen, 0, NULL);
		if (again == NULL || !json_equal(again, r.body_json))
			abort();
		json_decref(again);
	} else if (!r.answered || r.status != 422)
		abort();
	fpg_req_free(&r);
	fclose(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n > 0 && d[0] == 'S')
		signed_token(d + 1, n - 1);
	else if (n > 0 && d[0] == 'F')
		form(d + 1, n - 1);
	else
		raw_token(d, n);
	return 0;
}
