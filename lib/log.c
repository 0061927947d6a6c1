/*
 * log.c -- one line per event on stderr, written with one write(2) so
 * that lines from several threads and processes never interleave.
 *
 * A worker's access lines are written in batches (fpg_log_batch): kept
 * in a PIPE_BUF-sized buffer of the thread's, so a batch is still one
 * atomic write of whole lines, and written out when the worker finds
 * no request waiting (fpg_log_flush, before it would sleep), when the
 * next line would not fit, when the oldest has waited a second, before
 * any other line of the thread, when the worker ends, and when the
 * process crashes (a fatal signal, or a sanitizer's report:
 * fpg_log_crash_guard).  The second's age is checked as a line is
 * added: a line waits at most for the worker's request in progress.
 * So an idle responder's lines appear at once, a busy one writes many
 * in one write(2), and only SIGKILL can lose the lines of a batch.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

int	fpg_log_level = FPG_LOG_INFO;

static char			 log_name[65] = "fastpg";
static int			 log_json;	/* LOG_FORMAT=json */
static __thread const char	*log_id;	/* the thread's request */

#define BATCH_MAX	PIPE_BUF	/* bytes of a batch: one atomic write */
#define BATCH_AGE_S	1		/* seconds a line may wait */
#define BATCHES_MAX	1024		/* threads with a batch (POOL_SIZE) */

/* A thread's batch; state says who may touch it. */
struct batch {
	char	 b[BATCH_MAX];
	size_t	 n;
	time_t	 first;		/* when its oldest line was made */
	int	 state;		/* 0 free, 1 its thread's, 2 the crash's */
};

static struct batch	*batches[BATCHES_MAX];	/* never freed */
static int		 nbatches;
static __thread struct batch	*my_batch;

