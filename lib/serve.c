/*
 * serve.c -- the process: configuration, then POOL_SIZE worker threads
 * each blocking in FCGX_Accept_r on the listening socket (fd 0 from
 * spawn-fcgi or a web server, fd 3 from systemd, or --listen), or one
 * CGI request.  SIGTERM (and SIGINT, SIGUSR1, SIGHUP) stops accepting,
 * lets requests in flight finish, closes connections and exits 0.
 *
 * libfcgi only notices a signal in the thread it interrupts, so the
 * listening socket is non-blocking and each worker waits for it together
 * with a self-pipe that the signal handler writes (FIELD-NOTES §1).
 * Each worker waits in its own epoll set holding the socket with
 * EPOLLEXCLUSIVE, so a new connection wakes one idle worker, not every
 * worker of every process sharing the socket (poll() is the fallback).
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

#define STACK_SIZE	(1024 * 1024)	/* jansson recurses per nesting */
#define IDLE_MS		30000		/* overflow connection idle close */

struct fpg_app	fpg_app;

struct worker {
	pthread_t	 thread;
	FCGX_Request	 fr;
	struct fpg_db	 db;
	int		 lfd;
};

static volatile sig_atomic_t	 stopping;
static int			 wake[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stopping = 1;
	(void)!write(wake[1], "x", 1);
	errno = saved;
}

/*
 * An epoll set of the listening socket (exclusive wake-up) and the
 * self-pipe, or -1 where the kernel lacks EPOLLEXCLUSIVE (before 4.5).
 */
static int
wait_set(int lfd)
{
	struct epoll_event	 ev;
	int			 ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.fd = wake[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, wake[0], &ev) == -1)
		goto fail;
	return ep;
fail:
	close(ep);
	return -1;
}

/*
 * Waits until fd (the listening socket or a kept connection) is
 * readable, the self-pipe is, or ms pass.  Returns 1 when fd is
 * readable, 0 on a timeout, -1 on a signal or wake-up, -2 on an error.
 */
static int
wait_for(int ep, int fd, int lfd, int ms)
{
	struct epoll_event	 ev[2];
	struct pollfd		 p[2];
	int			 n, i;

	if (ep != -1 && fd == lfd) {
		n = epoll_wait(ep, ev, 2, ms);
		for (i = 0; i < n; i++)
			if (ev[i].data.fd == lfd)
				return 1;
	} else {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = wake[0];
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if ((n = poll(p, 2, ms)) > 0 && p[0].revents != 0)
			return 1;
	}
	if (n < 0 && errno != EINTR) {
		fpg_log(FPG_LOG_ERROR, "wait: %s", strerror(errno));
		return -2;
	}
	return n == 0 ? 0 : -1;
}

/*
 * Ends a request.  libfcgi closes a connection by shutting it down and
 * waiting for the web server to close first (up to 2 s), so that input
 * left unread cannot reset the connection under a response still on
 * its way.  Here the response is sent first; when the input then turns
 * out to be read to its end, the worker closes at once instead of
 * waiting for the web server's turn on the CPU.
 */
static void
finish(FCGX_Request *fr)
{
	if (!fr->keepConnection && fr->in != NULL) {
		FCGX_FClose(fr->err);
		FCGX_FClose(fr->out);	/* the response and END_REQUEST */
		if (fr->in->isClosed || (FCGX_GetChar(fr->in) == EOF &&
		    FCGX_GetError(fr->in) == 0))
			FCGX_Detach(fr);
	}
	FCGX_Finish_r(fr);
}

static void *
work(void *arg)
{
	struct worker	*w = arg;
	int		 ep, rc, n;

	ep = wait_set(w->lfd);
	if (!w->db.lazy)
		fpg_db_connect(&w->db);
	while (!stopping) {
		n = wait_for(ep, w->fr.ipcFd >= 0 ? w->fr.ipcFd : w->lfd,
		    w->lfd, w->db.lazy && w->db.conn ? IDLE_MS : -1);
		if (stopping || n == -2)
			break;
		if (n == 0)
			fpg_db_close(&w->db);	/* idle overflow */
		if (n <= 0)
			continue;
		rc = FCGX_Accept_r(&w->fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
			continue;	/* another worker took it */
		if (rc < 0) {
			fpg_log(FPG_LOG_WARN, "accept: %s", strerror(-rc));
			usleep(10000);
			continue;
		}
		{
			struct fpg_req r;

			memset(&r, 0, sizeof(r));
			r.fr = &w->fr;
			r.db = &w->db;
			fpg_req_handle(&r);
		}
		finish(&w->fr);
	}
	FCGX_Free(&w->fr, 1);	/* also closes a kept connection */
	fpg_db_close(&w->db);
	if (ep != -1)
		close(ep);
	return NULL;
}

/*
 * Opens the socket for --listen: a unix socket path (mode 0660; a live
 * socket is not stolen, a stale one replaced) or HOST:PORT over TCP
 * (":PORT" means 127.0.0.1, never every address).  Returns the fd or -1.
 */
static int
open_listen(const char *spec)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *ai = NULL;
	char			 host[256];
	const char		*colon;
	int			 fd, one = 1;

	if (strchr(spec, '/') != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec) >= sizeof(sun.sun_path)) {
			fprintf(stderr, "--listen: socket path too long\n");
			return -1;
		}
		memcpy(sun.sun_path, spec, strlen(spec) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			goto err;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			fprintf(stderr, "--listen: %s is in use\n", spec);
			close(fd);
			return -1;
		}
		unlink(spec);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(spec, 0660) == -1 || listen(fd, 1024) == -1)
			goto err;
		return fd;
	}
	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(stderr, "--listen: expected PATH or HOST:PORT\n");
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints,
	    &ai) != 0 || ai == NULL) {
		fprintf(stderr, "--listen: cannot resolve %s\n", spec);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		freeaddrinfo(ai);
		goto err;
	}
	freeaddrinfo(ai);
	return fd;
