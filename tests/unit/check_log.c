/*
 * check_log.c -- unit tests for lib/log.c: fpg_escape, and fpg_log's
 * lines on stderr (level, resource name, the request's id).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "extern.h"

START_TEST(t_escape)
{
	char	 d[64];

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "abc", 3), 3);
	ck_assert_str_eq(d, "abc");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\nb", 3), 6);
	ck_assert_str_eq(d, "a\\x0ab");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\"q\"", 3), 9);
	ck_assert_str_eq(d, "\\x22q\\x22");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\\b", 3), 6);
	ck_assert_str_eq(d, "a\\x5cb");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\x1b[0m\x7f\r\t", 7),
	    4 + 3 + 4 + 4 + 4);
	ck_assert_str_eq(d, "\\x1b[0m\\x7f\\x0d\\x09");

	/* A NUL inside len is escaped too, not an end. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "a\0b", 3), 6);
	ck_assert_str_eq(d, "a\\x00b");

	/* Bytes above 0x7f (UTF-8) pass through. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\xc3\xa9", 2), 2);
	ck_assert_str_eq(d, "\xc3\xa9");

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "", 0), 0);
	ck_assert_str_eq(d, "");
}
END_TEST

START_TEST(t_escape_truncate)
{
	char	 d[4], big[64];

	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "abcdef", 6), 3);
	ck_assert_str_eq(d, "abc");

	/* An escape that does not fit whole is left out. */
	ck_assert_uint_eq(fpg_escape(d, sizeof(d), "\n", 1), 0);
	ck_assert_str_eq(d, "");
	ck_assert_uint_eq(fpg_escape(big, 6, "ab\n", 3), 2);
	ck_assert_str_eq(big, "ab");
	ck_assert_uint_eq(fpg_escape(big, 7, "ab\n", 3), 6);
	ck_assert_str_eq(big, "ab\\x0a");

	ck_assert_uint_eq(fpg_escape(d, 1, "abc", 3), 0);
	ck_assert_str_eq(d, "");

	/* dstsz 0: nothing written at all. */
	d[0] = 'Q';
	ck_assert_uint_eq(fpg_escape(d, 0, "abc", 3), 0);
	ck_assert_int_eq(d[0], 'Q');
}
END_TEST

/* Every dstsz from 0 to 40 on a mixed input: never a byte past dstsz. */
START_TEST(t_escape_bounds)
{
	static const char	 src[] = "a\"b\\c\x01\x7f d\ne";
	char			 d[64], full[64];
	size_t			 sz, n, full_n, k;

	full_n = fpg_escape(full, sizeof(full), src, sizeof(src) - 1);
	ck_assert_str_eq(full, "a\\x22b\\x5cc\\x01\\x7f d\\x0ae");
	ck_assert_uint_eq(full_n, strlen(full));
	for (sz = 0; sz <= 40; sz++) {
		memset(d, 'Z', sizeof(d));
		n = fpg_escape(d, sz, src, sizeof(src) - 1);
		for (k = sz; k < sizeof(d); k++)
			ck_assert_msg(d[k] == 'Z', "dstsz %zu: byte %zu written",
			    sz, k);
		if (sz == 0) {
			ck_assert_uint_eq(n, 0);
			continue;
		}
		ck_assert_uint_lt(n, sz);
		ck_assert_uint_eq(strlen(d), n);
		/* A truncated result is a prefix of the full one. */
		ck_assert_int_eq(strncmp(d, full, n), 0);
		if (sz > full_n)
			ck_assert_uint_eq(n, full_n);
	}
}
END_TEST

/*
 * fpg_log writes one line to stderr: stderr goes to a temporary file
 * from capture_begin to capture_end, which returns its content in out.
 */
struct capture {
	FILE	*f;
	int	 saved;
};

