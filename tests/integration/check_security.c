/*
 * check_security.c -- least privilege, secrets, timeouts and hostile
 * input, over real HTTP and against the real database.
 *
 * Environment as for every integration test (util.h), plus BIN_DIR.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The responders' login role: no DDL, and no table of its own. */
START_TEST(app_role_cannot_ddl)
{
	char		 url[1024];
	PGconn		*c;
	PGresult	*r;
	const char	*st;

	snprintf(url, sizeof(url), "%s&user=fastpg_app", getenv("DB_URL"));
	c = PQconnectdb(url);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, "CREATE TABLE intruder (x int)");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	ck_assert_str_eq(st, "42501");
	PQclear(r);
	r = PQexec(c, "DROP TABLE items");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(c, "ALTER TABLE items ADD COLUMN x int");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	/* The authenticator (LOGIN NOINHERIT) reads nothing as itself;
	 * its sessions start as the anonymous role (the role's default),
	 * which may read items, and it can become no role that was not
	 * granted to it. */
	r = PQexec(c, "SELECT current_user");
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "shop_anon");
	PQclear(r);
	r = PQexec(c, "BEGIN; SET LOCAL ROLE NONE; SELECT count(*) FROM items");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	r = PQexec(c, "BEGIN; SET LOCAL ROLE shop_anon; SELECT count(*) FROM items");
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	r = PQexec(c, "BEGIN; SET LOCAL ROLE shop_anon; SELECT password_hash FROM users");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	r = PQexec(c, "SET ROLE fastpg");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(c, "SELECT count(*) FROM schema_migrations");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	PQfinish(c);
}
END_TEST

/* A password in DATABASE_URL never reaches the log nor the client. */
START_TEST(password_never_logged)
{
	char out[4096], log[8192];
	int rc;

	rc = run_cgi("DATABASE_URL='postgresql://bob:Sup3rS3cretPw@/nowhere?"
	    "host=/nonexistent-dir'", out, sizeof(out), log, sizeof(log));
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strncmp(out, "Status: 503", 11) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(log, "cannot connect"));
	ck_assert_msg(strstr(log, "Sup3rS3cretPw") == NULL, "%s", log);
	ck_assert_ptr_null(strstr(out, "Sup3rS3cretPw"));
	/* A URL libpq refuses stops the start, naming only the variable. */
	rc = run_cgi("DATABASE_URL='postgresql://bob:Sup3rS3cretPw@[::1'", out,
	    sizeof(out), log, sizeof(log));
	ck_assert_int_eq(WEXITSTATUS(rc), 1);
	ck_assert_ptr_nonnull(strstr(log, "DATABASE_URL"));
	ck_assert_msg(strstr(log, "Sup3rS3cretPw") == NULL, "%s", log);
	rc = run_cgi("POOL_SIZE=0", out, sizeof(out), log, sizeof(log));
	ck_assert_int_eq(WEXITSTATUS(rc), 1);
	ck_assert_ptr_nonnull(strstr(log, "POOL_SIZE"));
}
END_TEST

/* A statement past STATEMENT_TIMEOUT is 504, and the connection serves
 * the next request.  The slow statement is a PATCH waiting on a row
 * lock this test holds. */
START_TEST(statement_timeout_504)
{
	PGconn		*c = db();
	PGresult	*res;
	struct resp	 r;
	char		 path[64];
	long		 id;
	time_t		 t0;

	r = send_json("POST", "/items", "{\"sku\":\"LOCKED-1\",\"name\":\"x\","
	    "\"price\":1}");
	ck_assert_int_eq(r.status, 201);
	id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/items/%ld", id);
	res = PQexec(c, "BEGIN");
	PQclear(res);
	{
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT 1 FROM items WHERE id = %ld "
		    "FOR UPDATE", id);
		res = PQexec(c, sql);
		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		PQclear(res);
	}
	t0 = time(NULL);
	r = send_json("PATCH", path, "{\"stock\":3}");
	ck_assert_msg(r.status == 504, "%ld %s", r.status, r.body);
	ck_assert_msg(time(NULL) - t0 <= 8, "took %ld s", (long)(time(NULL) -
	    t0));
	resp_free(&r);
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);
	/* The same connections answer again, and nothing was changed. */
	r = send_json("PATCH", path, "{\"stock\":4}");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = get(path);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "stock")),
	    4);
	resp_free(&r);
}
END_TEST

/* Hostile input: each answered with a status and a JSON error, nothing
 * written, and the next request served. */
