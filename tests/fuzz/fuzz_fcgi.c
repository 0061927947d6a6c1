/*
 * fuzz_fcgi.c -- libFuzzer harness for the FastCGI wire (lib/fcgi.c).
 *
 * Input: the bytes a web server sends on one connection, records of
 * any type, for any request id, split and padded any way.  The harness
 * serves it as serve.c does: a request's BEGIN_REQUEST and PARAMS
 * (fpg_fcgi_begin), its STDIN read to the end (fpg_fcgi_read), an
 * answer whose length the input decides (fpg_fcgi_write, crossing the
 * STDOUT record size now and then), the request ended (fpg_fcgi_end),
 * and the next one while the connection stays.  It checks what the
 * library promises: every parameter a NUL-ended string within the
 * limits, no more STDIN than was sent, and what went back to the
 * web server a whole number of well-formed records, each STDOUT stream
 * ended and followed by its END_REQUEST.  Each input is served twice:
 * with reads that return all there is, and with reads of 1 to 23 bytes
 * (read(2) wrapped at link time, -Wl,--wrap=read), and what fcgi.c
 * made of it (parameters, STDIN, the records written back) must be
 * the same: a record split across reads is the case a review found
 * wrong (a BEGIN_REQUEST whose padding came later).
 *
 *	build: make fuzz-bins (tests/fuzz/run.sh builds and runs it)
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
ssize_t	__real_read(int, void *, size_t);
ssize_t	__wrap_read(int, void *, size_t);

static int	 split_fd = -1;	/* reads of it come in pieces */
static uint32_t	 split_state;

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	size_t	 k;

	if (fd == split_fd && n > 1) {
		split_state = split_state * 1103515245u + 12345u;
		k = 1 + (split_state >> 16) % 23;
		if (n > k)
			n = k;
	}
	return __real_read(fd, buf, n);
}

/* FNV-1a over what fcgi.c made of the input. */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211u;
	return h;
}

/* Checks the records written to fd: well-formed, whole, in order. */
static void
check_output(int fd, size_t answers)
{
	static unsigned char	 buf[1 << 20];
	ssize_t			 n;
	size_t			 o = 0, len, ends = 0;
	int			 open_out = 0;

	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		abort();
	while (o < (size_t)n) {
		if ((size_t)n - o < 8 || buf[o] != 1)
			abort();
		len = (size_t)(buf[o + 4] << 8 | buf[o + 5]);
		if ((size_t)n - o - 8 < len + buf[o + 6])
			abort();
		switch (buf[o + 1]) {
		case 6:		/* STDOUT: its end, then END_REQUEST */
			open_out = len > 0;
			break;
		case 3:		/* END_REQUEST */
			if (len != 8 || open_out)
				abort();
			ends++;
			break;
		case 10:	/* GET_VALUES_RESULT */
		case 11:	/* UNKNOWN_TYPE */
			break;
		default:
			abort();
		}
		o += 8 + len + buf[o + 6];
	}
	if (o != (size_t)n || open_out || ends < answers)
		abort();
}

/* Serves the input once; returns the hash of what was made of it. */
static uint64_t
serve(const uint8_t *data, size_t size, int split)
{
	static unsigned char out_back[1 << 20];
	struct fpg_fcgi	 c;
	char		 body[4096], out[20000];
	size_t		 got, answers = 0, i;
	uint64_t	 h = 14695981039346656037u;
	ssize_t		 k;
	int		 rfd, wfd, n;

	if ((rfd = memfd_create("in", MFD_CLOEXEC)) < 0 ||
	    (wfd = memfd_create("out", MFD_CLOEXEC)) < 0)
		abort();
	if (write(rfd, data, size) != (ssize_t)size ||
	    lseek(rfd, 0, SEEK_SET) != 0)
		abort();
	memset(out, 'x', sizeof(out));
	split_fd = split ? rfd : -1;
	split_state = size > 0 ? data[0] : 0;
	fpg_fcgi_init(&c, rfd);
	c.wfd = wfd;
	for (;;) {
		if (fpg_fcgi_begin(&c) == -1)
			break;
		if (c.id == 0 || c.envp == NULL)
			abort();
		/* NUL-ended within the limit ("=" may follow a NUL the
		 * name held, as with libfcgi: fpg_io_index skips those). */
		for (i = 0; c.envp[i] != NULL; i++) {
			if (i >= FPG_FCGI_NPARAMS_MAX ||
			    strlen(c.envp[i]) >= FPG_FCGI_PARAMS_MAX)
				abort();
			h = mix(h, c.envp[i], strlen(c.envp[i]) + 1);
		}
		h = mix(h, &c.keep, sizeof(c.keep));
		got = 0;
		while ((n = fpg_fcgi_read(&c, body, sizeof(body))) > 0) {
			if ((size_t)n > sizeof(body))
				abort();
			got += (size_t)n;
			h = mix(h, body, (size_t)n);
		}
		if (got > size)
			abort();
		/* An answer of 0 to 19999 bytes, by the input. */
		if (fpg_fcgi_write(&c, out, (size * 7919 + answers * 131) %
		    sizeof(out)) == -1)
			abort();
		answers++;
		if (!fpg_fcgi_end(&c))
			break;
		/* the same fd, its buffers reused */
		c.wfd = wfd;
	}
	split_fd = -1;
	fpg_fcgi_free(&c);	/* closed: rfd */
	check_output(wfd, answers);
	if (lseek(wfd, 0, SEEK_SET) != 0 ||
	    (k = read(wfd, out_back, sizeof(out_back))) < 0)
		abort();
	h = mix(h, out_back, (size_t)k);
	close(wfd);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	/* the same, however the bytes come */
	if (serve(data, size, 0) != serve(data, size, 1))
		abort();
	return 0;
}