static void
capture_begin(struct capture *c)
{
	ck_assert_ptr_nonnull(c->f = tmpfile());
	ck_assert_int_ge(c->saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(dup2(fileno(c->f), STDERR_FILENO), 0);
}

static void
capture_end(struct capture *c, char *out, size_t sz)
{
	size_t	 n;

	ck_assert_int_ge(dup2(c->saved, STDERR_FILENO), 0);
	close(c->saved);
	rewind(c->f);
	n = fread(out, 1, sz - 1, c->f);
	out[n] = '\0';
	fclose(c->f);
}

static void
capture_log(enum fpg_log_level lvl, const char *msg, char *out, size_t sz)
{
	struct capture	 c;

	capture_begin(&c);
	fpg_log(lvl, "msg=%s", msg);
	capture_end(&c, out, sz);
}

START_TEST(t_log)
{
	char	 line[4096];
	int	 level = fpg_log_level;

	fpg_log_level = FPG_LOG_INFO;
	capture_log(FPG_LOG_WARN, "a\nb\"c", line, sizeof(line));
	/* One line, its control bytes and quotes escaped. */
	ck_assert_ptr_nonnull(strstr(line, " warn fastpg["));
	ck_assert_ptr_nonnull(strstr(line, "] msg=a\\x0ab\\x22c\n"));
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);

	/* Below the level: nothing. */
	capture_log(FPG_LOG_DEBUG, "quiet", line, sizeof(line));
	ck_assert_str_eq(line, "");
	fpg_log_level = FPG_LOG_ERROR;
	capture_log(FPG_LOG_INFO, "quiet", line, sizeof(line));
	ck_assert_str_eq(line, "");
	capture_log(FPG_LOG_ERROR, "loud", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " error fastpg["));
	fpg_log_level = level;
}
END_TEST

/* Back to the defaults after each test (CK_FORK=no runs share them). */
static void
log_reset(void)
{
	fpg_log_request(NULL);
	fpg_log_init(NULL, FPG_LOG_INFO, 0);
}

/* Whether line (NUL-terminated) ends with end. */
static int
ends_with(const char *line, const char *end)
{
	size_t	 n = strlen(line), m = strlen(end);

	return n >= m && strcmp(line + n - m, end) == 0;
}

/* Logs from a thread of its own, which serves no request. */
static void *
log_other(void *arg)
{
	fpg_log(FPG_LOG_INFO, "msg=%s", (const char *)arg);
	return NULL;
}

START_TEST(t_log_request)
{
	static char	 other[] = "other";
	char		 line[4096];
	struct capture	 c;
	pthread_t	 th;
	int		 rc;

	fpg_log_init(NULL, FPG_LOG_INFO, 0);
	fpg_log_request("abc");
	capture_log(FPG_LOG_INFO, "with", line, sizeof(line));
	ck_assert_msg(ends_with(line, "] msg=with (id=abc)\n"),
	    "line \"%s\" does not end with the id", line);
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);

	/* The id is the calling thread's: another one logs without it. */
	capture_begin(&c);
	rc = pthread_create(&th, NULL, log_other, other);
	if (rc == 0)
		rc = pthread_join(th, NULL);
	capture_end(&c, line, sizeof(line));
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(ends_with(line, "] msg=other\n"), "line \"%s\"", line);
	ck_assert_ptr_null(strstr(line, "(id="));

	fpg_log_request(NULL);
	capture_log(FPG_LOG_INFO, "without", line, sizeof(line));
	ck_assert_msg(ends_with(line, "] msg=without\n"), "line \"%s\"",
	    line);
	ck_assert_ptr_null(strstr(line, "(id="));
}
END_TEST

START_TEST(t_log_init)
{
	char	 line[4096], name[71];

	/* The name on every line, and the level let through. */
	fpg_log_init("items", FPG_LOG_WARN, 0);
	ck_assert_int_eq(fpg_log_level, FPG_LOG_WARN);
	capture_log(FPG_LOG_INFO, "quiet", line, sizeof(line));
	ck_assert_str_eq(line, "");
	capture_log(FPG_LOG_WARN, "loud", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " warn items["));
	ck_assert_ptr_nonnull(strstr(line, "] msg=loud\n"));

	/* A name longer than 64 bytes is cut there. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fpg_log_init(name, FPG_LOG_DEBUG, 0);
	capture_log(FPG_LOG_DEBUG, "x", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " debug n"));
	ck_assert_uint_eq(strspn(strstr(line, " debug ") + 7, "n"), 64);

	/* NULL: the default name. */
	fpg_log_init(NULL, FPG_LOG_INFO, 0);
	capture_log(FPG_LOG_INFO, "x", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " info fastpg["));
}
END_TEST

