/*
 * db.c -- one persistent libpq connection per worker thread, its
 * statements prepared once per connection, parameters always bound.
 * A lost connection is an operational state: requests get 503 at once
 * while the connection comes back by itself, with backoff.
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

int64_t
fpg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
fpg_db_init(struct fpg_db *db, const struct fpg_stmt *stmts,
    const char *name, int lazy)
{
	memset(db, 0, sizeof(*db));
	db->stmts = stmts;
	db->name = name;
	db->lazy = lazy;
	db->backoff_ms = BACKOFF_MIN_MS;
}

void
fpg_db_close(struct fpg_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
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
static void
log_result(enum fpg_log_level lvl, const char *what, const PGresult *res,
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
 * Connects and prepares every statement.  Returns 0, or -1 after
 * scheduling the next try (100 ms doubling up to 1 s).  The password
 * is never logged: libpq's messages do not carry it.
 */
int
fpg_db_connect(struct fpg_db *db)
{
	static const char *const keys[] = { "dbname", "application_name",
	    "connect_timeout", "client_encoding", NULL };
	const char	*vals[5];
	char		 tmo[32];
	const struct fpg_stmt *s;
	PGresult	*res;

	vals[0] = fpg_app.conf.conninfo;
	vals[1] = db->name;
	vals[2] = "2";
	vals[3] = "UTF8";
	vals[4] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		char	msg[256];
		size_t	len;

		snprintf(msg, sizeof(msg), "%s", db->conn ?
		    PQerrorMessage(db->conn) : "out of memory");
		/* libpq's message is "...failed: reason\n\tHint\n": keep
		 * the first line. */
		msg[strcspn(msg, "\n")] = '\0';
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == ' ')
			msg[--len] = '\0';
		fpg_log(FPG_LOG_WARN, "database: cannot connect: %s", msg);
		backoff(db);
		return -1;
	}
	/* set_config, not SET: bound like everything else, and it also
	 * passes through PgBouncer, which refuses startup "options". */
	snprintf(tmo, sizeof(tmo), "%ld", fpg_app.conf.statement_timeout);
	res = PQexecParams(db->conn, "SELECT set_config('statement_timeout', "
	    "$1, false)", 1, NULL, (const char *[]){ tmo }, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_result(FPG_LOG_ERROR, "statement_timeout", res, db->conn);
		PQclear(res);
		backoff(db);
		return -1;
	}
	PQclear(res);
	for (s = db->stmts; fpg_app.conf.prepare && s && s->name; s++) {
		res = PQprepare(db->conn, s->name, s->sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char what[128];

			snprintf(what, sizeof(what), "prepare %s", s->name);
			log_result(FPG_LOG_ERROR, what, res, db->conn);
			PQclear(res);
			backoff(db);
			return -1;
		}
		PQclear(res);
	}
	db->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

/*
 * A usable connection, or -1 at once while the backoff runs.  An idle
 * connection has nothing to say: if its socket is readable, the server
 * has closed it or is about to (a restart sends 57P01 first), so it is
 * replaced before a statement is lost on it.  One poll(2), no wait.
 */
static int
ensure(struct fpg_db *db)
{
	struct pollfd p;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		p.fd = PQsocket(db->conn);
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			return 0;
		if (PQconsumeInput(db->conn) && PQstatus(db->conn) ==
		    CONNECTION_OK && (p.revents & (POLLHUP | POLLERR)) == 0) {
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
		fpg_log(FPG_LOG_INFO, "database: connection closed by the "
		    "server, reconnecting");
		fpg_db_close(db);
		db->next_try = 0;
	}
	fpg_db_close(db);
	if (fpg_now_us() < db->next_try)
		return -1;
	return fpg_db_connect(db);
}

/* Remembers a failure for the answer: SQLSTATE, constraint, table. */
static void
record(struct fpg_req *r, const PGresult *res, const char *fallback)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *c = res ? PQresultErrorField(res,
	    PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *t = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;

	snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", st ? st : fallback);
	snprintf(r->constraint, sizeof(r->constraint), "%s", c ? c : "");
	snprintf(r->table, sizeof(r->table), "%s", t ? t : "");
	r->message[0] = r->hint[0] = '\0';
	if (strncmp(r->sqlstate, "FP", 2) == 0 && res != NULL) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

		snprintf(r->message, sizeof(r->message), "%s", m ? m : "");
		snprintf(r->hint, sizeof(r->hint), "%s", h ? h : "");
	}
}

