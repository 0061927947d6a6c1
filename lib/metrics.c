/*
 * metrics.c -- counters for Prometheus, shared by every process of a
 * resource: one scrape shows the whole resource, whichever process
 * answers it.
 *
 * The counters live in a small file mapped MAP_SHARED by each process
 * (METRICS_DIR/<name>-<layout>.metrics; without METRICS_DIR, an
 * anonymous mapping: this process only) and are updated with relaxed
 * atomic adds: no lock on the request path.  Counters only grow, so a
 * process that is killed and respawned makes Prometheus see no drop.
 * What belongs to a live process -- requests in flight, database
 * connections -- is kept in a slot of its own, and a scrape adds up
 * the slots whose process still runs.  The file's name carries a hash
 * of the route table, so processes of an old and a new build during a
 * rollout never share a layout.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

#define MAGIC		0x6670676d65747231ULL	/* "fpgmetr1" */
#define ROUTES_MAX	126	/* routes with their own series */
#define SLOTS_MAX	64	/* live processes of one resource */
#define NBUCKETS	14	/* histogram buckets, +Inf included */

/* Bucket bounds in µs: 0.5 ms ... 5 s, then +Inf. */
static const uint64_t bounds_us[NBUCKETS - 1] = { 500, 1000, 2500, 5000,
	10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000 };
static const char *const bounds_s[NBUCKETS] = { "0.0005", "0.001",
	"0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "+Inf" };

/* The statuses with their own series; the rest count as "other". */
static const int statuses[] = { 200, 201, 204, 304, 400, 401, 403, 404,
	405, 409, 411, 412, 413, 414, 415, 422, 429, 500, 503, 504 };
#define NSTATUS	(sizeof(statuses) / sizeof(statuses[0]) + 1)

struct hist {
	uint64_t	 bucket[NBUCKETS];	/* not cumulative */
	uint64_t	 sum_us;
};

struct slot {
	int		 pid;		/* 0: free */
	int		 in_flight;
	int		 db_connected;
	int		 db_broken;
	int64_t		 start;		/* CLOCK_REALTIME seconds */
};

struct shared {
	uint64_t	 magic;
	uint64_t	 layout;
	/* route ROUTES_MAX: a request that matched none (404, 405, ...) */
	uint64_t	 requests[ROUTES_MAX + 1][NSTATUS];
	struct hist	 duration[ROUTES_MAX + 1];
	struct hist	 db;
	uint64_t	 counter[FPG_M_N];
	struct slot	 slots[SLOTS_MAX];
};

static struct shared	*sh;
static struct slot	*me;
static const struct fpg_router *router;

static const char *const counter_names[FPG_M_N][2] = {
	{ "fastpg_db_reconnects_total",
	  "Database connections made again after one was lost." },
	{ "fastpg_db_statement_timeouts_total",
	  "Statements cancelled by statement_timeout or given up on." },
	{ "fastpg_db_retries_total",
	  "Statements run again after a serialization failure or deadlock." },
	{ "fastpg_db_unavailable_total",
	  "Requests answered 503 because the database could not be reached." },
	{ "fastpg_overload_refused_total",
	  "Connections left in the backlog because every slot was in use." },
	{ "fastpg_token_cache_hits_total",
	  "Bearer tokens found verified in a worker's cache." },
	{ "fastpg_token_cache_misses_total",
	  "Bearer tokens verified (signature and claims) and cached." },
	{ "fastpg_db_replica_reads_total",
	  "Requests of read-only routes served by a read replica." },
	{ "fastpg_db_replica_fallbacks_total",
	  "Requests of read-only routes sent to the primary: no replica "
	  "was reachable and within READ_MAX_LAG." },
};

/* FNV-1a over the route table: the layout of the counters. */
static uint64_t
layout_of(const struct fpg_router *ro)
{
	uint64_t	 h = 1469598103934665603ULL;
	size_t		 i;
	const char	*p;

	for (i = 0; i < ro->nroutes; i++) {
		for (p = ro->routes[i].def->method; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		for (p = ro->routes[i].def->path; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '\n') * 1099511628211ULL;
	}
	return h ^ sizeof(struct shared);
}

static int
alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/*
 * Maps the counters: dir/<name>-<layout>.metrics when dir is set, else
 * memory of this process only.  Returns 0, or -1 with err set; the
 * library then counts nothing (a resource still serves).
 */
int
fpg_metrics_init(const char *dir, const char *name,
    const struct fpg_router *ro, char *err, size_t errsz)
{
	char		 path[512];
	uint64_t	 layout = layout_of(ro);
	struct stat	 st;
	int		 fd = -1, i;
	void		*p;

	router = ro;
	if (dir == NULL || *dir == '\0') {
		p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			goto fail;
		sh = p;
		sh->magic = MAGIC;
		sh->layout = layout;
	} else {
		snprintf(path, sizeof(path), "%s/%s-%016llx.metrics", dir, name,
		    (unsigned long long)layout);
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600)) == -1 || flock(fd, LOCK_EX) == -1 ||
		    fstat(fd, &st) == -1)
			goto fail;
		if ((size_t)st.st_size != sizeof(*sh) &&
		    ftruncate(fd, sizeof(*sh)) == -1)
			goto fail;
		p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		if (p == MAP_FAILED)
			goto fail;
		sh = p;
		if (sh->magic != MAGIC || sh->layout != layout) {
			memset(sh, 0, sizeof(*sh));
			sh->magic = MAGIC;
			sh->layout = layout;
		}
	}
	/* A slot of this process's own: a free one, or a dead one's. */
	for (i = 0; i < SLOTS_MAX && me == NULL; i++)
		if (sh->slots[i].pid == 0 || !alive(sh->slots[i].pid)) {
			me = &sh->slots[i];
			memset(me, 0, sizeof(*me));
			me->pid = (int)getpid();
			me->start = (int64_t)time(NULL);
		}
	if (fd != -1) {
		flock(fd, LOCK_UN);
		close(fd);
	}
	return 0;
