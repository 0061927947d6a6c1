/*
 * db.c -- one persistent libpq connection per worker thread, its
 * statements prepared once per connection, parameters always bound.
 * A lost connection is an operational state: requests get 503 at once
 * while the connection comes back by itself, with backoff.
 *
 * It knows nothing of HTTP: its settings come from fpg_db_init, not a
 * global, and the statements of a request (stmt.c) remember a failure
 * for the caller to answer (sqlstate.c).  This file holds the
 * connection: connect and prepare, notice a dead one, one statement
 * sent and awaited within its time bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	1000	/* back within a second of PG's return */

void
fpg_db_init(struct fpg_db *db, const struct fpg_dbconf *cf,
    const struct fpg_stmt *stmts, const char *name, int lazy)
{
	memset(db, 0, sizeof(*db));
	db->cf = cf;
	db->stmts = stmts;
	db->name = name;
	db->what = "database";
	db->lazy = lazy;
	db->backoff_ms = BACKOFF_MIN_MS;
}

void
fpg_db_close(struct fpg_db *db)
{
	if (db->conn != NULL) {
		PQfinish(db->conn);
		if (db->counted)
			fpg_metrics_db(-1, 0);
	}
	db->conn = NULL;
	db->connecting = db->counted = 0;
	fpg_shapes_clear(&db->shapes);	/* prepared on that connection */
}

static void
backoff(struct fpg_db *db)
{
	fpg_db_close(db);
	db->next_try = fpg_now_us() + (int64_t)db->backoff_ms * 1000;
	db->backoff_ms *= 2;
	if (db->backoff_ms > BACKOFF_MAX_MS)
		db->backoff_ms = BACKOFF_MAX_MS;
}

/* Logs a failed result: SQLSTATE and the server's primary message. */
void
fpg_db_log_result(enum fpg_log_level lvl, const char *what, const PGresult *res,
    const PGconn *conn)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = conn ? PQerrorMessage(conn) : "no connection";
	fpg_log(lvl, "%s: SQLSTATE %s: %s", what, st ? st : "-----", msg);
}

/*
 * libpq's notices (a NOTICE from a statement, a WARNING, the FATAL of
 * a server closing the connection) go to the library's log with the
 * request's id, not raw to stderr.  Severity decides the level.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	const char	*sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char	*st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	enum fpg_log_level lvl = FPG_LOG_DEBUG;

	(void)arg;
	if (sev == NULL)
		sev = "NOTICE";
	if (strcmp(sev, "WARNING") == 0 || strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0 || strcmp(sev, "ERROR") == 0)
		lvl = FPG_LOG_WARN;
	else if (strcmp(sev, "NOTICE") == 0)
		lvl = FPG_LOG_INFO;
	fpg_log(lvl, "database %s: SQLSTATE %s: %s", sev, st ? st : "-----",
	    msg ? msg : "");
}

/*
 * Sends one statement (sql, or the declared statement name) and waits
 * for its result, at most the statement timeout plus 2 s: PostgreSQL
 * enforces statement_timeout itself, and this bound only fires when the
 * server does not answer at all (hung, stopped, a dead peer on a socket
 * with no keepalive).  prep: send sql as a PREPARE of name.  Returns
 * the result, or NULL when nothing came back: *timedout is then 1 past
 * the deadline, -1 when the statement could not even be sent.
 */
