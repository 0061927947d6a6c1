/*
 * check_conf.c -- unit tests for lib/conf.c: the .env
 * line parser and fpg_conf_load, which reads the environment after a
 * .env file.
 *
 * Each test runs in its own process (Check's fork mode), so the
 * variables a test sets do not reach the next one; the fixture also
 * clears them, for CK_FORK=no runs.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "extern.h"

static char	 dir[64];
static char	 envpath[128];

static void
setup(void)
{
	size_t	 i;

	for (i = 0; i < fpg_conf_nvars; i++)
		unsetenv(fpg_conf_vars[i].name);
	unsetenv("ENV_FILE");
	snprintf(dir, sizeof(dir), "/tmp/fpgconf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(envpath, sizeof(envpath), "%s/.env", dir);
}

static void
teardown(void)
{
	unlink(envpath);
	rmdir(dir);
}

/* Writes text as the test's .env file. */
static void
write_env(const char *text)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(envpath, "w"));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * Loads the configuration with the test's .env path (the file need not
 * exist).  On success the caller frees c; on failure it is freed here.
 */
static int
load(struct fpg_conf *c, char *err, size_t errsz)
{
	int	 rc;

	err[0] = '\0';
	rc = fpg_conf_load(c, envpath, err, errsz);
	if (rc == -1) {
		ck_assert_msg(err[0] != '\0', "failure without a message");
		fpg_conf_free(c);
	} else
		ck_assert_int_eq(rc, 0);
	return rc;
}

/* Asserts that the load fails and that its message starts "NAME:". */
static void
fails_naming(const char *name)
{
	struct fpg_conf	 c;
	char		 err[256];

	ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, name, strlen(name)) == 0 &&
	    err[strlen(name)] == ':', "message \"%s\" should name %s",
	    err, name);
}

START_TEST(t_parse_line)
{
	static const struct {
		const char	*line;
		int		 rc;
		const char	*key, *val;
	} t[] = {
		{ "KEY=value", 1, "KEY", "value" },
		{ "export KEY=value", 1, "KEY", "value" },
		{ "export   KEY = value  ", 1, "KEY", "value" },
		{ "  KEY\t=\tvalue\t", 1, "KEY", "value" },
		{ "_K1=v", 1, "_K1", "v" },
		{ "KEY=", 1, "KEY", "" },
		{ "KEY=a=b", 1, "KEY", "a=b" },
		{ "KEY==x", 1, "KEY", "=x" },
		{ "KEY=value # comment", 1, "KEY", "value" },
		{ "KEY=value\t# comment", 1, "KEY", "value" },
		{ "KEY=a#b", 1, "KEY", "a#b" },
		{ "KEY=a b c", 1, "KEY", "a b c" },
		{ "KEY=\"a # b\"", 1, "KEY", "a # b" },
		{ "KEY='x y'", 1, "KEY", "x y" },
		{ "KEY=\"it's\"", 1, "KEY", "it's" },
		{ "KEY='say \"hi\"'", 1, "KEY", "say \"hi\"" },
		{ "KEY=\"\"", 1, "KEY", "" },
		{ "KEY=\"x\" # c", 1, "KEY", "x" },
		{ "KEY=\"x\"  ", 1, "KEY", "x" },
		{ "export=1", 1, "export", "1" },
		{ "", 0, NULL, NULL },
		{ "   ", 0, NULL, NULL },
		{ "# KEY=value", 0, NULL, NULL },
		{ "  # comment", 0, NULL, NULL },
		{ "=value", -1, NULL, NULL },
		{ "1KEY=x", -1, NULL, NULL },
		{ "KEY value", -1, NULL, NULL },
		{ "KEY", -1, NULL, NULL },
		{ "KEY-X=1", -1, NULL, NULL },
		{ "KEY.X=1", -1, NULL, NULL },
		{ "export", -1, NULL, NULL },
		{ "export KEY", -1, NULL, NULL },
		{ "KEY=\"x", -1, NULL, NULL },
		{ "KEY='x", -1, NULL, NULL },
		{ "KEY=\"x\" junk", -1, NULL, NULL },
		{ "KEY='x'y", -1, NULL, NULL },
	};
	char	 line[256], *k, *v;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* The line is split in place: give it a writable copy. */
		snprintf(line, sizeof(line), "%s", t[i].line);
		k = v = NULL;
		rc = fpg_conf_parse_line(line, &k, &v);
		ck_assert_msg(rc == t[i].rc, "line \"%s\": %d, expected %d",
		    t[i].line, rc, t[i].rc);
		if (rc != 1)
			continue;
		ck_assert_msg(k != NULL && strcmp(k, t[i].key) == 0,
		    "line \"%s\": key \"%s\"", t[i].line, k ? k : "(null)");
		ck_assert_msg(v != NULL && strcmp(v, t[i].val) == 0,
		    "line \"%s\": value \"%s\"", t[i].line, v ? v : "(null)");
	}
}
END_TEST