/* LOG_FORMAT=json: every line one valid JSON object, escapes and all. */
START_TEST(t_log_json)
{
	char			 line[4096];
	struct capture		 c;
	struct fpg_access	 a = { .method = "GET", .route = "/items/{id}",
	    .path = "/items/\x01\"\xff", .id = "abc", .trace =
	    "4bf92f3577b34da6a3ce929d0e0e4736", .remote = "127.0.0.1",
	    .status = 200, .bytes = 12, .us = 345, .db_us = 200 };
	json_t			*j;

	fpg_log_init("items", FPG_LOG_INFO, 1);
	fpg_log_request("req-1");
	capture_log(FPG_LOG_WARN, "a\nb\"c\x7f", line, sizeof(line));
	fpg_log_request(NULL);
	ck_assert_ptr_nonnull(j = json_loads(line, 0, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(j, "level")),
	    "warn");
	ck_assert_str_eq(json_string_value(json_object_get(j, "msg")),
	    "msg=a\nb\"c\x7f");
	ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "req-1");
	ck_assert_str_eq(json_string_value(json_object_get(j, "resource")),
	    "items");
	ck_assert_int_eq(strlen(json_string_value(json_object_get(j,
	    "time"))), 24);
	json_decref(j);

	capture_begin(&c);
	fpg_log_access(&a);
	capture_end(&c, line, sizeof(line));
	ck_assert_ptr_nonnull(j = json_loads(line, 0, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(j, "route")),
	    "/items/{id}");
	ck_assert_str_eq(json_string_value(json_object_get(j, "trace")),
	    a.trace);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "db_us")), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "duration_us")), 345);
	/* the path's odd bytes come back as \u00XX, never raw */
	ck_assert_str_eq(json_string_value(json_object_get(j, "path")),
	    "/items/\x01\"\xc3\xbf");
	json_decref(j);
	fpg_log_init(NULL, FPG_LOG_INFO, 0);
}
END_TEST

/* stderr to a packet-mode pipe: every read returns one write(2). */
struct packets {
	int	 p[2];
	int	 saved;
};