/* Writes all n bytes of p to stderr (retried on EINTR and short writes). */
static void
put_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Takes b for its thread: 0 when the crash handler has it. */
static int
batch_take(struct batch *b)
{
	int	 free_ = 0;

	return __atomic_compare_exchange_n(&b->state, &free_, 1, 0,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void
batch_give(struct batch *b)
{
	__atomic_store_n(&b->state, 0, __ATOMIC_RELEASE);
}

/* Writes out the batch (taken). */
static void
batch_out(struct batch *b)
{
	if (b->n > 0)
		put_all(b->b, b->n);
	b->n = 0;
}

/*
 * A line: into the thread's batch if it keeps one (now: the line's
 * time), else written at once.
 */
static void
sink(const char *line, size_t len, time_t now)
{
	struct batch	*b = my_batch;

	if (b == NULL || len > BATCH_MAX || !batch_take(b)) {
		put_all(line, len);
		return;
	}
	if (b->n + len > BATCH_MAX || (b->n > 0 && now - b->first >=
	    BATCH_AGE_S))
		batch_out(b);
	if (b->n == 0)
		b->first = now;
	memcpy(b->b + b->n, line, len);
	b->n += len;
	batch_give(b);
}

/*
 * From now on the calling thread's access lines are batched (a worker:
 * it calls fpg_log_flush before it would wait).  0, or -1 when no
 * batch could be had (its lines are written one by one).
 */
int
fpg_log_batch(void)
{
	struct batch	*b;
	int		 i;

	if (my_batch != NULL)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if ((i = __atomic_fetch_add(&nbatches, 1, __ATOMIC_RELAXED)) >=
	    BATCHES_MAX) {
		free(b);
		return -1;
	}
	__atomic_store_n(&batches[i], b, __ATOMIC_RELEASE);
	my_batch = b;
	return 0;
}

/* Whether the calling thread holds lines not written yet. */
int
fpg_log_pending(void)
{
	return my_batch != NULL && my_batch->n > 0;
}

/* Writes out the calling thread's batch. */
void
fpg_log_flush(void)
{
	struct batch	*b = my_batch;

	if (b == NULL || b->n == 0 || !batch_take(b))
		return;
	batch_out(b);
	batch_give(b);
}

static struct sigaction	 crash_old[NSIG];

/* The sanitizers' runtime, when linked (weak: NULL otherwise). */
void	__sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

/*
 * Every thread's batch written out, the process about to die (a batch
 * its thread is filling is waited for, briefly; then the crash keeps
 * them all).  Only async-signal-safe calls.
 */
static void
flush_all(void)
{
	struct batch	*b;
	int		 i, n, free_, tries;

	n = __atomic_load_n(&nbatches, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < BATCHES_MAX; i++) {
		if ((b = __atomic_load_n(&batches[i], __ATOMIC_ACQUIRE)) ==
		    NULL)
			continue;
		for (tries = 0; tries < 1000; tries++) {
			free_ = 0;
			if (__atomic_compare_exchange_n(&b->state, &free_, 2,
			    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			if (free_ == 2)
				break;	/* a second fatal signal */
			sched_yield();
		}
		if (free_ == 0)
			batch_out(b);
	}
}

/* A fatal signal: the batches out, then the signal goes where it went
 * before: a fault returns to fault again, a signal sent is sent again. */
static void
on_crash(int sig, siginfo_t *si, void *uc)
{
	int	 e = errno;

	(void)uc;
	flush_all();
	sigaction(sig, &crash_old[sig], NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
	errno = e;
}

/*
 * On SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT, the batches are
 * written out before the process dies (the handlers found, a
 * sanitizer's say, still run after).  Called once, at start.
 */
void
fpg_log_crash_guard(void)
{
	static const int	 sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT };
	struct sigaction	 sa;
	size_t			 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &crash_old[sigs[i]]);
	/* Under ASan/UBSan a report ends the process with _exit(1). */
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(flush_all);
}

/*
 * The resource's name on every line, the level let through, and the
 * format: text lines, or one JSON object a line (json).
 */
void
fpg_log_init(const char *name, int level, int json)
{
	snprintf(log_name, sizeof(log_name), "%s", name ? name : "fastpg");
	fpg_log_level = level;
	log_json = json;
}

/*
 * s as a JSON string (quotes included) at p, at most room bytes
 * (room >= 8): quote, backslash and every byte outside printable
 * ASCII escaped as \u00XX, so a line is valid JSON whatever the client
 * sent.  Cut short, it still closes.  Returns the end.
 */
static char *
put_json(char *p, size_t room, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*end = p + room - 2;

	*p++ = '"';
	for (; s != NULL && *s && p + 6 <= end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else
			*p++ = (char)c;
	}
	*p++ = '"';
	return p;
}

/* The time now as RFC 3339 UTC with milliseconds, 24 bytes and NUL. */
static void
rfc3339(char *out, size_t outsz)
{
	struct timespec	 ts;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* The request the calling thread serves (its id), or NULL. */
void
fpg_log_request(const char *id)
{
	log_id = id;
}

static const char *const levels[] = { "error", "warn", "info", "debug" };

/*
 * Copies len bytes of src into dst (NUL-terminated, at most dstsz
 * bytes), escaping what a terminal or a log parser could trip on:
 * control bytes, DEL, backslash and double quote become \xNN.
 * Returns the length written.
 */
size_t
fpg_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	if (dstsz == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c < 0x20 || c == 0x7f || c == '\\' || c == '"') {
			if (o + 4 >= dstsz)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

/* One message as a JSON line: time, level, resource, pid, msg, id. */
static void
emit_json(const char *level, const char *msg)
{
	char	 line[2400], *p = line, date[64];

	rfc3339(date, sizeof(date));
	p += snprintf(p, 200, "{\"time\":\"%s\",\"level\":\"%s\","
	    "\"resource\":", date, level);
	p = put_json(p, 80, log_name);
	p += snprintf(p, 40, ",\"pid\":%d,\"msg\":", (int)getpid());
	p = put_json(p, 1900, msg);
	if (log_id != NULL) {
		p = stpcpy(p, ",\"id\":");
		p = put_json(p, 80, log_id);
	}
	p = stpcpy(p, "}\n");
	(void)!write(STDERR_FILENO, line, (size_t)(p - line));
}

static void
emit(const char *level, const char *msg)
{
	char		 line[2048], esc[1800];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fpg_escape(esc, sizeof(esc), msg, strlen(msg));
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%d] %s%s%s%s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level, log_name,
	    (int)getpid(), esc, log_id ? " (id=" : "", log_id ? log_id : "",
	    log_id ? ")" : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/*
 * Logs a printf-formatted message at the given level, if LOG_LEVEL lets
 * it through.  Non-printable bytes are escaped.
 */
void
fpg_log(enum fpg_log_level lvl, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	if ((int)lvl > fpg_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fpg_log_flush();	/* the thread's lines stay in order */
	if (log_json)
		emit_json(levels[lvl], msg);
	else
		emit(levels[lvl], msg);
}

/* Appends the decimal digits of v. */
static char *
put_num(char *p, unsigned long long v)
{
	char	 tmp[24];
	size_t	 n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * The access line as JSON: time, level, resource, pid, id, trace,
 * method, route, path, status, bytes, duration_us, db_us, parse_us,
 * validate_us, remote_addr.
 */
static void
access_json(const struct fpg_access *a)
{
	char	 line[2048], *p = line, date[64];

	rfc3339(date, sizeof(date));
	p += snprintf(p, 120, "{\"time\":\"%s\",\"level\":\"info\","
	    "\"msg\":\"access\",\"resource\":", date);
	p = put_json(p, 80, log_name);
	p += snprintf(p, 40, ",\"pid\":%d,\"id\":", (int)getpid());
	p = put_json(p, 80, a->id);
	p = stpcpy(p, ",\"trace\":");
	p = put_json(p, 40, a->trace);
	p = stpcpy(p, ",\"method\":");
	p = put_json(p, 40, a->method[0] ? a->method : "-");
	p = stpcpy(p, ",\"route\":");
	p = put_json(p, 300, a->route ? a->route : "");
	p = stpcpy(p, ",\"path\":");
	p = put_json(p, 1000, a->path ? a->path : "");
	p += snprintf(p, 260, ",\"status\":%d,\"bytes\":%zu,"
	    "\"duration_us\":%ld,\"db_us\":%ld,\"parse_us\":%ld,"
	    "\"validate_us\":%ld,\"remote_addr\":", a->status, a->bytes,
	    a->us, a->db_us, a->parse_us, a->validate_us);
	p = put_json(p, 80, a->remote ? a->remote : "");
	p = stpcpy(p, "}\n");
	sink(line, (size_t)(p - line), time(NULL));
}

/*
 * The access line: method, path, status, bytes, microseconds, id,
 * trace; with LOG_FORMAT=json, access_json's object.  Written on every
 * request, so built without printf: the date is formatted once a
 * second per thread, and only the path (the one field the client chose
 * freely) is escaped.  Method, id and trace were checked on the way in.
 */
void
fpg_log_access(const struct fpg_access *a)
{
	const char		*method = a->method, *path = a->path;
	const char		*id = a->id, *trace = a->trace;
	int			 status = a->status;
	size_t			 bytes = a->bytes;
	long			 usec = a->us;
	static __thread time_t	 last = -1;
	static __thread char	 date[24];	/* 2026-01-01T00:00:00. */
	static int		 pid;
	struct timespec		 ts;
	struct tm		 tm;
	char			 line[1024], *p = line;
	const char		*name = log_name;
	size_t			 plen, nlen = strlen(name);
	int			 ms;

	if (fpg_log_level < FPG_LOG_INFO)
		return;
	if (log_json) {
		access_json(a);
		return;
	}
	if (pid == 0)
		pid = (int)getpid();
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S.", &tm);
		last = ts.tv_sec;
	}
	p = stpcpy(p, date);
	ms = (int)(ts.tv_nsec / 1000000);
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	p = stpcpy(p, "Z access ");
	if (nlen > 64)
		nlen = 64;
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = '[';
	p = put_num(p, (unsigned long long)pid);
	p = stpcpy(p, "] ");
	p = stpcpy(p, method[0] ? method : "-");
	*p++ = ' ';
	plen = path ? strlen(path) : 0;
	if (plen == 0)
		*p++ = '-';
	else
		p += fpg_escape(p, 600, path, plen);
	*p++ = ' ';
	p = put_num(p, (unsigned long long)(status > 0 ? status : 0));
	*p++ = ' ';
	p = put_num(p, (unsigned long long)bytes);
	*p++ = ' ';
	p = put_num(p, (unsigned long long)(usec > 0 ? usec : 0));
	p = stpcpy(p, "us id=");
	p = stpcpy(p, id);
	if (trace != NULL && *trace != '\0') {
		p = stpcpy(p, " trace=");
		p = stpcpy(p, trace);
	}
	*p++ = '\n';
	sink(line, (size_t)(p - line), ts.tv_sec);
}

const char *
fpg_strerror(enum fpg_err e)
{
	switch (e) {
	case FPG_OK:
		return "success";
	case FPG_ENOMEM:
		return "out of memory";
	case FPG_EINVAL:
		return "invalid argument";
	case FPG_EDB:
		return "database error";
	case FPG_EPROTO:
		return "malformed request";
	case FPG_ESCHEMA:
		return "invalid schema";
	case FPG_EIO:
		return "the client is gone";
	case FPG_EANSWERED:
		return "already answered";
	}
	return "unknown error";
}