fail:
	snprintf(err, errsz, "metrics %s: %s", dir ? dir : "", strerror(errno));
	if (fd != -1)
		close(fd);
	sh = NULL;
	return -1;
}

static void
add64(uint64_t *p, uint64_t v)
{
	__atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static size_t
bucket_of(uint64_t us)
{
	size_t i;

	for (i = 0; i < NBUCKETS - 1; i++)
		if (us <= bounds_us[i])
			break;
	return i;
}

static size_t
status_of(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

/* A request begins, and ends: route index (or -1), status, times. */
void
fpg_metrics_begin(void)
{
	if (me != NULL)
		__atomic_add_fetch(&me->in_flight, 1, __ATOMIC_RELAXED);
}

void
fpg_metrics_end(int route, int status, int64_t us, int64_t db_us)
{
	size_t r;

	if (sh == NULL)
		return;
	if (me != NULL)
		__atomic_sub_fetch(&me->in_flight, 1, __ATOMIC_RELAXED);
	r = route >= 0 && route < ROUTES_MAX ? (size_t)route : ROUTES_MAX;
	us = us < 0 ? 0 : us;
	add64(&sh->requests[r][status_of(status)], 1);
	add64(&sh->duration[r].bucket[bucket_of((uint64_t)us)], 1);
	add64(&sh->duration[r].sum_us, (uint64_t)us);
	if (db_us > 0) {
		add64(&sh->db.bucket[bucket_of((uint64_t)db_us)], 1);
		add64(&sh->db.sum_us, (uint64_t)db_us);
	}
}

void
fpg_metrics_count(enum fpg_metric m)
{
	if (sh != NULL && m < FPG_M_N)
		add64(&sh->counter[m], 1);
}

/* This process's database connections: made (+1), closed (-1). */
void
fpg_metrics_db(int connected, int broken)
{
	if (me == NULL)
		return;
	if (connected)
		__atomic_add_fetch(&me->db_connected, connected,
		    __ATOMIC_RELAXED);
	if (broken)
		__atomic_add_fetch(&me->db_broken, broken, __ATOMIC_RELAXED);
}

static uint64_t
load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
hist_text(struct fpg_buf *b, const char *name, const char *labels,
    const struct hist *h, uint64_t *count)
{
	uint64_t	 cum = 0, sum = load64(&h->sum_us);
	size_t		 i;

	for (i = 0; i < NBUCKETS; i++) {
		cum += load64(&h->bucket[i]);
		fpg_buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name,
		    labels, *labels ? "," : "", bounds_s[i],
		    (unsigned long long)cum);
	}
	fpg_buf_printf(b, "%s_sum%s%s%s %llu.%06llu\n", name,
	    *labels ? "{" : "", labels, *labels ? "}" : "",
	    (unsigned long long)(sum / 1000000),
	    (unsigned long long)(sum % 1000000));
	fpg_buf_printf(b, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "",
	    labels, *labels ? "}" : "", (unsigned long long)cum);
	*count = cum;
}

/* A label value as the exposition format quotes it. */
static void
label_value(char *out, size_t outsz, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < outsz; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
}

/* Resident memory (bytes) and open descriptors of a live process. */
static void
proc_usage(int pid, uint64_t *rss, uint64_t *fds)
{
	char		 path[64];
	FILE		*f;
	unsigned long	 size, res;
	DIR		*d;
	struct dirent	*e;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%lu %lu", &size, &res) == 2)
			*rss += (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if ((d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				(*fds)++;
		closedir(d);
	}
}

/*
 * The exposition (text format 0.0.4) into b: every counter of the
 * resource, the live processes' gauges added up.
 */
void
fpg_metrics_text(struct fpg_buf *b)
{
	char		 labels[512], path[256];
	uint64_t	 count, rss = 0, fds = 0, n;
	int64_t		 start = 0;
	long		 in_flight = 0, conn = 0, broken = 0, procs = 0;
	size_t		 r, s, nr;
	int		 i;

	if (sh == NULL) {
		fpg_buf_puts(b, "# fastpg: metrics are off\n");
		return;
	}
	nr = router->nroutes < ROUTES_MAX ? router->nroutes : ROUTES_MAX;
	fpg_buf_puts(b, "# HELP fastpg_requests_total Requests answered, by "
	    "route template, method and status.\n"
	    "# TYPE fastpg_requests_total counter\n");
	for (r = 0; r <= nr; r++) {
		const struct fpg_route *d = r < nr ? router->routes[r].def : NULL;

		label_value(path, sizeof(path), d ? d->path : "");
		for (s = 0; s < NSTATUS; s++) {
			if ((n = load64(&sh->requests[r == nr ? ROUTES_MAX : r]
			    [s])) == 0)
				continue;
			if (s < NSTATUS - 1)
				fpg_buf_printf(b, "fastpg_requests_total{route="
				    "\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
				    d ? path : "none", d ? d->method : "",
				    statuses[s], (unsigned long long)n);
			else
				fpg_buf_printf(b, "fastpg_requests_total{route="
				    "\"%s\",method=\"%s\",status=\"other\"} "
				    "%llu\n", d ? path : "none", d ? d->method :
				    "", (unsigned long long)n);
		}
	}
	fpg_buf_puts(b, "# HELP fastpg_request_duration_seconds Time from "
	    "a request's first byte read to its access log line.\n"
	    "# TYPE fastpg_request_duration_seconds histogram\n");
	for (r = 0; r <= nr; r++) {
		const struct fpg_route *d = r < nr ? router->routes[r].def : NULL;

		label_value(path, sizeof(path), d ? d->path : "none");
		snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\"",
		    path, d ? d->method : "");
		hist_text(b, "fastpg_request_duration_seconds", labels,
		    &sh->duration[r == nr ? ROUTES_MAX : r], &count);
	}
	fpg_buf_puts(b, "# HELP fastpg_db_duration_seconds Database time "
	    "per request that ran statements.\n"
	    "# TYPE fastpg_db_duration_seconds histogram\n");
	hist_text(b, "fastpg_db_duration_seconds", "", &sh->db, &count);
	for (i = 0; i < FPG_M_N; i++)
		fpg_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    counter_names[i][0], counter_names[i][1],
		    counter_names[i][0], counter_names[i][0],
		    (unsigned long long)load64(&sh->counter[i]));
	for (i = 0; i < SLOTS_MAX; i++) {
		struct slot *sl = &sh->slots[i];

		if (!alive(sl->pid))
			continue;
		procs++;
		in_flight += __atomic_load_n(&sl->in_flight, __ATOMIC_RELAXED);
		conn += __atomic_load_n(&sl->db_connected, __ATOMIC_RELAXED);
		broken += __atomic_load_n(&sl->db_broken, __ATOMIC_RELAXED);
		if (start == 0 || sl->start < start)
			start = sl->start;
		proc_usage(sl->pid, &rss, &fds);
	}
	fpg_buf_printf(b, "# HELP fastpg_requests_in_flight Requests being "
	    "served.\n# TYPE fastpg_requests_in_flight gauge\n"
	    "fastpg_requests_in_flight %ld\n", in_flight);
	fpg_buf_printf(b, "# HELP fastpg_db_connections Database "
	    "connections of the live processes, by state.\n"
	    "# TYPE fastpg_db_connections gauge\n"
	    "fastpg_db_connections{state=\"connected\"} %ld\n"
	    "fastpg_db_connections{state=\"in_use\"} %ld\n"
	    "fastpg_db_connections{state=\"broken\"} %ld\n",
	    conn, in_flight < conn ? in_flight : conn, broken);
	fpg_buf_printf(b, "# HELP fastpg_processes Live processes of the "
	    "resource.\n# TYPE fastpg_processes gauge\n"
	    "fastpg_processes %ld\n", procs);
	fpg_buf_printf(b, "# HELP process_start_time_seconds Start of the "
	    "resource's oldest live process, since the epoch.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %lld\n", (long long)start);
	fpg_buf_printf(b, "# HELP process_resident_memory_bytes Resident "
	    "memory of the live processes.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes %llu\n", (unsigned long long)rss);
	fpg_buf_printf(b, "# HELP process_open_fds Open descriptors of the "
	    "live processes.\n# TYPE process_open_fds gauge\n"
	    "process_open_fds %llu\n", (unsigned long long)fds);
}