PGresult *
fpg_db_exec_bounded(const struct fpg_db *db, const char *name, const char *sql,
    int n, const char *const *vals, int prep, int *timedout)
{
	PGconn		*c = db->conn;
	PGresult	*res = NULL, *next;
	int64_t		 deadline = 0, left;
	long		 tmo = db->cf->statement_timeout;
	struct pollfd	 p;
	int		 ok;

	*timedout = 0;
	if (prep)
		ok = PQsendPrepare(c, name, sql, 0, NULL);
	else if (name == NULL && n == 0)
		ok = PQsendQuery(c, sql);
	else if (name != NULL && db->cf->prepare)
		ok = PQsendQueryPrepared(c, name, n, vals, NULL, NULL, 0);
	else
		ok = PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0);
	if (!ok) {
		*timedout = -1;		/* not sent: safe to try again */
		return NULL;
	}
	deadline = fpg_now_us() + (int64_t)((tmo > 0 ? tmo : 30000) + 2000) *
	    1000;
	for (;;) {
		while (PQisBusy(c)) {
			left = (deadline - fpg_now_us()) / 1000;
			if (left <= 0) {
				*timedout = 1;
				PQclear(res);
				return NULL;
			}
			p.fd = PQsocket(c);
			p.events = POLLIN;
			if (poll(&p, 1, left > INT32_MAX ? INT32_MAX :
			    (int)left) < 0 && errno != EINTR)
				break;
			if (!PQconsumeInput(c))
				break;
		}
		if ((next = PQgetResult(c)) == NULL)
			break;
		if (res == NULL)
			res = next;	/* one statement: keep its result */
		else
			PQclear(next);
		if (PQstatus(c) == CONNECTION_BAD)
			break;
	}
	return res;
}

/* A setup statement at connect: 0, or -1 logged. */
static int
setup(struct fpg_db *db, const char *what, const char *name,
    const char *sql, int n, const char *const *vals, int prep)
{
	PGresult	*res;
	int		 timedout;

	res = fpg_db_exec_bounded(db, name, sql, n, vals, prep, &timedout);
	if (res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK)) {
		PQclear(res);
		return 0;
	}
	if (timedout == 1)
		fpg_log(FPG_LOG_ERROR, "%s: no answer from the database", what);
	else
		fpg_db_log_result(FPG_LOG_ERROR, what, res, db->conn);
	PQclear(res);
	return -1;
}

/*
 * "SELECT set_config($1, $2, true), ..." for n request settings (1 to
 * FPG_DB_LOCAL_MAX; stmt.c sends them), and the name each is prepared
 * under on every connection, so that a request's settings cost no
 * parse and plan on the server.
 */
const char *
fpg_db_local_sql(int n)
{
	static const char *const sql[FPG_DB_LOCAL_MAX] = {
		"SELECT set_config($1, $2, true)",
		"SELECT set_config($1, $2, true), set_config($3, $4, true)",
		"SELECT set_config($1, $2, true), set_config($3, $4, true), "
		    "set_config($5, $6, true)",
		"SELECT set_config($1, $2, true), set_config($3, $4, true), "
		    "set_config($5, $6, true), set_config($7, $8, true)",
		"SELECT set_config($1, $2, true), set_config($3, $4, true), "
		    "set_config($5, $6, true), set_config($7, $8, true), "
		    "set_config($9, $10, true)",
		"SELECT set_config($1, $2, true), set_config($3, $4, true), "
		    "set_config($5, $6, true), set_config($7, $8, true), "
		    "set_config($9, $10, true), set_config($11, $12, true)",
	};

	return sql[n - 1];
}

const char *
fpg_db_local_name(int n)
{
	static const char *const names[FPG_DB_LOCAL_MAX] = {
		"fastpg:local:1", "fastpg:local:2", "fastpg:local:3",
		"fastpg:local:4", "fastpg:local:5", "fastpg:local:6",
	};

	return names[n - 1];
}

/*
 * The first line of libpq's message, without trailing spaces: a warning
 * when the database first cannot be reached, then only at debug level
 * until it can (each worker retries every second).
 */
static void
log_cannot_connect(struct fpg_db *db)
{
	char	msg[256];
	size_t	len;

	snprintf(msg, sizeof(msg), "%s", db->conn ?
	    PQerrorMessage(db->conn) : "out of memory");
	/* libpq's message is "...failed: reason\n\tHint\n": keep the
	 * first line.  It never holds the password. */
	msg[strcspn(msg, "\n")] = '\0';
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == ' ')
		msg[--len] = '\0';
	fpg_log(db->failing ? FPG_LOG_DEBUG : FPG_LOG_WARN,
	    "%s: cannot connect: %s", db->what, msg);
	db->failing = 1;
}

