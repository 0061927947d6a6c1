/*
 * check_fcgi.c -- lib/fcgi.c, the FastCGI wire, over a socketpair: a
 * request's parameters and body over several records, the answer's
 * records, kept and pipelined requests, management records, a second
 * request (multiplexing), another role, an abort, the bounds; and
 * what a review found: a BEGIN_REQUEST split across reads, a slow web
 * server, a second BEGIN_REQUEST of the same id, odd parameter names.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "extern.h"

/* What the web server sends, built up. */
struct wire {
	unsigned char	 b[8192];
	size_t		 n;
};

static void
rec(struct wire *w, int type, int id, const void *p, size_t len, size_t pad)
{
	unsigned char *h = w->b + w->n;

	ck_assert_uint_le(w->n + 8 + len + pad, sizeof(w->b));
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = (unsigned char)pad;
	h[7] = 0;
	if (len > 0)
		memcpy(h + 8, p, len);
	memset(h + 8 + len, 0, pad);
	w->n += 8 + len + pad;
}

static void
begin(struct wire *w, int id, int role, int keep)
{
	unsigned char b[8] = { 0 };

	b[0] = (unsigned char)(role >> 8);
	b[1] = (unsigned char)role;
	b[2] = (unsigned char)keep;
	rec(w, 1, id, b, 8, 0);
}

/* A name-value pair into p; the value's length in 4 bytes if long. */
static size_t
pair(unsigned char *p, const char *n, const char *v)
{
	size_t	 nl = strlen(n), vl = strlen(v), o = 0;

	p[o++] = (unsigned char)nl;
	if (vl < 128)
		p[o++] = (unsigned char)vl;
	else {
		p[o++] = (unsigned char)(0x80 | vl >> 24);
		p[o++] = (unsigned char)(vl >> 16);
		p[o++] = (unsigned char)(vl >> 8);
		p[o++] = (unsigned char)vl;
	}
	memcpy(p + o, n, nl);
	memcpy(p + o + nl, v, vl);
	return o + nl + vl;
}

/* A GET request id with one parameter, keep-conn, empty STDIN. */
static void
get(struct wire *w, int id)
{
	unsigned char	 p[64];
	size_t		 n = pair(p, "REQUEST_METHOD", "GET");

	begin(w, id, 1, 1);
	rec(w, 4, id, p, n, 0);
	rec(w, 4, id, NULL, 0, 0);
	rec(w, 5, id, NULL, 0, 0);
}

static int	 sv[2];	/* [0]: the web server's end, [1]: fcgi.c's */

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
teardown(void)
{
	close(sv[0]);
}

static void
send_wire(const struct wire *w)
{
	ck_assert_int_eq(write(sv[0], w->b, w->n), (ssize_t)w->n);
}

/* Reads one record sent back: its type, id; content into p (size n). */
static size_t
answer(int *type, int *id, unsigned char *p, size_t n)
{
	unsigned char	 h[8], pad[255];
	size_t		 len;

	ck_assert_int_eq(recv(sv[0], h, 8, MSG_WAITALL), 8);
	ck_assert_int_eq(h[0], 1);
	*type = h[1];
	*id = h[2] << 8 | h[3];
	len = (size_t)(h[4] << 8 | h[5]);
	ck_assert_uint_le(len, n);
	if (len > 0)
		ck_assert_int_eq(recv(sv[0], p, len, MSG_WAITALL),
		    (ssize_t)len);
	if (h[6] > 0)
		ck_assert_int_eq(recv(sv[0], pad, h[6], MSG_WAITALL), h[6]);
	return len;
}

/* Expects STDOUT's content want, its end, then END_REQUEST, for id. */
static void
expect_answer(int id, const char *want)
{
	unsigned char	 p[70000];
	int		 t, i;
	size_t		 n;

	if (*want != '\0') {
		n = answer(&t, &i, p, sizeof(p));
		ck_assert_int_eq(t, 6);
		ck_assert_int_eq(i, id);
		ck_assert_uint_eq(n, strlen(want));
		ck_assert(memcmp(p, want, n) == 0);
	}
	ck_assert_uint_eq(answer(&t, &i, p, sizeof(p)), 0);
	ck_assert_int_eq(t, 6);
	ck_assert_uint_eq(answer(&t, &i, p, sizeof(p)), 8);
	ck_assert_int_eq(t, 3);
	ck_assert_int_eq(i, id);
	ck_assert_int_eq(p[4], 0);	/* REQUEST_COMPLETE */
}

