/*
 * check_fcgi.c -- the FastCGI wire itself, straight to a responder's
 * socket (STACK_DIR/run/health.sock, nginx's way of serving), for what
 * no web server lets a test do on purpose: a kept connection
 * (FCGI_KEEP_CONN) that sends a request and half-closes at once must
 * still get its answer (issue 12, item 7).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

enum { BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6 };

static int
connect_to(const char *name)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 5, 0 };
	const char		*dir = getenv("STACK_DIR");
	int			 fd;

	ck_assert_ptr_nonnull(dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/run/%s.sock", dir,
	    name);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "%s: %s", sun.sun_path, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Appends one record of type t with n content bytes to b. */
static size_t
record(unsigned char *b, int t, const void *p, size_t n)
{
	b[0] = 1;
	b[1] = (unsigned char)t;
	b[2] = 0;
	b[3] = 1;			/* request id 1 */
	b[4] = (unsigned char)(n >> 8);
	b[5] = (unsigned char)n;
	b[6] = b[7] = 0;
	memcpy(b + 8, p, n);
	return 8 + n;
}

/* One name-value pair, both shorter than 128. */
static size_t
pair(unsigned char *b, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);

	b[0] = (unsigned char)kl;
	b[1] = (unsigned char)vl;
	memcpy(b + 2, k, kl);
	memcpy(b + 2 + kl, v, vl);
	return 2 + kl + vl;
}

/* Writes a whole GET /healthz request, keep-conn, to fd. */
static void
send_request(int fd)
{
	unsigned char	 buf[1024], params[512];
	unsigned char	 begin[8] = { 0, 1, 1, 0, 0, 0, 0, 0 }; /* KEEP_CONN */
	size_t		 n = 0, pn = 0;

	pn += pair(params + pn, "REQUEST_METHOD", "GET");
	pn += pair(params + pn, "REQUEST_URI", "/healthz");
	pn += pair(params + pn, "QUERY_STRING", "");
	n += record(buf + n, BEGIN, begin, sizeof(begin));
	n += record(buf + n, PARAMS, params, pn);
	n += record(buf + n, PARAMS, "", 0);
	n += record(buf + n, STDIN, "", 0);
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
}

/*
 * Reads records until END_REQUEST; returns 1 when the STDOUT stream
 * held a Status line, 0 when the connection ended first.
 */
static int
read_response(int fd)
{
	unsigned char	 h[8], body[65536 + 256];
	size_t		 len, got;
	ssize_t		 n;
	int		 status = 0;

	for (;;) {
		for (got = 0; got < 8; got += (size_t)n)
			if ((n = read(fd, h + got, 8 - got)) <= 0)
				return 0;
		len = ((size_t)h[4] << 8 | h[5]) + h[6];
		for (got = 0; got < len; got += (size_t)n)
			if ((n = read(fd, body + got, len - got)) <= 0)
				return 0;
		if (h[1] == STDOUT && len >= 7 && memcmp(body, "Status:", 7) == 0)
			status = 1;
		if (h[1] == END)
			return status;
	}
}

START_TEST(half_close_after_request)
{
	int fd = connect_to("health");

	/* the first request makes it a kept connection, waiting in the set */
	send_request(fd);
	ck_assert_int_eq(read_response(fd), 1);
	usleep(50000);
	/* the second arrives with the end of the connection behind it */
	send_request(fd);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_msg(read_response(fd) == 1, "the request sent before the "
	    "half-close was not answered");
	close(fd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("fcgi");
	TCase	*tc = tcase_create("wire");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, half_close_after_request);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
