/*
 * util.h -- what every integration test needs: HTTP through the web
 * server under test (BASE_URL), and a look at the database (DB_URL).
 */
#ifndef IT_UTIL_H
#define IT_UTIL_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

struct resp {
	long	 status;
	char	*body;
	size_t	 len;
	char	*hdrs;
	size_t	 hlen;
	json_t	*json;
};

struct resp	 http(const char *method, const char *path, const char *body,
		    size_t blen, const char *const *hdrs);
struct resp	 get(const char *path);
struct resp	 send_json(const char *method, const char *path,
		    const char *body);
void		 resp_free(struct resp *);
char		*header(const struct resp *, const char *name);
void		 assert_header(const struct resp *, const char *name,
		    const char *want);
const char	*detail(const struct resp *);
void		 assert_422(const struct resp *, const char *type,
		    const char *loc);
PGconn		*db(void);
long		 db_long(const char *sql);
int		 run_suite(Suite *);
int		 run_cgi(const char *env, char *out, size_t outsz, char *log,
		    size_t logsz);

/* Users and tokens: every registered test user has this password. */
#define PASSWORD	"test-password-1"
char		*login(const char *email, const char *password);
char		*register_user(const char *prefix);
void		 use_token(const char *);
void		 as_admin(void);
char		*admin_token(void);

#endif