START_TEST(t_request)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	unsigned char	 p[512];
	char		 big[201], body[64];
	size_t		 n = 0;
	int		 got, total = 0;

	memset(big, 'v', 200);
	big[200] = '\0';
	n += pair(p + n, "REQUEST_METHOD", "POST");
	n += pair(p + n, "HTTP_USER_AGENT", big);
	n += pair(p + n, "EMPTY", "");
	begin(&w, 1, 1, 1);
	rec(&w, 4, 1, p, 10, 3);		/* a pair across records */
	rec(&w, 4, 1, p + 10, n - 10, 0);
	rec(&w, 4, 1, NULL, 0, 0);
	rec(&w, 5, 1, "{\"a\":", 5, 3);
	rec(&w, 5, 1, "1}", 2, 6);
	rec(&w, 5, 1, NULL, 0, 0);
	send_wire(&w);

	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(c.id, 1);
	ck_assert_int_eq(c.keep, 1);
	ck_assert_str_eq(c.envp[0], "REQUEST_METHOD=POST");
	ck_assert_uint_eq(strlen(c.envp[1]), strlen("HTTP_USER_AGENT=") + 200);
	ck_assert_str_eq(c.envp[2], "EMPTY=");
	ck_assert_ptr_null(c.envp[3]);
	while ((got = fpg_fcgi_read(&c, body + total, 3)) > 0)
		total += got;
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(total, 7);
	ck_assert(memcmp(body, "{\"a\":1}", 7) == 0);
	ck_assert_int_eq(fpg_fcgi_write(&c, "Status: 201\r\n", 13), 0);
	ck_assert_int_eq(fpg_fcgi_write(&c, "\r\n{}", 4), 0);
	ck_assert_int_eq(fpg_fcgi_end(&c), 1);	/* kept */
	expect_answer(1, "Status: 201\r\n\r\n{}");
	ck_assert_int_eq(fpg_fcgi_pending(&c), 0);

	/* The web server closes between requests. */
	shutdown(sv[0], SHUT_WR);
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	fpg_fcgi_free(&c);
	ck_assert_int_eq(c.fd, -1);
}
END_TEST

/* Two requests sent at once: the second is served from what was read. */
START_TEST(t_pipelined)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	char		 b[8];

	get(&w, 1);
	get(&w, 2);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), 0);
	ck_assert_int_eq(fpg_fcgi_end(&c), 1);
	expect_answer(1, "");
	ck_assert_int_eq(fpg_fcgi_pending(&c), 1);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(c.id, 2);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), 0);
	ck_assert_int_eq(fpg_fcgi_write(&c, "x", 1), 0);
	ck_assert_int_eq(fpg_fcgi_end(&c), 1);
	expect_answer(2, "x");
	ck_assert_int_eq(fpg_fcgi_pending(&c), 0);
	shutdown(sv[0], SHUT_WR);	/* no lingering in free */
	fpg_fcgi_free(&c);
}
END_TEST

/* GET_VALUES, an unknown management record, another role, another id's
 * records, a second request while one is open. */
