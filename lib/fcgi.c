/*
 * fcgi.c -- the FastCGI wire of one connection, one request at a time
 * (the FastCGI 1.0 specification): the records of a request read with
 * as few reads as they arrive in, its parameters made into "NAME=value"
 * strings in place, its STDIN handed out as the body, and its answer
 * gathered into STDOUT records written with the END_REQUEST in one
 * write when it fits.  It replaces libfcgi's FCGX_Accept_r/Finish_r,
 * which copied every parameter into its own malloc and made three
 * streams with their buffers for every request.
 *
 * What the web server may send, and what it gets:
 *   BEGIN_REQUEST    a RESPONDER request; another role is refused
 *                    (END_REQUEST, UNKNOWN_ROLE); a second one while a
 *                    request is open is refused (CANT_MPX_CONN)
 *   PARAMS, STDIN    the open request's, in order; over any number of
 *                    records, PARAMS bounded by FPG_FCGI_PARAMS_MAX
 *   GET_VALUES       answered (one connection, one request, no
 *                    multiplexing), as libfcgi did
 *   other, id 0      UNKNOWN_TYPE
 *   other ids        skipped
 *   ABORT_REQUEST, DATA, or anything out of order for the open request:
 *                    a protocol error; the connection is closed once
 *                    the request is answered (as libfcgi did)
 *
 * Every length is checked before it is used: a record's content is at
 * most 65535 bytes (its header says so in 16 bits), its padding 255,
 * and the buffers are fixed (input, output) or capped (parameters).
 * The connection is non-blocking: a request is read, and an answer
 * written, within io_ms (FPG_FCGI_IO_MS), so a web server that sends
 * or reads too slowly loses the connection instead of holding a
 * worker.  A parameter that would not read as one NAME=value (an empty
 * name, a name with '=') is left out.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

#define VERSION_1		1
#define T_BEGIN_REQUEST		1
#define T_ABORT_REQUEST		2
#define T_END_REQUEST		3
#define T_PARAMS		4
#define T_STDIN			5
#define T_STDOUT		6
#define T_GET_VALUES		9
#define T_GET_VALUES_RESULT	10
#define T_UNKNOWN_TYPE		11
#define ROLE_RESPONDER		1
#define FLAG_KEEP_CONN		1
#define ST_COMPLETE		0
#define ST_CANT_MPX_CONN	1
#define ST_UNKNOWN_ROLE		3

#define HDR		8
#define IN_SIZE		16384		/* bytes read at once */
#define OUT_SIZE	16384		/* one STDOUT record's content, at most */
#define CLOSE_WAIT_MS	2000		/* libfcgi's OS_Close linger */

struct hdr {
	int	 type, id;
	size_t	 len, pad;
};

/* Sets up c for the connection fd (-1: none yet); no buffer is made. */
void
fpg_fcgi_init(struct fpg_fcgi *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = c->wfd = fd;
	c->io_ms = FPG_FCGI_IO_MS;
}

/*
 * Waits until fd is ready for ev (the connection is non-blocking), at
 * most until end (microseconds; past: only what is ready now).  0, or
 * -1 when the time is up or the connection broke: a web server that
 * sends or reads too slowly cannot hold a worker for longer.
 */
static int
wait_io(int fd, short ev, int64_t end)
{
	struct pollfd	 p = { .fd = fd, .events = ev };
	int64_t		 ms = (end - fpg_now_us()) / 1000;
	int		 n;

	do
		n = poll(&p, 1, ms > 0 ? (int)(ms > 60000 ? 60000 : ms) : 0);
	while (n < 0 && errno == EINTR);
	return n > 0 && (p.revents & (ev | POLLHUP | POLLERR)) ? 0 : -1;
}

/*
 * Swaps the buffers of a and b (no bytes may be pending in either):
 * a worker lends its buffers to the connection it serves and takes
 * them back before the connection waits for its next request, so the
 * memory goes with the workers, as many as serve at once, not with
 * every connection the web server keeps.
 */
void
fpg_fcgi_swap(struct fpg_fcgi *a, struct fpg_fcgi *b)
{
	struct fpg_fcgi	 t = *a;

	a->in = b->in;
	a->out = b->out;
	a->params = b->params;
	a->pcap = b->pcap;
	a->envp = b->envp;
	a->envcap = b->envcap;
	b->in = t.in;
	b->out = t.out;
	b->params = t.params;
	b->pcap = t.pcap;
	b->envp = t.envp;
	b->envcap = t.envcap;
	a->inoff = a->inlen = b->inoff = b->inlen = 0;
	a->outlen = b->outlen = 0;
}

