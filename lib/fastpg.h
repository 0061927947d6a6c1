/*
 * fastpg.h -- JSON APIs over PostgreSQL, served through FastCGI.
 *
 * The one public header of libfastpg.  Every exported name starts with
 * fpg_ (functions, structs) or FPG_ (constants).  Types are opaque except
 * the static tables a resource fills in (routes, statements, resource).
 *
 * Ownership: a pointer returned by an fpg_req accessor is borrowed and
 * stays valid until the request ends (the handler returns).  Nothing a
 * handler receives needs to be freed, except PGresult values returned by
 * fpg_exec(), which the caller releases with PQclear().
 */
#ifndef FASTPG_H
#define FASTPG_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#define FPG_VMAJOR 0
#define FPG_VMINOR 2

#pragma GCC visibility push(default)

/*
 * One error vocabulary: every library function that can fail returns
 * one of these (fpg_strerror() names it).  A handler or step can tell
 * "already answered" from "the client is gone" from "the database
 * failed", and decide nothing else: the library answers a database
 * failure the handler leaves unanswered.
 */
enum fpg_err {
	FPG_OK = 0,
	FPG_ENOMEM,	/* allocation failed */
	FPG_EINVAL,	/* bad argument (a header name, a status) */
	FPG_EDB,	/* database error: fpg_sqlstate() says which */
	FPG_EPROTO,	/* malformed request */
	FPG_ESCHEMA,	/* schema cannot be compiled */
	FPG_EIO,	/* the client is gone: a write failed */
	FPG_EANSWERED,	/* the request was answered already */
};

const char	*fpg_strerror(enum fpg_err);

/* Hard limits, checked before anything is allocated or parsed. */
#define FPG_PATH_MAX		4096	/* bytes of request path */
#define FPG_SEGMENTS_MAX	32	/* path segments */
#define FPG_PARAMS_MAX		256	/* query parameters */
#define FPG_HEADER_MAX		8192	/* bytes of one header value we read */
#define FPG_ERRORS_MAX		64	/* entries in one 422 detail list */
#define FPG_ERRORS_BYTES	65536	/* bytes of one 422 answer, at most */
#define FPG_TOKEN_MAX		8192	/* bytes of a bearer token */
#define FPG_CTYPE_MAX		128	/* bytes of a Content-Type sent */

struct fpg_req;

/*
 * A handler answers one request.  It may return without answering: the
 * library then answers from the last database error (mapped as DESIGN.md
 * says), or 500.  An open transaction is rolled back after it returns.
 */
typedef void	(*fpg_handler)(struct fpg_req *);

/*
 * A step runs before validation, in order: the library's own (CORS,
 * authentication, ...), then the resource's, then the route's.  It
 * returns FPG_OK to let the request go on; anything else stops it,
 * answered by the step (fpg_send_error(r, 401, ...)) or, if it did not
 * answer, with 500.  What a step found for later steps and the handler
 * goes in the request's slot (fpg_set_local).  Lists end with NULL.
 */
typedef enum fpg_err (*fpg_step)(struct fpg_req *);

/*
 * A route: method + path template ("/items/{id}"), matched against the
 * request path after ROOT_PATH is stripped.  The schemas are JSON Schema
 * text (2020-12 keywords), usually embedded from files beside main.c; a
 * route with a body schema takes a JSON body (415 for another type).
 * Tables end with an entry whose method is NULL.
 */