START_TEST(t_defaults)
{
	struct fpg_conf	 c;
	char		 err[256];

	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.conninfo, "postgresql:///fastpg");
	ck_assert_str_eq(c.root_path, "");
	ck_assert_int_eq(c.pool_size, 4);
	ck_assert_int_eq(c.max_overflow, 0);
	ck_assert_int_eq(c.statement_timeout, 5000);
	ck_assert_uint_eq(c.max_body, 1024 * 1024);
	ck_assert_int_eq(c.log_level, FPG_LOG_INFO);
	ck_assert_int_eq(c.prepare, 1);
	fpg_conf_free(&c);
	ck_assert_ptr_null(c.conninfo);
	ck_assert_ptr_null(c.root_path);

	/* An empty DATABASE_URL is the default too. */
	setenv("DATABASE_URL", "", 1);
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.conninfo, "postgresql:///fastpg");
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_envfile)
{
	struct fpg_conf	 c;
	char		 err[256];

	write_env("# settings\n"
	    "\n"
	    "export POOL_SIZE=8\n"
	    "MAX_OVERFLOW = 2   # extra\n"
	    "LOG_LEVEL=\"debug\"\n"
	    "ROOT_PATH='/api'\r\n"
	    "DB_PREPARE=false\n"
	    "STATEMENT_TIMEOUT=250ms\n"
	    "MAX_BODY_SIZE=64k");	/* no final newline */
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.pool_size, 8);
	ck_assert_int_eq(c.max_overflow, 2);
	ck_assert_int_eq(c.log_level, FPG_LOG_DEBUG);
	ck_assert_str_eq(c.root_path, "/api");
	ck_assert_int_eq(c.prepare, 0);
	ck_assert_int_eq(c.statement_timeout, 250);
	ck_assert_uint_eq(c.max_body, 65536);
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_env_wins)
{
	struct fpg_conf	 c;
	char		 err[256];

	write_env("POOL_SIZE=8\nLOG_LEVEL=abc\nMAX_OVERFLOW=3\n");
	setenv("POOL_SIZE", "16", 1);
	setenv("LOG_LEVEL", "error", 1);	/* hides the bad .env value */
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.pool_size, 16);
	ck_assert_int_eq(c.log_level, FPG_LOG_ERROR);
	ck_assert_int_eq(c.max_overflow, 3);
	ck_assert_str_eq(getenv("POOL_SIZE"), "16");
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_env_file_var)
{
	struct fpg_conf	 c;
	char		 err[256];

	/* With no envfile argument, $ENV_FILE names the file. */
	write_env("POOL_SIZE=7\n");
	setenv("ENV_FILE", envpath, 1);
	ck_assert_int_eq(fpg_conf_load(&c, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(c.pool_size, 7);
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_envfile_bad)
{
	struct fpg_conf	 c;
	char		 err[256];

	write_env("POOL_SIZE=4\nPOOL_SIZE 4\n");
	ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ".env:2:") != NULL, "message \"%s\"", err);

	/* A bad value read from .env names the variable as well (line 1
	 * above reached the environment before line 2 failed). */
	unsetenv("POOL_SIZE");
	write_env("POOL_SIZE=0\n");
	fails_naming("POOL_SIZE");
}
END_TEST

