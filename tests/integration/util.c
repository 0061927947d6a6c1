/*
 * util.c -- helpers shared by the integration tests (see util.h).
 */
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "util.h"


static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	char	**buf = arg;
	size_t	*len = (size_t *)(buf + 1);
	char	*nb = realloc(*buf, *len + sz * n + 1);

	ck_assert_ptr_nonnull(nb);
	memcpy(nb + *len, p, sz * n);
	*len += sz * n;
	nb[*len] = '\0';
	*buf = nb;
	return sz * n;
}

static int
has_header(const char *const *hdrs, const char *name)
{
	for (; hdrs && *hdrs; hdrs++)
		if (strncasecmp(*hdrs, name, strlen(name)) == 0)
			return 1;
	return 0;
}

static void	assert_no_leak(const struct resp *, const char *, const char *);

/* The token http() sends when the caller names no Authorization. */
static char	*bearer;
static int	 want_admin;
static void	 admin_once(void);

/*
 * Sends method path (appended to BASE_URL, sent as is) with an optional
 * body and extra headers (NULL-terminated); the answer is parsed as
 * JSON when it is JSON.
 */
struct resp
http(const char *method, const char *path, const char *body, size_t blen,
    const char *const *hdrs)
{
	struct resp	 r;
	char		 url[8192];
	CURL		*c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct { char *p; size_t n; } b = { NULL, 0 }, h = { NULL, 0 };

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s%s", getenv("BASE_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	/* A POST without a body still says Content-Length: 0, as real
	 * clients do (lighttpd answers 411 otherwise). */
	if (body == NULL && (strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen);
	}
	if (body != NULL && !has_header(hdrs, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/json");
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (want_admin && !has_header(hdrs, "Authorization"))
		admin_once();
	if (bearer != NULL && !has_header(hdrs, "Authorization")) {
		char	 a[8192];

		snprintf(a, sizeof(a), "Authorization: Bearer %s", bearer);
		hl = curl_slist_append(hl, a);
	}
	for (; hdrs && *hdrs; hdrs++)
		hl = curl_slist_append(hl, *hdrs);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r.body = b.p ? b.p : strdup("");
	r.len = b.n;
	r.hdrs = h.p ? h.p : strdup("");
	r.hlen = h.n;
	r.json = json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL);
	assert_no_leak(&r, method, path);
	return r;
}

/*
 * Every error answer of every test passes here: a JSON body with a
 * "detail", and nothing of the server's insides (SQL, constraint
 * names, file paths, PostgreSQL's messages).
 */
static void
assert_no_leak(const struct resp *r, const char *method, const char *path)
{
	static const char *const never[] = { "SELECT", "INSERT", "UPDATE ",
	    "DELETE FROM", "_key", "_fkey", "_check", "_pkey", "ERROR:",
	    "SQLSTATE", "violates", "relation ", "syntax error", "/usr/",
	    "/tmp/", "/var/", ".c:", "postgres", "libpq", "duplicate key",
	    "<html", "<HTML", NULL };
	size_t i;

	if (r->status < 400)
		return;
	ck_assert_msg(r->json != NULL || (r->len == 0 &&
	    strcmp(method, "HEAD") == 0), "%s %s: %ld with a body that is "
	    "not JSON: %.200s", method, path, r->status, r->body);
	if (r->json != NULL)
		ck_assert_msg(json_object_get(r->json, "detail") != NULL,
		    "%s %s: %ld without detail: %.200s", method, path,
		    r->status, r->body);
	for (i = 0; never[i]; i++)
		ck_assert_msg(strstr(r->body, never[i]) == NULL, "%s %s: %ld "
		    "shows \"%s\": %.300s", method, path, r->status, never[i],
		    r->body);
}

struct resp
get(const char *path)
{
	return http("GET", path, NULL, 0, NULL);
}

struct resp
send_json(const char *method, const char *path, const char *body)
{
	return http(method, path, body, strlen(body), NULL);
}

void
resp_free(struct resp *r)
{
	free(r->body);
	free(r->hdrs);
	json_decref(r->json);
}

/* A response header's value (case-insensitive name), copied, or NULL. */
char *
header(const struct resp *r, const char *name)
{
	const char	*p = r->hdrs;
	size_t		 n = strlen(name);

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			return strndup(v, strcspn(v, "\r\n"));
		}
	}
	return NULL;
}

void
assert_header(const struct resp *r, const char *name, const char *want)
{
	char *v = header(r, name);

	ck_assert_msg(v != NULL, "no %s header in:\n%s", name, r->hdrs);
	if (want != NULL)
		ck_assert_str_eq(v, want);
	free(v);
}

/* The {"detail": "..."} string of an error answer. */
const char *
detail(const struct resp *r)
{
	const char *d = json_string_value(json_object_get(r->json, "detail"));

	ck_assert_msg(d != NULL, "no string detail in %s", r->body);
	return d;
}