struct fpg_route {
	const char	*method;
	const char	*path;
	fpg_handler	 handler;
	const char	*path_schema;	/* NULL: {params} stay strings */
	const char	*query_schema;	/* NULL: not validated, read raw */
	const char	*body_schema;	/* NULL: no body is read */
	const fpg_step	*before;	/* this route's steps, or NULL */
	/*
	 * The operation's name: its OpenAPI operationId, the method name a
	 * generated client gives it ("cancelOrder").  An identifier,
	 * unique in the resource and across the resources of one site
	 * (fastpg-openapi refuses a duplicate).  NULL: derived from method
	 * and path (GET /items listItems, POST /items createItem, GET,
	 * PATCH, DELETE /items/{id} readItem, updateItem, deleteItem,
	 * POST /orders/{id}/cancel cancelOrder).  Last, so that tables
	 * written positionally leave it zero.
	 */
	const char	*name;
	/*
	 * Who may call it (checked by the library before validation):
	 * NULL, anyone (a bearer token given must still be valid); "",
	 * any caller with a valid token; "a b", a caller whose role claim
	 * (JWT_ROLE_CLAIM) is one of the space-separated words, or whose
	 * scope claim holds one of them.  401 / 403 otherwise.
	 */
	const char	*auth;
	/*
	 * Nonzero: the body is application/x-www-form-urlencoded (FastAPI's
	 * Form), decoded into a JSON object of strings (a repeated key: its
	 * last value) and validated against body_schema as JSON would be;
	 * fpg_body() and fpg_body_text() give that object.
	 */
	int		 form;
	/*
	 * With read replicas (DATABASE_READ_URL) a GET or HEAD route runs
	 * on a replica, which may be up to READ_MAX_LAG behind.  Nonzero:
	 * this route runs on the primary, so that it reads what the
	 * caller has just written (an order read right after it was
	 * placed).  Routes of other methods always run on the primary.
	 */
	int		 primary;
	/*
	 * A declared list (GET /items): with handler NULL the library
	 * answers the route with fpg_send_list(r, list).
	 */
	const struct fpg_list *list;
};

/*
 * A statement, prepared once on each connection under its name.
 * Tables end with an entry whose name is NULL.
 */
struct fpg_stmt {
	const char	*name;
	const char	*sql;
};

/*
 * Declared lists (fpg_send_list(3)).  A list is a keyset-paginated
 * GET over one FROM clause: the library writes the SQL of each shape
 * of request (which filters are present, which sort, a cursor or not)
 * from this declaration, binds every value as a parameter, and
 * prepares each shape once per connection.  Every string here is SQL
 * written by the resource's author, never a client's.
 */
enum fpg_filter_op {
	FPG_EQ = 1,	/* expr = $n::type */
	FPG_GE,		/* expr >= $n::type */
	FPG_LE,		/* expr <= $n::type */
	FPG_IN,		/* expr = ANY ($n::type[]): a JSON array */
	FPG_BOOL,	/* true: expr (a predicate); false: NOT (expr) */
	FPG_CONTAINS,	/* param is a prefix ("attr."): every parameter
			   named <prefix><key> joins one object, and
			   expr @> $n::jsonb (a value that reads as a JSON
			   number, true or false is one; else a string) */
	FPG_SEARCH,	/* expr @@ websearch_to_tsquery('type', $n), type
			   being the text search configuration; gives the
			   sort "rank" (the default while it is present) */
};

struct fpg_filter {
	const char		*param;	/* the query parameter */
	enum fpg_filter_op	 op;
	const char		*expr;	/* SQL over the FROM clause */
	const char		*type;	/* SQL type of the bound value */
	const char		*func;	/* NULL, or a SQL function the value
					   goes through ("lower") */
};

/* A sort key: ?sort=name ascending, ?sort=-name descending, ties
 * broken by the list's id in the same direction. */
struct fpg_sort {
	const char	*name;
	const char	*expr;	/* SQL over the FROM clause */
	const char	*type;	/* its SQL type, for the cursor's value */
};

struct fpg_list {
	const char		 *from;	/* "items i" */
	const char		 *row;	/* the row's JSON: "item_json(i)" */
	const char		 *id;	/* unique bigint key: "i.id" */
	const struct fpg_filter	 *filters; /* end with param NULL */
	const struct fpg_sort	 *sorts;   /* end with name NULL */
	const char		 *sort;	/* default ("id", "-created_at") */
};

#define FPG_LIST_FILTERS_MAX	32	/* filters, and sorts, of a list */

struct fpg_resource {
	const char		*name;	/* for logs and application_name */
	const struct fpg_route	*routes;
	const struct fpg_stmt	*stmts;
	const char		*openapi; /* OpenAPI fragment merged over
					     the generated document, or NULL */
	const fpg_step		*before; /* steps for every route, or NULL */
};

/*
 * Run a resource: parse argv and the configuration, compile schemas,
 * then serve FastCGI (socket on fd 0, LISTEN_FDS, or --listen) or one
 * CGI request.  Returns the process exit status.
 */
