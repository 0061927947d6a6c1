/*
 * serve.c -- POOL_SIZE worker threads serving FastCGI connections from
 * the listening socket (fd 0 from spawn-fcgi or a web server, fd 3
 * from systemd, or --listen; main.c decides).  SIGTERM (and SIGINT,
 * SIGUSR1, SIGHUP) stops accepting, lets requests in flight finish,
 * closes connections and exits 0.
 *
 * The workers share one epoll set: the listening socket, every kept
 * connection (FCGI_KEEP_CONN, one-shot: one worker at a time), and a
 * self-pipe the signal handler writes.  A worker takes whichever is
 * ready, serves one request and goes back, so a connection the web
 * server keeps open holds no thread between requests (libfcgi's own
 * loop pinned a thread to each).  The FastCGI records are fcgi.c's.  The socket is in the set
 * with EPOLLEXCLUSIVE, so a new connection wakes one process of those
 * sharing it, not all of them.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

#define STACK_SIZE	(1024 * 1024)	/* jansson recurses per nesting */
#define IDLE_MS		30000		/* overflow connection idle close */
#define ALTSTACK	(64 * 1024)	/* a worker's signal stack */
#define CONNS_MAX	1024		/* FastCGI connections per process */
#define DRAIN_MAX_MS	10000		/* stopping: then close kept connections */
#define FIRST_MS	2000		/* a new connection's first bytes */

/* The running resource (main.c), read-only while serving. */
static const struct fpg_app	*app;
/* FCGI_WEB_SERVER_ADDRS: the IPv4 addresses a TCP socket takes
 * connections from (libfcgi's variable, kept); NULL: any. */
static const char		*web_addrs;

/*
 * A FastCGI connection and fcgi.c's state for it (its buffers stay
 * with the slot, for the connections after it).  A kept connection
 * waiting in the set is IDLE; the worker that takes its next request
 * makes it BUSY, and so does a stopping worker that closes it, so the
 * two never both have it.  ARMING: being put back in the set.
 */
enum conn_state { C_FREE, C_BUSY, C_ARMING, C_IDLE };

struct conn {
	struct fpg_fcgi	 fc;
	struct conn	*next;		/* free list */
	int		 state;		/* enum conn_state, atomic */
	int		 last;		/* the web server half-closed it */
};

struct worker {
	pthread_t	 thread;
	struct fpg_db	 db;
	struct fpg_db	 rdb;		/* a read replica's, if any */
	struct conn	*spare;		/* a free conn of its own, no lock */
	struct fpg_fcgi	 bufs;		/* fcgi.c's buffers, lent to the
					   connection it serves */
};

static volatile sig_atomic_t	 stopping;
static int			 wake[2] = { -1, -1 };
static int			 lfd, ep = -1;
static int			 nworkers, nbroken;	/* atomic */
static int			 nlive;			/* atomic */
static int64_t			 drain_end;		/* under conns_mu */

static struct conn		*conns;		/* CONNS_MAX of them */
static struct conn		*free_conns;
static int			 nconns;	/* conns[] ever used */
static pthread_mutex_t		 conns_mu = PTHREAD_MUTEX_INITIALIZER;

static void
on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stopping = 1;
	(void)!write(wake[1], "x", 1);
	errno = saved;
}

static struct conn *
conn_get(struct worker *w)
{
	struct conn *c;

	if ((c = w->spare) != NULL)
		w->spare = NULL;
	else {
		pthread_mutex_lock(&conns_mu);
		if ((c = free_conns) != NULL)
			free_conns = c->next;
		else if (nconns < CONNS_MAX) {	/* untouched memory till now */
			c = &conns[nconns++];
			fpg_fcgi_init(&c->fc, -1);
		}
		pthread_mutex_unlock(&conns_mu);
	}
	if (c != NULL) {
		c->state = C_BUSY;
		c->last = 0;
		__atomic_add_fetch(&nlive, 1, __ATOMIC_RELAXED);
	}
	return c;
}