/*
 * Whether the connection reaches PostgreSQL through a pooler: the
 * backend key a pooler such as PgBouncer hands its clients is its own,
 * not the server process's.  Named statements prepared on one server
 * connection are missing (26000), or already there (42P05), on the
 * next one a transaction pooler lends: with DB_PREPARE=true that would
 * fail requests at random, so the connection is refused with a message
 * that says what to set.  (Session pooling would work, but gains
 * nothing over our own persistent connections.)  0, or -1 logged.
 */
static int
check_pooler(struct fpg_db *db)
{
	PGresult	*res;
	int		 timedout, pid = -1;

	res = fpg_db_exec_bounded(db, NULL, "SELECT pg_backend_pid()", 0,
	    NULL, 0, &timedout);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1)
		pid = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (pid == -1) {
		fpg_log(FPG_LOG_ERROR, "%s: no answer to pg_backend_pid()",
		    db->what);
		return -1;
	}
	if (pid == PQbackendPID(db->conn))
		return 0;
	fpg_log(FPG_LOG_ERROR, "%s: reached through a connection pooler "
	    "(PgBouncer?), where named prepared statements fail at random: "
	    "set DB_PREPARE=false", db->what);
	return -1;
}

/*
 * A new connection made ready: notices, the session's statement
 * timeout, every statement prepared, each step bounded in time.
 * Returns 0, or -1 after scheduling the next try.
 */
static int
setup_conn(struct fpg_db *db)
{
	const struct fpg_stmt *s;
	char		 tmo[32], what[128];
	int		 i;

	PQsetNoticeProcessor(db->conn, NULL, NULL);
	PQsetNoticeReceiver(db->conn, on_notice, NULL);
	if (db->cf->prepare && check_pooler(db) == -1) {
		backoff(db);
		return -1;
	}
	/*
	 * set_config, not SET: bound like everything else, and it also
	 * passes through PgBouncer, which refuses startup "options".  For
	 * the session -- unless DB_PREPARE=false, which means a
	 * transaction pooler may be in front: a session setting would stay
	 * on a server connection other clients share, and ours could land
	 * on one without it; there every request sets it for its own
	 * transaction (fpg_db_start).
	 */
	snprintf(tmo, sizeof(tmo), "%ld", db->cf->statement_timeout);
	if (db->cf->prepare && setup(db, "statement_timeout", NULL,
	    "SELECT set_config('statement_timeout', $1, false)", 1,
	    (const char *[]){ tmo }, 0) == -1) {
		backoff(db);
		return -1;
	}
	for (s = db->stmts; db->cf->prepare && s && s->name; s++) {
		snprintf(what, sizeof(what), "prepare %s", s->name);
		if (setup(db, what, s->name, s->sql, 0, NULL, 1) == -1) {
			backoff(db);
			return -1;
		}
	}
	for (i = 1; db->cf->prepare && i <= FPG_DB_LOCAL_MAX; i++)
		if (setup(db, "prepare the request settings",
		    fpg_db_local_name(i), fpg_db_local_sql(i), 0, NULL,
		    1) == -1) {
			backoff(db);
			return -1;
		}
	db->backoff_ms = BACKOFF_MIN_MS;
	fpg_metrics_db(1, 0);
	db->counted = 1;
	if (db->failing)
		fpg_log(FPG_LOG_INFO, "%s: connected again", db->what);
	db->failing = 0;
	if (db->ever)
		fpg_metrics_count(FPG_M_RECONNECTS);
	db->ever = 1;
	return 0;
}

/* What every connection is opened with (expand_dbname: the URL). */
static const char *const conn_keys[] = { "dbname", "application_name",
    "connect_timeout", "client_encoding", NULL };

static void
conn_vals(const struct fpg_db *db, const char *vals[5])
{
	vals[0] = db->cf->conninfo;
	vals[1] = db->name;
	vals[2] = "2";
	vals[3] = "UTF8";
	vals[4] = NULL;
}

