/*
 * stmt.c -- a request's statements on its worker's connection (db.c):
 * declared statements by name, parameters always bound, each bounded in
 * time; transactions; the request's transaction-local settings, sent
 * in the same round trip as its statements (libpq's pipeline mode).
 * A failure is remembered in db->err for the caller to answer.
 *
 * A transaction belongs to its connection: once that connection is
 * lost, every later statement of the request fails without
 * reconnecting (tx_lost), so nothing of the transaction can run, or
 * commit, on a fresh connection.  fpg_db_end leaves the connection as
 * the next request needs it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

static void
record(struct fpg_db *db, const PGresult *res, const char *fallback)
{
	struct fpg_dberr *e = &db->err;
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *c = res ? PQresultErrorField(res,
	    PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *t = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;

	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", st ? st : fallback);
	snprintf(e->constraint, sizeof(e->constraint), "%s", c ? c : "");
	snprintf(e->table, sizeof(e->table), "%s", t ? t : "");
	e->message[0] = e->hint[0] = '\0';
	if (strncmp(e->sqlstate, "FP", 2) == 0 && res != NULL) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

		snprintf(e->message, sizeof(e->message), "%s", m ? m : "");
		snprintf(e->hint, sizeof(e->hint), "%s", h ? h : "");
	}
}

/* The connection died under a statement: a transaction dies with it. */
static void
lost(struct fpg_db *db)
{
	fpg_db_close(db);
	db->next_try = 0;
	if (db->in_tx)
		db->tx_lost = 1;
	record(db, NULL, "08006");
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
 * A setting for this request's statements, such as the caller's role
 * or a trace id: set_config(name, value, true), so it lasts only as
 * long as the transaction it is set in and nothing of it is left on
 * the connection (or on a PgBouncer server connection) afterwards.
 * name and value must live until the request ends.  Returns 0, or -1
 * when FPG_DB_LOCAL_MAX are set already.
 */
int
fpg_db_set_local(struct fpg_db *db, const char *name, const char *value)
{
	if (db->nlocal >= FPG_DB_LOCAL_MAX)
		return -1;
	db->local[2 * db->nlocal] = name;
	db->local[2 * db->nlocal + 1] = value;
	db->nlocal++;
	db->local_done = 0;
	return 0;
}

/*
 * Waits for and returns the next result of a pipeline, polling the
 * socket up to deadline; *timedout is set past it.  NULL also marks
 * the end of one query's results, as PQgetResult says.
 */
static PGresult *
next_result(PGconn *c, int64_t deadline, int *timedout, int *lost)
{
	struct pollfd	 p;
	int64_t		 left;

	while (PQisBusy(c)) {
		if ((left = (deadline - fpg_now_us()) / 1000) <= 0) {
			*timedout = 1;
			return NULL;
		}
		p.fd = PQsocket(c);
		p.events = POLLIN;
		if (poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) < 0 &&
		    errno != EINTR) {
			*lost = 1;
			return NULL;
		}
		if (!PQconsumeInput(c)) {
			*lost = 1;
			return NULL;
		}
	}
	return PQgetResult(c);
}

/*
 * The statement with the request's settings before it, in one round
 * trip (libpq's pipeline mode): the settings, then the statement, then
 * one Sync.  Outside a transaction no BEGIN and COMMIT are needed: the
 * queries of a pipeline up to its Sync run in one implicit transaction
 * (PostgreSQL's extended query protocol), so set_config(..., true)
 * holds for the statement and is gone at the Sync.  That saves two
 * queries of libpq's work on every request that carries settings (a
 * bearer token's role and claims: about 5,000 instructions a GET).
 * Inside a transaction the settings go once, with its first statement.
 * Returns the statement's result as exec_bounded does; a failed
 * setting is the statement's failure (db->local_failed).
 */