/* A line longer than the reader's 4096 bytes is refused, not split. */
START_TEST(t_envfile_long)
{
	struct fpg_conf	 c;
	char		 err[256], big[5000];

	memcpy(big, "ROOT_PATH=/", 11);
	memset(big + 11, 'a', sizeof(big) - 12);
	big[sizeof(big) - 1] = '\0';
	write_env(big);
	ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ".env:1: line or file too long") != NULL,
	    "message \"%s\"", err);
	ck_assert_ptr_null(getenv("ROOT_PATH"));
}
END_TEST

START_TEST(t_bad_values)
{
	static const struct {
		const char	*name, *val;
	} t[] = {
		{ "POOL_SIZE", "0" },
		{ "POOL_SIZE", "abc" },
		{ "POOL_SIZE", "257" },
		{ "POOL_SIZE", "" },
		{ "POOL_SIZE", " 4" },
		{ "MAX_OVERFLOW", "-1" },
		{ "MAX_OVERFLOW", "257" },
		{ "STATEMENT_TIMEOUT", "5x" },
		{ "STATEMENT_TIMEOUT", "-5" },
		{ "STATEMENT_TIMEOUT", "" },
		{ "STATEMENT_TIMEOUT", "s" },
		{ "STATEMENT_TIMEOUT", "86400001" },
		{ "STATEMENT_TIMEOUT", "1441min" },
		{ "MAX_BODY_SIZE", "0" },
		{ "MAX_BODY_SIZE", "2g" },
		{ "MAX_BODY_SIZE", "1025m" },
		{ "MAX_BODY_SIZE", "-1" },
		{ "MAX_BODY_SIZE", "k" },
		{ "LOG_LEVEL", "loud" },
		{ "LOG_LEVEL", "" },
		{ "DB_PREPARE", "maybe" },
		{ "ROOT_PATH", "api/" },
		{ "ROOT_PATH", "/api/" },
		{ "ROOT_PATH", "api" },
		{ "ROOT_PATH", "/" },
		{ "ROOT_PATH", "/a//b" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv(t[i].name, t[i].val, 1);
		fails_naming(t[i].name);
		unsetenv(t[i].name);
	}
}
END_TEST

START_TEST(t_url_normalise)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "postgresql+asyncpg://u:secret@h/db",
		  "postgresql://u:secret@h/db" },
		{ "postgres+psycopg2://h:5433/db", "postgresql://h:5433/db" },
		{ "postgresql://u@h/db?sslmode=disable",
		  "postgresql://u@h/db?sslmode=disable" },
		{ "postgres://h/db", "postgres://h/db" },
		{ "host=h dbname=d", "host=h dbname=d" },
	};
	struct fpg_conf	 c;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("DATABASE_URL", t[i].in, 1);
		ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
		ck_assert_str_eq(c.conninfo, t[i].out);
		fpg_conf_free(&c);
	}

	/* From .env too. */
	unsetenv("DATABASE_URL");
	write_env("DATABASE_URL=postgresql+asyncpg://a:b@c/d\n");
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.conninfo, "postgresql://a:b@c/d");
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_url_bad)
{
	static const char *const bad[] = {
		"postgresql://[",
		"postgresql://u:secret@[",
		"postgresql+asyncpg://u:secret@[",
		"host=x port",
		"host=x password=secret port",
		"host=x password=secret nosuchoption=1",
	};
	struct fpg_conf	 c;
	char		 err[512];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("DATABASE_URL", bad[i], 1);
		ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
		ck_assert_msg(strncmp(err, "DATABASE_URL:", 13) == 0,
		    "%s: message \"%s\"", bad[i], err);
		ck_assert_msg(strstr(err, "secret") == NULL,
		    "%s: password in message \"%s\"", bad[i], err);
	}
}
END_TEST

