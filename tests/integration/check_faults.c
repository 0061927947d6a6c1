/*
 * check_faults.c -- PostgreSQL restarted (pg_ctl -m fast) and killed
 * (SIGKILL of the postmaster) under a steady load of reads, item
 * creations and orders.  Asserts: no responder process exits; every
 * answer comes within a bound, a 503 with Retry-After; service is back
 * soon after PostgreSQL is; every write that got a 2xx is in the
 * database; no order is half-written (stock adds up).  Prints figures.
 *
 * Environment as util.h, plus PG_STOP, PG_START, PG_KILL (shell
 * commands) and BIN_DIR (to count the responder processes).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define WRITERS		3
#define READERS		2
#define MAX_WRITES	4000
#define STOCK		100000

struct write {
	char	sku[64];
	long	status;
};

static struct write	 writes[WRITERS][MAX_WRITES];
static int		 nwrites[WRITERS];
static volatile int	 stop;
static long		 item_id;
static char		 tag[32];
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static double		 worst_ms;
static long		 n_ok, n_503, n_other, n_no_retry, orders_ok;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
tally(const struct resp *r, double ms)
{
	char *ra = NULL;

	pthread_mutex_lock(&mu);
	if (ms > worst_ms)
		worst_ms = ms;
	if (r->status >= 200 && r->status < 300)
		n_ok++;
	else if (r->status == 503) {
		n_503++;
		if ((ra = header(r, "Retry-After")) == NULL)
			n_no_retry++;
	} else
		n_other++;
	pthread_mutex_unlock(&mu);
	free(ra);
}

static void *
writer(void *arg)
{
	int		 w = (int)(long)arg, i;
	char		 body[256];
	struct resp	 r;
	double		 t;

	for (i = 0; !stop && i < MAX_WRITES; i++) {
		if (i % 2 == 0) {
			snprintf(writes[w][i].sku, sizeof(writes[w][i].sku),
			    "F-%s-%d-%d", tag, w, i);
			snprintf(body, sizeof(body), "{\"sku\":\"%s\",\"name\":"
			    "\"fault\",\"price\":1}", writes[w][i].sku);
			t = now_ms();
			r = send_json("POST", "/items", body);
		} else {
			writes[w][i].sku[0] = '\0';	/* an order of 1 */
			snprintf(body, sizeof(body), "{\"lines\":[{"
			    "\"item_id\":%ld,\"quantity\":1}]}", item_id);
			t = now_ms();
			r = send_json("POST", "/orders", body);
			if (r.status == 201) {
				pthread_mutex_lock(&mu);
				orders_ok++;
				pthread_mutex_unlock(&mu);
			}
		}
		writes[w][i].status = r.status;
		tally(&r, now_ms() - t);
		resp_free(&r);
		nwrites[w] = i + 1;
		if (r.status == 503)
			usleep(20000);
	}
	return NULL;
}

static void *
reader(void *arg)
{
	struct resp	 r;
	double		 t;

	(void)arg;
	while (!stop) {
		t = now_ms();
		r = get("/items?limit=5");
		tally(&r, now_ms() - t);
		if (r.status == 503)
			usleep(20000);
		resp_free(&r);
	}
	return NULL;
}

/* The responder processes' pids, sorted, as one string. */
static char *
responder_pids(void)
{
	char	 cmd[1024], *buf = calloc(1, 4096);
	FILE	*p;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "pgrep -f '^%s/(items|orders|health)$' "
	    "| sort | tr '\\n' ' '", getenv("BIN_DIR"));
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(buf, 1, 4095, p);
	buf[n] = '\0';
	pclose(p);
	return buf;
}

/* Starts PostgreSQL again; after a SIGKILL its orphaned backends may
 * hold the shared memory a moment longer, so it is tried a few times. */
static void
pg_start(void)
{
	int i;

	for (i = 0; i < 40; i++) {
		if (system(getenv("PG_START")) == 0)
			return;
		usleep(250000);
	}
	ck_abort_msg("PostgreSQL did not start again");
}

/* Waits for GET /items to answer 200; returns the ms it took. */
static double
until_serving(double limit_ms)
{
	double		 t0 = now_ms();
	struct resp	 r;

	for (;;) {
		r = get("/items?limit=1");
		if (r.status == 200) {
			resp_free(&r);
			return now_ms() - t0;
		}
		resp_free(&r);
		ck_assert_msg(now_ms() - t0 < limit_ms, "not serving after "
		    "%.0f ms", limit_ms);
		usleep(20000);
	}
}

