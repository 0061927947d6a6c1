/*
 * check_signals.c -- a responder of its own, spoken to in FastCGI
 * directly (no web server): SIGTERM under load lets every request in
 * flight finish and exits 0 within a bound; more worker threads than
 * PostgreSQL's max_connections allows means 503s for some, never a
 * crash.
 *
 * Environment as util.h, plus BIN_DIR and STACK_DIR (the test stack's
 * folder, for sockets) and APP_DB_URL (the responders' DATABASE_URL).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static char sockpath[100];

/* Starts BIN_DIR/items --listen sockpath with extra environment. */
static pid_t
start_responder(const char *pool)
{
	pid_t	 pid;
	int	 i;

	snprintf(sockpath, sizeof(sockpath), "%s/run/signals-%d.sock",
	    getenv("STACK_DIR"), (int)getpid());
	unlink(sockpath);
	if ((pid = fork()) == 0) {
		char bin[512];

		snprintf(bin, sizeof(bin), "%s/items", getenv("BIN_DIR"));
		setenv("DATABASE_URL", getenv("APP_DB_URL"), 1);
		setenv("POOL_SIZE", pool, 1);
		setenv("LOG_LEVEL", "error", 1);
		setenv("STATEMENT_TIMEOUT", "10s", 1);
		/* As the stack's responders: tokens and the anonymous role
		 * (JWT_SECRET comes from tests/run-tests.sh). */
		setenv("JWT_ANON_ROLE", "shop_anon", 1);
		execl(bin, "items", "--listen", sockpath, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sockpath, F_OK) != 0; i++)
		usleep(50000);
	ck_assert_int_eq(access(sockpath, F_OK), 0);
	return pid;
}

static void
put_len(unsigned char **p, size_t n)
{
	if (n < 128)
		*(*p)++ = (unsigned char)n;
	else {
		*(*p)++ = (unsigned char)(0x80 | (n >> 24));
		*(*p)++ = (unsigned char)(n >> 16);
		*(*p)++ = (unsigned char)(n >> 8);
		*(*p)++ = (unsigned char)n;
	}
}

static void
record(int fd, int type, const void *data, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1,
	    (unsigned char)(len >> 8), (unsigned char)len, 0, 0 };

	ck_assert_int_eq(write(fd, h, 8), 8);
	if (len)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
}

/*
 * One FastCGI request to the responder: params as NAME=VALUE strings,
 * an optional body.  Returns the status parsed from its answer, or -1
 * when the connection was refused or dropped.
 */
static int
fcgi(const char *const *params, const char *body)
{
	struct sockaddr_un	 sun;
	unsigned char		 buf[8192], *p = buf, h[8];
	char			 out[65536];
	size_t			 olen = 0;
	int			 fd, status = -1;
	static const unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	record(fd, 1, begin, 8);
	for (; *params; params++) {
		const char *eq = strchr(*params, '=');

		put_len(&p, (size_t)(eq - *params));
		put_len(&p, strlen(eq + 1));
		memcpy(p, *params, (size_t)(eq - *params));
		p += eq - *params;
		memcpy(p, eq + 1, strlen(eq + 1));
		p += strlen(eq + 1);
	}
	record(fd, 4, buf, (size_t)(p - buf));
	record(fd, 4, NULL, 0);
	if (body && *body)
		record(fd, 5, body, strlen(body));
	record(fd, 5, NULL, 0);
	for (;;) {
		size_t	 len, got = 0;
		ssize_t	 n;

		if (read(fd, h, 8) != 8)
			break;
		len = (size_t)h[4] << 8 | h[5];
		len += h[6];
		while (got < len && (n = read(fd, buf + got, len - got)) > 0)
			got += (size_t)n;
		if (h[1] == 6 && olen + len - h[6] < sizeof(out)) {
			memcpy(out + olen, buf, len - h[6]);
			olen += len - h[6];
		}
		if (h[1] == 3) {
			out[olen] = '\0';
			if (strncmp(out, "Status: ", 8) == 0)
				status = atoi(out + 8);
			break;
		}
	}
	close(fd);
	return status;
}

