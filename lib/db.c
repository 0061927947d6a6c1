/*
 * db.c -- one persistent libpq connection per worker thread, its
 * statements prepared once per connection, parameters always bound.
 * A lost connection is an operational state: requests get 503 at once
 * while the connection comes back by itself, with backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A usable connection, or -1 at once while the backoff runs. */
static int
ensure(struct fpg_db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
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
	int		 tries = 0, st;
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
	if (name == NULL)
		res = PQexec(db->conn, sql);
	else if (fpg_app.conf.prepare)
		res = PQexecPrepared(db->conn, name, n, vals, NULL, NULL, 0);
	else
		res = PQexecParams(db->conn, sql, n, NULL, vals, NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		return res;
	default:
		break;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
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
 * Runs stmt, which yields one JSON text column, and sends its first
 * row with status; no row (or NULL) is 404.  Returns 0, or -1 if the
 * statement failed (the failure is answered after the handler).
 */
int
fpg_send_row(struct fpg_req *r, int status, const char *stmt, int nparams,
    const char *const *values)
{
	PGresult	*res;
	int		 rc;

	if ((res = fpg_exec(r, stmt, nparams, values)) == NULL)
		return -1;
	if (PQntuples(res) == 0 || PQnfields(res) == 0 ||
	    PQgetisnull(res, 0, 0))
		rc = fpg_send_error(r, 404, "Not Found");
	else
		rc = fpg_send(r, status, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
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

/* Answers the remembered database failure; never shows its text. */
int
fpg_send_db_error(struct fpg_req *r)
{
	int		 st = fpg_db_status(r->sqlstate[0] ? r->sqlstate : NULL);
	const char	*field = constraint_field(r);
	char		 msg[160];

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
