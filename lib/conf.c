/*
 * conf.c -- configuration from the environment and an optional .env
 * file, the way pydantic-settings reads it: a variable set in the
 * environment wins over the same name in .env.  Every value is checked
 * at start; a bad one stops the start with a message naming it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define ENV_LINE_MAX	4096
#define ENV_FILE_MAX	(256 * 1024)

/*
 * Parses a decimal integer in [min, max] with nothing around it.
 * Returns 0 and sets *out, or -1.  (kcgi's and OpenBSD's strtonum.)
 */
int
fpg_strtonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

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
 * no timeout.  Returns -1 if malformed or above a day.
 */
static long
parse_ms(const char *s)
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
	if (fpg_strtonum(num, 0, 86400000LL / mul, &v) == -1)
		return -1;
	return (long)(v * mul);
}

/* A size in bytes: "1048576", "64k", "1m" (also "KB", "MB"). */
static long long
parse_size(const char *s)
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
	if (fpg_strtonum(num, 1, (1LL << 30) / mul, &v) == -1)
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
 * Fills c from the environment, after loading envfile (NULL: ".env",
 * or $ENV_FILE).  Returns 0, or -1 with a message naming the variable.
 */
int
fpg_conf_load(struct fpg_conf *c, const char *envfile, char *err,
    size_t errsz)
{
	const char	*v;
	long long	 n;

	memset(c, 0, sizeof(*c));
	c->pool_size = 4;
	c->max_overflow = 0;
	c->statement_timeout = 5000;
	c->max_body = 1024 * 1024;
	c->log_level = FPG_LOG_INFO;
	c->prepare = 1;

	if (envfile == NULL && (envfile = getenv("ENV_FILE")) == NULL)
		envfile = ".env";
	if (load_envfile(envfile, err, errsz) == -1)
		return -1;

	if ((v = getenv("DATABASE_URL")) == NULL || *v == '\0')
		v = "postgresql:///fastpg";
	if ((c->conninfo = normalise_url(v)) == NULL) {
		snprintf(err, errsz, "DATABASE_URL: not a valid PostgreSQL "
		    "URL or connection string");
		return -1;
	}
	if ((v = getenv("POOL_SIZE")) != NULL) {
		if (fpg_strtonum(v, 1, 256, &n) == -1)
			goto bad_pool;
		c->pool_size = (int)n;
	}
	if ((v = getenv("MAX_OVERFLOW")) != NULL) {
		if (fpg_strtonum(v, 0, 256, &n) == -1)
			goto bad_overflow;
		c->max_overflow = (int)n;
	}
	if ((v = getenv("STATEMENT_TIMEOUT")) != NULL &&
	    (c->statement_timeout = parse_ms(v)) < 0) {
		snprintf(err, errsz, "STATEMENT_TIMEOUT: expected milliseconds "
		    "or a duration such as 5s, at most a day");
		return -1;
	}
	if ((v = getenv("MAX_BODY_SIZE")) != NULL) {
		long long sz = parse_size(v);

		if (sz < 0) {
			snprintf(err, errsz, "MAX_BODY_SIZE: expected bytes "
			    "(1 to 1073741824) or a size such as 64k, 1m");
			return -1;
		}
		c->max_body = (size_t)sz;
	}
	if ((v = getenv("LOG_LEVEL")) != NULL) {
		static const char *const names[] =
		    { "error", "warn", "info", "debug" };
		size_t i;

		for (i = 0; i < 4; i++)
			if (strcasecmp(v, names[i]) == 0 ||
			    (i == 1 && strcasecmp(v, "warning") == 0))
				break;
		if (i == 4) {
			snprintf(err, errsz, "LOG_LEVEL: expected error, "
			    "warn, info or debug");
			return -1;
		}
		c->log_level = (int)i;
	}
	if ((v = getenv("DB_PREPARE")) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			c->prepare = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			c->prepare = 0;
		else {
			snprintf(err, errsz, "DB_PREPARE: expected true or "
			    "false");
			return -1;
		}
	}
	v = getenv("ROOT_PATH");
	if (v != NULL && *v != '\0' && (v[0] != '/' || strstr(v, "//") ||
	    v[strlen(v) - 1] == '/' || strlen(v) > 256)) {
		snprintf(err, errsz, "ROOT_PATH: expected a path such as "
		    "/api, without a trailing slash");
		return -1;
	}
	if ((c->root_path = strdup(v ? v : "")) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
bad_pool:
	snprintf(err, errsz, "POOL_SIZE: expected an integer from 1 to 256");
	return -1;
bad_overflow:
	snprintf(err, errsz, "MAX_OVERFLOW: expected an integer from 0 to 256");
	return -1;
}

void
fpg_conf_free(struct fpg_conf *c)
{
	free(c->conninfo);
	free(c->root_path);
	c->conninfo = c->root_path = NULL;
}
