/*
 * sqlstate.c -- the one policy from a database failure to an HTTP
 * answer (DESIGN.md, Contracts): SQLSTATE to status, and the answer's
 * wording, which names the API field a constraint guards and never
 * shows the server's own text.  FPnnn errors are the application's
 * SQL speaking to the client: status nnn, its message.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "extern.h"

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
	const struct fpg_dberr *e = &r->db->err;
	static const char *const sfx[] = { "_key", "_check", "_fkey" };
	size_t	 tl = strlen(e->table), cl = strlen(e->constraint), i, sl;

	if (tl == 0 || cl <= tl + 1 || strncmp(e->constraint, e->table, tl) ||
	    e->constraint[tl] != '_')
		return NULL;
	for (i = 0; i < 3; i++) {
		sl = strlen(sfx[i]);
		if (cl > tl + 1 + sl &&
		    strcmp(e->constraint + cl - sl, sfx[i]) == 0)
			return fpg_arena_strndup(&r->arena,
			    e->constraint + tl + 1, cl - tl - 1 - sl);
	}
	return NULL;
}

/*
 * An FPnnn error's answer: its message, written by the application for
 * the client.  FP422 takes FastAPI's list shape, with the loc from the
 * HINT ("query.after" -> ["query","after"]).
 */
static enum fpg_err
send_app_error(struct fpg_req *r, int st)
{
	struct fpg_dberr *de = &r->db->err;

	if (st != 422)
		return fpg_send_error(r, st, de->message);
	return fpg_send_value_error(r, de->hint[0] ? de->hint : "body",
	    de->message);
}

/*
 * A 422 in FastAPI's list shape with one value_error: its loc from
 * the dotted where ("query.after" -> ["query","after"]), its msg.
 * The answer of an FP422 raised by SQL, and of the library's own
 * checks of a value (a list's sort or cursor).
 */
enum fpg_err
fpg_send_value_error(struct fpg_req *r, const char *where, const char *msg)
{
	json_t	*loc, *e;
	char	 buf[64], *p, *dot;

	snprintf(buf, sizeof(buf), "%s", where);
	loc = json_array();
	for (p = buf; p; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		json_array_append_new(loc, json_string(p));
	}
	e = json_pack("[{s:s, s:o, s:s}]", "type", "value_error", "loc", loc,
	    "msg", msg);
	return e ? fpg_send_validation(r, e) : fpg_send_error(r, 500,
	    "Internal Server Error");
}

/*
 * Answers the request's remembered database failure (r->db->err, set
 * by db.c); never shows the server's text.
 */
enum fpg_err
fpg_send_db_error(struct fpg_req *r)
{
	const struct fpg_dberr *e = &r->db->err;
	int		 st = fpg_db_status(e->sqlstate[0] ? e->sqlstate : NULL);
	const char	*field = constraint_field(r);
	char		 msg[160];

	/* The request's settings failed, so nothing of it ran: the role
	 * of its token is one the login role may not become (42501), or
	 * no role at all (22023).  Either way the caller may not. */
	if (r->db->local_failed && (strcmp(e->sqlstate, "42501") == 0 ||
	    strcmp(e->sqlstate, "22023") == 0))
		return fpg_send_error(r, 403, "Not enough permissions");
	if (strncmp(e->sqlstate, "FP", 2) == 0 && st != 500 &&
	    e->message[0] != '\0')
		return send_app_error(r, st);
	switch (st) {
	case 409:
		if (strcmp(e->sqlstate, "23505") == 0 && field)
			snprintf(msg, sizeof(msg), "%s already exists", field);
		else if (strcmp(e->sqlstate, "23503") == 0 &&
		    strcmp(r->method, "DELETE") == 0)
			snprintf(msg, sizeof(msg), "still referenced by "
			    "other rows");
		else if (strcmp(e->sqlstate, "23503") == 0 && field)
			snprintf(msg, sizeof(msg), "%s refers to a row that "
			    "does not exist", field);
		else if (strcmp(e->sqlstate, "23503") == 0)
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