int		 fpg_main(const struct fpg_resource *, int argc, char *argv[]);

/* Request accessors (all strings borrowed, NUL-free, valid until return). */
const char	*fpg_method(const struct fpg_req *);
const char	*fpg_path(const struct fpg_req *);
const char	*fpg_request_id(const struct fpg_req *);
const char	*fpg_header(const struct fpg_req *, const char *name);
const char	*fpg_query(const struct fpg_req *, const char *name);
const char	*fpg_arg(struct fpg_req *, const char *name);
json_t		*fpg_body(const struct fpg_req *);
const char	*fpg_body_text(const struct fpg_req *, size_t *len);
const char	*fpg_if_match(struct fpg_req *);
void		*fpg_alloc(struct fpg_req *, size_t);
void		*fpg_local(const struct fpg_req *);
void		 fpg_set_local(struct fpg_req *, void *);

/* The caller, from its bearer token (borrowed, valid until return):
 * sub, the role claim (or JWT_ANON_ROLE), the claims as compact JSON. */
const char	*fpg_user(const struct fpg_req *);
const char	*fpg_role(const struct fpg_req *);
const char	*fpg_claims(const struct fpg_req *);
/* A token signed with JWT_SECRET (HS256/384/512), for POST /token. */
enum fpg_err	 fpg_token_issue(struct fpg_req *, const char *sub,
		    const char *role, const char *scope, char *out,
		    size_t outsz, long *expires_in);

/* Responses: FPG_OK, FPG_EANSWERED, FPG_EIO, FPG_EINVAL, FPG_ENOMEM. */
enum fpg_err	 fpg_set_header(struct fpg_req *, const char *name,
		    const char *value);
enum fpg_err	 fpg_send(struct fpg_req *, int status, const char *json,
		    size_t len);
enum fpg_err	 fpg_send_typed(struct fpg_req *, int status,
		    const char *ctype, const char *body, size_t len);
enum fpg_err	 fpg_send_json(struct fpg_req *, int status, json_t *);
enum fpg_err	 fpg_send_error(struct fpg_req *, int status,
		    const char *detail);
enum fpg_err	 fpg_send_empty(struct fpg_req *, int status);
int		 fpg_answered(const struct fpg_req *);
enum fpg_err	 fpg_send_result(struct fpg_req *, int status,
		    const PGresult *);
enum fpg_err	 fpg_link_next(struct fpg_req *, const char *param,
		    const char *value);
const char	*fpg_query_text(struct fpg_req *);
enum fpg_err	 fpg_send_page(struct fpg_req *, const char *stmt);
enum fpg_err	 fpg_send_list(struct fpg_req *, const struct fpg_list *);

/* Database: the calling worker's persistent connection. */
PGresult	*fpg_exec(struct fpg_req *, const char *stmt, int nparams,
		    const char *const *values);
enum fpg_err	 fpg_send_row(struct fpg_req *, int status, const char *stmt,
		    int nparams, const char *const *values);
enum fpg_err	 fpg_begin(struct fpg_req *);
enum fpg_err	 fpg_commit(struct fpg_req *);
enum fpg_err	 fpg_rollback(struct fpg_req *);
const char	*fpg_sqlstate(const struct fpg_req *);
const char	*fpg_constraint(const struct fpg_req *);
int		 fpg_db_status(const char *sqlstate);

/* JSON Schema (2020-12 subset): compiled once, validated many times. */
struct fpg_schema;

struct fpg_schema *fpg_schema_new(const char *text, size_t len,
		    char *err, size_t errsz);
size_t		 fpg_schema_validate(const struct fpg_schema *, json_t *inst,
		    json_t *loc, json_t *errors, size_t max);
void		 fpg_schema_free(struct fpg_schema *);

/* JSON text read as the server reads a body (fpg_schema_new(3)). */
json_t		*fpg_json_load(const char *buf, size_t len, json_error_t *err);

/* Logging to stderr, non-printables escaped. */
enum fpg_log_level {
	FPG_LOG_ERROR = 0,
	FPG_LOG_WARN,
	FPG_LOG_INFO,
	FPG_LOG_DEBUG,
};

void		 fpg_log(enum fpg_log_level, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#pragma GCC visibility pop

#endif /* FASTPG_H */