/* Frees c's buffers (its connection is closed first, if open). */
void
fpg_fcgi_free(struct fpg_fcgi *c)
{
	fpg_fcgi_close(c, 1);
	free(c->in);
	free(c->out);
	free(c->params);
	free(c->envp);
	fpg_fcgi_init(c, -1);
}

/* The time a wait may last till: io_ms from the first wait (the clock
 * is read only when there is something to wait for). */
static int64_t
until(int64_t *end, long io_ms)
{
	if (*end == 0)
		*end = fpg_now_us() + (int64_t)io_ms * 1000;
	return *end;
}

static int
write_all(struct fpg_fcgi *c, const unsigned char *p, size_t n)
{
	int64_t	 end = 0;
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(c->wfd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_io(c->wfd, POLLOUT, until(&end, c->io_ms)) == 0)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
put_hdr(unsigned char *h, int type, int id, size_t len, size_t pad)
{
	h[0] = VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = (unsigned char)pad;
	h[7] = 0;
}

/* Writes an END_REQUEST for id with protocol status st. */
static int
end_record(struct fpg_fcgi *c, int id, int st)
{
	unsigned char r[HDR + 8];

	put_hdr(r, T_END_REQUEST, id, 8, 0);
	memset(r + HDR, 0, 8);
	r[HDR + 4] = (unsigned char)st;
	return write_all(c, r, sizeof(r));
}

/*
 * Makes at least n bytes readable in c->in (n <= IN_SIZE), reading
 * as much as comes.  Returns 0, or -1 at the end of the connection or
 * on an error.
 */
static int
fill(struct fpg_fcgi *c, size_t n)
{
	ssize_t	 got;

	if (c->in == NULL && (c->in = malloc(IN_SIZE)) == NULL)
		return -1;
	if (c->inlen - c->inoff >= n)
		return 0;
	if (c->inoff > 0) {
		memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
		c->inlen -= c->inoff;
		c->inoff = 0;
	}
	while (c->inlen < n) {
		got = read(c->fd, c->in + c->inlen, IN_SIZE - c->inlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_io(c->fd, POLLIN, until(&c->deadline,
			    c->io_ms)) == -1)
				return -1;
			continue;
		}
		if (got <= 0)
			return -1;
		c->inlen += (size_t)got;
	}
	return 0;
}

/* Drops n bytes of input (a skipped record's content and padding). */
static int
skip(struct fpg_fcgi *c, size_t n)
{
	size_t	 k;

	while (n > 0) {
		if (fill(c, 1) == -1)
			return -1;
		k = c->inlen - c->inoff < n ? c->inlen - c->inoff : n;
		c->inoff += k;
		n -= k;
	}
	return 0;
}

/* Reads the next record's header.  0 or -1. */
static int
next_hdr(struct fpg_fcgi *c, struct hdr *h)
{
	const unsigned char *p;

	if (fill(c, HDR) == -1)
		return -1;
	p = c->in + c->inoff;
	c->inoff += HDR;
	if (p[0] != VERSION_1)
		return -1;
	h->type = p[1];
	h->id = p[2] << 8 | p[3];
	h->len = (size_t)(p[4] << 8 | p[5]);
	h->pad = p[6];
	return 0;
}

/* One name or value length of a pair at *p (below end).  -1: none. */
static long
pair_len(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;

	if (q >= end)
		return -1;
	if (*q < 0x80) {
		*p = q + 1;
		return *q;
	}
	if (end - q < 4)
		return -1;
	*p = q + 4;
	return (long)((uint32_t)(q[0] & 0x7f) << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3]);
}

/*
 * A management record (id 0): GET_VALUES answered as libfcgi did (one
 * connection, one request, no multiplexing), any other UNKNOWN_TYPE.
 */