START_TEST(t_management)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	unsigned char	 p[256], want[64];
	size_t		 n = 0, k = 0;
	int		 t, id;
	char		 b[8];

	n += pair(p + n, "FCGI_MAX_CONNS", "");
	n += pair(p + n, "OTHER", "");
	n += pair(p + n, "FCGI_MPXS_CONNS", "");
	rec(&w, 9, 0, p, n, 0);
	rec(&w, 42, 0, "abc", 3, 5);
	begin(&w, 3, 2, 1);			/* AUTHORIZER */
	rec(&w, 4, 3, NULL, 0, 0);
	begin(&w, 4, 1, 0);
	rec(&w, 4, 9, "zz", 2, 0);		/* another id: skipped */
	begin(&w, 5, 1, 0);			/* multiplexing */
	rec(&w, 4, 4, NULL, 0, 0);
	rec(&w, 5, 4, NULL, 0, 0);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(c.id, 4);
	ck_assert_int_eq(c.keep, 0);
	ck_assert_ptr_null(c.envp[0]);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), 0);

	k += pair(want + k, "FCGI_MAX_CONNS", "1");
	k += pair(want + k, "FCGI_MPXS_CONNS", "0");
	ck_assert_uint_eq(answer(&t, &id, p, sizeof(p)), k);
	ck_assert_int_eq(t, 10);
	ck_assert_int_eq(id, 0);
	ck_assert(memcmp(p, want, k) == 0);
	ck_assert_uint_eq(answer(&t, &id, p, sizeof(p)), 8);
	ck_assert_int_eq(t, 11);
	ck_assert_int_eq(p[0], 42);
	ck_assert_uint_eq(answer(&t, &id, p, sizeof(p)), 8);
	ck_assert_int_eq(t, 3);
	ck_assert_int_eq(id, 3);
	ck_assert_int_eq(p[4], 3);		/* UNKNOWN_ROLE */
	ck_assert_uint_eq(answer(&t, &id, p, sizeof(p)), 8);
	ck_assert_int_eq(t, 3);
	ck_assert_int_eq(id, 5);
	ck_assert_int_eq(p[4], 1);		/* CANT_MPX_CONN */
	ck_assert_int_eq(fpg_fcgi_end(&c), 0);	/* not kept: closed */
	ck_assert_int_eq(c.fd, -1);
	expect_answer(4, "");
	fpg_fcgi_free(&c);
}
END_TEST

/* An abort (or any record out of order) breaks the request's input;
 * it is answered, then the connection is closed. */
START_TEST(t_abort)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	char		 b[8];

	begin(&w, 1, 1, 1);
	rec(&w, 4, 1, NULL, 0, 0);
	rec(&w, 5, 1, "ab", 2, 0);
	rec(&w, 2, 1, NULL, 0, 0);
	send_wire(&w);
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), 2);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), -1);
	ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), -1);
	ck_assert_int_eq(fpg_fcgi_write(&c, "y", 1), 0);
	ck_assert_int_eq(fpg_fcgi_end(&c), 0);
	ck_assert_int_eq(c.fd, -1);
	expect_answer(1, "y");
	fpg_fcgi_free(&c);
}
END_TEST

/* A big answer goes in several STDOUT records of at most 65535 bytes. */
START_TEST(t_big_answer)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	unsigned char	 p[70000];
	static char	 big[100000];
	size_t		 got = 0, n;
	int		 t, id;
	pid_t		 pid;

	get(&w, 7);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	memset(big, 'b', sizeof(big));
	/* The socket holds less than the answer: a reader drains it. */
	if ((pid = fork()) == 0) {
		ck_assert_int_eq(fpg_fcgi_write(&c, big, sizeof(big)), 0);
		_exit(fpg_fcgi_end(&c) == 1 ? 0 : 1);
	}
	for (;;) {
		n = answer(&t, &id, p, sizeof(p));
		ck_assert_int_eq(id, 7);
		if (t != 6 || n == 0)
			break;
		got += n;
	}
	ck_assert_uint_eq(got, sizeof(big));
	ck_assert_uint_eq(answer(&t, &id, p, sizeof(p)), 8);
	ck_assert_int_eq(t, 3);
	waitpid(pid, &t, 0);
	ck_assert(WIFEXITED(t) && WEXITSTATUS(t) == 0);
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_free(&c);
}
END_TEST

/* PARAMS past FPG_FCGI_PARAMS_MAX: the connection is given up. */
START_TEST(t_params_bound)
{
	struct fpg_fcgi	 c;
	struct wire	 w = { .n = 0 };
	static unsigned char chunk[65535];
	size_t		 sent;
	pid_t		 pid;

	begin(&w, 1, 1, 1);
	send_wire(&w);
	if ((pid = fork()) == 0) {
		unsigned char h[8] = { 1, 4, 0, 1, 0xff, 0xff, 0, 0 };

		signal(SIGPIPE, SIG_IGN);
		for (sent = 0; sent <= FPG_FCGI_PARAMS_MAX; sent += 65535)
			if (write(sv[0], h, 8) != 8 ||
			    write(sv[0], chunk, sizeof(chunk)) !=
			    (ssize_t)sizeof(chunk))
				_exit(0);	/* closed: as expected */
		_exit(0);
	}
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	fpg_fcgi_close(&c, 0);
	close(sv[0]);
	sv[0] = -1;
	waitpid(pid, NULL, 0);
	fpg_fcgi_free(&c);
}
END_TEST