/* DATABASE_READ_URL: URLs, space-separated, each checked. */
START_TEST(t_read_urls)
{
	static const struct {
		const char	*in, *out;
	} good[] = {
		{ "", "" },
		{ "postgresql://r1/db", "postgresql://r1/db" },
		{ "  postgresql+asyncpg://u:pw@r1/db \t postgres://r2:5433/db ",
		  "postgresql://u:pw@r1/db postgres://r2:5433/db" },
	};
	static const char *const bad[] = {
		"host=r1 dbname=db",	/* key=value: its spaces split it */
		"postgresql://r1/db postgresql://u:secret@[",
		"postgresql://r1/db nonsense",
	};
	struct fpg_conf	 c;
	char		 err[512], many[64 * 18] = "";
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv("DATABASE_READ_URL", good[i].in, 1);
		ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
		ck_assert_str_eq(c.read_conninfo, good[i].out);
		fpg_conf_free(&c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("DATABASE_READ_URL", bad[i], 1);
		ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
		ck_assert_msg(strncmp(err, "DATABASE_READ_URL:", 18) == 0 &&
		    strstr(err, "secret") == NULL, "%s: \"%s\"", bad[i], err);
	}
	/* 16 replicas at most. */
	for (i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "postgresql://r%zu/db ", i);
	setenv("DATABASE_READ_URL", many, 1);
	ck_assert_int_eq(load(&c, err, sizeof(err)), -1);
	many[strlen(many) - strlen("postgresql://r16/db ")] = '\0';
	setenv("DATABASE_READ_URL", many, 1);
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	fpg_conf_free(&c);
}
END_TEST

START_TEST(t_sizes)
{
	static const struct {
		const char	*in;
		size_t		 out;
	} t[] = {
		{ "1", 1 },
		{ "1048576", 1048576 },
		{ "64k", 65536 },
		{ "64K", 65536 },
		{ "64kb", 65536 },
		{ "1m", 1048576 },
		{ "1MB", 1048576 },
		{ "1024m", 1073741824 },
		{ "1073741824", 1073741824 },
	};
	struct fpg_conf	 c;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("MAX_BODY_SIZE", t[i].in, 1);
		ck_assert_msg(load(&c, err, sizeof(err)) == 0, "%s: %s",
		    t[i].in, err);
		ck_assert_msg(c.max_body == t[i].out, "%s: %zu", t[i].in,
		    c.max_body);
		fpg_conf_free(&c);
	}
}
END_TEST

START_TEST(t_durations)
{
	static const struct {
		const char	*in;
		long		 out;
	} t[] = {
		{ "0", 0 },
		{ "5000", 5000 },
		{ "250ms", 250 },
		{ "5s", 5000 },
		{ "1min", 60000 },
		{ "86400000", 86400000 },
		{ "86400s", 86400000 },
		{ "1440min", 86400000 },
	};
	struct fpg_conf	 c;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("STATEMENT_TIMEOUT", t[i].in, 1);
		ck_assert_msg(load(&c, err, sizeof(err)) == 0, "%s: %s",
		    t[i].in, err);
		ck_assert_msg(c.statement_timeout == t[i].out, "%s: %ld",
		    t[i].in, c.statement_timeout);
		fpg_conf_free(&c);
	}
}
END_TEST

