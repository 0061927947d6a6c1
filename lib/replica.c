/*
 * replica.c -- reads on streaming replicas (DATABASE_READ_URL).
 *
 * A worker keeps one connection to one of the replicas beside its
 * connection to the primary.  A request of a read-only route (GET and
 * HEAD, unless the route says .primary, because it must read its own
 * writes at once) runs on the replica while that is reachable and no
 * further behind its primary than READ_MAX_LAG; otherwise on the
 * primary: counted, logged when a replica is left out and when it is
 * taken back, never failed.  A replica's connection comes back by its
 * worker between requests, without waiting (fpg_db_connect_step), so a
 * replica that is down costs a request nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

#define CHECK_US	1000000		/* lag checked once a second at most */

/*
 * The lag: 0 while the replica has replayed all it received, else the
 * age of the last transaction it replayed (an upper bound of how stale
 * it is: what it has not replayed is younger).  A replica with no WAL
 * receiver (its primary unreachable) has received nothing new either,
 * so it is stale by an unknown amount.  Not in recovery: promoted, a
 * primary of its own now, current by definition.
 */
static const char lag_sql[] =
    "SELECT pg_is_in_recovery(),"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    "  THEN 0 ELSE coalesce((extract(epoch FROM now() -"
    "  pg_last_xact_replay_timestamp()) * 1000)::bigint, 86400000) END,"
    " EXISTS (SELECT FROM pg_stat_wal_receiver)";

/*
 * Splits DATABASE_READ_URL into the app's replica settings, each with
 * the primary's statement timeout and DB_PREPARE.  Returns 0, or -1
 * when out of memory.
 */
int
fpg_replica_conf(struct fpg_app *app)
{
	char	*u, *save = NULL;
	int	 n = 0;

	app->nread = 0;
	if (app->conf.read_conninfo == NULL || *app->conf.read_conninfo == '\0')
		return 0;
	if ((app->readurls = strdup(app->conf.read_conninfo)) == NULL)
		return -1;
	for (u = strtok_r(app->readurls, " ", &save); u != NULL &&
	    n < FPG_REPLICAS_MAX; u = strtok_r(NULL, " ", &save), n++) {
		app->readconf[n] = app->dbconf;
		app->readconf[n].conninfo = u;
		snprintf(app->readwhat[n], sizeof(app->readwhat[n]),
		    "read replica %d", n + 1);
	}
	app->nread = n;
	return 0;
}

/*
 * Worker i's replica connection: the replicas are spread over the
 * workers of all processes (i plus the process id).  Not connected yet:
 * fpg_replica_tend does that.
 */
void
fpg_replica_init(struct fpg_db *rdb, const struct fpg_app *app, int i,
    int background)
{
	int	 k = (int)(((unsigned)i + (unsigned)getpid()) %
	    (unsigned)app->nread);

	fpg_db_init(rdb, &app->readconf[k], app->res->stmts, app->res->name,
	    !background);
	rdb->what = app->readwhat[k];
	rdb->background = background;
}

/* Logs a change of a replica's state, once. */
static void
set_fresh(struct fpg_db *rdb, int fresh, const char *why)
{
	rdb->fresh = fresh;
	if (!fresh && !rdb->left_out)
		fpg_log(FPG_LOG_WARN, "%s left out: %s; reads go to the "
		    "primary", rdb->what, why);
	else if (fresh && rdb->left_out)
		fpg_log(FPG_LOG_INFO, "%s taken back: reads go to it again",
		    rdb->what);
	rdb->left_out = !fresh;
}

/*
 * Between requests: notices a replica's connection that the server
 * closed (probed once a second, so a worker that sleeps wakes for it)
 * and brings it back, one step at a time.  Returns the milliseconds
 * before the worker should call again, or -1 without replicas.
 */