START_TEST(restart_and_kill_under_load)
{
	pthread_t	 tw[WRITERS], tr[READERS];
	struct resp	 r;
	char		*pids_before, *pids_after, sql[256];
	double		 back1, back2;
	long		 committed = 0, missing = 0, placed;
	int		 i, j;

	snprintf(tag, sizeof(tag), "%ld", (long)time(NULL) % 100000);
	snprintf(sql, sizeof(sql), "{\"sku\":\"FAULT-STOCK-%s\",\"name\":"
	    "\"stock\",\"price\":1,\"stock\":%d}", tag, STOCK);
	r = send_json("POST", "/items", sql);
	ck_assert_int_eq(r.status, 201);
	item_id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	pids_before = responder_pids();
	ck_assert_msg(strlen(pids_before) > 0, "no responder processes found");

	for (i = 0; i < WRITERS; i++)
		pthread_create(&tw[i], NULL, writer, (void *)(long)i);
	for (i = 0; i < READERS; i++)
		pthread_create(&tr[i], NULL, reader, NULL);
	sleep(1);
	ck_assert_int_eq(system(getenv("PG_STOP")), 0);
	sleep(1);
	pg_start();
	back1 = until_serving(5000);
	sleep(1);
	ck_assert_int_eq(system(getenv("PG_KILL")), 0);
	sleep(1);
	pg_start();
	back2 = until_serving(5000);
	sleep(1);
	stop = 1;
	for (i = 0; i < WRITERS; i++)
		pthread_join(tw[i], NULL);
	for (i = 0; i < READERS; i++)
		pthread_join(tr[i], NULL);

	/* Every acknowledged item is there. */
	{
		PGconn *c = db();

		for (i = 0; i < WRITERS; i++)
			for (j = 0; j < nwrites[i]; j++) {
				PGresult *res;
				const char *v[1] = { writes[i][j].sku };

				if (writes[i][j].sku[0] == '\0' ||
				    writes[i][j].status != 201)
					continue;
				committed++;
				res = PQexecParams(c, "SELECT 1 FROM items "
				    "WHERE sku = $1", 1, NULL, v, NULL, NULL, 0);
				if (PQntuples(res) != 1)
					missing++;
				PQclear(res);
			}
		PQfinish(c);
	}
	/* Orders are whole: the stock taken is what placed orders hold,
	 * every order has its line, and no acknowledged one is lost. */
	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(l.quantity), 0) FROM "
	    "order_lines l WHERE l.item_id = %ld", item_id);
	placed = db_long(sql);
	snprintf(sql, sizeof(sql), "SELECT stock FROM items WHERE id = %ld",
	    item_id);
	ck_assert_int_eq(db_long(sql), STOCK - placed);
	ck_assert_int_eq(db_long("SELECT count(*) FROM orders o WHERE NOT "
	    "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)"), 0);
	ck_assert_msg(placed >= orders_ok, "%ld orders acknowledged, %ld in "
	    "the database", orders_ok, placed);

	pids_after = responder_pids();
	fprintf(stderr, "faults: %ld answers 2xx, %ld 503, %ld other; slowest "
	    "%.0f ms; back %.0f ms after a restart, %.0f ms after a kill -9; "
	    "%ld items acknowledged, %ld missing; %ld orders acknowledged, "
	    "%ld in the database; responders before [%s] after [%s]\n", n_ok,
	    n_503, n_other, worst_ms, back1, back2, committed, missing,
	    orders_ok, placed, pids_before, pids_after);
	ck_assert_int_eq(missing, 0);
	ck_assert_int_eq(n_other, 0);
	ck_assert_int_eq(n_no_retry, 0);
	ck_assert_msg(worst_ms < 8000, "an answer took %.0f ms", worst_ms);
	ck_assert_msg(back1 < 2000 && back2 < 2000, "back after %.0f / %.0f "
	    "ms", back1, back2);
	ck_assert_str_eq(pids_after, pids_before);
	free(pids_before);
	free(pids_after);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("faults");
	TCase	*t = tcase_create("database");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, restart_and_kill_under_load);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	if (getenv("PG_KILL") == NULL) {
		fprintf(stderr, "check_faults: PG_KILL is not set\n");
		return 2;
	}
	as_admin();
	return run_suite(suite());
}
