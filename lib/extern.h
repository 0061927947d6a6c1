/*
 * extern.h -- libfastpg's private declarations (not installed).
 */
#ifndef FPG_EXTERN_H
#define FPG_EXTERN_H

#include <stdint.h>
#include <stdio.h>
#include <fcgiapp.h>

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
	char	*root_path;	/* ROOT_PATH: mount prefix stripped */
	int	 pool_size;	/* POOL_SIZE worker threads */
	int	 max_overflow;	/* MAX_OVERFLOW extra, lazily connected */
	long	 statement_timeout; /* STATEMENT_TIMEOUT, milliseconds */
	size_t	 max_body;	/* MAX_BODY_SIZE, bytes */
	int	 log_level;	/* LOG_LEVEL */
	int	 prepare;	/* DB_PREPARE: named prepared statements */
};

int	 fpg_conf_load(struct fpg_conf *, const char *envfile,
	    char *err, size_t errsz);
int	 fpg_conf_parse_line(char *line, char **key, char **val);
void	 fpg_conf_free(struct fpg_conf *);
int	 fpg_strtonum(const char *, long long min, long long max,
	    long long *out);

extern int	fpg_log_level;
void	 fpg_log_access(const struct fpg_req *, long usec);
size_t	 fpg_escape(char *dst, size_t dstsz, const char *src, size_t len);

/* A compiled route. */
struct fpg_croute {
	const struct fpg_route	*def;
	char			*segs[FPG_SEGMENTS_MAX];
	size_t			 nsegs;
	json_t			*path_json, *query_json;	/* schema JSON */
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

/* One database connection, owned by one worker thread. */
struct fpg_db {
	PGconn			*conn;
	const struct fpg_stmt	*stmts;
	const char		*name;
	int			 lazy;		/* overflow: close when idle */
	int64_t			 next_try;	/* monotonic µs */
	int			 backoff_ms;
};

void	 fpg_db_init(struct fpg_db *, const struct fpg_stmt *,
	    const char *name, int lazy);
int	 fpg_db_connect(struct fpg_db *);
void	 fpg_db_close(struct fpg_db *);
int64_t	 fpg_now_us(void);

struct fpg_kv {
	char	*key;
	char	*val;
};

/*
 * A request.  In FastCGI mode fr is the worker's FCGX_Request; in CGI
 * mode it is NULL and stdio is used.
 */
/* The parameters every request reads, found in one pass (req.c). */
enum fpg_env {
	FPG_ENV_METHOD, FPG_ENV_URI, FPG_ENV_QUERY, FPG_ENV_CTYPE,
	FPG_ENV_CLEN, FPG_ENV_REQUEST_ID, FPG_ENV_IF_NONE_MATCH,
	FPG_ENV_IF_MATCH, FPG_ENV_N
};

struct fpg_req {
	FCGX_Request		*fr;
	char			**envp;		/* CGI: NULL means environ */
	const char		*env[FPG_ENV_N];
	int			 env_indexed;
	FILE			*in, *out;	/* CGI: NULL means stdio */
	struct fpg_db		*db;
	const struct fpg_croute	*route;
	struct fpg_arena	 arena;
	long double		 arena0[96];	/* the arena's first 1.5 KB, aligned */
	int64_t			 start;
	char			 method[16];
	char			*path;		/* decoded, for the log */
	char			*segs[FPG_SEGMENTS_MAX];
	size_t			 nsegs;
	struct fpg_kv		*query;
	size_t			 nquery;
	json_t			*path_args;	/* validated */
	json_t			*query_args;	/* validated */
	char			*body;
	size_t			 bodylen;
	json_t			*body_json;
	char			 id[FPG_ID_MAX + 1];
	/* response */
	int			 status;
	int			 answered;
	size_t			 bytes;
	struct fpg_buf		 hdrs;
	/* database */
	char			 sqlstate[6];
	char			 constraint[64];
	char			 table[64];
	char			 message[256];	/* FPnnn errors only */
	char			 hint[64];	/* FPnnn errors only */
	int			 in_tx;
};

void	 fpg_req_handle(struct fpg_req *);
int	 fpg_req_read(struct fpg_req *, char *, size_t);
int	 fpg_req_write(struct fpg_req *, const char *, size_t);
const char *fpg_req_env(const struct fpg_req *, const char *);
int	 fpg_send_validation(struct fpg_req *, json_t *errors);
int	 fpg_send_db_error(struct fpg_req *);
int	 fpg_args_coerce(struct fpg_req *, const json_t *schema,
	    const char *where, struct fpg_kv *, size_t n, json_t **out,
	    json_t *errors);
void	 fpg_db_after(struct fpg_req *);

char	*fpg_openapi_build(const struct fpg_resource *,
	    const struct fpg_router *, char *err, size_t errsz);

/* Global state of the running resource. */
struct fpg_app {
	const struct fpg_resource	*res;
	struct fpg_conf			 conf;
	struct fpg_router		 router;
	char				*openapi;	/* document text */
	char				 openapi_path[80];
};

extern struct fpg_app	fpg_app;

#endif /* FPG_EXTERN_H */