/* Not FastCGI 1, or a request's BEGIN of the wrong length. */
START_TEST(t_malformed)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;

	rec(&w, 1, 1, "12345678", 8, 0);
	w.b[0] = 2;
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_free(&c);
}
END_TEST

/* A worker's buffers lent to the connection it serves, and back. */
START_TEST(t_swap)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c, bufs;
	char		 b[8];
	int		 i;

	get(&w, 1);
	get(&w, 2);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	fpg_fcgi_init(&bufs, -1);
	fpg_fcgi_swap(&c, &bufs);
	for (i = 1; i <= 2; i++) {
		ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
		ck_assert_int_eq(c.id, i);
		ck_assert_int_eq(fpg_fcgi_read(&c, b, sizeof(b)), 0);
		ck_assert_int_eq(fpg_fcgi_write(&c, "ok", 2), 0);
		ck_assert_int_eq(fpg_fcgi_end(&c), 1);
		expect_answer(i, "ok");
		if (i == 1) {
			/* both requests were read at once: serve the next
			 * before the buffers go back */
			ck_assert_int_eq(fpg_fcgi_pending(&c), 1);
			continue;
		}
		ck_assert_int_eq(fpg_fcgi_pending(&c), 0);
		fpg_fcgi_swap(&c, &bufs);
		ck_assert_ptr_null(c.in);
		ck_assert_ptr_null(c.out);
		ck_assert_ptr_nonnull(bufs.in);
		ck_assert_ptr_nonnull(bufs.out);
	}
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_free(&c);
	fpg_fcgi_free(&bufs);
}
END_TEST

/* CVE-2025-23016's record (libfcgi: an int overflow, then abort): two
 * lengths of 0x40000000 in a short PARAMS record are refused. */
START_TEST(t_cve_2025_23016)
{
	static const unsigned char p[] = { 0xc0, 0, 0, 0, 0xc0, 0, 0, 0,
	    'A', 'B' };
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;

	begin(&w, 1, 1, 1);
	rec(&w, 4, 1, p, sizeof(p), 6);
	rec(&w, 4, 1, NULL, 0, 0);
	send_wire(&w);
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	fpg_fcgi_free(&c);
}
END_TEST

/* Review findings (session 5).  A BEGIN_REQUEST whose padding comes in
 * a later read: its role and flags are read before the padding moves
 * the buffer (they were read after, from whatever came next). */
START_TEST(t_begin_split)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	unsigned char	 b[8] = { 0, 1, 1 }, p[64];
	size_t		 n = pair(p, "REQUEST_METHOD", "GET");
	pid_t		 pid;

	rec(&w, 1, 1, b, 8, 8);			/* RESPONDER, KEEP_CONN */
	ck_assert_int_eq(write(sv[0], w.b, 16), 16);	/* no padding yet */
	w.n = 0;
	memset(w.b, 0xee, 8);			/* the padding: not a role */
	w.n = 8;
	rec(&w, 4, 1, p, n, 0);
	rec(&w, 4, 1, NULL, 0, 0);
	rec(&w, 5, 1, NULL, 0, 0);
	if ((pid = fork()) == 0) {
		usleep(200000);
		_exit(write(sv[0], w.b, w.n) == (ssize_t)w.n ? 0 : 1);
	}
	/* non-blocking, as serve.c accepts: fcgi.c waits for the rest */
	fpg_fcgi_init(&c, sv[1]);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_int_eq(c.id, 1);
	ck_assert_int_eq(c.keep, 1);
	ck_assert_str_eq(c.envp[0], "REQUEST_METHOD=GET");
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	fpg_fcgi_free(&c);
}
END_TEST

/* A web server that sends one byte and no more, or never reads the
 * answer, holds the worker for io_ms at most, not forever. */
START_TEST(t_slow_peer)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	static char	 big[1 << 20];
	int64_t		 t0;

	ck_assert_int_eq(write(sv[0], "\1", 1), 1);
	fpg_fcgi_init(&c, sv[1]);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	c.io_ms = 300;
	t0 = fpg_now_us();
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	ck_assert_int_ge(fpg_now_us() - t0, 250000);	/* it waited */
	ck_assert_int_lt(fpg_now_us() - t0, 2000000);
	fpg_fcgi_free(&c);

	/* a whole request, then an answer bigger than the socket holds */
	close(sv[0]);
	setup();
	get(&w, 1);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	c.io_ms = 300;
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	memset(big, 'x', sizeof(big));
	t0 = fpg_now_us();
	(void)fpg_fcgi_write(&c, big, sizeof(big));
	ck_assert_int_eq(fpg_fcgi_end(&c), 0);		/* closed */
	ck_assert_int_lt(fpg_now_us() - t0, 5000000);
	fpg_fcgi_free(&c);
}
END_TEST