static void
packets_begin(struct packets *k)
{
	ck_assert_int_eq(pipe2(k->p, O_DIRECT | O_NONBLOCK), 0);
	ck_assert_int_ge(k->saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(dup2(k->p[1], STDERR_FILENO), 0);
}

/* The next write's bytes (NUL-terminated), or 0 when none is there. */
static ssize_t
packet(struct packets *k, char *out, size_t sz)
{
	ssize_t	 n = read(k->p[0], out, sz - 1);

	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? n : 0;
}

static void
packets_end(struct packets *k)
{
	ck_assert_int_ge(dup2(k->saved, STDERR_FILENO), 0);
	close(k->saved);
	close(k->p[0]);
	close(k->p[1]);
}

static void
access_line(int i)
{
	char			 id[16];
	struct fpg_access	 a = { .method = "GET", .path = "/items/1",
	    .id = id, .status = 200, .bytes = 12, .us = 3 };

	snprintf(id, sizeof(id), "n%03d", i);
	fpg_log_access(&a);
}

static int
count(const char *s, const char *what)
{
	int	 n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

/* A worker's thread: its access lines batched, each batch one write. */
static void *
batched(void *arg)
{
	struct packets	*k = arg;
	char		 buf[65536];
	ssize_t		 n;
	int		 i, lines = 0;

	ck_assert_int_eq(fpg_log_batch(), 0);
	access_line(0);
	access_line(1);
	ck_assert_int_eq(fpg_log_pending(), 1);
	ck_assert_int_eq(packet(k, buf, sizeof(buf)), 0);	/* held */
	fpg_log_flush();
	ck_assert_int_eq(fpg_log_pending(), 0);
	packet(k, buf, sizeof(buf));
	ck_assert_int_eq(count(buf, " access "), 2);
	ck_assert_ptr_nonnull(strstr(strstr(buf, "id=n000"), "id=n001"));

	/* another line of the thread goes out after those held */
	access_line(2);
	fpg_log(FPG_LOG_WARN, "after");
	packet(k, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "id=n002"));
	ck_assert_int_eq(packet(k, buf, sizeof(buf)) > 0, 1);
	ck_assert_ptr_nonnull(strstr(buf, "] after"));

	/* a full batch goes out on its own, whole lines, <= PIPE_BUF */
	for (i = 0; i < 100; i++)
		access_line(i);
	while ((n = packet(k, buf, sizeof(buf))) > 0) {
		ck_assert_int_le(n, PIPE_BUF);
		ck_assert_int_eq(buf[n - 1], '\n');
		lines += count(buf, " access ");
	}
	ck_assert_int_gt(lines, 0);
	ck_assert_int_lt(lines, 100);
	fpg_log_flush();
	while ((n = packet(k, buf, sizeof(buf))) > 0)
		lines += count(buf, " access ");
	ck_assert_int_eq(lines, 100);

	/* a line a second old goes out with the next one */
	access_line(200);
	usleep(1100 * 1000);
	ck_assert_int_eq(packet(k, buf, sizeof(buf)), 0);
	access_line(201);
	packet(k, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "id=n200"));
	fpg_log_flush();
	return NULL;
}

START_TEST(t_batch)
{
	struct packets	 k;
	pthread_t	 th;

	packets_begin(&k);
	ck_assert_int_eq(pthread_create(&th, NULL, batched, &k), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	packets_end(&k);
}
END_TEST

/*
 * A process that crashes with access lines held still writes them:
 * a fault (SIGSEGV) and an abort(), each in a child whose stderr is a
 * file, two lines held when it dies.
 */
static void
crash_child(int how, int fd)
{
	int *volatile	 nowhere;

	/* a page that may not be written: a fault, not undefined code */
	nowhere = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (nowhere == MAP_FAILED)
		_exit(5);
	dup2(fd, STDERR_FILENO);
	fpg_log_crash_guard();
	if (fpg_log_batch() != 0)
		_exit(3);
	access_line(7);
	access_line(8);
	if (!fpg_log_pending())
		_exit(4);
	if (how == 0)
		*nowhere = 1;
	else
		abort();
	_exit(0);
}

START_TEST(t_crash)
{
	char	 path[] = "/tmp/check_log.XXXXXX", buf[4096];
	int	 fd, how, st;
	pid_t	 pid;
	ssize_t	 n;

	for (how = 0; how < 2; how++) {
		ck_assert_int_ge(fd = mkstemp(path), 0);
		unlink(path);
		strcpy(path, "/tmp/check_log.XXXXXX");
		ck_assert_int_ge(pid = fork(), 0);
		if (pid == 0)
			crash_child(how, fd);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		/* dead by its signal, or by a sanitizer's report */
		ck_assert(!WIFEXITED(st) || WEXITSTATUS(st) == 1);
		if (WIFSIGNALED(st))
			ck_assert_int_eq(WTERMSIG(st), how == 0 ? SIGSEGV :
			    SIGABRT);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
		ck_assert_ptr_nonnull(strstr(buf, "id=n007\n"));
		ck_assert_ptr_nonnull(strstr(buf, "id=n008\n"));
	}
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc;

	tc = tcase_create("escape");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, t_escape);
	tcase_add_test(tc, t_escape_truncate);
	tcase_add_test(tc, t_escape_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, NULL, log_reset);
	tcase_add_test(tc, t_log);
	tcase_add_test(tc, t_log_request);
	tcase_add_test(tc, t_log_init);
	tcase_add_test(tc, t_log_json);
	tcase_add_test(tc, t_batch);
	tcase_add_test(tc, t_crash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(log_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
