/*
 * check_pooler.c -- behind PgBouncer in transaction pooling (the
 * nginx-pgbouncer way of serving): nothing a request needs may live in
 * a session.  Clients of the same pool leave session settings on the
 * server connections they happened to use -- here statement_timeout =
 * 1 ms, as another application might -- and the responders must still
 * answer every request: their statement timeout is set for each
 * transaction (DB_PREPARE=false), never trusted from the session, and
 * theirs never leaks into the pool.  Runs only where PGBOUNCER_URL is
 * set, not empty (tests/run-tests.sh, nginx-pgbouncer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define POISONERS	10	/* local.sh's default_pool_size: all of them */

START_TEST(session_settings_do_not_leak)
{
	const char	*pgb = getenv("PGBOUNCER_URL");
	PGconn		*c[POISONERS];
	PGresult	*r;
	struct resp	 a;
	int		 i, ok = 0, n = 40;
	char		 path[64];
	long		 id;

	/* An item to read, written as the admin. */
	as_admin();
	a = send_json("POST", "/items", "{\"sku\":\"POOL-1\",\"name\":\"Pooled\","
	    "\"price\":1}");
	ck_assert_msg(a.status == 201 || a.status == 409, "%ld %s", a.status,
	    a.body);
	resp_free(&a);
	id = db_long("SELECT id FROM items WHERE sku = 'POOL-1'");
	snprintf(path, sizeof(path), "/items/%ld", id);
	/*
	 * Other clients poison every server connection of the pool: each
	 * holds one in an open transaction (so all ten are taken at once),
	 * sets the session's timeout and commits, which keeps it there.
	 */
	for (i = 0; i < POISONERS; i++) {
		c[i] = PQconnectdb(pgb);
		ck_assert_msg(PQstatus(c[i]) == CONNECTION_OK, "%s",
		    PQerrorMessage(c[i]));
		r = PQexec(c[i], "BEGIN; SET statement_timeout = '1ms'");
		ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s",
		    PQerrorMessage(c[i]));
		PQclear(r);
	}
	for (i = 0; i < POISONERS; i++) {
		PQclear(PQexec(c[i], "COMMIT"));
		PQfinish(c[i]);
	}
	/* Writes (an INSERT and its commit take well over 1 ms) and reads. */
	for (i = 0; i < n; i++) {
		char body[128];

		snprintf(body, sizeof(body), "{\"sku\":\"POOL-%d-%d\","
		    "\"name\":\"Pooled\",\"price\":1}", (int)getpid(), i);
		a = i % 2 ? get(path) : send_json("POST", "/items", body);
		ok += a.status == (i % 2 ? 200 : 201);
		resp_free(&a);
	}
	ck_assert_msg(ok == n, "%d of %d requests answered behind a poisoned "
	    "pool", ok, n);
	/* And ours never leaks: a pool client sees no 2 s timeout. */
	c[0] = PQconnectdb(pgb);
	r = PQexec(c[0], "SHOW statement_timeout");
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	ck_assert_str_ne(PQgetvalue(r, 0, 0), "2s");
	PQclear(r);
	PQfinish(c[0]);
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
	suite_add_tcase(s, tc);
	return run_suite(s);
}