static int
management(struct fpg_fcgi *c, const struct hdr *h)
{
	static const char *const names[] = { "FCGI_MAX_CONNS",
	    "FCGI_MAX_REQS", "FCGI_MPXS_CONNS" };
	static const char vals[] = "110";
	unsigned char	 body[HDR + 64 + 8], *o = body + HDR;
	const unsigned char *p, *end;
	long		 nl, vl;
	size_t		 i, len;

	if (h->type != T_GET_VALUES) {
		put_hdr(body, T_UNKNOWN_TYPE, 0, 8, 0);
		memset(o, 0, 8);
		o[0] = (unsigned char)h->type;
		return skip(c, h->len + h->pad) == -1 ||
		    write_all(c, body, HDR + 8) == -1 ? -1 : 0;
	}
	/* The names asked for are in one record's content. */
	if (fill(c, h->len > IN_SIZE ? IN_SIZE : h->len) == -1 ||
	    h->len > IN_SIZE)
		return -1;
	p = c->in + c->inoff;
	end = p + h->len;
	while (p < end) {
		if ((nl = pair_len(&p, end)) < 0 || (vl = pair_len(&p, end)) < 0 ||
		    (size_t)(end - p) < (size_t)nl + (size_t)vl)
			return -1;
		for (i = 0; i < 3; i++)
			if ((size_t)nl == strlen(names[i]) &&
			    memcmp(p, names[i], (size_t)nl) == 0 &&
			    (size_t)(o - body) + 3 + (size_t)nl <= HDR + 64) {
				*o++ = (unsigned char)nl;
				*o++ = 1;
				memcpy(o, names[i], (size_t)nl);
				o += nl;
				*o++ = (unsigned char)vals[i];
			}
		p += nl + vl;
	}
	c->inoff += h->len;
	if (skip(c, h->pad) == -1)
		return -1;
	len = (size_t)(o - body) - HDR;
	put_hdr(body, T_GET_VALUES_RESULT, 0, len, (8 - len % 8) % 8);
	memset(o, 0, (8 - len % 8) % 8);
	return write_all(c, body, HDR + len + (8 - len % 8) % 8);
}

static int
name_ok(const unsigned char *p, long n)
{
	return n > 0 && memchr(p, '=', (size_t)n) == NULL;
}

/*
 * Turns the PARAMS stream (c->params, c->plen bytes) into NUL-ended
 * "NAME=value" strings in place (a pair's lengths take at least the 2
 * bytes its '=' and NUL need, so the strings never overtake the pairs
 * still to read) and points c->envp at them.  0, or -1 when malformed.
 */
static int
make_env(struct fpg_fcgi *c)
{
	const unsigned char *p = (unsigned char *)c->params;
	const unsigned char *end = c->plen ? p + c->plen : p;
	char		*o = c->params, **ev;
	long		 nl, vl;
	size_t		 n = 0;

	while (c->plen > 0 && p < end) {
		if ((nl = pair_len(&p, end)) < 0 || (vl = pair_len(&p, end)) < 0 ||
		    (size_t)(end - p) < (size_t)nl + (size_t)vl)
			return -1;
		/* An empty name, or one with '=', would read as another
		 * NAME=value: such a pair is left out.  (A NUL only cuts
		 * a name or value short: the name then matches none.) */
		if (!name_ok(p, nl)) {
			p += nl + vl;
			continue;
		}
		if (n + 1 >= c->envcap) {
			size_t ncap = c->envcap ? c->envcap * 2 : 64;

			if (ncap > FPG_FCGI_NPARAMS_MAX + 1 ||
			    (ev = realloc(c->envp, ncap * sizeof(*ev))) == NULL)
				return -1;
			c->envp = ev;
			c->envcap = ncap;
		}
		c->envp[n++] = o;
		memmove(o, p, (size_t)nl);
		o[nl] = '=';
		memmove(o + nl + 1, p + nl, (size_t)vl);
		o[nl + 1 + vl] = '\0';
		o += nl + vl + 2;
		p += nl + vl;
	}
	if (c->envp == NULL &&
	    (c->envp = malloc(sizeof(*c->envp))) == NULL)
		return -1;
	c->envp[n] = NULL;
	return 0;
}

/* Appends n bytes of the open request's PARAMS.  0 or -1 (too many). */
static int
params_add(struct fpg_fcgi *c, size_t n)
{
	char	*p;
	size_t	 ncap;

	if (c->plen + n > FPG_FCGI_PARAMS_MAX)
		return -1;
	if (c->plen + n > c->pcap) {
		for (ncap = c->pcap ? c->pcap : 4096; ncap < c->plen + n; )
			ncap *= 2;
		if ((p = realloc(c->params, ncap)) == NULL)
			return -1;
		c->params = p;
		c->pcap = ncap;
	}
	while (n > 0) {
		size_t k;

		if (fill(c, 1) == -1)
			return -1;
		k = c->inlen - c->inoff < n ? c->inlen - c->inoff : n;
		memcpy(c->params + c->plen, c->in + c->inoff, k);
		c->plen += k;
		c->inoff += k;
		n -= k;
	}
	return 0;
}