err:
	fprintf(stderr, "--listen %s: %s\n", spec, strerror(errno));
	return -1;
}

static void
usage(FILE *f, const char *name)
{
	fprintf(f, "usage: %s [--listen PATH|HOST:PORT] [--check] [--openapi]\n"
	    "Serves the %s resource over FastCGI: on the socket given on\n"
	    "fd 0 (spawn-fcgi, web servers), by systemd (LISTEN_FDS), or\n"
	    "on --listen; as CGI when a web server runs it so.  --check\n"
	    "reads the configuration and schemas, then exits; --openapi\n"
	    "prints the OpenAPI 3.1 document (also at /%s/openapi.json).\n"
	    "Configuration: DATABASE_URL, POOL_SIZE, MAX_OVERFLOW,\n"
	    "STATEMENT_TIMEOUT, MAX_BODY_SIZE, LOG_LEVEL, ROOT_PATH,\n"
	    "DB_PREPARE, from the environment and ./.env (ENV_FILE).\n",
	    name, name, name);
}

/* Serves exactly one request as CGI (RFC 3875) on stdin/stdout. */
static int
serve_cgi(void)
{
	struct fpg_db	db;
	struct fpg_req	r;

	fpg_db_init(&db, fpg_app.res->stmts, fpg_app.res->name, 1);
	memset(&r, 0, sizeof(r));
	r.db = &db;
	fpg_req_handle(&r);
	fflush(stdout);
	fpg_db_close(&db);
	return 0;
}

static int
serve_fcgi(int lfd)
{
	struct worker		*ws;
	pthread_attr_t		 attr;
	int			 i, n, started = 0;

	n = fpg_app.conf.pool_size + fpg_app.conf.max_overflow;
	if ((ws = calloc((size_t)n, sizeof(*ws))) == NULL ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == -1) {
		fpg_log(FPG_LOG_ERROR, "start: %s", strerror(errno));
		free(ws);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	for (i = 0; i < n; i++) {
		ws[i].lfd = lfd;
		FCGX_InitRequest(&ws[i].fr, lfd, 0);
		fpg_db_init(&ws[i].db, fpg_app.res->stmts, fpg_app.res->name,
		    i >= fpg_app.conf.pool_size);
		if (pthread_create(&ws[i].thread, &attr, work, &ws[i]) != 0) {
			fpg_log(FPG_LOG_ERROR, "cannot start worker %d", i);
			stopping = 1;
			(void)!write(wake[1], "x", 1);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	fpg_log(FPG_LOG_INFO, "serving with %d workers (%d overflow)",
	    started, fpg_app.conf.max_overflow);
	for (i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	free(ws);
	fpg_log(FPG_LOG_INFO, "stopped");
	return 0;
}

/*
 * Runs a resource: see fastpg.h.  The only place of the library that
 * decides an exit status: 0 after a clean stop, 1 when the start is
 * refused (bad configuration or schema), 2 on a usage error.
 */
int
fpg_main(const struct fpg_resource *res, int argc, char *argv[])
{
	struct sigaction	 sa;
	const char		*listen_on = NULL, *lf, *lp;
	char			 err[512];
	int			 i, check = 0, openapi = 0, lfd = 0, rc;

	fpg_app.res = res;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_on = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (strcmp(argv[i], "--openapi") == 0)
			openapi = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout, res->name);
			return 0;
		} else {
			usage(stderr, res->name);
			return 2;
		}
	}
	json_object_seed(0);
	if (fpg_conf_load(&fpg_app.conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: configuration: %s\n", res->name, err);
		fpg_conf_free(&fpg_app.conf);
		return 1;
	}
	fpg_log_level = fpg_app.conf.log_level;
	if (fpg_router_init(&fpg_app.router, res->routes, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", res->name, err);
		rc = 1;
		goto out;
	}
	if ((fpg_app.openapi = fpg_openapi_build(res, &fpg_app.router, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", res->name, err);
		rc = 1;
		goto out;
	}
	snprintf(fpg_app.openapi_path, sizeof(fpg_app.openapi_path),
	    "/%s/openapi.json", res->name);
	if (openapi) {
		puts(fpg_app.openapi);
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (check) {
		printf("%s: configuration and schemas are valid\n", res->name);
		rc = 0;
		goto out;
	}

	/* Ours before FCGX_Init, which takes TERM only if it is default. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FCGX_Init failed\n", res->name);
		rc = 1;
		goto out;
	}

	lf = getenv("LISTEN_FDS");
	lp = getenv("LISTEN_PID");
	if (listen_on != NULL) {
		if ((lfd = open_listen(listen_on)) == -1) {
			rc = 1;
			goto out;
		}
	} else if (lf != NULL && strcmp(lf, "1") == 0 && lp != NULL &&
	    atol(lp) == (long)getpid())
		lfd = 3;
	else if (FCGX_IsCGI()) {
		if (getenv("GATEWAY_INTERFACE") == NULL &&
		    getenv("REQUEST_METHOD") == NULL) {
			usage(stderr, res->name);
			fprintf(stderr, "%s: no socket on fd 0 and not run as "
			    "CGI: use --listen\n", res->name);
			rc = 2;
			goto out;
		}
		rc = serve_cgi();
		goto out;
	}
	rc = serve_fcgi(lfd);
out:
	free(fpg_app.openapi);
	fpg_app.openapi = NULL;
	fpg_router_free(&fpg_app.router);
	fpg_conf_free(&fpg_app.conf);
	return rc;
}
