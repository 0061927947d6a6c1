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
 * ended and followed by its END_REQUEST.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fpg_fcgi	 c;
	char		 body[4096], out[20000];
	size_t		 got, answers = 0, i;
	int		 rfd, wfd, n;

	if (size > 256 * 1024)
		return 0;
	if ((rfd = memfd_create("in", MFD_CLOEXEC)) < 0 ||
	    (wfd = memfd_create("out", MFD_CLOEXEC)) < 0)
		abort();
	if (write(rfd, data, size) != (ssize_t)size ||
	    lseek(rfd, 0, SEEK_SET) != 0)
		abort();
	memset(out, 'x', sizeof(out));
	fpg_fcgi_init(&c, rfd);
	c.wfd = wfd;
	for (;;) {
		if (fpg_fcgi_begin(&c) == -1)
			break;
		if (c.id == 0 || c.envp == NULL)
			abort();
		/* NUL-ended within the limit ("=" may follow a NUL the
		 * name held, as with libfcgi: fpg_io_index skips those). */
		for (i = 0; c.envp[i] != NULL; i++)
			if (i >= FPG_FCGI_NPARAMS_MAX ||
			    strlen(c.envp[i]) >= FPG_FCGI_PARAMS_MAX)
				abort();
		got = 0;
		while ((n = fpg_fcgi_read(&c, body, sizeof(body))) > 0) {
			if ((size_t)n > sizeof(body))
				abort();
			got += (size_t)n;
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
	fpg_fcgi_free(&c);	/* closed: rfd */
	check_output(wfd, answers);
	close(wfd);
	return 0;
}