struct call {
	const char	*path;
	const char	*body;
	int		 status;
};

/* HTTP_AUTHORIZATION=Bearer <the admin's token>, for the PATCHes. */
static char	authz[4096];

static void *
caller(void *arg)
{
	struct call	*c = arg;
	char		 uri[128], clen[48];
	const char	*get[] = { "REQUEST_METHOD=GET", uri, "QUERY_STRING=",
	    "CONTENT_LENGTH=", NULL };
	const char	*patch[] = { "REQUEST_METHOD=PATCH", uri,
	    "QUERY_STRING=", "CONTENT_TYPE=application/json", clen, authz,
	    NULL };

	snprintf(uri, sizeof(uri), "REQUEST_URI=%s", c->path);
	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu",
	    c->body ? strlen(c->body) : 0);
	c->status = fcgi(c->body ? patch : get, c->body);
	return NULL;
}

/* SIGTERM with requests in flight: they finish, then exit 0. */
START_TEST(sigterm_finishes_in_flight)
{
	char		*tok = admin_token();
	pid_t		 pid = start_responder("4");
	PGconn		*c = db();
	PGresult	*res;
	pthread_t	 t[3], tl;
	struct call	 calls[3], late;
	struct resp	 r;
	char		 path[64], sql[128];
	long		 id;
	int		 i, st, waited;

	snprintf(authz, sizeof(authz), "HTTP_AUTHORIZATION=Bearer %s", tok);
	free(tok);
	r = send_json("POST", "/items", "{\"sku\":\"SIGTERM-1\",\"name\":\"x\","
	    "\"price\":1}");
	ck_assert_int_eq(r.status, 201);
	id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/items/%ld", id);
	/* Hold the row: the PATCHes wait on it, in flight. */
	PQclear(PQexec(c, "BEGIN"));
	snprintf(sql, sizeof(sql), "SELECT 1 FROM items WHERE id = %ld FOR "
	    "UPDATE", id);
	res = PQexec(c, sql);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	for (i = 0; i < 3; i++) {
		calls[i].path = path;
		calls[i].body = "{\"stock\":1}";
		pthread_create(&t[i], NULL, caller, &calls[i]);
	}
	usleep(500000);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	usleep(300000);
	/* A request after SIGTERM is not taken (the kernel may queue the
	 * connection; nobody answers it) ... */
	late.path = path;
	late.body = NULL;
	late.status = 0;
	pthread_create(&tl, NULL, caller, &late);
	usleep(300000);
	/* ... and what was in flight completes once the row is free. */
	PQclear(PQexec(c, "COMMIT"));
	PQfinish(c);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(calls[i].status, 200);
	}
	pthread_join(tl, NULL);
	ck_assert_msg(late.status == -1, "answered after SIGTERM: %d",
	    late.status);
	for (waited = 0; waited < 50; waited++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	ck_assert_msg(waited < 50, "still running 5 s after SIGTERM");
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	fprintf(stderr, "signals: 3 requests in flight finished, exit 0 "
	    "%d ms after they did\n", waited * 100);
	unlink(sockpath);
}
END_TEST

/*
 * systemd socket activation, as systemd-socket-activate(1) does it (no
 * running systemd needed): it binds the socket, sets LISTEN_FDS=1 and
 * LISTEN_PID and execs the responder with the socket on fd 3 and
 * nothing on fd 0 -- so a responder that did not take fd 3 would exit
 * at once (no socket, not CGI).  It answers, then SIGTERM stops it
 * cleanly (exit 0) within a few seconds.
 */