static PGresult *
exec_local(struct fpg_db *db, const char *name, const char *sql, int n,
    const char *const *vals, int *timedout)
{
	PGconn		*c = db->conn;
	PGresult	*res, *out = NULL, *err = NULL;
	int64_t		 deadline;
	long		 tmo = db->cf->statement_timeout;
	int		 outside = !db->in_tx, q, lost = 0, ok = 1, synced = 0;

	*timedout = 0;
	if (!PQenterPipelineMode(c)) {
		*timedout = -1;
		return NULL;
	}
	/* prepared at connect (db.c): no parse and plan a request */
	if (db->cf->prepare)
		ok &= PQsendQueryPrepared(c, fpg_db_local_name(db->nlocal),
		    2 * db->nlocal, db->local, NULL, NULL, 0);
	else
		ok &= PQsendQueryParams(c, fpg_db_local_sql(db->nlocal),
		    2 * db->nlocal, NULL, db->local, NULL, NULL, 0);
	if (name != NULL && db->cf->prepare)
		ok &= PQsendQueryPrepared(c, name, n, vals, NULL, NULL, 0);
	else
		ok &= PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0);
	q = 1;		/* the statement's place */
	ok &= PQpipelineSync(c);
	if (!ok) {
		*timedout = -1;
		return NULL;
	}
	deadline = fpg_now_us() + (int64_t)((tmo > 0 ? tmo : 30000) + 2000) *
	    1000;
	/* nq queries, each ended by a NULL, then the sync point. */
	for (int i = 0; !synced && !*timedout && !lost; ) {
		res = next_result(c, deadline, timedout, &lost);
		if (res == NULL) {
			if (*timedout || lost || PQstatus(c) == CONNECTION_BAD)
				break;
			i++;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			synced = 1;
			PQclear(res);
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (i == q && out == NULL)
				out = res;
			else
				PQclear(res);
			break;
		case PGRES_PIPELINE_ABORTED:	/* skipped after a failure */
			PQclear(res);
			break;
		default:
			/* the first failure is the statement's answer */
			if (err == NULL && i == 0)
				db->local_failed = 1;	/* the settings' */
			if (err == NULL)
				err = res;
			else
				PQclear(res);
			break;
		}
	}
	if (err != NULL) {
		PQclear(out);
		out = err;
	}
	if (*timedout || lost || !synced) {
		PQclear(out);
		return NULL;
	}
	if (!PQexitPipelineMode(c)) {
		/* results left over: the connection is out of step */
		PQclear(out);
		fpg_db_close(db);
		*timedout = 1;
		return NULL;
	}
	if (!outside)
		db->local_done = 1;
	else if (PQtransactionStatus(c) != PQTRANS_IDLE) {
		/* Not ended by the Sync (never expected): end it now, so
		 * the next statement (or a retry) starts clean. */
		int	  t;
		PGresult *rb = fpg_db_exec_bounded(db, NULL, "ROLLBACK", 0, NULL, 0,
		    &t);

		PQclear(rb);
	}
	return out;
}

/*
 * A request begins: forget the last one's failure.  idempotent: a
 * statement outside a transaction may run again on a fresh connection
 * when the old one turns out dead (GET, HEAD).
 */
void
fpg_db_start(struct fpg_db *db, int idempotent)
{
	/* record() writes every field of a failure: mark none. */
	db->err.sqlstate[0] = db->err.constraint[0] = '\0';
	db->us = 0;
	db->nlocal = db->local_done = db->local_failed = 0;
	db->idempotent = idempotent;
	db->in_tx = db->tx_lost = 0;
	/* Behind a transaction pooler (DB_PREPARE=false) the statement
	 * timeout is the transaction's own, never the session's (db.c). */
	if (!db->cf->prepare && db->cf->statement_timeout > 0)
		fpg_db_set_local(db, "statement_timeout", db->cf->timeout_text);
}

/*
 * A statement built at run time, keyed by its shape, made ready on the
 * connection: prepared on its first use (the least recently used one
 * deallocated when the cache is full), its name in name.  With
 * DB_PREPARE=false nothing is prepared: name is "" and the statement
 * goes unnamed.  Returns NULL when ready, else the failed result (or
 * NULL in *failed with *timedout set when nothing came back).
 */
