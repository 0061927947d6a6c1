/*
 * fuzz_conf.c -- libFuzzer harness for the configuration reader
 * (lib/conf.c): fpg_conf_parse_line on each line of the input, then
 * fpg_conf_load on the whole input written out as the .env file.
 *
 * Each line must parse to a key that is a name and a value inside the
 * line, and a pair that parses must parse the same again once written
 * back quoted.  The .env run starts from an environment without the
 * configuration's names; whatever the file added is removed after it,
 * so runs do not leak into each other.  On odd-sized inputs POOL_SIZE
 * is set beforehand and must win over the file.  A configuration that
 * loads must hold what the environment says, within the documented
 * bounds; one that does not must say why without quoting a DATABASE_URL
 * that may hold a password.
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "extern.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

extern char	**environ;

static const char *const known[] = { "DATABASE_URL", "POOL_SIZE",
	"MAX_OVERFLOW", "STATEMENT_TIMEOUT", "MAX_BODY_SIZE", "LOG_LEVEL",
	"ROOT_PATH", "DB_PREPARE", "ENV_FILE" };
#define NKNOWN	(sizeof(known) / sizeof(known[0]))

static char	envfile[64];

static void
cleanup(void)
{
	if (envfile[0] != '\0')
		unlink(envfile);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("TMPDIR");
	int		 fd;

	(void)argc;
	(void)argv;
	fpg_log_level = FPG_LOG_ERROR;
	/* The file is rewritten for every input: memory if we can. */
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) >= 40)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(envfile, sizeof(envfile), "%s/fuzz_conf.XXXXXX", tmp);
	if ((fd = mkstemp(envfile)) == -1) {
		perror("fuzz_conf: mkstemp");
		abort();
	}
	close(fd);
	atexit(cleanup);
	return 0;
}

static int
is_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* One line: contract, then a round trip through quotes. */
static void
check_line(const char *line, size_t len)
{
	char	*copy, *key = NULL, *val = NULL, *again, *k2, *v2;
	size_t	 n;
	int	 rc;

	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, line, len);
	copy[len] = '\0';
	rc = fpg_conf_parse_line(copy, &key, &val);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1) {
		if (key < copy || key > copy + len || val < copy ||
		    val > copy + len || !is_name(key))
			abort();
		/* export KEY='VAL' (or "VAL", whichever quote VAL does
		 * not hold) must give KEY and VAL back. */
		if (strchr(val, '\'') == NULL || strchr(val, '"') == NULL) {
			char q = strchr(val, '\'') ? '"' : '\'';

			n = strlen(key) + strlen(val) + 16;
			if ((again = malloc(n)) == NULL)
				abort();
			snprintf(again, n, "export %s=%c%s%c", key, q, val, q);
			if (fpg_conf_parse_line(again, &k2, &v2) != 1 ||
			    strcmp(k2, key) != 0 || strcmp(v2, val) != 0)
				abort();
			free(again);
		}
	}
	free(copy);
}

/* Names in the environment now, as a NULL-terminated array. */
static char **
env_names(void)
{
	char	**names;
	size_t	  n = 0, i;

	while (environ[n] != NULL)
		n++;
	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		abort();
	for (i = 0; i < n; i++)
		if ((names[i] = strndup(environ[i],
		    strcspn(environ[i], "="))) == NULL)
			abort();
	return names;
}

static void
free_names(char **names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/* Removes from the environment every name not in before. */
static void
env_restore(char **before)
{
	char	**now = env_names();
	size_t	  i, j;

	for (i = 0; now[i] != NULL; i++) {
		for (j = 0; before[j] != NULL; j++)
			if (strcmp(before[j], now[i]) == 0)
				break;
		if (before[j] == NULL)
			unsetenv(now[i]);
	}
	free_names(now);
}

/* What a loaded configuration must hold. */
static void
check_conf(const struct fpg_conf *c)
{
	const char	*v;
	long long	 n;

	if (c->conninfo == NULL || c->root_path == NULL)
		abort();
	if (c->pool_size < 1 || c->pool_size > 256 ||
	    c->max_overflow < 0 || c->max_overflow > 256 ||
	    c->statement_timeout < 0 || c->statement_timeout > 86400000 ||
	    c->max_body < 1 || c->max_body > (1U << 30) ||
	    c->log_level < FPG_LOG_ERROR || c->log_level > FPG_LOG_DEBUG ||
	    (c->prepare != 0 && c->prepare != 1))
		abort();
	v = c->root_path;
	if (*v != '\0' && (*v != '/' || strstr(v, "//") != NULL ||
	    v[strlen(v) - 1] == '/' || strlen(v) > 256))
		abort();
	/* The values are the environment's (after the file). */
	v = getenv("POOL_SIZE");
	if (v == NULL ? c->pool_size != 4 :
	    fpg_strtonum(v, 1, 256, &n) == -1 || n != c->pool_size)
		abort();
	v = getenv("MAX_OVERFLOW");
	if (v == NULL ? c->max_overflow != 0 :
	    fpg_strtonum(v, 0, 256, &n) == -1 || n != c->max_overflow)
		abort();
	if (getenv("STATEMENT_TIMEOUT") == NULL &&
	    c->statement_timeout != 5000)
		abort();
	if (getenv("MAX_BODY_SIZE") == NULL && c->max_body != 1024 * 1024)
		abort();
	if (getenv("LOG_LEVEL") == NULL && c->log_level != FPG_LOG_INFO)
		abort();
	v = getenv("ROOT_PATH");
	if (strcmp(c->root_path, v ? v : "") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *p, *nl, *url;
	struct fpg_conf	 c;
	char		 err[512], **before;
	FILE		*f;
	size_t		 i;
	int		 rc, preset = size % 2;

	for (p = s; p < s + size; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(s + size - p))) == NULL)
			nl = s + size;
		check_line(p, (size_t)(nl - p));
	}

	for (i = 0; i < NKNOWN; i++)
		unsetenv(known[i]);
	before = env_names();
	if ((f = fopen(envfile, "w")) == NULL ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	setenv("ENV_FILE", envfile, 1);
	if (preset)
		setenv("POOL_SIZE", "3", 1);
	memset(err, 'x', sizeof(err));
	rc = fpg_conf_load(&c, NULL, err, sizeof(err));
	if (rc == 0) {
		check_conf(&c);
		if (preset && c.pool_size != 3)
			abort();	/* the environment wins */
	} else if (rc == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		/* A password may be in the URL: the message never quotes
		 * it.  Only a URL no message could hold by chance is
		 * looked for ("connection string" is both a bad URL and
		 * part of the message about one). */
		url = getenv("DATABASE_URL");
		if (url != NULL && (strchr(url, '@') != NULL ||
		    strstr(url, "password") != NULL) && strstr(err, url))
			abort();
	} else
		abort();
	fpg_conf_free(&c);
	if (c.conninfo != NULL || c.root_path != NULL)
		abort();
	for (i = 0; i < NKNOWN; i++)
		unsetenv(known[i]);
	env_restore(before);
	free_names(before);
	return 0;
}