START_TEST(systemd_socket_activation)
{
	const char	*env[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS",
	    "LSAN_OPTIONS", "JWT_SECRET" };
	struct call	 list = { "/items?limit=1", NULL, 0 };
	struct call	 missing = { "/no/such/path", NULL, 0 };
	char		 dburl[512], *argv[32];
	pid_t		 pid;
	int		 i, n, ok = 0, st, waited;

	snprintf(sockpath, sizeof(sockpath), "%s/run/activate-%d.sock",
	    getenv("STACK_DIR"), (int)getpid());
	unlink(sockpath);
	snprintf(dburl, sizeof(dburl), "DATABASE_URL=%s", getenv("APP_DB_URL"));
	if ((pid = fork()) == 0) {
		char bin[512], *envs[4], sa[] = "systemd-socket-activate",
		    l[] = "-l", e[] = "-E", pool[] = "POOL_SIZE=2",
		    level[] = "LOG_LEVEL=error", anon[] = "JWT_ANON_ROLE=shop_anon";

		snprintf(bin, sizeof(bin), "%s/items", getenv("BIN_DIR"));
		n = 0;
		argv[n++] = sa;
		argv[n++] = l;
		argv[n++] = sockpath;
		/* It hands on only the environment it is told to. */
		argv[n++] = e;
		argv[n++] = dburl;
		argv[n++] = e;
		argv[n++] = pool;
		argv[n++] = e;
		argv[n++] = level;
		argv[n++] = e;
		argv[n++] = anon;
		for (i = 0; i < 4; i++)
			if (getenv(env[i]) != NULL) {
				envs[i] = malloc(strlen(env[i]) +
				    strlen(getenv(env[i])) + 2);
				sprintf(envs[i], "%s=%s", env[i], getenv(env[i]));
				argv[n++] = e;
				argv[n++] = envs[i];
			}
		argv[n++] = bin;
		argv[n] = NULL;
		/* No socket on fd 0: it must come through fd 3.  (fd 0
		 * stays open, else the listening socket would take it.) */
		if ((i = open("/dev/null", O_RDONLY)) > 0) {
			dup2(i, 0);
			close(i);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sockpath, F_OK) != 0; i++)
		usleep(50000);
	ck_assert_msg(access(sockpath, F_OK) == 0,
	    "systemd-socket-activate made no socket (installed? deps.sh)");
	for (i = 0; i < 20; i++) {
		caller(&list);
		if (list.status == 200)
			ok++;
	}
	ck_assert_msg(ok == 20, "%d of 20 GET /items answered 200 (last %d)",
	    ok, list.status);
	caller(&missing);
	ck_assert_int_eq(missing.status, 404);
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);	/* alive */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	for (waited = 0; waited < 50; waited++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (waited == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ck_assert_msg(waited < 50, "still running 5 s after SIGTERM");
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	fprintf(stderr, "signals: socket activation: 20 GETs 200, 404, "
	    "exit 0 %d ms after SIGTERM\n", waited * 100);
	unlink(sockpath);
}
END_TEST

/* More threads than connections: some requests get 503, none crash. */
START_TEST(more_threads_than_connections)
{
	long		 max = db_long("SELECT setting::int FROM pg_settings "
	    "WHERE name = 'max_connections'");
	char		 pool[32];
	pid_t		 pid;
	int		 i, ok = 0, busy = 0, other = 0, st;
	struct call	 call = { "/items?limit=1", NULL, 0 };

	snprintf(pool, sizeof(pool), "%ld", max + 20 > 256 ? 256 : max + 20);
	pid = start_responder(pool);
	sleep(2);		/* let the workers try to connect */
	for (i = 0; i < 300; i++) {
		caller(&call);
		if (call.status == 200)
			ok++;
		else if (call.status == 503)
			busy++;
		else
			other++;
	}
	fprintf(stderr, "signals: %s threads, max_connections %ld: %d 200, "
	    "%d 503, %d other\n", pool, max, ok, busy, other);
	ck_assert_int_eq(other, 0);
	ck_assert_int_gt(ok, 0);
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);	/* alive */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	unlink(sockpath);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("signals");
	TCase	*t = tcase_create("process");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, sigterm_finishes_in_flight);
	tcase_add_test(t, more_threads_than_connections);
	tcase_add_test(t, systemd_socket_activation);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	if (getenv("STACK_DIR") == NULL || getenv("APP_DB_URL") == NULL) {
		fprintf(stderr, "check_signals: STACK_DIR and APP_DB_URL must "
		    "be set\n");
		return 2;
	}
	as_admin();
	return run_suite(suite());
}
