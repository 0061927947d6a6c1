/*
 * conf.c -- configuration from the environment and an optional .env
 * file, the way pydantic-settings reads it: a variable set in the
 * environment wins over the same name in .env.  Every value is checked
 * at start; a bad one stops the start with a message naming it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define ENV_LINE_MAX	4096
#define ENV_FILE_MAX	(256 * 1024)

/*
 * The configuration, one row per variable: its name, its kind (how the
 * value is parsed, and the type of the struct fpg_conf field it fills),
 * its bounds, its default as it would be written in .env, and a line of
 * help.  Loading, --help, the unit tests and tests/check-conf.sh (which
 * holds README.md's table and deploy/local.sh's list against --help)
 * all read it: a new variable is one row here and one field in struct
 * fpg_conf.  Rows are checked in this order, so the first bad one is
 * the one named.
 */
#define F(field)	offsetof(struct fpg_conf, field)
const struct fpg_conf_var fpg_conf_vars[] = {
	{ "DATABASE_URL", FPG_CONF_URL, 0, 0, "postgresql:///fastpg",
	  F(conninfo), FPG_CONF_EMPTY_UNSET,
	  "libpq URL or key=value string (postgresql+asyncpg:// too)" },
	{ "DATABASE_READ_URL", FPG_CONF_URLS, 0, 16, "", F(read_conninfo), 0,
	  "streaming replicas for read-only routes: URLs, space-separated "
	  "(empty: every statement on DATABASE_URL)" },
	{ "READ_MAX_LAG", FPG_CONF_MS, 0, 86400000, "5s", F(read_max_lag), 0,
	  "a replica further behind its primary is left out, reads go to "
	  "the primary; 0: not checked" },
	{ "POOL_SIZE", FPG_CONF_INT, 1, 256, "4", F(pool_size), 0,
	  "worker threads per process, each with one connection" },
	{ "MAX_OVERFLOW", FPG_CONF_INT, 0, 256, "0", F(max_overflow), 0,
	  "extra workers, connected on first use, closed after 30 s idle" },
	{ "STATEMENT_TIMEOUT", FPG_CONF_MS, 0, 86400000, "5s",
	  F(statement_timeout), 0,
	  "per statement: 250ms, 5s, 1min or milliseconds; 0: none" },
	{ "MAX_BODY_SIZE", FPG_CONF_SIZE, 1, 1LL << 30, "1m", F(max_body), 0,
	  "request body limit: bytes, or 64k, 1m (at most 1 GiB)" },
	{ "LOG_LEVEL", FPG_CONF_LEVEL, 0, 0, "info", F(log_level), 0,
	  "error, warn, info (access lines) or debug" },
	{ "DB_PREPARE", FPG_CONF_BOOL, 0, 1, "true", F(prepare), 0,
	  "false behind a transaction pooler: statements unnamed, the "
	  "timeout per transaction" },
	{ "ROOT_PATH", FPG_CONF_PATH, 0, 256, "", F(root_path), 0,
	  "mount prefix stripped before routing, such as /api" },
	{ "LOG_FORMAT", FPG_CONF_FORMAT, 0, 1, "text", F(log_json), 0,
	  "text, or json: one JSON object a line" },
	{ "SERVER_TIMING", FPG_CONF_BOOL, 0, 1, "false", F(server_timing), 0,
	  "true adds Server-Timing (parse, validate, db, total) to answers" },
	{ "METRICS_DIR", FPG_CONF_PATH, 0, 256, "", F(metrics_dir), 0,
	  "folder of the counters all processes of a resource share "
	  "(empty: each process its own)" },
	{ "JWT_SECRET", FPG_CONF_STR, 32, 4096, "", F(jwt_secret), 0,
	  "HS256/384/512 key, at least 32 bytes (empty: no HS tokens)" },
	{ "JWT_ALG", FPG_CONF_STR, 0, 16, "HS256", F(jwt_alg), 0,
	  "the one algorithm tokens are signed with: HS256, HS384, HS512, "
	  "RS256, ES256" },
	{ "JWT_PUBLIC_KEY", FPG_CONF_STR, 0, 4096, "", F(jwt_public_key), 0,
	  "RS256/ES256: a PEM file with the public key" },
	{ "JWT_JWKS_FILE", FPG_CONF_STR, 0, 4096, "", F(jwt_jwks_file), 0,
	  "RS256/ES256: a JWKS file, the key chosen by the token's kid" },
	{ "JWT_SKEW", FPG_CONF_MS, 0, 3600000, "30s", F(jwt_skew), 0,
	  "clock skew allowed on exp and nbf" },
	{ "JWT_REQUIRE_EXP", FPG_CONF_BOOL, 0, 1, "true", F(jwt_require_exp),
	  0, "false accepts tokens without exp" },
	{ "JWT_AUDIENCE", FPG_CONF_STR, 0, 1024, "", F(jwt_audience), 0,
	  "the aud a token must name (empty: not checked)" },
	{ "JWT_ISSUER", FPG_CONF_STR, 0, 1024, "", F(jwt_issuer), 0,
	  "the iss a token must carry (empty: not checked)" },
	{ "JWT_ROLE_CLAIM", FPG_CONF_STR, 1, 128, "role", F(jwt_role_claim), 0,
	  "the claim naming the caller's PostgreSQL role" },
	{ "JWT_ANON_ROLE", FPG_CONF_STR, 0, 128, "", F(jwt_anon_role), 0,
	  "PostgreSQL role of requests without a token (empty: no change)" },
	{ "JWT_TTL", FPG_CONF_MS, 1000, 2592000000LL, "3600s", F(jwt_ttl), 0,
	  "lifetime of the tokens a resource issues (fpg_token_issue)" },
	{ "CORS_ORIGINS", FPG_CONF_STR, 0, 4096, "", F(cors_origins), 0,
	  "origins allowed to call from a browser, space-separated "
	  "(empty: CORS off)" },
	{ "CORS_ALLOW_CREDENTIALS", FPG_CONF_BOOL, 0, 1, "false",
	  F(cors_credentials), 0,
	  "true adds Access-Control-Allow-Credentials: true" },
	{ "CORS_MAX_AGE", FPG_CONF_INT, 0, 86400, "600", F(cors_max_age), 0,
	  "seconds a browser may cache a preflight's answer" },
};
#undef F
const size_t fpg_conf_nvars =
    sizeof(fpg_conf_vars) / sizeof(fpg_conf_vars[0]);

