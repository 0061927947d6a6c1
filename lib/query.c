/*
 * query.c -- a handler's database calls: its statements run on the
 * worker's connection (db.c), and a row becomes the answer.  A failure
 * is remembered with the connection and answered by the library
 * (sqlstate.c) when the handler leaves it unanswered.
 */
#include <string.h>
#include <strings.h>

#include "extern.h"

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
	PGresult *res = fpg_db_run(r->db, stmt, NULL, nparams, values);

	/* A read on a replica whose connection was lost: the primary. */
	if (res == NULL && fpg_replica_fallback(r))
		res = fpg_db_run(r->db, stmt, NULL, nparams, values);
	return res;
}

/*
 * Runs a statement built at run time (a list's shape, list.c), keyed
 * by its shape for the connection's statement cache; as fpg_exec.
 */
PGresult *
fpg_exec_shape(struct fpg_req *r, const void *key, size_t keylen,
    const char *sql, int nparams, const char *const *values)
{
	PGresult *res = fpg_db_run_shape(r->db, key, keylen, sql, nparams,
	    values);

	if (res == NULL && fpg_replica_fallback(r))
		res = fpg_db_run_shape(r->db, key, keylen, sql, nparams,
		    values);
	return res;
}

/*
 * Sends a statement's result: the first column of the first row is the
 * JSON body.  Every further column is a response header named after the
 * column ("ETag", "Location"); NULL ones are left out, and a column
 * named "status" sets the status instead.  A GET whose If-None-Match
 * lists the ETag (weak comparison) gets 304 without a body.  No row, or
 * a NULL body, is 404 -- or 412 when the request carried If-Match,
 * which a missing resource never satisfies (RFC 9110 13.1.1).
 */
enum fpg_err
fpg_send_result(struct fpg_req *r, int status, const PGresult *res)
{
	const char	*etag = NULL, *inm;
	int		 i;
	long long	 st;

	if (PQntuples(res) == 0 || PQnfields(res) == 0 ||
	    PQgetisnull(res, 0, 0)) {
		if (fpg_io_env(r, FPG_ENV_IF_MATCH) != NULL)
			return fpg_send_error(r, 412, "Precondition Failed");
		return fpg_send_error(r, 404, "Not Found");
	}
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
	    (inm = fpg_io_env(r, FPG_ENV_IF_NONE_MATCH)) != NULL &&
	    fpg_etag_match(inm, etag, 0))
		return fpg_send_empty(r, 304);
	return fpg_send(r, status, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
}

/*
 * Runs stmt and sends its result with fpg_send_result().  Returns
 * FPG_EDB if the statement failed (the failure is answered after the
 * handler returns), else what sending returned.
 */
enum fpg_err
fpg_send_row(struct fpg_req *r, int status, const char *stmt, int nparams,
    const char *const *values)
{
	PGresult	*res;
	enum fpg_err	 rc;

	if ((res = fpg_exec(r, stmt, nparams, values)) == NULL)
		return FPG_EDB;
	rc = fpg_send_result(r, status, res);
	PQclear(res);
	return rc;
}

/* Transactions on the request's connection: FPG_OK, or FPG_EDB. */
enum fpg_err
fpg_begin(struct fpg_req *r)
{
	if (fpg_db_begin(r->db) == FPG_OK)
		return FPG_OK;
	return fpg_replica_fallback(r) ? fpg_db_begin(r->db) : FPG_EDB;
}

enum fpg_err
fpg_commit(struct fpg_req *r)
{
	return fpg_db_commit(r->db);
}

enum fpg_err
fpg_rollback(struct fpg_req *r)
{
	return fpg_db_rollback(r->db);
}

const char *
fpg_sqlstate(const struct fpg_req *r)
{
	return r->db && r->db->err.sqlstate[0] ? r->db->err.sqlstate : NULL;
}

const char *
fpg_constraint(const struct fpg_req *r)
{
	return r->db && r->db->err.constraint[0] ? r->db->err.constraint :
	    NULL;
}