static void
conn_put(struct worker *w, struct conn *c)
{
	fpg_fcgi_close(&c->fc, 1);	/* if open; its buffers stay */
	__atomic_store_n(&c->state, C_FREE, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&nlive, 1, __ATOMIC_RELAXED);
	if (w->spare == NULL) {
		w->spare = c;
		return;
	}
	pthread_mutex_lock(&conns_mu);
	c->next = free_conns;
	free_conns = c;
	pthread_mutex_unlock(&conns_mu);
}

/* Waits in the set for a kept connection's next request (one-shot). */
static int
conn_arm(struct conn *c)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
	ev.data.ptr = c;
	__atomic_store_n(&c->state, C_ARMING, __ATOMIC_RELEASE);
	/* A connection closed and replaced by a new one under the same
	 * number left the set when it was closed. */
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fc.fd, &ev) == 0 ||
	    (errno == ENOENT &&
	     epoll_ctl(ep, EPOLL_CTL_ADD, c->fc.fd, &ev) == 0)) {
		__atomic_store_n(&c->state, C_IDLE, __ATOMIC_RELEASE);
		return 0;
	}
	fpg_log(FPG_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
	__atomic_store_n(&c->state, C_BUSY, __ATOMIC_RELEASE);
	return -1;
}

/* Takes c from the set for a request (1), unless a closer has it. */
static int
conn_take(struct conn *c)
{
	int st;

	for (;;) {
		st = C_IDLE;
		if (__atomic_compare_exchange_n(&c->state, &st, C_BUSY, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
		if (st != C_ARMING)
			return 0;
		sched_yield();	/* its worker is still in epoll_ctl */
	}
}

/*
 * Stopping: no new connection is accepted here (the socket stays open
 * for the next generation of processes), and kept connections are
 * still served until the web server closes them (nginx: after
 * keepalive_requests, or keepalive_timeout idle): only the web server
 * knows when it will not send on one again.  Closing a connection it
 * is about to send a request on would fail that request, and nginx
 * does not retry a POST.  Those left after DRAIN_MAX_MS are closed
 * while idle.  Returns 1 when the worker may exit.
 */
static int
drain(struct worker *w)
{
	struct conn	*c;
	int64_t		 now = fpg_now_us(), end;
	int		 i, n, st;

	pthread_mutex_lock(&conns_mu);
	if (drain_end == 0) {
		drain_end = now + DRAIN_MAX_MS * 1000;
		epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
		fpg_log(FPG_LOG_INFO, "stopping: %d connections to drain",
		    __atomic_load_n(&nlive, __ATOMIC_RELAXED));
	}
	end = drain_end;
	n = nconns;
	pthread_mutex_unlock(&conns_mu);
	for (i = 0; i < n; i++) {
		c = &conns[i];
		if (now < end ||
		    __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != C_IDLE)
			continue;
		st = C_IDLE;
		if (__atomic_compare_exchange_n(&c->state, &st, C_BUSY, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fc.fd, NULL);
			conn_put(w, c);
		}
	}
	return __atomic_load_n(&nlive, __ATOMIC_RELAXED) == 0 || now >= end;
}

/* Whether a TCP peer is one of FCGI_WEB_SERVER_ADDRS (as libfcgi's
 * ClientAddrOK: a comma-separated list of IPv4 addresses). */
static int
addr_ok(const struct sockaddr_in *sin)
{
	const char	*p = web_addrs, *e;
	char		 one[INET_ADDRSTRLEN + 1];
	size_t		 n;

	if (p == NULL || *p == '\0')
		return 1;
	for (; p != NULL; p = e != NULL ? e + 1 : NULL) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(one))
			continue;
		memcpy(one, p, n);
		one[n] = '\0';
		if (inet_addr(one) == sin->sin_addr.s_addr)
			return 1;
	}
	return 0;
}

/*
 * A new connection's first bytes, waited for up to FIRST_MS: one that
 * sends nothing is closed rather than holding a worker (libfcgi's
 * "keeper" check on accepted connections).
 */