int
fpg_replica_tend(struct fpg_db *rdb)
{
	int64_t	 now, wait;
	int	 ms;

	if (rdb->cf == NULL)
		return -1;
	if (rdb->conn != NULL && !rdb->connecting) {
		now = fpg_now_us();
		if (now - rdb->probed < CHECK_US)
			return (int)((CHECK_US - (now - rdb->probed)) / 1000) + 1;
		rdb->probed = now;
		if (fpg_db_ensure(rdb) == 0)
			return CHECK_US / 1000;
		set_fresh(rdb, 0, "its connection was closed");
	}
	switch (fpg_db_connect_step(rdb, &ms)) {
	case 1:
		rdb->checked = 0;	/* checked by the next read */
		rdb->probed = fpg_now_us();
		return CHECK_US / 1000;
	case 0:
		return ms;
	default:
		wait = (rdb->next_try - fpg_now_us()) / 1000;
		return wait < 1 ? 1 : wait > 1000 ? 1000 : (int)wait;
	}
}

/*
 * Whether reads may go to the replica now: connected, and its lag
 * within max_lag ms (0: not checked), as found at most a second ago.
 */
static int
fresh(struct fpg_db *rdb, long max_lag)
{
	PGresult	*res;
	int		 timedout, ok;
	long long	 lag;
	char		 why[64];

	if (fpg_db_ensure(rdb) == -1) {
		set_fresh(rdb, 0, "not connected");
		return 0;
	}
	if (rdb->checked != 0 && fpg_now_us() - rdb->checked < CHECK_US)
		return rdb->fresh;
	rdb->checked = fpg_now_us();
	res = fpg_db_exec_bounded(rdb, NULL, lag_sql, 0, NULL, 0, &timedout);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		fpg_db_log_result(FPG_LOG_WARN, rdb->what, res, rdb->conn);
		PQclear(res);
		fpg_db_close(rdb);
		rdb->next_try = 0;
		set_fresh(rdb, 0, "its lag could not be read");
		return 0;
	}
	lag = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	if (strcmp(PQgetvalue(res, 0, 0), "f") == 0)
		ok = 1;		/* promoted */
	else if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
		ok = 0;
		snprintf(why, sizeof(why), "not streaming from its primary");
	} else if ((ok = max_lag == 0 || lag <= max_lag) == 0)
		snprintf(why, sizeof(why), "%lld ms behind its primary", lag);
	PQclear(res);
	set_fresh(rdb, ok, why);
	return ok;
}

/* The request goes on with its statements on to. */
static void
move(struct fpg_req *r, struct fpg_db *to)
{
	struct fpg_db	*from = r->db;

	fpg_db_start(to, from->idempotent);
	memcpy(to->local, from->local, sizeof(to->local));
	to->nlocal = from->nlocal;
	to->us += from->us;
	r->db = to;
}

/*
 * Once the route is known, before its steps: a read-only route's
 * request moves to the replica if it is fresh.
 */
void
fpg_replica_route(struct fpg_req *r)
{
	if (r->replica == NULL || r->route->def->primary ||
	    (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0))
		return;
	if (fresh(r->replica, r->app->conf.read_max_lag)) {
		move(r, r->replica);
		fpg_metrics_count(FPG_M_READ_REPLICA);
	} else
		fpg_metrics_count(FPG_M_READ_FALLBACK);
}

/*
 * After a statement failed on the replica: if its connection was lost
 * outside a transaction, the request moves to the primary and the
 * statement may run there (returns 1).  Reads are never failed for a
 * replica's sake.
 */
int
fpg_replica_fallback(struct fpg_req *r)
{
	if (r->db != r->replica || r->db->in_tx ||
	    strncmp(r->db->err.sqlstate, "08", 2) != 0)
		return 0;
	set_fresh(r->replica, 0, "its connection was lost");
	r->replica->checked = fpg_now_us();
	move(r, r->primary);
	fpg_metrics_count(FPG_M_READ_FALLBACK);
	return 1;
}