START_TEST(hostile_inputs)
{
	static const char *const bodies[] = {
	    "{\"sku\":\"a\",\"name\":\"n\",\"price\":1e400}",
	    "{\"sku\":\"a\",\"name\":\"n\",\"price\":99999999999999999999999}",
	    "{\"sku\":\"a\\u0000b\",\"name\":\"n\",\"price\":1}",
	    "{\"sku\":\"a\",\"name\":\"n\",\"price\":1,\"stock\":-1}",
	    "{\"sku\":\"'; DROP TABLE items; --\",\"name\":\"n\",\"price\":1}",
	    "{\"sku\":\"ok\",\"name\":\"n\",\"price\":\"1 OR 1=1\"}",
	    "{\"sku\":\"ok\",\"name\":\"n\",\"price\":1,\"stock\":9223372036854775808}",
	    "\xff\xfe{}",
	    "{\"sku\":\"a\",",
	    NULL
	};
	long		 before = db_long("SELECT count(*) FROM items");
	struct resp	 r;
	char		*deep;
	size_t		 i;

	for (i = 0; bodies[i]; i++) {
		r = send_json("POST", "/items", bodies[i]);
		ck_assert_msg(r.status == 422 || r.status == 400, "%s: %ld %s",
		    bodies[i], r.status, r.body);
		resp_free(&r);
	}
	/* 10,000 levels of nesting */
	deep = malloc(20001);
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = '\0';
	r = send_json("POST", "/items", deep);
	ck_assert_int_eq(r.status, 422);
	resp_free(&r);
	free(deep);
	/* thousands of query parameters */
	{
		size_t	 n = 3000, o = 0;
		char	*q = malloc(n * 8 + 16);

		o += (size_t)sprintf(q, "/items?");
		for (i = 0; i < n; i++)
			o += (size_t)sprintf(q + o, "x%zu=1&", i);
		q[o - 1] = '\0';
		r = get(q);
		/* ours 400, nginx 414, lighttpd 431 */
		ck_assert_msg(r.status == 400 || r.status == 414 ||
		    r.status == 431, "status %ld", r.status);
		resp_free(&r);
		free(q);
	}
	/* header values with CR/LF cannot split our response */
	{
		const char *h[] = { "X-Request-ID: abc%0d%0aSet-Cookie: x=1",
		    NULL };

		r = http("GET", "/items/1", NULL, 0, h);
		ck_assert_ptr_null(header(&r, "Set-Cookie"));
		resp_free(&r);
	}
	ck_assert_int_eq(db_long("SELECT count(*) FROM items"), before);
	r = get("/items?limit=1");
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

/* Sends raw bytes to the web server; returns its whole answer. */
static char *
raw(const char *req, size_t len)
{
	struct sockaddr_in	 sin;
	const char		*base = getenv("BASE_URL"), *colon;
	char			*out = calloc(1, 65536);
	size_t			 got = 0, off;
	ssize_t			 n;
	int			 fd;

	colon = strrchr(base, ':');
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, req + off, len - off)) <= 0)
			break;
	shutdown(fd, SHUT_WR);
	while (got < 65535 && (n = read(fd, out + got, 65535 - got)) > 0)
		got += (size_t)n;
	close(fd);
	return out;
}

/* The answer's status, and its body must be {"detail": ...}. */
static int
raw_status_json(const char *req, size_t len)
{
	char	*a = raw(req, len), *body;
	int	 st;
	json_t	*j;

	ck_assert_msg(strncmp(a, "HTTP/1.", 7) == 0, "%.200s", a);
	st = atoi(a + 9);
	body = strstr(a, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	j = json_loads(body + 4, JSON_DISABLE_EOF_CHECK, NULL);
	ck_assert_msg(j != NULL && json_is_string(json_object_get(j,
	    "detail")), "%d without a JSON detail: %.300s", st, a);
	ck_assert_msg(strstr(a, "nginx/") == NULL, "server version shown");
	json_decref(j);
	free(a);
	return st;
}

/* What the web server answers itself is JSON too (nginx configs). */
START_TEST(server_errors_are_json)
{
	const char	*garbage = "GARBAGE\r\n\r\n";
	const char	*trace = "TRACE /items HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	char		*big;
	size_t		 n;
	int		 st;

	if (strcmp(getenv("SERVER") ? getenv("SERVER") : "nginx",
	    "nginx") != 0)
		return;

	st = raw_status_json(garbage, strlen(garbage));
	ck_assert_int_eq(st, 400);
	st = raw_status_json(trace, strlen(trace));
	ck_assert_int_eq(st, 405);
	n = 20000;
	big = malloc(n + 100);
	n = (size_t)sprintf(big, "GET /items?q=");
	memset(big + n, 'a', 16000);
	n += 16000;
	n += (size_t)sprintf(big + n, " HTTP/1.1\r\nHost: x\r\nConnection: "
	    "close\r\n\r\n");
	st = raw_status_json(big, n);
	ck_assert_msg(st == 414 || st == 400, "%d", st);
	free(big);
	big = malloc(120000);
	n = (size_t)sprintf(big, "GET /items HTTP/1.1\r\nHost: x\r\n"
	    "X-Big: ");
	memset(big + n, 'b', 100000);
	n += 100000;
	n += (size_t)sprintf(big + n, "\r\nConnection: close\r\n\r\n");
	st = raw_status_json(big, n);
	ck_assert_msg(st == 400 || st == 431 || st == 494, "%d", st);
	free(big);
}
END_TEST

/* A client sending its body one byte a second: the web server buffers
 * it, so no responder thread waits on it meanwhile. */
static volatile int slow_done;

static void *
slow_client(void *arg)
{
	struct sockaddr_in	 sin;
	const char		*base = getenv("BASE_URL"), *colon;
	const char		*head = "POST /items HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n";
	int			 fd, i;

	(void)arg;
	colon = strrchr(base, ':');
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, head, strlen(head)) > 0)
		for (i = 0; i < 4 && !slow_done; i++) {
			(void)!write(fd, "{", 1);
			sleep(1);
		}
	close(fd);
	return NULL;
}

START_TEST(slow_client_holds_no_thread)
{
	pthread_t	 t[8];
	struct resp	 r;
	int		 i;
	time_t		 t0;

	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, slow_client, NULL);
	usleep(300000);
	/* 8 slow clients, more than the responders' threads: the rest
	 * are still served at once. */
	t0 = time(NULL);
	for (i = 0; i < 20; i++) {
		r = get("/items?limit=1");
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	ck_assert_msg(time(NULL) - t0 <= 2, "served slowly: %ld s",
	    (long)(time(NULL) - t0));
	slow_done = 1;
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("security");
	TCase	*t = tcase_create("security");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, app_role_cannot_ddl);
	tcase_add_test(t, password_never_logged);
	tcase_add_test(t, statement_timeout_504);
	tcase_add_test(t, hostile_inputs);
	tcase_add_test(t, server_errors_are_json);
	tcase_add_test(t, slow_client_holds_no_thread);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	as_admin();
	return run_suite(suite());
}