/* LOG_LEVEL's values, by FPG_LOG_* number ("warning" is "warn" too). */
static const char *const levels[] = { "error", "warn", "info", "debug" };

/*
 * Splits one .env line into key and value, in place.  Accepts
 * "KEY=value", "export KEY=value", and values quoted with ' or "
 * (a "#" starts a comment only outside quotes, after a space).
 * Returns 1 for a pair, 0 for a blank or comment line, -1 if malformed.
 */
int
fpg_conf_parse_line(char *line, char **key, char **val)
{
	char	*s = line, *e, *k;
	size_t	 len;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	if (strncmp(s, "export ", 7) == 0)
		for (s += 7; *s == ' '; s++)
			;
	k = s;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	if (s == k || isdigit((unsigned char)*k))
		return -1;
	e = s;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '=')
		return -1;
	*e = '\0';
	for (s++; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '"' || *s == '\'') {
		char q = *s++;

		if ((e = strchr(s, q)) == NULL)
			return -1;
		*e++ = '\0';
		while (isspace((unsigned char)*e))
			e++;
		if (*e != '\0' && *e != '#')
			return -1;
	} else {
		for (e = s; *e != '\0'; e++)
			if (*e == '#' && e > s && isspace((unsigned char)e[-1]))
				break;
		*e = '\0';
		len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
	}
	*key = k;
	*val = s;
	return 1;
}