/* The first 422 detail item's type, loc and msg checked. */
void
assert_422(const struct resp *r, const char *type, const char *loc)
{
	json_t	*items = json_object_get(r->json, "detail"), *it;
	size_t	 i;
	char	*l;

	ck_assert_msg(r->status == 422, "status %ld: %s", r->status, r->body);
	ck_assert_msg(json_is_array(items) && json_array_size(items) > 0,
	    "no detail list: %s", r->body);
	json_array_foreach(items, i, it) {
		l = json_dumps(json_object_get(it, "loc"), JSON_COMPACT);
		if (strcmp(json_string_value(json_object_get(it, "type")),
		    type) == 0 && strcmp(l, loc) == 0) {
			ck_assert_ptr_nonnull(json_string_value(
			    json_object_get(it, "msg")));
			free(l);
			return;
		}
		free(l);
	}
	ck_abort_msg("no %s at %s in %s", type, loc, r->body);
}

PGconn *
db(void)
{
	PGconn *c = PQconnectdb(getenv("DB_URL"));

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "db: %s",
	    PQerrorMessage(c));
	return c;
}

/* The first value of a query's first row, as a long. */
long
db_long(const char *sql)
{
	PGconn		*c = db();
	PGresult	*r = PQexec(c, sql);
	long		 v;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}


/*
 * POST /token as email with password (form-encoded, no bearer sent);
 * the access token, which the caller frees.  Fails the test unless 200.
 */
char *
login(const char *email, const char *password)
{
	static const char *const h[] = { "Authorization:",
	    "Content-Type: application/x-www-form-urlencoded", NULL };
	CURL		*c = curl_easy_init();
	char		*e = curl_easy_escape(c, email, 0);
	char		*p = curl_easy_escape(c, password, 0), body[1024], *tok;
	struct resp	 r;

	snprintf(body, sizeof(body), "grant_type=password&username=%s&"
	    "password=%s", e, p);
	curl_free(e);
	curl_free(p);
	curl_easy_cleanup(c);
	r = http("POST", "/token", body, strlen(body), h);
	ck_assert_msg(r.status == 200, "login %s: %ld %s", email, r.status,
	    r.body);
	tok = strdup(json_string_value(json_object_get(r.json,
	    "access_token")));
	resp_free(&r);
	return tok;
}

/*
 * Registers a new customer, email <prefix>-<pid>-<n>@example.com and
 * password PASSWORD; its email, which the caller frees.
 */
char *
register_user(const char *prefix)
{
	static int	 n;
	char		 email[256], body[512];
	struct resp	 r;

	snprintf(email, sizeof(email), "%s-%ld-%d-%d@example.com", prefix,
	    (long)getpid(), (int)time(NULL) % 100000, ++n);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, PASSWORD);
	r = send_json("POST", "/users", body);
	ck_assert_msg(r.status == 201, "register %s: %ld %s", email, r.status,
	    r.body);
	resp_free(&r);
	return strdup(email);
}

/* From now on http() sends tok (NULL: no token) unless told otherwise. */
void
use_token(const char *tok)
{
	free(bearer);
	bearer = tok ? strdup(tok) : NULL;
}

/*
 * The suite writes items or orders as the first shop_admin
 * (FASTPG_ADMIN_EMAIL, FASTPG_ADMIN_PASSWORD: tests/run-tests.sh):
 * each test process logs in at its first request (Check's asserts work
 * only inside a test), once even when threads race to it.
 */
void
as_admin(void)
{
	want_admin = 1;
}

static void
admin_once(void)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	char			*t;

	pthread_mutex_lock(&mu);
	if (want_admin) {
		t = admin_token();
		use_token(t);
		free(t);
		want_admin = 0;
	}
	pthread_mutex_unlock(&mu);
}

/* The admin's token (a new login each call); the caller frees. */
char *
admin_token(void)
{
	const char *e = getenv("FASTPG_ADMIN_EMAIL");

	return login(e ? e : "admin@example.com",
	    getenv("FASTPG_ADMIN_PASSWORD") ? getenv("FASTPG_ADMIN_PASSWORD") :
	    "");
}

/* Runs a suite with the environment checked; the process exit status. */
int
run_suite(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	if (getenv("BASE_URL") == NULL || getenv("DB_URL") == NULL) {
		fprintf(stderr, "BASE_URL and DB_URL must be set "
		    "(run through tests/run-tests.sh)\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? 1 : 0;
}

/*
 * Runs the items binary of BIN_DIR once as CGI, GET /items/1, with the
 * environment env (NAME=value words) and nothing else: its answer to
 * out, its stderr (the log) to log.  Returns what pclose returned.
 */
int
run_cgi(const char *env, char *out, size_t outsz, char *log, size_t logsz)
{
	char	 cmd[4096], errf[] = "/tmp/fastpg-cgi-XXXXXX";
	FILE	*p, *f;
	size_t	 n;
	int	 fd = mkstemp(errf);

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "env -i PATH=/usr/bin:/bin "
	    "GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET "
	    "REQUEST_URI=/items/1 %s %s/items </dev/null 2>%s", env,
	    getenv("BIN_DIR"), errf);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	fd = pclose(p);
	ck_assert_ptr_nonnull(f = fopen(errf, "r"));
	n = fread(log, 1, logsz - 1, f);
	log[n] = '\0';
	fclose(f);
	unlink(errf);
	return fd;
}