static PGresult *
shape_ready(struct fpg_db *db, const void *key, size_t keylen,
    const char *sql, char *name, size_t namesz, int *failed, int *timedout)
{
	PGresult	*res;
	char		 old[48], dealloc[64];
	int		 hit, i;

	*failed = *timedout = 0;
	name[0] = '\0';
	if (!db->cf->prepare)
		return NULL;
	i = fpg_shapes_slot(&db->shapes, key, keylen, &hit);
	if (!hit && db->shapes.slot[i].live) {
		fpg_shapes_name(&db->shapes, i, old, sizeof(old));
		db->shapes.slot[i].live = 0;
		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE \"%s\"", old);
		res = fpg_db_exec_bounded(db, NULL, dealloc, 0, NULL, 0,
		    timedout);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			*failed = 1;
			return res;
		}
		PQclear(res);
	}
	if (!hit) {
		fpg_shapes_fill(&db->shapes, i, key, keylen);
		fpg_shapes_name(&db->shapes, i, name, namesz);
		res = fpg_db_exec_bounded(db, name, sql, 0, NULL, 1, timedout);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			db->shapes.slot[i].live = 0;
			*failed = 1;
			return res;
		}
		PQclear(res);
	} else
		fpg_shapes_name(&db->shapes, i, name, namesz);
	return NULL;
}

static PGresult *run(struct fpg_db *, const char *, const char *,
    const void *, size_t, int, const char *const *);

/*
 * Runs one statement: a declared one by name (sql NULL), or a fixed
 * command such as BEGIN (name NULL).  Returns the result (the caller
 * PQclears it), or NULL with the failure in db->err.  On a dead
 * connection outside a transaction, an idempotent request's statement
 * is tried once more on a fresh connection; a serialization failure or
 * deadlock outside a transaction is run again up to 3 times.
 */
PGresult *
fpg_db_run(struct fpg_db *db, const char *name, const char *sql, int n,
    const char *const *vals)
{
	return run(db, name, sql, NULL, 0, n, vals);
}

/*
 * Runs sql, a statement built at run time whose shape is key (at most
 * FPG_SHAPE_KEY_MAX bytes; one key, one sql): prepared once on each
 * connection (shape.c), unnamed with DB_PREPARE=false.  Otherwise as
 * fpg_db_run.
 */
PGresult *
fpg_db_run_shape(struct fpg_db *db, const void *key, size_t keylen,
    const char *sql, int n, const char *const *vals)
{
	if (keylen > FPG_SHAPE_KEY_MAX) {
		record(db, NULL, "XX000");
		return NULL;
	}
	return run(db, NULL, sql, key, keylen, n, vals);
}

static PGresult *
run(struct fpg_db *db, const char *name, const char *sql, const void *key,
    size_t keylen, int n, const char *const *vals)
{
	PGresult	*res;
	int		 tries = 0, retries = 0, timedout, failed;
	int64_t		 t0;
	const char	*st;
	char		 shape[48];

	if (name != NULL && (sql = stmt_sql(db, name)) == NULL) {
		fpg_log(FPG_LOG_ERROR, "statement %s is not declared", name);
		record(db, NULL, "XX000");
		return NULL;
	}
again:
	if (fpg_db_ensure(db) == -1) {
		record(db, NULL, "08006");
		return NULL;
	}
	t0 = fpg_now_us();
	if (key != NULL) {
		res = shape_ready(db, key, keylen, sql, shape, sizeof(shape),
		    &failed, &timedout);
		if (failed) {
			db->us += fpg_now_us() - t0;
			goto failed;
		}
		name = shape[0] ? shape : NULL;
	}
	/* The request's settings go with its first statement of each
	 * transaction; BEGIN, COMMIT and ROLLBACK go alone. */
	if (db->nlocal > 0 && !db->local_done && (name != NULL || n > 0))
		res = exec_local(db, name, sql, n, vals, &timedout);
	else
		res = fpg_db_exec_bounded(db, name, sql, n, vals, 0, &timedout);
	db->us += fpg_now_us() - t0;
failed:
	if (timedout == -1 && tries++ == 0 && !db->in_tx) {
		fpg_db_close(db);
		db->next_try = 0;
		goto again;
	}
	if (timedout == 1) {
		fpg_log(FPG_LOG_ERROR, "%s: no answer from the database "
		    "within the statement timeout", name ? name : sql);
		lost(db);
		record(db, NULL, "57014");
		fpg_metrics_count(FPG_M_STMT_TIMEOUTS);
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
		fpg_log(FPG_LOG_WARN, "%s: connection lost%s", db->what,
		    db->in_tx ? " inside a transaction: it is rolled back" : "");
		PQclear(res);
		lost(db);
		if (tries++ == 0 && !db->in_tx && db->idempotent)
			goto again;
		return NULL;
	}
	record(db, res, "XX000");
	st = db->err.sqlstate;
	/*
	 * A serialization failure or deadlock rolled the statement back
	 * whole: outside a transaction it is safe to run it again.
	 */
	if (!db->in_tx && retries < 3 && (strcmp(st, "40001") == 0 ||
	    strcmp(st, "40P01") == 0)) {
		PQclear(res);
		retries++;
		fpg_metrics_count(FPG_M_RETRIES);
		usleep((useconds_t)(5000 * retries + (fpg_now_us() % 5000)));
		goto again;
	}
	if (strcmp(st, "57014") == 0)
		fpg_metrics_count(FPG_M_STMT_TIMEOUTS);
	fpg_db_log_result(st[0] == '2' || strncmp(st, "FP4", 3) == 0 ?
	    FPG_LOG_INFO : FPG_LOG_ERROR, name ? name : sql, res, db->conn);
	PQclear(res);
	return NULL;
}