/*
 * Handles a record that is not the open request's next STDIN or
 * PARAMS: management records, other ids, a second BEGIN_REQUEST.
 * Returns 0 when it was dealt with, -1 on an error or a protocol
 * error (the record belonged to the open request, out of order).
 */
static int
other(struct fpg_fcgi *c, const struct hdr *h)
{
	if (h->type == T_BEGIN_REQUEST && h->id != 0) {
		/* the open request's own id again: out of order */
		if (h->len != 8 || h->id == c->id)
			return -1;
		/* multiplexing: not here */
		return skip(c, h->len + h->pad) == -1 ||
		    end_record(c, h->id, ST_CANT_MPX_CONN) == -1 ? -1 : 0;
	}
	if (h->id == 0)
		return management(c, h);
	if (h->id != c->id)
		return skip(c, h->len + h->pad);
	return -1;	/* ABORT_REQUEST, DATA, ... of the open request */
}

/*
 * Reads the connection's next request: its BEGIN_REQUEST and all of
 * its PARAMS, which c->envp then holds (valid until the next call).
 * Bytes of its STDIN may already be buffered.  Returns 0, or -1 when
 * the connection ended or broke (it is to be closed).
 */
int
fpg_fcgi_begin(struct fpg_fcgi *c)
{
	struct hdr	 h;
	const unsigned char *b;
	int		 role, flags;

	c->id = c->keep = c->in_eof = 0;
	c->left = c->pad = c->plen = 0;
	c->rerr = c->werr = 0;
	/* The whole request read within io_ms of its first wait. */
	c->deadline = 0;
	for (;;) {
		if (next_hdr(c, &h) == -1)
			return -1;
		if (c->id == 0 && h.type == T_BEGIN_REQUEST && h.id != 0) {
			if (h.len != 8 || fill(c, 8) == -1)
				return -1;
			/* read before the padding is: skip may move the
			 * buffer's bytes */
			b = c->in + c->inoff;
			role = b[0] << 8 | b[1];
			flags = b[2];
			c->inoff += 8;
			if (skip(c, h.pad) == -1)
				return -1;
			if (role != ROLE_RESPONDER) {
				if (end_record(c, h.id, ST_UNKNOWN_ROLE) == -1)
					return -1;
				continue;
			}
			c->id = h.id;
			c->keep = flags & FLAG_KEEP_CONN;
			continue;
		}
		if (c->id != 0 && h.id == c->id && h.type == T_PARAMS) {
			if (h.len == 0) {
				if (skip(c, h.pad) == -1 || make_env(c) == -1)
					return -1;
				return 0;
			}
			if (params_add(c, h.len) == -1 || skip(c, h.pad) == -1)
				return -1;
			continue;
		}
		if (other(c, &h) == -1)
			return -1;
	}
}

/*
 * Reads up to n bytes of the open request's STDIN into buf.  Returns
 * how many, 0 at its end, -1 on an error (the connection is then
 * closed once the request is answered).
 */
int
fpg_fcgi_read(struct fpg_fcgi *c, char *buf, size_t n)
{
	struct hdr	 h;
	size_t		 k;

	if (c->rerr)
		return -1;
	while (c->left == 0) {
		if (c->in_eof)
			return 0;
		if (skip(c, c->pad) == -1 || next_hdr(c, &h) == -1)
			goto fail;
		c->pad = 0;
		if (h.id == c->id && h.type == T_STDIN) {
			c->left = h.len;
			c->pad = h.pad;
			if (h.len == 0) {
				if (skip(c, h.pad) == -1)
					goto fail;
				c->pad = 0;
				c->in_eof = 1;
			}
		} else if (other(c, &h) == -1)
			goto fail;
	}
	if (n > INT32_MAX)
		n = INT32_MAX;
	if (fill(c, 1) == -1)
		goto fail;
	k = c->inlen - c->inoff;
	if (k > c->left)
		k = c->left;
	if (k > n)
		k = n;
	memcpy(buf, c->in + c->inoff, k);
	c->inoff += k;
	c->left -= k;
	return (int)k;
fail:
	c->rerr = 1;
	return -1;
}

