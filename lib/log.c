/*
 * log.c -- one line per event on stderr, written with one write(2) so
 * that lines from several threads and processes never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

int	fpg_log_level = FPG_LOG_INFO;

static char			 log_name[65] = "fastpg";
static int			 log_json;	/* LOG_FORMAT=json */
static __thread const char	*log_id;	/* the thread's request */

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
	(void)!write(STDERR_FILENO, line, (size_t)(p - line));
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
	(void)!write(STDERR_FILENO, line, (size_t)(p - line));
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