/*
 * Connects and prepares every statement, each step bounded in time.
 * Returns 0, or -1 after scheduling the next try (100 ms doubling up to
 * 1 s).  The password is never logged: libpq's messages do not carry it.
 */
int
fpg_db_connect(struct fpg_db *db)
{
	const char	*vals[5];

	conn_vals(db, vals);
	db->conn = PQconnectdbParams(conn_keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_cannot_connect(db);
		backoff(db);
		return -1;
	}
	return setup_conn(db);
}

/*
 * A connection made without ever waiting (a replica's, by its worker
 * between requests): each call advances it one step.  Returns 1 once
 * it is ready, 0 while it is on its way (call again within the
 * returned *ms), -1 when it failed (backoff scheduled) or is not due.
 * A connect that takes longer than 2 s is given up.
 */
int
fpg_db_connect_step(struct fpg_db *db, int *ms)
{
	PostgresPollingStatusType st;
	const char	*vals[5];

	*ms = 50;
	if (db->conn == NULL) {
		if (fpg_now_us() < db->next_try)
			return -1;
		conn_vals(db, vals);
		if ((db->conn = PQconnectStartParams(conn_keys, vals,
		    1)) == NULL ||
		    PQstatus(db->conn) == CONNECTION_BAD) {
			log_cannot_connect(db);
			backoff(db);
			return -1;
		}
		db->connecting = 1;
		db->connect_end = fpg_now_us() + 2000000;
	}
	if (!db->connecting)
		return 1;
	st = PQconnectPoll(db->conn);
	if (st == PGRES_POLLING_FAILED || (st != PGRES_POLLING_OK &&
	    fpg_now_us() > db->connect_end)) {
		db->connecting = 0;
		log_cannot_connect(db);
		backoff(db);
		return -1;
	}
	if (st != PGRES_POLLING_OK)
		return 0;
	db->connecting = 0;
	return setup_conn(db) == 0 ? 1 : -1;
}

/*
 * A usable connection, or -1 at once while the backoff runs.  An idle
 * connection has nothing to say: if its socket is readable or the peer
 * hung up (POLLRDHUP: over TCP the server's FATAL and FIN may wait
 * unread), the server has closed it or is about to (a restart sends
 * 57P01 first), so it is replaced before a statement is lost on it.
 * Inside a transaction it is never replaced: the transaction died with
 * it.  One poll(2), no wait.
 */
int
fpg_db_ensure(struct fpg_db *db)
{
	struct pollfd p;

	if (db->tx_lost || db->connecting)
		return -1;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		p.fd = PQsocket(db->conn);
		p.events = POLLIN | POLLRDHUP;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			return 0;
		if (PQconsumeInput(db->conn) && PQstatus(db->conn) ==
		    CONNECTION_OK && (p.revents & (POLLHUP | POLLERR |
		    POLLRDHUP)) == 0) {
			PGresult *res;
			int bad = 0;

			/* a notice of termination arrives as a result */
			while (!PQisBusy(db->conn) &&
			    (res = PQgetResult(db->conn)) != NULL) {
				bad = 1;
				PQclear(res);
			}
			if (!bad)
				return 0;
		}
		fpg_log(FPG_LOG_INFO, "%s: connection closed by the "
		    "server%s", db->what, db->in_tx ? " inside a transaction" :
		    ", reconnecting");
		fpg_db_close(db);
		db->next_try = 0;
		if (db->in_tx) {
			db->tx_lost = 1;
			return -1;
		}
	} else if (db->in_tx) {
		fpg_db_close(db);
		db->tx_lost = 1;
		return -1;
	}
	fpg_db_close(db);
	/* A replica's connection comes back between requests, by its
	 * worker (fpg_db_connect_step): reads meanwhile go to the primary. */
	if (db->background || fpg_now_us() < db->next_try)
		return -1;
	return fpg_db_connect(db);
}

/* Remembers a failure for the caller: SQLSTATE, constraint, table. */