/* Writes the STDOUT record gathered in c->out, if any.  0 or -1. */
static int
flush_out(struct fpg_fcgi *c, int last)
{
	size_t	 len = c->outlen, pad = (8 - len % 8) % 8, n;

	if (len > 0) {
		put_hdr(c->out, T_STDOUT, c->id, len, pad);
		memset(c->out + HDR + len, 0, pad);
	}
	n = len > 0 ? HDR + len + pad : 0;
	/* The stream's end and the END_REQUEST go in the same write. */
	if (last) {
		put_hdr(c->out + n, T_STDOUT, c->id, 0, 0);
		put_hdr(c->out + n + HDR, T_END_REQUEST, c->id, 8, 0);
		memset(c->out + n + 2 * HDR, 0, 8);
		c->out[n + 2 * HDR + 4] = ST_COMPLETE;
		n += 3 * HDR;
	}
	c->outlen = 0;
	if (n > 0 && write_all(c, c->out, n) == -1) {
		c->werr = 1;
		return -1;
	}
	return 0;
}

/* Appends n bytes of the answer (STDOUT).  0, or -1 when it failed. */
int
fpg_fcgi_write(struct fpg_fcgi *c, const char *buf, size_t n)
{
	size_t	 k;

	if (c->werr)
		return -1;
	/* content, padding to 8, and room for the two closing records */
	if (c->out == NULL &&
	    (c->out = malloc(HDR + OUT_SIZE + 8 + 3 * HDR)) == NULL) {
		c->werr = 1;
		return -1;
	}
	while (n > 0) {
		if (c->outlen == OUT_SIZE && flush_out(c, 0) == -1)
			return -1;
		k = OUT_SIZE - c->outlen < n ? OUT_SIZE - c->outlen : n;
		memcpy(c->out + HDR + c->outlen, buf, k);
		c->outlen += k;
		buf += k;
		n -= k;
	}
	return 0;
}

/*
 * Closes the connection.  linger: shut down the sending side and wait
 * (up to CLOSE_WAIT_MS) for the web server to close its own, reading
 * what it still sends, so that unread input cannot reset the
 * connection under an answer still on its way (libfcgi's OS_Close);
 * without it, when all the input was read, the close is at once.
 */
void
fpg_fcgi_close(struct fpg_fcgi *c, int linger)
{
	struct pollfd	 p;
	char		 b[1024];
	int64_t		 end;
	int		 ms;

	if (c->fd < 0)
		return;
	if (linger && shutdown(c->fd, SHUT_WR) == 0) {
		end = fpg_now_us() + CLOSE_WAIT_MS * 1000;
		p.fd = c->fd;
		p.events = POLLIN;
		while ((ms = (int)((end - fpg_now_us()) / 1000)) > 0 &&
		    poll(&p, 1, ms) > 0 && read(c->fd, b, sizeof(b)) > 0)
			;
	}
	close(c->fd);
	c->fd = c->wfd = -1;
	c->inoff = c->inlen = 0;
	c->id = 0;
}

/*
 * Ends the open request: the rest of its answer, the end of STDOUT and
 * END_REQUEST, in one write when they fit.  The connection stays open
 * for the next request when the web server asked (FCGI_KEEP_CONN) and
 * nothing failed: returns 1.  Otherwise it is closed (lingering unless
 * all the input was read) and 0 is returned.
 */
int
fpg_fcgi_end(struct fpg_fcgi *c)
{
	/* The answer goes out even after its input broke, as in libfcgi. */
	if (c->id != 0 && !c->werr &&
	    (c->out != NULL || (c->out = malloc(HDR + OUT_SIZE + 8 +
	    3 * HDR)) != NULL))
		(void)flush_out(c, 1);
	else
		c->werr = 1;
	c->id = 0;
	if (c->keep && !c->rerr && !c->werr)
		return 1;
	fpg_fcgi_close(c, !c->in_eof);
	return 0;
}

/* Whether bytes of a next request are read already (a web server that
 * sent it before the answer): epoll would not report them again. */
int
fpg_fcgi_pending(const struct fpg_fcgi *c)
{
	return c->fd >= 0 && c->inlen > c->inoff;
}