/* A second BEGIN_REQUEST with the open request's own id: a protocol
 * error (the connection closes), not a CANT_MPX_CONN for that id,
 * which the web server would take as the request's end. */
START_TEST(t_same_id)
{
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;
	unsigned char	 x[8];

	begin(&w, 1, 1, 1);
	begin(&w, 1, 1, 1);
	send_wire(&w);
	shutdown(sv[0], SHUT_WR);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), -1);
	fpg_fcgi_free(&c);
	ck_assert_int_eq(recv(sv[0], x, sizeof(x), MSG_DONTWAIT), 0);
}
END_TEST

/* Pairs that would not read as one NAME=value are left out: an empty
 * name, a name with '='. */
START_TEST(t_odd_names)
{
	static const unsigned char p[] = {
	    3, 1, 'A', '=', 'B', 'v',		/* A=B = v */
	    0, 1, 'x',				/* "" = x */
	    4, 1, 'G', 'O', 'O', 'D', '1' };	/* GOOD = 1 */
	struct wire	 w = { .n = 0 };
	struct fpg_fcgi	 c;

	begin(&w, 1, 1, 1);
	rec(&w, 4, 1, p, sizeof(p), 0);
	rec(&w, 4, 1, NULL, 0, 0);
	rec(&w, 5, 1, NULL, 0, 0);
	send_wire(&w);
	fpg_fcgi_init(&c, sv[1]);
	ck_assert_int_eq(fpg_fcgi_begin(&c), 0);
	ck_assert_str_eq(c.envp[0], "GOOD=1");
	ck_assert_ptr_null(c.envp[1]);
	fpg_fcgi_free(&c);
}
END_TEST

/* A parameter by name: the first of its name, never a longer name's. */
START_TEST(t_env_get)
{
	static char	 e0[] = "HTTP_X_ID_LONG=no", e1[] = "HTTP_X=",
			 e2[] = "HTTP_X_ID=a", e3[] = "HTTP_X_ID=b",
			 e4[] = "NOEQUALS";
	char		*env[] = { e0, e1, e2, e3, e4, NULL };

	ck_assert_str_eq(fpg_env_get(env, "HTTP_X_ID"), "a");
	ck_assert_str_eq(fpg_env_get(env, "HTTP_X"), "");
	ck_assert_ptr_null(fpg_env_get(env, "HTTP"));
	ck_assert_ptr_null(fpg_env_get(env, "NOEQUALS"));
	ck_assert_ptr_null(fpg_env_get(NULL, "HTTP_X"));
}
END_TEST

/* FastCGI or CGI: only a listening socket on fd 0 means FastCGI. */
START_TEST(t_fd_listening)
{
	struct sockaddr_un	 sa = { .sun_family = AF_UNIX };
	int			 p[2], l;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fpg_fd_listening(p[0]), 0);
	close(p[0]);
	close(p[1]);
	/* sv: a connected pair, as CGI over a socket would have */
	ck_assert_int_eq(fpg_fd_listening(sv[0]), 0);
	ck_assert_int_ge(l = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/check_fcgi.%ld",
	    (long)getpid());
	unlink(sa.sun_path);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(fpg_fd_listening(l), 1);
	close(l);
	unlink(sa.sun_path);
	ck_assert_int_eq(fpg_fd_listening(-1), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("fcgi");
	TCase	*tc = tcase_create("fcgi");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_request);
	tcase_add_test(tc, t_pipelined);
	tcase_add_test(tc, t_management);
	tcase_add_test(tc, t_abort);
	tcase_add_test(tc, t_big_answer);
	tcase_add_test(tc, t_params_bound);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_swap);
	tcase_add_test(tc, t_cve_2025_23016);
	tcase_add_test(tc, t_begin_split);
	tcase_add_test(tc, t_slow_peer);
	tcase_add_test(tc, t_same_id);
	tcase_add_test(tc, t_odd_names);
	tcase_add_test(tc, t_env_get);
	tcase_add_test(tc, t_fd_listening);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
