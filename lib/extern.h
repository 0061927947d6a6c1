/*
 * extern.h -- libfastpg's private declarations (not installed).
 */
#ifndef FPG_EXTERN_H
#define FPG_EXTERN_H

#include <stdint.h>
#include <stdio.h>

#include "fastpg.h"
#include "url.h"
#include "schema/schema.h"

#define FPG_ID_MAX	64	/* bytes of an X-Request-ID we accept */
#define FPG_HDRS_MAX	4096	/* bytes of response headers */

/* Per-request arena: every request string lives here, freed in one call. */
struct fpg_arena {
	struct fpg_chunk	*head;
	struct fpg_chunk	*first;	/* caller's memory, never freed */
};

void	 fpg_arena_init(struct fpg_arena *, void *, size_t);
void	*fpg_arena_alloc(struct fpg_arena *, size_t);
char	*fpg_arena_strndup(struct fpg_arena *, const char *, size_t);
void	 fpg_arena_free(struct fpg_arena *);

/* Growable output buffer with a hard cap; a failed append sets oom. */
struct fpg_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 oom;
};

void	 fpg_buf_put(struct fpg_buf *, const char *, size_t);
void	 fpg_buf_puts(struct fpg_buf *, const char *);
void	 fpg_buf_printf(struct fpg_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 fpg_buf_free(struct fpg_buf *);

/* Configuration, read once at start (environment, then .env). */
struct fpg_conf {
	char	*conninfo;	/* DATABASE_URL, scheme normalised */
	char	*read_conninfo;	/* DATABASE_READ_URL: replicas, space-separated */
	long	 read_max_lag;	/* READ_MAX_LAG, ms; 0: not checked */
	char	*root_path;	/* ROOT_PATH: mount prefix stripped */
	int	 pool_size;	/* POOL_SIZE worker threads */
	int	 max_overflow;	/* MAX_OVERFLOW extra, lazily connected */
	long	 statement_timeout; /* STATEMENT_TIMEOUT, milliseconds */
	size_t	 max_body;	/* MAX_BODY_SIZE, bytes */
	int	 log_level;	/* LOG_LEVEL */
	int	 prepare;	/* DB_PREPARE: named prepared statements */
	char	*metrics_dir;	/* METRICS_DIR: counters shared there */
	int	 log_json;	/* LOG_FORMAT=json */
	int	 server_timing;	/* SERVER_TIMING: the header on answers */
	/* bearer tokens (jwt.c, auth.c) */
	char	*jwt_secret;	/* JWT_SECRET: HS key, >= 32 bytes or "" */
	char	*jwt_alg;	/* JWT_ALG: the one accepted */
	char	*jwt_public_key; /* JWT_PUBLIC_KEY: PEM file */
	char	*jwt_jwks_file;	/* JWT_JWKS_FILE */
	long	 jwt_skew;	/* JWT_SKEW, ms */
	int	 jwt_require_exp; /* JWT_REQUIRE_EXP */
	char	*jwt_audience;	/* JWT_AUDIENCE, "" unchecked */
	char	*jwt_issuer;	/* JWT_ISSUER, "" unchecked */
	char	*jwt_role_claim; /* JWT_ROLE_CLAIM */
	char	*jwt_anon_role;	/* JWT_ANON_ROLE, "" none */
	long	 jwt_ttl;	/* JWT_TTL, ms */
	/* CORS (cors.c) */
	char	*cors_origins;	/* CORS_ORIGINS, space-separated; "" off */
	int	 cors_credentials; /* CORS_ALLOW_CREDENTIALS */
	int	 cors_max_age;	/* CORS_MAX_AGE, seconds */
};

/* How a variable's value is parsed, and the type of its field. */
enum fpg_conf_kind {
	FPG_CONF_URL,	/* char *: libpq URL or key=value, normalised */
	FPG_CONF_URLS,	/* char *: up to max URLs, space-separated */
	FPG_CONF_INT,	/* int: a decimal integer in [min, max] */
	FPG_CONF_MS,	/* long: milliseconds, or 5s, 1min; [min, max] */
	FPG_CONF_SIZE,	/* size_t: bytes, or 64k, 1m; [min, max] */
	FPG_CONF_LEVEL,	/* int: error, warn, info, debug (FPG_LOG_*) */
	FPG_CONF_BOOL,	/* int: true/1 or false/0 */
	FPG_CONF_PATH,	/* char *: empty, or /a/b of at most max bytes */
	FPG_CONF_FORMAT,	/* int: text (0) or json (1) */
	FPG_CONF_STR	/* char *: empty, or min to max bytes */
};

#define FPG_CONF_EMPTY_UNSET	0x01	/* an empty value means the default */

/* A row of the configuration table (lib/conf.c). */
struct fpg_conf_var {
	const char		*name;
	enum fpg_conf_kind	 kind;
	long long		 min, max;
	const char		*def;	/* the default, parsed as a value is */
	size_t			 off;	/* of its field in struct fpg_conf */
	int			 flags;	/* FPG_CONF_EMPTY_UNSET */
	const char		*help;	/* one line, for --help */
};

extern const struct fpg_conf_var	fpg_conf_vars[];
extern const size_t			fpg_conf_nvars;

/*
 * Fills the struct from the environment after the .env file (envfile,
 * NULL: $ENV_FILE or ".env"), one table row after the other.  Returns
 * 0, or -1 with a message in err naming the variable; either way the
 * caller frees the struct with fpg_conf_free().
 */
int	 fpg_conf_load(struct fpg_conf *, const char *envfile,
	    char *err, size_t errsz);
/* Prints every variable with its default and help (--help). */
void	 fpg_conf_usage(FILE *);
int	 fpg_conf_parse_line(char *line, char **key, char **val);
void	 fpg_conf_free(struct fpg_conf *);


extern int	fpg_log_level;
size_t	 fpg_escape(char *dst, size_t dstsz, const char *src, size_t len);

/* A compiled route. */
/*
 * A path schema simple enough to check without building JSON values:
 * each {param} of the template one property, an integer between bounds
 * or a string between lengths, and no other keyword that validates.
 * fpg_args_plan() makes it when the routes are compiled.  It only ever
 * says "passes": a request it does not pass takes the validator's way,
 * which writes the 422, so the errors stay the validator's own.
 */
struct fpg_argplan {
	size_t		 n;		/* 0: no plan, the validator's way */
	struct {
		const char	*name;	/* the template's, after its "{" */
		size_t		 namelen;
		size_t		 seg;	/* which segment of the path */
		int		 integer;	/* else a string */
		long long	 min, max;	/* value, or length */
	}		 a[FPG_SEGMENTS_MAX];
};

struct fpg_croute {
	const struct fpg_route	*def;
	char			*segs[FPG_SEGMENTS_MAX];
	size_t			 nsegs;
	struct fpg_argplan	 path_plan;	/* args.c's fast way */
	json_t			*path_json, *query_json;	/* for openapi.c */
	struct fpg_schema	*path_schema, *query_schema, *body_schema;
};

struct fpg_router {
	struct fpg_croute	*routes;
	size_t			 nroutes;
};

int	 fpg_router_init(struct fpg_router *, const struct fpg_route *,
	    char *err, size_t errsz);
void	 fpg_router_free(struct fpg_router *);
int	 fpg_router_match(const struct fpg_router *, const char *method,
	    char **segs, size_t nsegs, const struct fpg_croute **,
	    char *allow, size_t allowsz);

int	 fpg_split_path(struct fpg_arena *, const char *path, size_t len,
	    char **segs, size_t *nsegs);

/* --- fcgi.c: the FastCGI wire ------------------------------------- */

#define FPG_FCGI_PARAMS_MAX	(1024 * 1024)	/* bytes of a request's PARAMS */
#define FPG_FCGI_NPARAMS_MAX	1024		/* its name-value pairs */

/*
 * One FastCGI connection, serving one request at a time.  envp and
 * the strings it points to are valid until the next fpg_fcgi_begin()
 * (or _free); the rest is fcgi.c's.
 */
struct fpg_fcgi {
	int		 fd;		/* the connection; -1: none */
	int		 wfd;		/* where records go: fd (tests) */
	int		 id;		/* the open request's; 0: none */
	int		 keep;		/* FCGI_KEEP_CONN */
	int		 in_eof;	/* its STDIN was read to the end */
	int		 rerr, werr;	/* reading, writing failed */
	char		**envp;		/* "NAME=value", NULL-terminated */
	size_t		 envcap;
	unsigned char	*in;		/* read, from inoff to inlen */
	size_t		 inoff, inlen;
	size_t		 left, pad;	/* of the STDIN record being read */
	char		*params;	/* the PARAMS stream, then envp's */
	size_t		 plen, pcap;
	unsigned char	*out;		/* a STDOUT record being filled */
	size_t		 outlen;
	int64_t		 deadline;	/* the request read by then (us;
					   0: not waited for yet) */
	long		 io_ms;		/* a request's reading, an answer's
					   writing: at most (FPG_FCGI_IO_MS) */
};
#define FPG_FCGI_IO_MS	30000

/* Sets up c for fd (no buffer yet), or frees c's buffers and closes. */
void	 fpg_fcgi_init(struct fpg_fcgi *, int fd);
void	 fpg_fcgi_free(struct fpg_fcgi *);
/* Reads the next request's BEGIN_REQUEST and PARAMS: 0, or -1 when
 * the connection ended or broke (close it). */
int	 fpg_fcgi_begin(struct fpg_fcgi *);
/* STDIN: bytes read, 0 at its end, -1 on an error. */
int	 fpg_fcgi_read(struct fpg_fcgi *, char *, size_t);
/* STDOUT: 0, or -1 once writing failed. */
int	 fpg_fcgi_write(struct fpg_fcgi *, const char *, size_t);
/* Ends the request (STDOUT's end, END_REQUEST); 1 when the connection
 * stays open for another, else it is closed and 0 returned. */
int	 fpg_fcgi_end(struct fpg_fcgi *);
/* Bytes of a next request already read (epoll will not say so). */
int	 fpg_fcgi_pending(const struct fpg_fcgi *);
/* Closes; linger: wait for the web server to close first (2 s). */
void	 fpg_fcgi_close(struct fpg_fcgi *, int linger);
/* Swaps two connections' buffers (none may have bytes pending): a
 * worker lends its own to the connection it serves. */
void	 fpg_fcgi_swap(struct fpg_fcgi *, struct fpg_fcgi *);

/* --- util.c: small utilities ---------------------------------------- */

int64_t	 fpg_now_us(void);		/* monotonic microseconds */
int	 fpg_strtonum(const char *, long long min, long long max,
	    long long *out);		/* decimal in [min, max]: 0, or -1 */

/* --- log.c ------------------------------------------------------------ */

void	 fpg_log_init(const char *name, int level, int json);
/* The request a thread serves: its id is added to every line it logs
 * ("id=..."), so a line can be followed to the request.  NULL: none. */
void	 fpg_log_request(const char *id);
/* One access line's fields. */
struct fpg_access {
	const char	*method, *route, *path, *id, *trace, *remote;
	int		 status;
	size_t		 bytes;
	long		 us, db_us, parse_us, validate_us;
};
void	 fpg_log_access(const struct fpg_access *);
/* A worker's access lines in batches, written before it waits. */
int	 fpg_log_batch(void);
int	 fpg_log_pending(void);
void	 fpg_log_flush(void);
void	 fpg_log_crash_guard(void);

/* --- db.c: the database, knowing nothing of HTTP ---------------------- */

/* Settings, passed in at init (from the configuration). */
struct fpg_dbconf {
	const char	*conninfo;
	long		 statement_timeout;	/* ms; 0: none */
	char		 timeout_text[24];	/* the same, as text */
	int		 prepare;		/* named prepared statements */
};

/* The last failure of a request's statements. */
struct fpg_dberr {
	char	 sqlstate[6];
	char	 constraint[64];
	char	 table[64];
	char	 message[256];	/* FPnnn errors only: for the client */
	char	 hint[64];	/* FPnnn errors only */
};

#define FPG_DB_LOCAL_MAX	6	/* settings a request may carry */
#define FPG_DB_SHAPES_MAX	64	/* statements built at run time,
					   prepared per connection */
#define FPG_SHAPE_KEY_MAX	32	/* bytes of a shape's key */

/* shape.c: a connection's statements built at run time (lists). */
struct fpg_shape_slot {
	unsigned char	 key[FPG_SHAPE_KEY_MAX];
	size_t		 keylen;
	uint64_t	 used;		/* clock of the last use */
	unsigned	 seq;		/* its name: fastpg:shape:<seq> */
	int		 live;		/* prepared on the connection */
};

struct fpg_shapes {
	struct fpg_shape_slot	 slot[FPG_DB_SHAPES_MAX];
	uint64_t		 clock;
	unsigned		 seq;
};

int	 fpg_shapes_slot(struct fpg_shapes *, const void *key, size_t len,
	    int *hit);
void	 fpg_shapes_fill(struct fpg_shapes *, int, const void *key,
	    size_t len);
void	 fpg_shapes_name(const struct fpg_shapes *, int, char *, size_t);
void	 fpg_shapes_clear(struct fpg_shapes *);
int	 fpg_shapes_count(const struct fpg_shapes *);

/* One database connection, owned by one worker thread. */
struct fpg_db {
	PGconn			*conn;
	const struct fpg_dbconf	*cf;
	const struct fpg_stmt	*stmts;
	const char		*name;		/* its application_name */
	const char		*what;		/* for the log: "database",
						   "read replica 2" */
	int			 lazy;		/* overflow: close when idle */
	int			 background;	/* a replica's: (re)connected
						   by its worker between
						   requests, never in one */
	int			 connecting;	/* fpg_db_connect_step's */
	int64_t			 connect_end;	/* ... deadline, monotonic µs */
	int			 counted;	/* in the connections gauge */
	int			 failing;	/* "cannot connect" logged */
	/* a replica's state (replica.c) */
	int64_t			 checked;	/* last lag check, monotonic µs */
	int64_t			 probed;	/* last look for a hang-up */
	int			 fresh;		/* its result: usable */
	int			 left_out;	/* logged as left out */
	int64_t			 next_try;	/* monotonic µs */
	int			 backoff_ms;
	/* the request being served */
	int			 idempotent;	/* may run again on a new conn */
	int			 in_tx;		/* inside fpg_db_begin */
	int			 tx_lost;	/* its connection was lost */
	int			 ever;		/* connected once: next is a reconnect */
	int64_t			 us;		/* time in statements, this request */
	/* transaction-local settings of the request (fpg_db_set_local) */
	const char		*local[FPG_DB_LOCAL_MAX * 2];	/* name, value */
	int			 nlocal;
	int			 local_done;	/* set in the open transaction */
	int			 local_failed;	/* a setting failed (a role the
						   login role may not become) */
	struct fpg_dberr	 err;
	struct fpg_shapes	 shapes;	/* emptied with the connection */
};

void	 fpg_db_init(struct fpg_db *, const struct fpg_dbconf *,
	    const struct fpg_stmt *, const char *name, int lazy);
int	 fpg_db_connect(struct fpg_db *);
int	 fpg_db_connect_step(struct fpg_db *, int *ms);
void	 fpg_db_close(struct fpg_db *);
void	 fpg_db_start(struct fpg_db *, int idempotent);
PGresult *fpg_db_run(struct fpg_db *, const char *name, const char *sql,
	    int n, const char *const *vals);
PGresult *fpg_db_run_shape(struct fpg_db *, const void *key, size_t keylen,
	    const char *sql, int n, const char *const *vals);
int	 fpg_db_ensure(struct fpg_db *);
PGresult *fpg_db_exec_bounded(const struct fpg_db *, const char *name,
	    const char *sql, int n, const char *const *vals, int prep,
	    int *timedout);
void	 fpg_db_log_result(enum fpg_log_level, const char *what,
	    const PGresult *, const PGconn *);
int	 fpg_db_set_local(struct fpg_db *, const char *name,
	    const char *value);
const char *fpg_db_local_sql(int n);
const char *fpg_db_local_name(int n);
enum fpg_err fpg_db_begin(struct fpg_db *);
enum fpg_err fpg_db_commit(struct fpg_db *);
enum fpg_err fpg_db_rollback(struct fpg_db *);
void	 fpg_db_end(struct fpg_db *);

/* --- list.c: declared lists, the SQL of each shape ------------------ */

#define FPG_LIST_PARAMS_MAX	(FPG_LIST_FILTERS_MAX + 3)	/* $n */
#define FPG_LIST_SQL_MAX	16384	/* bytes of one shape's SQL */
#define FPG_LIST_LIMIT_DEFAULT	20	/* rows without ?limit= */
#define FPG_LIST_LIMIT_MAX	1000	/* the schema's bound comes first */
#define FPG_LIST_IN_MAX		100	/* elements of an FPG_IN value */
#define FPG_CURSOR_MAX		1024	/* bytes of a cursor */
#define FPG_SORT_ID		(-1)	/* shape.sort: the id */
#define FPG_SORT_RANK		(-2)	/* shape.sort: the search's rank */

/*
 * A shape: what decides a list's SQL, and nothing else (no value).
 * Compared bytewise as the statement cache's key: zeroed before it is
 * filled, so padding compares equal.
 */
struct fpg_shape {
	const struct fpg_list	*list;
	uint32_t		 present;	/* filters given, by index */
	uint32_t		 truth;		/* FPG_BOOL ones that are true */
	int16_t			 sort;		/* sorts[i], or FPG_SORT_* */
	uint8_t			 desc;
	uint8_t			 cursor;	/* ?after= given */
};

/* One request's list statement (fpg_list_build). */
struct fpg_listq {
	struct fpg_shape	 shape;
	int			 limit;
	const char		*vals[FPG_LIST_PARAMS_MAX];	/* $1 .. */
	int			 nvals;
	struct fpg_buf		 sql;
	const char		*err_loc, *err_msg;	/* a 422's */
};

int	 fpg_list_check(const struct fpg_list *, char *err, size_t errsz);
int	 fpg_list_build(const struct fpg_list *, json_t *args,
	    struct fpg_arena *, struct fpg_listq *);
int	 fpg_cursor_decode(struct fpg_arena *, const char *cursor,
	    const char **key, const char **id);
const char *fpg_cursor_encode(struct fpg_arena *, const char *key,
	    const char *id);

/* --- jwt.c: JSON Web Tokens, verified and signed (libcrypto) -------- */

struct fpg_jwt;

/* What a verified token says; strings malloc'd (fpg_ident_clear). */
struct fpg_ident {
	char	*claims;	/* the payload, compact JSON */
	char	*sub;		/* sub as text, or NULL */
	char	*role;		/* JWT_ROLE_CLAIM, or NULL */
	char	*scope;		/* scope, space-separated, or NULL */
	int64_t	 exp;		/* INT64_MAX: none */
};

struct fpg_jwt *fpg_jwt_new(const struct fpg_conf *, char *err, size_t errsz);
void	 fpg_jwt_free(struct fpg_jwt *);
int	 fpg_jwt_has_key(const struct fpg_jwt *);
int64_t	 fpg_jwt_skew(const struct fpg_jwt *);
const char *fpg_jwt_verify(const struct fpg_jwt *, const char *tok,
	    size_t len, int64_t now, struct fpg_ident *);
enum fpg_err fpg_jwt_sign(const struct fpg_jwt *, json_t *claims, char *out,
	    size_t outsz);
void	 fpg_ident_clear(struct fpg_ident *);

/* --- jwk.c: base64url, keys from JWKs --------------------------------- */

long	 fpg_b64url_decode(const char *, size_t, unsigned char *, size_t);
size_t	 fpg_b64url_encode(const unsigned char *, size_t, char *);
struct evp_pkey_st;
struct evp_pkey_st *fpg_jwk_pkey(json_t *, int ec);
int	 fpg_jwk_fits(int ec, struct evp_pkey_st *);

/* --- auth.c: the bearer-token step, its per-thread cache ------------- */

/*
 * A token checked through the calling thread's cache (verified once,
 * then looked up until it expires).  Returns NULL with *out pointing
 * into the cache (valid until this thread's next check), or why not.
 */
const char *fpg_token_check(const struct fpg_jwt *, const char *tok,
	    size_t len, int64_t now, const struct fpg_ident **out);
/* Empties the calling thread's cache (a worker's end; tests). */
void	 fpg_token_cache_clear(void);
enum fpg_err fpg_auth_step(struct fpg_req *);

/* --- cors.c: CORS (the step, and preflights before the 405) ---------- */

enum fpg_err fpg_cors_step(struct fpg_req *);
/* FPG_OK when r is no preflight, else FPG_EANSWERED (204). */
enum fpg_err fpg_cors_preflight(struct fpg_req *, const char *allow);
/* A configuration CORS refuses ("*" with credentials): -1 + err. */
int	 fpg_cors_check(const struct fpg_conf *, char *err, size_t errsz);

/* --- etag.c: entity tags (RFC 9110 8.8.3, 13.1) ----------------------- */

int	 fpg_etag_list_valid(const char *);
int	 fpg_etag_match(const char *list, const char *etag, int strong);

/* --- the running resource -------------------------------------------- */

#define FPG_REPLICAS_MAX	16	/* DATABASE_READ_URL's URLs */

struct fpg_app {
	const struct fpg_resource	*res;
	struct fpg_conf			 conf;
	struct fpg_dbconf		 dbconf;
	/* read replicas (replica.c) */
	struct fpg_dbconf		 readconf[FPG_REPLICAS_MAX];
	char				 readwhat[FPG_REPLICAS_MAX][24];
	char				*readurls;	/* the URLs, split */
	int				 nread;
	struct fpg_router		 router;
	char				*openapi;	/* document text */
	char				 openapi_path[80];
	char				 ops_path[80];	/* /_fastpg/<name> */
	struct fpg_jwt			*jwt;		/* token rules, keys */
};

struct fpg_kv {
	char	*key;
	char	*val;
};

/* The parameters every request reads, found in one pass (io.c). */
enum fpg_env {
	FPG_ENV_METHOD, FPG_ENV_URI, FPG_ENV_QUERY, FPG_ENV_CTYPE,
	FPG_ENV_CLEN, FPG_ENV_REQUEST_ID, FPG_ENV_IF_NONE_MATCH,
	FPG_ENV_IF_MATCH, FPG_ENV_TRACEPARENT, FPG_ENV_AUTHORIZATION,
	FPG_ENV_ORIGIN, FPG_ENV_N
};

/*
 * A request.  In FastCGI mode fc is the worker's connection (fcgi.c);
 * in CGI mode it is NULL and stdio is used.
 */
struct fpg_req {
	const struct fpg_app	*app;
	struct fpg_fcgi		*fc;
	char			**envp;		/* CGI: NULL means environ */
	const char		*env[FPG_ENV_N];
	int			 env_indexed;
	const char		*bad_header;	/* a header we cannot read */
	int			 bad_auth;	/* Authorization too long or
						   with control bytes: 401 */
	FILE			*in, *out;	/* CGI: NULL means stdio */
	struct fpg_db		*db;		/* where statements run */
	struct fpg_db		*primary;	/* the worker's connections */
	struct fpg_db		*replica;	/* NULL: no replicas */
	const struct fpg_croute	*route;
	void			*local;		/* what the steps found */
	struct fpg_arena	 arena;
	long double		 arena0[96];	/* the arena's first 1.5 KB, aligned */
	int64_t			 start;
	int64_t			 parsed, validated;	/* when they ended */
	char			 method[16];
	char			*path;		/* decoded, for the log */
	char			*segs[FPG_SEGMENTS_MAX];
	size_t			 nsegs;
	struct fpg_kv		*query;
	size_t			 nquery;
	json_t			*path_args;	/* validated */
	int			 path_fast;	/* passed route->path_plan
						   instead: the segments are
						   the arguments */
	json_t			*query_args;	/* validated */
	char			*body;
	size_t			 bodylen;
	json_t			*body_json;
	char			 id[FPG_ID_MAX + 1];
	int			 id_hex;	/* id is 32 hex: a trace id */
	char			 trace[33];	/* W3C trace id, 32 hex */
	int			 sampled;	/* traceparent's flag 01 */
	char			 appname[64];	/* "<name> <trace>" */
	/* the caller (auth.c): borrowed from the token cache or the
	 * configuration, valid until the request ends */
	const char		*user, *role, *claims;
	/* response */
	int			 status;
	int			 answered;
	size_t			 bytes;
	struct fpg_buf		 hdrs;
};

/* handle.c: the request's way, from input to access log. */
void	 fpg_req_handle(struct fpg_req *);

/* io.c: FastCGI or CGI input and output. */
void	 fpg_io_index(struct fpg_req *);
const char *fpg_io_env(const struct fpg_req *, enum fpg_env);
const char *fpg_req_env(const struct fpg_req *, const char *);
const char *fpg_env_get(char **, const char *);
int	 fpg_req_read(struct fpg_req *, char *, size_t);
int	 fpg_req_write(struct fpg_req *, const char *, size_t);
int	 fpg_io_read_body(struct fpg_req *, size_t max);
void	 fpg_io_drain(struct fpg_req *);

/* req.c: parsing the request. */
void	 fpg_req_set_id(struct fpg_req *);
void	 fpg_req_set_trace(struct fpg_req *);
int	 fpg_req_parse_method(struct fpg_req *);
int	 fpg_req_parse_path(struct fpg_req *, const char *root);
int	 fpg_req_parse_query(struct fpg_req *);
int	 fpg_req_json_type(const char *content_type);
int	 fpg_req_form_type(const char *content_type);
enum fpg_err fpg_req_parse_form(struct fpg_req *);
enum fpg_err fpg_req_parse_body(struct fpg_req *);
void	 fpg_req_free(struct fpg_req *);

/* validate.c: path, query and body against the route's schemas. */
enum fpg_err fpg_validate(struct fpg_req *);
int	 fpg_args_coerce(struct fpg_req *, const struct fpg_schema *,
	    const char *where, struct fpg_kv *, size_t n, json_t **out,
	    json_t *errors);
/* args.c: the fast way for a simple path schema (struct fpg_argplan).
 * fpg_args_plan fills p from the schema's JSON and the template's
 * segments (p->n stays 0 when the schema is not that simple);
 * fpg_args_fast returns 1 when the path's segments pass p as they
 * would pass the validator, each as its own text: an integer only in
 * its canonical decimal form.  0 means "ask the validator". */
void	 fpg_args_plan(const json_t *schema, char *const *tsegs, size_t n,
	    struct fpg_argplan *p);
int	 fpg_args_fast(const struct fpg_argplan *, char *const *segs);

/* resp.c */
enum fpg_err fpg_send_validation(struct fpg_req *, json_t *errors);
/* sqlstate.c: a 422 with one value_error at where ("query.sort"). */
enum fpg_err fpg_send_value_error(struct fpg_req *, const char *where,
	    const char *msg);
/* query.c: a statement built at run time (list.c), keyed by shape. */
PGresult *fpg_exec_shape(struct fpg_req *, const void *key, size_t keylen,
	    const char *sql, int nparams, const char *const *values);

/* metrics.c: counters shared by the processes of a resource. */
enum fpg_metric {
	FPG_M_RECONNECTS, FPG_M_STMT_TIMEOUTS, FPG_M_RETRIES,
	FPG_M_UNAVAILABLE, FPG_M_OVERLOAD, FPG_M_TOKEN_HITS, FPG_M_TOKEN_MISSES,
	FPG_M_READ_REPLICA, FPG_M_READ_FALLBACK,
	FPG_M_N
};

int	 fpg_metrics_init(const char *dir, const char *name,
	    const struct fpg_router *, char *err, size_t errsz);
void	 fpg_metrics_begin(void);
void	 fpg_metrics_end(int route, int status, int64_t us, int64_t db_us);
void	 fpg_metrics_count(enum fpg_metric);
void	 fpg_metrics_db(int connected, int broken);
void	 fpg_metrics_text(struct fpg_buf *);

/* replica.c: reads on streaming replicas. */
int	 fpg_replica_conf(struct fpg_app *);
void	 fpg_replica_init(struct fpg_db *, const struct fpg_app *, int i,
	    int background);
int	 fpg_replica_tend(struct fpg_db *);
void	 fpg_replica_route(struct fpg_req *);
int	 fpg_replica_fallback(struct fpg_req *);

/* sqlstate.c: a database failure's answer. */
enum fpg_err fpg_send_db_error(struct fpg_req *);

/* serve.c: the FastCGI workers. */
void	 fpg_serve_signals(void);
int	 fpg_fd_listening(int);
int	 fpg_serve_fcgi(const struct fpg_app *, int fd);

/* openapi.c */
char	*fpg_openapi_build(const struct fpg_resource *,
	    const struct fpg_router *, const char *root_path,
	    char *err, size_t errsz);

/* openapi_shape.c: the document as generated clients read it. */
int	 fpg_openapi_opid(const char *method, const char *path, char *buf,
	    size_t sz);			/* 0, -1: buf too small */
int	 fpg_openapi_name_ok(const char *);
void	 fpg_openapi_open_objects(json_t *, int map);
int	 fpg_openapi_name_schema(json_t *schemas, json_t *holder,
	    const char *fallback, char *err, size_t errsz);
int	 fpg_openapi_shape_op(json_t *op, json_t *schemas, char *err,
	    size_t errsz);

#endif /* FPG_EXTERN_H */