static enum fpg_err
command(struct fpg_db *db, const char *sql)
{
	PGresult *res = fpg_db_run(db, NULL, sql, 0, NULL);

	PQclear(res);
	return res ? FPG_OK : FPG_EDB;
}

/* Transactions: BEGIN; COMMIT; ROLLBACK.  FPG_OK, or FPG_EDB. */
enum fpg_err
fpg_db_begin(struct fpg_db *db)
{
	if (db->in_tx) {
		record(db, NULL, "25001");	/* a bug: already in one */
		return FPG_EDB;
	}
	if (command(db, "BEGIN") != FPG_OK)
		return FPG_EDB;
	db->in_tx = 1;
	return FPG_OK;
}

/*
 * Commits, and says so only when PostgreSQL did: a COMMIT of a
 * transaction that a failed statement aborted answers "ROLLBACK", and
 * one whose connection was lost commits nothing.  The failure that
 * aborted it stays the request's (else 40000, rolled back).
 */
enum fpg_err
fpg_db_commit(struct fpg_db *db)
{
	PGresult	*res;
	int		 ok;

	if (!db->in_tx || db->tx_lost) {
		if (db->err.sqlstate[0] == '\0')
			record(db, NULL, db->tx_lost ? "08006" : "25000");
		db->in_tx = 0;
		return FPG_EDB;
	}
	if (db->conn != NULL &&
	    PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		if (db->err.sqlstate[0] == '\0')
			record(db, NULL, "40000");
		fpg_db_rollback(db);
		return FPG_EDB;
	}
	res = fpg_db_run(db, NULL, "COMMIT", 0, NULL);
	ok = res != NULL && strcmp(PQcmdStatus(res), "COMMIT") == 0;
	if (res != NULL && !ok && db->err.sqlstate[0] == '\0')
		record(db, NULL, "40000");
	PQclear(res);
	db->in_tx = 0;
	db->local_done = 0;
	return ok ? FPG_OK : FPG_EDB;
}

enum fpg_err
fpg_db_rollback(struct fpg_db *db)
{
	enum fpg_err e = FPG_OK;

	if (db->conn != NULL && !db->tx_lost && db->in_tx) {
		/* Run even after a failure: keep the failure's record. */
		struct fpg_dberr keep = db->err;

		e = command(db, "ROLLBACK");
		db->err = keep;
	}
	db->in_tx = 0;
	db->local_done = 0;
	return e;
}

/*
 * After the handler: roll back whatever it left open, within the same
 * time bound as any statement, and leave the connection as the next
 * request needs it.  A lost connection comes back with the next
 * request (or the worker's own reconnect), never inside this one.
 */
void
fpg_db_end(struct fpg_db *db)
{
	PGconn		*c = db->conn;
	PGresult	*res;
	int		 timedout;

	db->in_tx = db->tx_lost = 0;
	if (c == NULL)
		return;
	switch (PQtransactionStatus(c)) {
	case PQTRANS_IDLE:
		return;
	case PQTRANS_UNKNOWN:
	case PQTRANS_ACTIVE:
		fpg_db_close(db);
		return;
	default:
		res = fpg_db_exec_bounded(db, NULL, "ROLLBACK", 0, NULL, 0, &timedout);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fpg_db_close(db);
		PQclear(res);
	}
}
