/*
 * check_tx.c -- a handler's transaction against a real PostgreSQL
 * (DB_URL), driven through the library's request path in memory (as
 * CGI input) so the handler can fail the connection at the worst
 * moment:
 *  - the connection is lost between two statements of a transaction:
 *    the second never runs on a fresh connection, COMMIT fails, the
 *    answer is 503 + Retry-After, nothing is committed, and the next
 *    request reconnects;
 *  - a statement fails inside a transaction (23505) and the handler
 *    commits anyway: COMMIT reports the failure, nothing is committed;
 *  - the server ends an idle connection (pg_terminate_backend): the
 *    next request, a POST, reconnects quietly and succeeds.
 * Each over the unix socket and over TCP (DB_TCP_URL: the stack's
 * PostgreSQL on a loopback address of its own), where the server's
 * goodbye can wait unread behind the peer's FIN.
 * Links the static library (private API); runs once, in the nginx pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "util.h"

static const struct fpg_stmt stmts[] = {
	{ .name = "ins", .sql = "INSERT INTO tx_probe VALUES ($1::int)" },
	{ NULL }
};

static struct {
	int		 second_ran;	/* the statement after the loss */
	enum fpg_err	 commit;
} seen;

/* Ends the responder's backend from outside, and waits till it is gone. */
static void
terminate_responder(void)
{
	PGconn	*c = db();
	int	 i;

	PQclear(PQexec(c, "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE application_name = 'txtest'"));
	for (i = 0; i < 100 && db_long("SELECT count(*) FROM "
	    "pg_stat_activity WHERE application_name = 'txtest'") > 0; i++)
		usleep(20000);
	PQfinish(c);
}

static void
h_lost(struct fpg_req *r)
{
	const char	*a[] = { "1" }, *b[] = { "2" };
	PGresult	*res;

	fpg_begin(r);
	PQclear(fpg_exec(r, "ins", 1, a));
	terminate_responder();
	res = fpg_exec(r, "ins", 1, b);
	seen.second_ran = res != NULL;
	PQclear(res);
	seen.commit = fpg_commit(r);
	if (seen.commit == FPG_OK)
		fpg_send(r, 201, "{}", 2);
}

static void
h_dup(struct fpg_req *r)
{
	const char	*a[] = { "7" };

	fpg_begin(r);
	PQclear(fpg_exec(r, "ins", 1, a));
	PQclear(fpg_exec(r, "ins", 1, a));	/* 23505, ignored */
	seen.commit = fpg_commit(r);
	if (seen.commit == FPG_OK)
		fpg_send(r, 201, "{}", 2);
}

static void
h_one(struct fpg_req *r)
{
	const char *a[] = { strcmp(fpg_path(r), "/one2") == 0 ? "4" : "3" };

	fpg_send_row(r, 201, "ins", 1, a);	/* no row: 404 */
}

static const struct fpg_route routes[] = {
	{ .method = "POST", .path = "/lost", .handler = h_lost },
	{ .method = "POST", .path = "/dup", .handler = h_dup },
	{ .method = "POST", .path = "/one", .handler = h_one },
	{ .method = "POST", .path = "/one2", .handler = h_one },
	{ NULL }
};

static const struct fpg_resource res = { .name = "txtest",
    .routes = routes, .stmts = stmts };

static struct fpg_app	 app;
static struct fpg_db	 wdb;	/* the worker's connection */
static const char	*url;	/* its DATABASE_URL: unix or TCP */

static void
setup(void)
{
	char	 err[256];
	PGconn	*c = db();

	PQclear(PQexec(c, "DROP TABLE IF EXISTS tx_probe; "
	    "CREATE TABLE tx_probe (id int PRIMARY KEY)"));
	PQfinish(c);
	setenv("DATABASE_URL", url, 1);
	setenv("LOG_LEVEL", "error", 1);
	app.res = &res;
	ck_assert(fpg_conf_load(&app.conf, "/dev/null", err,
	    sizeof(err)) == 0);
	ck_assert(fpg_router_init(&app.router, routes, err,
	    sizeof(err)) == 0);
	fpg_log_init("txtest", FPG_LOG_ERROR, 0);
	app.dbconf.conninfo = app.conf.conninfo;
	app.dbconf.statement_timeout = app.conf.statement_timeout;
	app.dbconf.prepare = app.conf.prepare;
	fpg_db_init(&wdb, &app.dbconf, stmts, "txtest", 0);
	ck_assert_int_eq(fpg_db_connect(&wdb), 0);
}