/* Reads .env into the environment without overriding what is set. */
static int
load_envfile(const char *path, char *err, size_t errsz)
{
	FILE	*f;
	char	 line[ENV_LINE_MAX], *k, *v;
	size_t	 total = 0;
	int	 lineno = 0, rc;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		total += len;
		if (total > ENV_FILE_MAX ||
		    (len == sizeof(line) - 1 && line[len - 1] != '\n')) {
			snprintf(err, errsz, "%s:%d: line or file too long",
			    path, lineno);
			fclose(f);
			return -1;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if ((rc = fpg_conf_parse_line(line, &k, &v)) < 0) {
			snprintf(err, errsz, "%s:%d: expected NAME=value",
			    path, lineno);
			fclose(f);
			return -1;
		}
		if (rc == 1 && setenv(k, v, 0) == -1) {
			snprintf(err, errsz, "%s:%d: %s", path, lineno,
			    strerror(errno));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/*
 * A duration in milliseconds: "5000", "5000ms", "5s", "1min"; 0 means
 * no timeout.  Returns -1 if malformed or above max milliseconds.
 */
static long long
parse_ms(const char *s, long long max)
{
	char		 num[32];
	const char	*u = s;
	long long	 v;
	long		 mul = 1;

	while (isdigit((unsigned char)*u))
		u++;
	if (u == s || (size_t)(u - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(u - s));
	num[u - s] = '\0';
	if (*u == '\0' || strcmp(u, "ms") == 0)
		mul = 1;
	else if (strcmp(u, "s") == 0)
		mul = 1000;
	else if (strcmp(u, "min") == 0)
		mul = 60000;
	else
		return -1;
	if (fpg_strtonum(num, 0, max / mul, &v) == -1)
		return -1;
	return v * mul;
}

/*
 * A size in bytes: "1048576", "64k", "1m" (also "KB", "MB"), from 1 to
 * max.  Returns -1 if malformed or out of bounds.
 */
static long long
parse_size(const char *s, long long max)
{
	char		 num[32];
	const char	*u = s;
	long long	 v, mul = 1;

	while (isdigit((unsigned char)*u))
		u++;
	if (u == s || (size_t)(u - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(u - s));
	num[u - s] = '\0';
	if (*u == '\0')
		mul = 1;
	else if (strcasecmp(u, "k") == 0 || strcasecmp(u, "kb") == 0)
		mul = 1024;
	else if (strcasecmp(u, "m") == 0 || strcasecmp(u, "mb") == 0)
		mul = 1024 * 1024;
	else
		return -1;
	if (fpg_strtonum(num, 1, max / mul, &v) == -1)
		return -1;
	return v * mul;
}

/*
 * DATABASE_URL as libpq takes it.  SQLAlchemy's dialect form
 * "postgresql+asyncpg://" (any "+driver") and "postgres://" are
 * accepted; libpq keyword=value strings pass through.  The result is
 * checked with PQconninfoParse, whose message may quote the value, so
 * it is not repeated (the password must never reach a log).
 */
static char *
normalise_url(const char *url)
{
	const char	*plus, *colon;
	char		*out, *msg = NULL;
	PQconninfoOption *opts;

	colon = strstr(url, "://");
	plus = strchr(url, '+');
	if (colon != NULL && plus != NULL && plus < colon &&
	    (strncmp(url, "postgresql+", 11) == 0 ||
	     strncmp(url, "postgres+", 9) == 0)) {
		size_t n = strlen(colon);

		if ((out = malloc(10 + n + 1)) == NULL)
			return NULL;
		memcpy(out, "postgresql", 10);
		memcpy(out + 10, colon, n + 1);
	} else if ((out = strdup(url)) == NULL)
		return NULL;
	if ((opts = PQconninfoParse(out, &msg)) == NULL) {
		PQfreemem(msg);
		free(out);
		return NULL;
	}
	PQconninfoFree(opts);
	return out;
}

/*
 * Up to max URLs separated by spaces, each normalised as normalise_url
 * does, joined by one space; "" for none.  NULL if one is not valid
 * (or there are too many).
 */
static char *
normalise_urls(const char *v, long long max)
{
	char		*all, *u, *out, *save = NULL;
	size_t		 len = 0;
	long long	 n = 0;

	if ((all = strdup(v)) == NULL || (out = calloc(1, 1)) == NULL) {
		free(all);
		return NULL;
	}
	for (u = strtok_r(all, " \t", &save); u != NULL;
	    u = strtok_r(NULL, " \t", &save)) {
		/* URLs only: a key=value string holds spaces itself */
		char	*one = strstr(u, "://") ? normalise_url(u) : NULL;
		char	*grown;
		size_t	 k;

		if (one == NULL || ++n > max || (grown = realloc(out,
		    len + strlen(one) + 2)) == NULL) {
			free(one);
			free(out);
			free(all);
			return NULL;
		}
		out = grown;
		k = strlen(one);
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, one, k + 1);
		len += k;
		free(one);
	}
	free(all);
	return out;
}

/*
 * Parses v as variable cv and stores it into c.  Returns 0, or -1 with
 * a message in err that starts "NAME:" and never quotes the value (a
 * DATABASE_URL may hold a password).
 */
static int
conf_set(struct fpg_conf *c, const struct fpg_conf_var *cv, const char *v,
    char *err, size_t errsz)
{
	void		*field = (char *)c + cv->off;
	long long	 n;
	char		*s;
	size_t		 i;

	switch (cv->kind) {
	case FPG_CONF_URL:
	case FPG_CONF_URLS:
	case FPG_CONF_PATH:
		if (cv->kind == FPG_CONF_URL)
			s = normalise_url(v);
		else if (cv->kind == FPG_CONF_URLS)
			s = normalise_urls(v, cv->max);
		else if (*v != '\0' && (v[0] != '/' || strstr(v, "//") ||
		    v[strlen(v) - 1] == '/' || strlen(v) > (size_t)cv->max)) {
			snprintf(err, errsz, "%s: expected a path such as "
			    "/api, without a trailing slash", cv->name);
			return -1;
		} else if ((s = strdup(v)) == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		if (s == NULL) {
			snprintf(err, errsz, cv->kind == FPG_CONF_URL ?
			    "%s: not a valid PostgreSQL URL or connection "
			    "string" : "%s: expected PostgreSQL URLs separated "
			    "by spaces, at most 16", cv->name);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case FPG_CONF_STR:
		/* Never quoted back: JWT_SECRET is one of these. */
		if (*v != '\0' && (strlen(v) < (size_t)cv->min ||
		    strlen(v) > (size_t)cv->max)) {
			snprintf(err, errsz, "%s: expected %lld to %lld bytes "
			    "(or empty)", cv->name, cv->min, cv->max);
			return -1;
		}
		if ((s = strdup(v)) == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case FPG_CONF_INT:
		if (fpg_strtonum(v, cv->min, cv->max, &n) == -1) {
			snprintf(err, errsz, "%s: expected an integer from "
			    "%lld to %lld", cv->name, cv->min, cv->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case FPG_CONF_MS:
		if ((n = parse_ms(v, cv->max)) < cv->min) {
			snprintf(err, errsz, "%s: expected milliseconds or a "
			    "duration such as 5s, at most a day", cv->name);
			return -1;
		}
		*(long *)field = (long)n;
		return 0;
	case FPG_CONF_SIZE:
		if ((n = parse_size(v, cv->max)) < cv->min) {
			snprintf(err, errsz, "%s: expected bytes (%lld to "
			    "%lld) or a size such as 64k, 1m", cv->name,
			    cv->min, cv->max);
			return -1;
		}
		*(size_t *)field = (size_t)n;
		return 0;
	case FPG_CONF_LEVEL:
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcasecmp(v, levels[i]) == 0 ||
			    (i == FPG_LOG_WARN && strcasecmp(v, "warning") == 0))
				break;
		if (i == sizeof(levels) / sizeof(levels[0])) {
			snprintf(err, errsz, "%s: expected error, warn, info "
			    "or debug", cv->name);
			return -1;
		}
		*(int *)field = (int)i;
		return 0;
	case FPG_CONF_FORMAT:
		if (strcmp(v, "text") == 0 || strcmp(v, "json") == 0) {
			*(int *)field = v[0] == 'j';
			return 0;
		}
		snprintf(err, errsz, "%s: expected text or json", cv->name);
		return -1;
	case FPG_CONF_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(int *)field = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(int *)field = 0;
		else {
			snprintf(err, errsz, "%s: expected true or false",
			    cv->name);
			return -1;
		}
		return 0;
	}
	snprintf(err, errsz, "%s: unknown kind of variable", cv->name);
	return -1;
}

/*
 * Fills c from the environment, after loading envfile (NULL: ".env",
 * or $ENV_FILE): each variable of the table, or its default when it
 * is unset.  Returns 0, or -1 with a message naming the variable; the
 * caller frees c with fpg_conf_free() either way.
 */
int
fpg_conf_load(struct fpg_conf *c, const char *envfile, char *err,
    size_t errsz)
{
	const struct fpg_conf_var	*cv;
	const char			*v;

	memset(c, 0, sizeof(*c));
	if (envfile == NULL && (envfile = getenv("ENV_FILE")) == NULL)
		envfile = ".env";
	if (load_envfile(envfile, err, errsz) == -1)
		return -1;
	for (cv = fpg_conf_vars; cv < fpg_conf_vars + fpg_conf_nvars; cv++) {
		if ((v = getenv(cv->name)) == NULL ||
		    ((cv->flags & FPG_CONF_EMPTY_UNSET) && *v == '\0'))
			v = cv->def;
		if (conf_set(c, cv, v, err, errsz) == -1)
			return -1;
	}
	return 0;
}

/*
 * Prints the variables with their defaults and help, for --help: one
 * "  NAME=default" line each (as it would be written in .env), then
 * the help indented below it.
 */
void
fpg_conf_usage(FILE *f)
{
	const struct fpg_conf_var	*cv;

	fputs("Configuration, from the environment, then ./.env (ENV_FILE "
	    "names another):\n", f);
	for (cv = fpg_conf_vars; cv < fpg_conf_vars + fpg_conf_nvars; cv++)
		fprintf(f, "  %s=%s\n      %s\n", cv->name, cv->def, cv->help);
}

void
fpg_conf_free(struct fpg_conf *c)
{
	size_t	 i;
	char	**f;

	/* Every string the table filled: a new row needs no change here. */
	for (i = 0; i < fpg_conf_nvars; i++) {
		if (fpg_conf_vars[i].kind != FPG_CONF_URL &&
		    fpg_conf_vars[i].kind != FPG_CONF_URLS &&
		    fpg_conf_vars[i].kind != FPG_CONF_PATH &&
		    fpg_conf_vars[i].kind != FPG_CONF_STR)
			continue;
		f = (char **)(void *)((char *)c + fpg_conf_vars[i].off);
		free(*f);
		*f = NULL;
	}
}