START_TEST(t_good_values)
{
	struct fpg_conf	 c;
	char		 err[256];

	setenv("LOG_LEVEL", "WARNING", 1);
	setenv("DB_PREPARE", "0", 1);
	setenv("POOL_SIZE", "256", 1);
	setenv("MAX_OVERFLOW", "0", 1);
	setenv("ROOT_PATH", "/api/v1", 1);
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.log_level, FPG_LOG_WARN);
	ck_assert_int_eq(c.prepare, 0);
	ck_assert_int_eq(c.pool_size, 256);
	ck_assert_int_eq(c.max_overflow, 0);
	ck_assert_str_eq(c.root_path, "/api/v1");
	fpg_conf_free(&c);

	setenv("LOG_LEVEL", "Debug", 1);
	setenv("DB_PREPARE", "true", 1);
	setenv("ROOT_PATH", "", 1);
	ck_assert_int_eq(load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.log_level, FPG_LOG_DEBUG);
	ck_assert_int_eq(c.prepare, 1);
	ck_assert_str_eq(c.root_path, "");
	fpg_conf_free(&c);
}
END_TEST

/* Asserts that two loaded configurations are the same, field by field. */
static void
same_conf(const struct fpg_conf *a, const struct fpg_conf *b,
    const char *what)
{
	ck_assert_msg(strcmp(a->conninfo, b->conninfo) == 0 &&
	    strcmp(a->root_path, b->root_path) == 0 &&
	    a->pool_size == b->pool_size &&
	    a->max_overflow == b->max_overflow &&
	    a->statement_timeout == b->statement_timeout &&
	    a->max_body == b->max_body && a->log_level == b->log_level &&
	    a->prepare == b->prepare, "%s: not the defaults", what);
}

/* The table: names are unique and well formed, every row has help. */
START_TEST(t_table_rows)
{
	size_t	 i, j;

	ck_assert_uint_gt(fpg_conf_nvars, 0);
	for (i = 0; i < fpg_conf_nvars; i++) {
		const struct fpg_conf_var *cv = &fpg_conf_vars[i];

		ck_assert_msg(cv->name != NULL && cv->name[0] != '\0' &&
		    strspn(cv->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
		    strlen(cv->name), "row %zu: name", i);
		ck_assert_msg(cv->def != NULL, "%s: no default", cv->name);
		ck_assert_msg(cv->help != NULL && cv->help[0] != '\0' &&
		    strchr(cv->help, '\n') == NULL, "%s: help", cv->name);
		ck_assert_msg(cv->off < sizeof(struct fpg_conf), "%s: field",
		    cv->name);
		ck_assert_msg(cv->min <= cv->max, "%s: bounds", cv->name);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(cv->name, fpg_conf_vars[j].name),
			    "%s: twice", cv->name);
	}
}
END_TEST

/*
 * Every row's default loads, and set explicitly it gives the same
 * configuration as leaving the variable unset.
 */
START_TEST(t_table_defaults)
{
	struct fpg_conf	 def, c;
	char		 err[256];
	size_t		 i;

	ck_assert_int_eq(load(&def, err, sizeof(err)), 0);
	for (i = 0; i < fpg_conf_nvars; i++) {
		const struct fpg_conf_var *cv = &fpg_conf_vars[i];

		setenv(cv->name, cv->def, 1);
		ck_assert_msg(load(&c, err, sizeof(err)) == 0,
		    "%s=%s: %s", cv->name, cv->def, err);
		same_conf(&c, &def, cv->name);
		fpg_conf_free(&c);
		unsetenv(cv->name);
	}
	fpg_conf_free(&def);
}
END_TEST

/* Sets name to the decimal v. */
static void
setnum(const char *name, long long v)
{
	char	 s[32];

	snprintf(s, sizeof(s), "%lld", v);
	setenv(name, s, 1);
}

/*
 * The bounds of the numeric rows hold: min and max load into their
 * field, one past either end fails naming the variable.  A value no
 * kind accepts fails naming it too, for every row.
 */
