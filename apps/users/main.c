/*
 * users -- the example shop's users: POST /users registers, POST /token
 * logs in (OAuth2 password flow, FastAPI's shape), GET /users/me.
 * Passwords are hashed here with libxcrypt (yescrypt, Debian's default)
 * and never stored, logged or returned; the database gives a login the
 * stored hash through user_login() (sql/005_users.sql) and nothing more.
 * `users --hash-password` hashes stdin's first line (deploy/local.sh
 * makes the first admin with it).
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_<name> for each <name>.json here */

static const struct fpg_stmt stmts[] = {
	{ .name = "user_register", .sql = "SELECT * FROM user_register($1, $2)" },
	{ .name = "user_login",
	  .sql = "SELECT id, password_hash, role FROM user_login($1)" },
	{ .name = "user_me", .sql = "SELECT json_build_object('id', u.id,"
	  " 'email', u.email, 'role', u.role, 'created_at', u.created_at)"
	  " FROM users u WHERE u.id = app_uid()" },
	{ .name = NULL }
};

static char	*dummy;	/* a hash of nothing, checked for unknown emails */

/* A new yescrypt hash of pw (caller frees), or NULL. */
static char *
hash_password(const char *pw, const char *setting)
{
	char	*own = NULL, *h, *out = NULL;
	void	*data = NULL;
	int	 sz = 0;

	if (setting == NULL && (setting = own = crypt_gensalt_ra(NULL, 0,
	    NULL, 0)) == NULL)
		return NULL;
	h = crypt_ra(pw, setting, &data, &sz);
	if (h != NULL && h[0] != '*')
		out = strdup(h);
	if (data != NULL)
		explicit_bzero(data, (size_t)sz);
	free(data);
	free(own);
	return out;
}

/* Equal strings, in time that depends on their lengths only. */
static int
same(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i;
	volatile unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static const char *
field(struct fpg_req *r, const char *name)
{
	return json_string_value(json_object_get(fpg_body(r), name));
}

static void
create(struct fpg_req *r)
{
	char		*h = hash_password(field(r, "password"), NULL);
	const char	*p[] = { field(r, "email"), h };

	if (h == NULL)
		fpg_send_error(r, 500, "Internal Server Error");
	else
		fpg_send_row(r, 201, "user_register", 2, p);
	free(h);
}

static void
token(struct fpg_req *r)
{
	const char	*p[] = { field(r, "username") };
	PGresult	*res = fpg_exec(r, "user_login", 1, p);
	int		 found;
	char		*h, tok[4096];
	long		 ttl;
	json_t		*j;

	if (res == NULL)
		return;
	/* The same work whether the email exists or not. */
	found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 1);
	h = hash_password(field(r, "password"),
	    found ? PQgetvalue(res, 0, 1) : dummy);
	if (h == NULL || !same(h, found ? PQgetvalue(res, 0, 1) : dummy) ||
	    !found) {
		fpg_set_header(r, "WWW-Authenticate", "Bearer");
		fpg_send_error(r, 401, "Incorrect username or password");
	} else if (fpg_token_issue(r, PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 2), NULL, tok, sizeof(tok), &ttl) != FPG_OK) {
		fpg_send_error(r, 500, "Internal Server Error");
	} else {
		j = json_pack("{s:s, s:s, s:I}", "access_token", tok,
		    "token_type", "bearer", "expires_in", (json_int_t)ttl);
		fpg_set_header(r, "Cache-Control", "no-store");
		fpg_send_json(r, 200, j);
		json_decref(j);
		explicit_bzero(tok, sizeof(tok));
	}
	free(h);
	PQclear(res);
}

static void
me(struct fpg_req *r)
{
	fpg_send_row(r, 200, "user_me", 0, NULL);
}

static const struct fpg_route routes[] = {
	{ .method = "POST", .path = "/users", .handler = create,
	  .body_schema = SCHEMA_user_create, .name = "registerUser" },
	{ .method = "POST", .path = "/token", .handler = token,
	  .body_schema = SCHEMA_token_form, .form = 1, .name = "login" },
	{ .method = "GET", .path = "/users/me", .handler = me, .auth = "",
	  .name = "readMe" },
	{ .method = NULL }
};

static const struct fpg_resource users = {
	.name = "users", .routes = routes, .stmts = stmts,
	.openapi = SCHEMA_openapi
};

int
main(int argc, char *argv[])
{
	char	 pw[512];

	if (argc == 2 && strcmp(argv[1], "--hash-password") == 0) {
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			return 1;
		pw[strcspn(pw, "\r\n")] = '\0';
		dummy = hash_password(pw, NULL);
		explicit_bzero(pw, sizeof(pw));
		return dummy == NULL || puts(dummy) == EOF;
	}
	if ((dummy = hash_password("no such user", NULL)) == NULL)
		return 1;
	return fpg_main(&users, argc, argv);
}