static void
teardown(void)
{
	PGconn *c = db();

	fpg_db_close(&wdb);
	PQclear(PQexec(c, "DROP TABLE IF EXISTS tx_probe"));
	PQfinish(c);
	fpg_router_free(&app.router);
	fpg_conf_free(&app.conf);
}

/* POSTs to path through the request path; the response in *out. */
static int
post(const char *path, char **out)
{
	char		 uri[64];
	const char	*env[] = { "REQUEST_METHOD=POST", uri, NULL };
	struct fpg_req	 r;
	size_t		 len = 0;

	snprintf(uri, sizeof(uri), "REQUEST_URI=%s", path);
	memset(&r, 0, sizeof(r));
	memset(&seen, 0, sizeof(seen));
	r.app = &app;
	r.db = &wdb;
	r.envp = (char **)(uintptr_t)env;
	r.in = fmemopen((void *)(uintptr_t)"", 0, "r");
	r.out = open_memstream(out, &len);
	ck_assert(r.in != NULL && r.out != NULL);
	fpg_req_handle(&r);
	fclose(r.in);
	fclose(r.out);
	return r.status;
}

START_TEST(t_lost_in_tx)
{
	char *out;

	ck_assert_int_eq(post("/lost", &out), 503);
	ck_assert_msg(strstr(out, "\r\nRetry-After: 1\r\n") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(seen.second_ran, 0);
	ck_assert_int_eq(seen.commit, FPG_EDB);
	ck_assert_int_eq(db_long("SELECT count(*) FROM tx_probe"), 0);
	/* the next request reconnects and works */
	ck_assert_int_eq(post("/one", &out), 404);	/* ran: no row back */
	free(out);
	ck_assert_int_eq(db_long("SELECT count(*) FROM tx_probe"), 1);
}
END_TEST

/* The server ends the idle connection; a POST after it just works. */
START_TEST(t_idle_terminated)
{
	char *out;

	ck_assert_int_eq(post("/one", &out), 404);	/* ran: no row */
	free(out);
	terminate_responder();
	usleep(50000);
	ck_assert_int_eq(post("/one2", &out), 404);
	free(out);
	ck_assert_int_eq(db_long("SELECT count(*) FROM tx_probe"), 2);
}
END_TEST

START_TEST(t_commit_aborted)
{
	char *out;

	ck_assert_int_eq(post("/dup", &out), 409);
	free(out);
	ck_assert_int_eq(seen.commit, FPG_EDB);
	ck_assert_int_eq(db_long("SELECT count(*) FROM tx_probe"), 0);
	/* the connection is clean for the next request */
	ck_assert_int_eq(post("/one", &out), 404);
	free(out);
	ck_assert_int_eq(db_long("SELECT count(*) FROM tx_probe"), 1);
}
END_TEST

static void
unix_url(void)
{
	url = getenv("DB_URL");
}

static void
tcp_url(void)
{
	url = getenv("DB_TCP_URL");
}

int
main(void)
{
	Suite		*s = suite_create("tx");
	TCase		*tc;
	const char	*tcp = getenv("DB_TCP_URL");
	int		 i;

	for (i = 0; i < 2; i++) {
		/* TCP when the stack listens there (FASTPG_PG_TCP=1) */
		if (i == 1 && (tcp == NULL || strstr(tcp, "@/") != NULL))
			break;
		tc = tcase_create(i ? "tcp" : "unix");
		tcase_add_unchecked_fixture(tc, i ? tcp_url : unix_url, NULL);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, t_lost_in_tx);
		tcase_add_test(tc, t_commit_aborted);
		tcase_add_test(tc, t_idle_terminated);
		suite_add_tcase(s, tc);
	}
	return run_suite(s);
}