/*
 * Sends one statement and waits for its result, at most the statement
 * timeout plus 2 s: PostgreSQL enforces statement_timeout itself, and
 * this bound only fires when the server does not answer at all (hung,
 * stopped, a dead peer on a socket with no keepalive).  Returns the
 * result, or NULL when nothing came back: *timedout is then 1 past
 * the deadline, -1 when the statement could not even be sent.
 */
static PGresult *
exec_bounded(PGconn *c, const char *name, const char *sql, int n,
    const char *const *vals, int *timedout)
{
	PGresult	*res = NULL, *next;
	int64_t		 deadline = 0, left;
	long		 tmo = fpg_app.conf.statement_timeout;
	struct pollfd	 p;
	int		 ok;

	*timedout = 0;
	if (name == NULL)
		ok = PQsendQuery(c, sql);
	else if (fpg_app.conf.prepare)
		ok = PQsendQueryPrepared(c, name, n, vals, NULL, NULL, 0);
	else
		ok = PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0);
	if (!ok) {
		*timedout = -1;		/* not sent: safe to try again */
		return NULL;
	}
	if (tmo > 0)
		deadline = fpg_now_us() + (int64_t)(tmo + 2000) * 1000;
	for (;;) {
		while (PQisBusy(c)) {
			left = deadline ? (deadline - fpg_now_us()) / 1000 : -1;
			if (deadline && left <= 0) {
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

static const char *
stmt_sql(const struct fpg_db *db, const char *name)
{
	const struct fpg_stmt *s;

	for (s = db->stmts; s && s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s->sql;
	return NULL;
}

/*
 * Runs one statement: a declared one by name (sql NULL), or a fixed
 * command such as BEGIN.  On a dead connection outside a transaction,
 * a safe method (GET, HEAD) is tried once more on a fresh connection.
 */
static PGresult *
run(struct fpg_req *r, const char *name, const char *sql, int n,
    const char *const *vals)
{
	struct fpg_db	*db = r->db;
	PGresult	*res;
	int		 tries = 0, retries = 0, st, timedout;
	enum fpg_log_level lvl;
	char		 what[128];

	if (name != NULL && (sql = stmt_sql(db, name)) == NULL) {
		fpg_log(FPG_LOG_ERROR, "statement %s is not declared", name);
		record(r, NULL, "XX000");
		return NULL;
	}
again:
	if (ensure(db) == -1) {
		record(r, NULL, "08006");
		return NULL;
	}
	res = exec_bounded(db->conn, name, sql, n, vals, &timedout);
	if (timedout == -1 && tries++ == 0 && !r->in_tx) {
		fpg_db_close(db);
		db->next_try = 0;
		goto again;
	}
	if (timedout == 1) {
		fpg_log(FPG_LOG_ERROR, "%s: no answer from the database "
		    "within the statement timeout (id=%s)", name ? name : sql,
		    r->id);
		fpg_db_close(db);
		record(r, NULL, "57014");
		r->in_tx = 0;
		return NULL;
	}
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		return res;
	default:
		break;
	}
	if (res == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
		fpg_log(FPG_LOG_WARN, "database: connection lost (id=%s)",
		    r->id);
		PQclear(res);
		fpg_db_close(db);
		db->next_try = 0;
		if (tries++ == 0 && !r->in_tx &&
		    (strcmp(r->method, "GET") == 0 ||
		    strcmp(r->method, "HEAD") == 0))
			goto again;
		record(r, NULL, "08006");
		r->in_tx = 0;
		return NULL;
	}
	record(r, res, "XX000");
	/*
	 * A serialization failure or deadlock rolled the statement back
	 * whole: outside a transaction it is safe to run it again.
	 */
	if (!r->in_tx && retries < 3 && (strcmp(r->sqlstate, "40001") == 0 ||
	    strcmp(r->sqlstate, "40P01") == 0)) {
		PQclear(res);
		retries++;
		usleep((useconds_t)(5000 * retries + (fpg_now_us() % 5000)));
		goto again;
	}
	st = fpg_db_status(r->sqlstate);
	lvl = st >= 500 ? FPG_LOG_ERROR : FPG_LOG_INFO;
	snprintf(what, sizeof(what), "%s (id=%s)", name ? name : sql, r->id);
	log_result(lvl, what, res, db->conn);
	PQclear(res);
	return NULL;
}

/*
 * Runs the declared statement stmt with n text parameters on the
 * worker's connection.  Returns the result (caller PQclears), or NULL
 * with the failure remembered in the request: the library answers it
 * (mapped by SQLSTATE) if the handler does not.
 */
PGresult *
fpg_exec(struct fpg_req *r, const char *stmt, int nparams,
    const char *const *values)
{
	return run(r, stmt, NULL, nparams, values);
}

/*
 * Weak comparison (RFC 9110 8.8.3.2) of etag against an If-None-Match
 * list: "*" or comma-separated tags, each maybe W/-prefixed.
 */
static int
etag_listed(const char *list, const char *etag)
{
	const char	*p = list, *e;
	size_t		 el;

	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	el = strlen(etag);
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"' || (e = strchr(p + 1, '"')) == NULL)
			return 0;
		if ((size_t)(e + 1 - p) == el && strncmp(p, etag, el) == 0)
			return 1;
		p = e + 1;
	}
	return 0;
}

/*
 * Sends a statement's result: the first column of the first row is the
 * JSON body (no row, or NULL: 404).  Every further column is a response
 * header named after the column ("ETag", "Location"); NULL ones are left
 * out, and a column named "status" sets the status instead.  A GET whose
 * If-None-Match lists the ETag gets 304 without a body.
 */
int
fpg_send_result(struct fpg_req *r, int status, const PGresult *res)
{
	const char	*etag = NULL, *inm;
	int		 i;
	long long	 st;

	if (PQntuples(res) == 0 || PQnfields(res) == 0 ||
	    PQgetisnull(res, 0, 0))
		return fpg_send_error(r, 404, "Not Found");
	for (i = 1; i < PQnfields(res); i++) {
		const char *name = PQfname(res, i), *v;

		if (PQgetisnull(res, 0, i))
			continue;
		v = PQgetvalue(res, 0, i);
		if (strcmp(name, "status") == 0) {
			if (fpg_strtonum(v, 200, 599, &st) == 0)
				status = (int)st;
			continue;
		}
		if (strcasecmp(name, "ETag") == 0)
			etag = v;
		fpg_set_header(r, name, v);
	}
	if (etag != NULL && status == 200 && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0) &&
	    (inm = fpg_header(r, "If-None-Match")) != NULL &&
	    etag_listed(inm, etag))
		return fpg_send_empty(r, 304);
	return fpg_send(r, status, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
}

/*
 * Runs stmt and sends its result with fpg_send_result().  Returns 0,
 * or -1 if the statement failed (the failure is answered after the
 * handler returns).
 */
int
fpg_send_row(struct fpg_req *r, int status, const char *stmt, int nparams,
    const char *const *values)
{
	PGresult	*res;
	int		 rc;

	if ((res = fpg_exec(r, stmt, nparams, values)) == NULL)
		return -1;
	rc = fpg_send_result(r, status, res);
	PQclear(res);
	return rc;
}

static int
command(struct fpg_req *r, const char *sql)
{
	PGresult *res = run(r, NULL, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

/* Transactions: BEGIN; COMMIT; ROLLBACK.  0, or -1 remembered. */
int
fpg_begin(struct fpg_req *r)
{
	if (command(r, "BEGIN") == -1)
		return -1;
	r->in_tx = 1;
	return 0;
}

int
fpg_commit(struct fpg_req *r)
{
	int rc = command(r, "COMMIT");

	r->in_tx = 0;
	return rc;
}

int
fpg_rollback(struct fpg_req *r)
{
	int rc = r->db->conn ? command(r, "ROLLBACK") : 0;

	r->in_tx = 0;
	return rc;
}

/* After the handler: roll back whatever it left open. */
void
fpg_db_after(struct fpg_req *r)
{
	PGconn		*c = r->db ? r->db->conn : NULL;
	PGresult	*res;

	r->in_tx = 0;
	if (c == NULL)
		return;
	switch (PQtransactionStatus(c)) {
	case PQTRANS_IDLE:
		return;
	case PQTRANS_UNKNOWN:
	case PQTRANS_ACTIVE:
		fpg_db_close(r->db);
		return;
	default:
		res = PQexec(c, "ROLLBACK");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fpg_db_close(r->db);
		PQclear(res);
	}
}

const char *
fpg_sqlstate(const struct fpg_req *r)
{
	return r->sqlstate[0] ? r->sqlstate : NULL;
}

const char *
fpg_constraint(const struct fpg_req *r)
{
	return r->constraint[0] ? r->constraint : NULL;
}

/*
 * The HTTP status for a SQLSTATE (DESIGN.md): NULL or a connection
 * class is 503.
 */
int
fpg_db_status(const char *s)
{
	/* FPnnn: raised by the application's SQL for HTTP status nnn. */
	if (s != NULL && s[0] == 'F' && s[1] == 'P' && s[2] >= '4' &&
	    s[2] <= '5' && s[3] >= '0' && s[3] <= '9' && s[4] >= '0' &&
	    s[4] <= '9' && s[5] == '\0')
		return (s[2] - '0') * 100 + (s[3] - '0') * 10 + (s[4] - '0');
	if (s == NULL || strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 ||
	    strncmp(s, "57P0", 4) == 0 || strcmp(s, "25006") == 0 ||
	    strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 ||
	    strcmp(s, "55P03") == 0)
		return 503;
	if (strcmp(s, "23505") == 0 || strcmp(s, "23503") == 0)
		return 409;
	if (strncmp(s, "23", 2) == 0)
		return 422;
	if (strncmp(s, "22", 2) == 0)
		return 400;
	if (strcmp(s, "57014") == 0)
		return 504;
	if (strcmp(s, "42501") == 0)
		return 403;
	return 500;
}

/*
 * The API field a constraint guards, from PostgreSQL's default names
 * (<table>_<column>_key, _check, _fkey), or NULL.  Nothing else of the
 * constraint reaches the client.
 */
static const char *
constraint_field(struct fpg_req *r)
{
	static const char *const sfx[] = { "_key", "_check", "_fkey" };
	size_t	 tl = strlen(r->table), cl = strlen(r->constraint), i, sl;

	if (tl == 0 || cl <= tl + 1 || strncmp(r->constraint, r->table, tl) ||
	    r->constraint[tl] != '_')
		return NULL;
	for (i = 0; i < 3; i++) {
		sl = strlen(sfx[i]);
		if (cl > tl + 1 + sl &&
		    strcmp(r->constraint + cl - sl, sfx[i]) == 0)
			return fpg_arena_strndup(&r->arena,
			    r->constraint + tl + 1, cl - tl - 1 - sl);
	}
	return NULL;
}

/*
 * An FPnnn error's answer: its message, written by the application for
 * the client.  FP422 takes FastAPI's list shape, with the loc from the
 * HINT ("query.after" -> ["query","after"]).
 */
static int
send_app_error(struct fpg_req *r, int st)
{
	json_t	*loc, *e;
	char	*p, *dot;

	if (st != 422)
		return fpg_send_error(r, st, r->message);
	loc = json_array();
	for (p = r->hint[0] ? r->hint : (char *)(uintptr_t)"body"; p; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		json_array_append_new(loc, json_string(p));
	}
	e = json_pack("[{s:s, s:o, s:s}]", "type", "value_error", "loc", loc,
	    "msg", r->message);
	return e ? fpg_send_validation(r, e) : fpg_send_error(r, 500,
	    "Internal Server Error");
}

/* Answers the remembered database failure; never shows its text. */
int
fpg_send_db_error(struct fpg_req *r)
{
	int		 st = fpg_db_status(r->sqlstate[0] ? r->sqlstate : NULL);
	const char	*field = constraint_field(r);
	char		 msg[160];

	if (strncmp(r->sqlstate, "FP", 2) == 0 && st != 500 &&
	    r->message[0] != '\0')
		return send_app_error(r, st);
	switch (st) {
	case 409:
		if (strcmp(r->sqlstate, "23505") == 0 && field)
			snprintf(msg, sizeof(msg), "%s already exists", field);
		else if (strcmp(r->sqlstate, "23503") == 0 &&
		    strcmp(r->method, "DELETE") == 0)
			snprintf(msg, sizeof(msg), "still referenced by "
			    "other rows");
		else if (strcmp(r->sqlstate, "23503") == 0 && field)
			snprintf(msg, sizeof(msg), "%s refers to a row that "
			    "does not exist", field);
		else if (strcmp(r->sqlstate, "23503") == 0)
			snprintf(msg, sizeof(msg), "still referenced by "
			    "other rows");
		else
			snprintf(msg, sizeof(msg), "Conflict");
		break;
	case 422:
		if (field)
			snprintf(msg, sizeof(msg), "invalid value for %s",
			    field);
		else
			snprintf(msg, sizeof(msg), "invalid value");
		break;
	case 400:
		snprintf(msg, sizeof(msg), "invalid value");
		break;
	case 403:
		snprintf(msg, sizeof(msg), "Forbidden");
		break;
	case 503:
		snprintf(msg, sizeof(msg), "Service Unavailable: database "
		    "unavailable, try again");
		break;
	case 504:
		snprintf(msg, sizeof(msg), "Gateway Timeout: the query took "
		    "too long");
		break;
	default:
		snprintf(msg, sizeof(msg), "Internal Server Error");
		break;
	}
	return fpg_send_error(r, st, msg);
}