START_TEST(t_table_bounds)
{
	struct fpg_conf	 c;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < fpg_conf_nvars; i++) {
		const struct fpg_conf_var *cv = &fpg_conf_vars[i];
		const void	*field = (const char *)&c + cv->off;
		long long	 got, b[2] = { cv->min, cv->max };
		size_t		 k;

		if (cv->kind == FPG_CONF_STR) {
			/* free text, bounded in bytes: min - 1 and max + 1
			 * fail, max loads (and JWT_SECRET's value is never
			 * in the message) */
			char *v = malloc((size_t)cv->max + 2);

			memset(v, 'x', (size_t)cv->max + 1);
			v[cv->max + 1] = '\0';
			setenv(cv->name, v, 1);
			fails_naming(cv->name);
			v[cv->max] = '\0';
			setenv(cv->name, v, 1);
			if (strcmp(cv->name, "JWT_ALG") != 0) {
				ck_assert_msg(load(&c, err, sizeof(err)) == 0,
				    "%s: %s", cv->name, err);
				fpg_conf_free(&c);
			}
			if (cv->min > 1) {
				v[cv->min - 1] = '\0';
				setenv(cv->name, v, 1);
				fails_naming(cv->name);
			}
			free(v);
			unsetenv(cv->name);
			continue;
		}
		setenv(cv->name, "no such value!", 1);
		fails_naming(cv->name);
		unsetenv(cv->name);
		if (cv->kind != FPG_CONF_INT && cv->kind != FPG_CONF_MS &&
		    cv->kind != FPG_CONF_SIZE)
			continue;
		for (k = 0; k < 2; k++) {
			setnum(cv->name, b[k]);
			ck_assert_msg(load(&c, err, sizeof(err)) == 0,
			    "%s=%lld: %s", cv->name, b[k], err);
			if (cv->kind == FPG_CONF_INT)
				got = *(const int *)field;
			else if (cv->kind == FPG_CONF_MS)
				got = *(const long *)field;
			else
				got = (long long)*(const size_t *)field;
			ck_assert_msg(got == b[k], "%s=%lld: loaded %lld",
			    cv->name, b[k], got);
			fpg_conf_free(&c);
		}
		setnum(cv->name, cv->min - 1);
		fails_naming(cv->name);
		setnum(cv->name, cv->max + 1);
		fails_naming(cv->name);
		unsetenv(cv->name);
	}
}
END_TEST

/* --help lists every row as "  NAME=default", its help below. */
START_TEST(t_table_usage)
{
	char	*text = NULL, line[512];
	size_t	 len = 0, i, n = 0;
	FILE	*f;
	const char *p;

	ck_assert_ptr_nonnull(f = open_memstream(&text, &len));
	fpg_conf_usage(f);
	ck_assert_int_eq(fclose(f), 0);
	for (i = 0; i < fpg_conf_nvars; i++) {
		const struct fpg_conf_var *cv = &fpg_conf_vars[i];

		snprintf(line, sizeof(line), "\n  %s=%s\n      %s\n",
		    cv->name, cv->def, cv->help);
		ck_assert_msg(strstr(text, line) != NULL,
		    "--help lacks %s:\n%s", cv->name, text);
	}
	/* And nothing else of that form. */
	for (p = text; (p = strstr(p, "\n  ")) != NULL; p++)
		if (p[3] != ' ')
			n++;
	ck_assert_uint_eq(n, fpg_conf_nvars);
	free(text);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("strtonum");
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_parse_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_envfile);
	tcase_add_test(tc, t_env_wins);
	tcase_add_test(tc, t_env_file_var);
	tcase_add_test(tc, t_envfile_bad);
	tcase_add_test(tc, t_envfile_long);
	tcase_add_test(tc, t_bad_values);
	tcase_add_test(tc, t_url_normalise);
	tcase_add_test(tc, t_url_bad);
	tcase_add_test(tc, t_read_urls);
	tcase_add_test(tc, t_sizes);
	tcase_add_test(tc, t_durations);
	tcase_add_test(tc, t_good_values);
	tcase_add_test(tc, t_table_rows);
	tcase_add_test(tc, t_table_defaults);
	tcase_add_test(tc, t_table_bounds);
	tcase_add_test(tc, t_table_usage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