static int
first_bytes(int fd)
{
	struct pollfd p;

	p.fd = fd;
	p.events = POLLIN;
	return poll(&p, 1, FIRST_MS) > 0 && (p.revents & POLLIN);
}

/*
 * Serves the next request of c: a new connection from the socket (c
 * fresh from the free list) or a kept one that became readable, and
 * any the web server sent after it that fcgi.c has read already.
 * Then c goes back to the set, or to the free list once closed.  The
 * worker's buffers serve c meanwhile (see serve_one).
 */
static void serve_one(struct worker *, struct conn *);

static void
serve_conn(struct worker *w, struct conn *c)
{
	fpg_fcgi_swap(&c->fc, &w->bufs);
	serve_one(w, c);
}

/* Gives the worker its buffers back; c then waits or is put. */
static void
done(struct worker *w, struct conn *c, int wait)
{
	fpg_fcgi_swap(&c->fc, &w->bufs);
	if (wait && conn_arm(c) == 0)
		return;
	conn_put(w, c);
}

static void
serve_one(struct worker *w, struct conn *c)
{
	struct fpg_req		r;
	struct sockaddr_storage	sa;
	socklen_t		salen = sizeof(sa);
	int			fd, on = 1;

	if (c->fc.fd < 0) {
		/* non-blocking: fcgi.c bounds every wait (io_ms) */
		if ((fd = accept4(lfd, (struct sockaddr *)&sa, &salen,
		    SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0) {
			/* EAGAIN: another process took the connection. */
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				fpg_log(FPG_LOG_WARN, "accept: %s",
				    strerror(errno));
				usleep(10000);
			}
			done(w, c, 0);
			return;
		}
		c->fc.fd = c->fc.wfd = fd;
		/* TCP: answers go out at once (no Nagle), and only to the
		 * web servers listed, as libfcgi did. */
		if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		if ((sa.ss_family == AF_INET &&
		    !addr_ok((struct sockaddr_in *)&sa)) || !first_bytes(fd)) {
			fpg_fcgi_close(&c->fc, 0);
			done(w, c, 0);
			return;
		}
	}
	do {
		/* The connection ended between requests, or broke. */
		if (fpg_fcgi_begin(&c->fc) == -1) {
			done(w, c, 0);
			return;
		}
		memset(&r, 0, sizeof(r));
		r.app = app;
		r.fc = &c->fc;
		r.db = r.primary = &w->db;
		r.replica = w->rdb.cf != NULL ? &w->rdb : NULL;
		fpg_req_handle(&r);
		if (c->last)
			c->fc.keep = 0;	/* served what was sent */
		if (!fpg_fcgi_end(&c->fc)) {
			done(w, c, 0);
			return;
		}
	} while (fpg_fcgi_pending(&c->fc));
	done(w, c, 1);
}

/*
 * Whether a kept connection the web server half-closed still holds
 * bytes to read: a request sent just before the close is served, not
 * lost.
 */
static int
pending(const struct conn *c)
{
	char	 b;

	return fpg_fcgi_pending(&c->fc) ||
	    recv(c->fc.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* A worker whose database connection is lost and not yet back. */
static int
broken(const struct fpg_db *db)
{
	return db->conn == NULL && (!db->lazy || fpg_now_us() < db->next_try);
}

/*
 * Keeps a worker that lost its database connection out of the set
 * while another worker can serve, so requests go to a connection that
 * works (epoll wakes the worker that waited last, which could be this
 * one every time): it reconnects on its own, with backoff.  Once every
 * worker is broken, they all serve again, answering 503 at once.
 * Returns 1 while the worker keeps out.
 */
static int
keep_out(struct worker *w, int *was)
{
	struct pollfd	p;
	int64_t		wait;

	if (!broken(&w->db)) {
		if (*was) {
			__atomic_sub_fetch(&nbroken, 1, __ATOMIC_RELAXED);
			fpg_metrics_db(0, -1);
		}
		*was = 0;
		return 0;
	}
	if (!*was) {
		__atomic_add_fetch(&nbroken, 1, __ATOMIC_RELAXED);
		fpg_metrics_db(0, 1);
	}
	*was = 1;
	if (__atomic_load_n(&nbroken, __ATOMIC_RELAXED) >= nworkers)
		return 0;
	fpg_log_flush();
	wait = (w->db.next_try - fpg_now_us()) / 1000;
	if (wait > 0) {
		p.fd = wake[0];
		p.events = POLLIN;
		(void)poll(&p, 1, wait > 1000 ? 1000 : (int)wait);
	}
	/* (An overflow worker connects when a request needs it.) */
	if (!stopping && !w->db.lazy && fpg_now_us() >= w->db.next_try)
		fpg_db_connect(&w->db);
	return 1;
}

static void *
work(void *arg)
{
	struct worker		*w = arg;
	struct epoll_event	 ev;
	struct conn		*c;
	stack_t			 alt;
	int			 n, tmo, rt, was_broken = 0;

	if (!w->db.lazy)
		fpg_db_connect(&w->db);
	(void)fpg_log_batch();
	/* A stack of its own for the crash handler: a worker's stack
	 * overflow still writes out the access lines. */
	memset(&alt, 0, sizeof(alt));
	if ((alt.ss_sp = malloc(ALTSTACK)) != NULL) {
		alt.ss_size = ALTSTACK;
		if (sigaltstack(&alt, NULL) == -1) {
			free(alt.ss_sp);
			alt.ss_sp = NULL;
		}
	}
	for (;;) {
		if (stopping && drain(w))
			break;
		if (!stopping && keep_out(w, &was_broken))
			continue;
		tmo = stopping ? 10 : w->db.lazy && w->db.conn ? IDLE_MS : -1;
		/* a replica's connection, on its way back without waiting */
		if (!stopping && (rt = fpg_replica_tend(&w->rdb)) >= 0 &&
		    (tmo < 0 || rt < tmo))
			tmo = rt;
		/* The access lines go out when no request is waiting. */
		if (!fpg_log_pending() ||
		    (n = epoll_wait(ep, &ev, 1, 0)) == 0) {
			fpg_log_flush();
			n = epoll_wait(ep, &ev, 1, tmo);
		}
		if (n < 0 && errno != EINTR) {
			fpg_log(FPG_LOG_ERROR, "epoll_wait: %s",
			    strerror(errno));
			break;
		}
		if (n == 0 && !stopping && w->db.lazy)
			fpg_db_close(&w->db);	/* idle overflow */
		if (n > 0 && ev.data.ptr == wake && stopping) {
			fpg_log_flush();	/* the drain's lines too */
			usleep(10000);	/* the pipe stays readable */
		}
		if (n <= 0 || ev.data.ptr == wake)
			continue;
		if (ev.data.ptr == &lfd) {
			if (stopping)
				continue;
			if ((c = conn_get(w)) == NULL) {
				fpg_metrics_count(FPG_M_OVERLOAD);
				/* Every connection in use: let the backlog
				 * hold the rest for a while. */
				usleep(1000);
				continue;
			}
		} else if (!conn_take(c = ev.data.ptr))
			continue;
		else if (ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR) &&
		    !pending(c)) {
			/* The web server closed it with nothing unread:
			 * no need to linger. */
			fpg_fcgi_close(&c->fc, 0);
			conn_put(w, c);
			continue;
		} else if (ev.events & (EPOLLRDHUP | EPOLLHUP))
			c->last = 1;	/* a request, then its end */
		serve_conn(w, c);
	}
	if (was_broken) {
		__atomic_sub_fetch(&nbroken, 1, __ATOMIC_RELAXED);
		fpg_metrics_db(0, -1);
	}
	fpg_log_flush();
	if (alt.ss_sp != NULL) {
		alt.ss_flags = SS_DISABLE;
		if (sigaltstack(&alt, NULL) == 0)
			free(alt.ss_sp);
	}
	fpg_token_cache_clear();
	fpg_db_close(&w->db);
	fpg_db_close(&w->rdb);
	return NULL;
}

/* The shared set: the socket (exclusive wake-up) and the self-pipe. */
static int
serve_set(void)
{
	struct epoll_event	 ev;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = &lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		/* Before Linux 4.5: every process wakes, one accepts. */
		ev.events = EPOLLIN;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
			return -1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = wake;
	return epoll_ctl(ep, EPOLL_CTL_ADD, wake[0], &ev);
}

/*
 * Whether fd is a socket without a peer, as the listening socket a web
 * server or spawn-fcgi leaves on FastCGI's fd 0; anything else there
 * (a pipe, a terminal, a connected socket) means CGI.  The FastCGI
 * spec's own test, as libfcgi made it.
 */
int
fpg_fd_listening(int fd)
{
	struct sockaddr_storage	sa;
	socklen_t		len = sizeof(sa);

	errno = 0;
	return getpeername(fd, (struct sockaddr *)&sa, &len) == -1 &&
	    errno == ENOTCONN;
}

/* Stop signals: SIGTERM, SIGINT, SIGUSR1, SIGHUP; SIGPIPE ignored. */
void
fpg_serve_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Serves FastCGI on the listening socket fd with the app's workers
 * until a stop signal, then drains.  Returns the exit status.
 */
int
fpg_serve_fcgi(const struct fpg_app *a, int fd)
{
	struct worker		*ws;
	pthread_attr_t		 attr;
	sigset_t		 stopsigs, old;
	int			 i, n, started = 0;

	sigemptyset(&stopsigs);
	sigaddset(&stopsigs, SIGTERM);
	sigaddset(&stopsigs, SIGINT);
	sigaddset(&stopsigs, SIGUSR1);
	sigaddset(&stopsigs, SIGHUP);
	sigaddset(&stopsigs, SIGPIPE);

	app = a;
	lfd = fd;
	web_addrs = getenv("FCGI_WEB_SERVER_ADDRS");
	n = nworkers = app->conf.pool_size + app->conf.max_overflow;
	ws = calloc((size_t)n, sizeof(*ws));
	conns = calloc(CONNS_MAX, sizeof(*conns));
	if (ws == NULL || conns == NULL ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == -1 ||
	    serve_set() == -1) {
		fpg_log(FPG_LOG_ERROR, "start: %s", strerror(errno));
		free(ws);
		free(conns);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	/*
	 * The workers never take a signal: fcgi.c retries its reads and
	 * writes after EINTR, but libpq's waits and a lingering close's
	 * poll would be cut short, failing the request being served.
	 * They inherit this mask;
	 * the main thread, waiting in pthread_join, takes them all.
	 */
	pthread_sigmask(SIG_BLOCK, &stopsigs, &old);
	for (i = 0; i < n; i++)
		fpg_fcgi_init(&ws[i].bufs, -1);
	for (i = 0; i < n; i++) {
		fpg_db_init(&ws[i].db, &app->dbconf, app->res->stmts,
		    app->res->name, i >= app->conf.pool_size);
		/* The pool's workers read on a replica; overflow ones don't. */
		if (app->nread > 0 && i < app->conf.pool_size)
			fpg_replica_init(&ws[i].rdb, app, i, 1);
		if (pthread_create(&ws[i].thread, &attr, work, &ws[i]) != 0) {
			fpg_log(FPG_LOG_ERROR, "cannot start worker %d", i);
			stopping = 1;
			(void)!write(wake[1], "x", 1);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fpg_log(FPG_LOG_INFO, "serving with %d workers (%d overflow)",
	    started, app->conf.max_overflow);
	for (i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	/* What the drain left (nothing, unless it ran out of time). */
	for (i = 0; i < nconns; i++)
		fpg_fcgi_free(&conns[i].fc);
	for (i = 0; i < n; i++)
		fpg_fcgi_free(&ws[i].bufs);
	close(ep);
	free(ws);
	free(conns);
	fpg_log(FPG_LOG_INFO, "stopped");
	return 0;
}
