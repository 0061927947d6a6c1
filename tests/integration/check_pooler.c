/*
 * check_pooler.c -- behind PgBouncer in transaction pooling (the
 * nginx-pgbouncer way of serving): nothing a request needs may live in
 * a session.  Clients of the same pool leave session settings on the
 * server connections they happened to use -- here statement_timeout =
 * 0, no limit, as another application might -- and the responders'
 * STATEMENT_TIMEOUT (2 s in the tests) must still hold: it is set for
 * each transaction (DB_PREPARE=false), never trusted from the session.
 * A PATCH waiting on a row lock held for 4 s is answered 504 after
 * about 2 s.  Before, the timeout was the session's: set on whichever
 * server connection a responder connected through, so a request on
 * another one waited the whole 4 s.
 *
 * And a responder started with DB_PREPARE=true behind the pooler says
 * so and answers 503 at once, rather than failing at random later when
 * a server connection lacks its statements (26000) or has them already
 * (42P05).  Runs only where PGBOUNCER_URL is set, not empty
 * (tests/run-tests.sh, nginx-pgbouncer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define POISONERS	20	/* local.sh's default_pool_size: all of them */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(session_settings_do_not_leak)
{
	const char	*pgb = getenv("PGBOUNCER_URL");
	PGconn		*c[POISONERS], *lock;
	PGresult	*r;
	struct resp	 a;
	char		 path[64];
	const char	*h[] = { "If-Match: *", "Content-Type: application/json", NULL };
	double		 t0, took;
	long		 id;
	int		 i;

	/* An item to change, written as the admin. */
	as_admin();
	a = send_json("POST", "/items", "{\"sku\":\"POOL-1\",\"name\":\"Pooled\","
	    "\"price\":1}");
	ck_assert_msg(a.status == 201 || a.status == 409, "%ld %s", a.status,
	    a.body);
	resp_free(&a);
	id = db_long("SELECT id FROM items WHERE sku = 'POOL-1'");
	snprintf(path, sizeof(path), "/items/%ld", id);
	/*
	 * Other clients take every server connection of the pool at once
	 * (each in an open transaction), set the session's timeout to none
	 * and commit, which keeps it there.
	 */
	for (i = 0; i < POISONERS; i++) {
		c[i] = PQconnectdb(pgb);
		ck_assert_msg(PQstatus(c[i]) == CONNECTION_OK, "%s",
		    PQerrorMessage(c[i]));
		r = PQexec(c[i], "BEGIN; SET statement_timeout = 0");
		ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s",
		    PQerrorMessage(c[i]));
		PQclear(r);
	}
	for (i = 0; i < POISONERS; i++) {
		PQclear(PQexec(c[i], "COMMIT"));
		PQfinish(c[i]);
	}
	/* A row lock held for 4 s, straight on PostgreSQL. */
	lock = db();
	r = PQexec(lock, "BEGIN");
	PQclear(r);
	{
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT 1 FROM items WHERE id = %ld "
		    "FOR UPDATE", id);
		PQclear(PQexec(lock, sql));
	}
	PQsendQuery(lock, "SELECT pg_sleep(4)");
	t0 = now();
	a = http("PATCH", path, "{\"stock\":3}", 11, h);
	took = now() - t0;
	ck_assert_msg(a.status == 504, "%ld after %.1f s: %s", a.status, took,
	    a.body);
	ck_assert_msg(took < 3.5, "answered after %.1f s, not the 2 s "
	    "STATEMENT_TIMEOUT", took);
	resp_free(&a);
	while ((r = PQgetResult(lock)) != NULL)
		PQclear(r);
	PQclear(PQexec(lock, "ROLLBACK"));
	PQfinish(lock);
}
END_TEST

/* DB_PREPARE=true through the pooler: refused, with what to set. */
START_TEST(prepare_behind_pooler_refused)
{
	char	 env[1024], out[4096], log[8192];

	snprintf(env, sizeof(env), "DB_PREPARE=true DATABASE_URL='%s'",
	    getenv("PGBOUNCER_URL"));
	ck_assert_int_eq(run_cgi(env, out, sizeof(out), log, sizeof(log)), 0);
	ck_assert_msg(strncmp(out, "Status: 503", 11) == 0, "%s", out);
	ck_assert_msg(strstr(log, "connection pooler") != NULL &&
	    strstr(log, "set DB_PREPARE=false") != NULL, "%s", log);
	/* The same through the pooler with DB_PREPARE=false, and with
	 * DB_PREPARE=true straight to PostgreSQL: served. */
	snprintf(env, sizeof(env), "DB_PREPARE=false DATABASE_URL='%s'",
	    getenv("PGBOUNCER_URL"));
	ck_assert_int_eq(run_cgi(env, out, sizeof(out), log, sizeof(log)), 0);
	ck_assert_msg(strncmp(out, "Status: 503", 11) != 0, "%s %s", out, log);
	snprintf(env, sizeof(env), "DB_PREPARE=true DATABASE_URL='%s'",
	    getenv("APP_DB_URL"));
	ck_assert_int_eq(run_cgi(env, out, sizeof(out), log, sizeof(log)), 0);
	ck_assert_msg(strncmp(out, "Status: 503", 11) != 0, "%s %s", out, log);
	ck_assert_msg(strstr(log, "connection pooler") == NULL, "%s", log);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("pooler");
	TCase	*tc = tcase_create("pooler");

	if (getenv("PGBOUNCER_URL") == NULL || *getenv("PGBOUNCER_URL") == '\0') {
		printf("100%%: Checks: 0, Failures: 0, Errors: 0\n");
		return 0;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, session_settings_do_not_leak);
	tcase_add_test(tc, prepare_behind_pooler_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
