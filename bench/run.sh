#!/bin/bash
# run.sh -- fastpg against the seed's FastAPI stack, side by side, on this
# machine (`make bench`).  Installs what it needs, starts one PostgreSQL
# cluster with 10,000 items (deploy/local.sh), the contenders on loopback,
# runs every case with wrk, stops everything, prints one table and writes
# it as JSON to bench/results/latest.json.  See bench/README.md.
#
#   bench/run.sh            the whole benchmark
#   bench/run.sh knobs      fastpg only: GET by id (and the mix) for a grid
#                           of processes x POOL_SIZE x nginx workers x
#                           keepalive (bench/results/knobs.json)
#
# Environment (defaults in brackets):
#   DURATION [10] WARMUP [2]   seconds per case, and of the untimed run before
#   CONNS [32] THREADS [2]     wrk -c / -t (pgbench -c / -j)
#   ROWS [10000]               items in the table before each contender
#   CONTENDERS                 subset of: fastpg fastpg-nokeep fastpg-pgbouncer
#                              minimal fastapi-1w
#                              fastapi-2w fastapi-2w-stock pgbench nginx-const
#   CASES [get list create mix]
#   PROCS [2] POOL [4] NGINX_WORKERS [1] KEEPALIVE [-1]
#                              fastpg: deploy/'s defaults (local.sh); -1:
#                              the upstream's keepalive as deploy/ sets it,
#                              0: no kept connections (fastpg-nokeep)
#   CONST_WORKERS [2]          nginx-const's worker_processes
#   CALLGRIND_REQS [2000] CALLGRIND_WARM [200]   instructions per GET
#   CALLGRIND_KEEPALIVE [-1]   its nginx's keepalive, as KEEPALIVE
#   CALLGRIND_TOKEN [0]        1: every callgrind GET carries a valid bearer
#                              token (HS256, sub only; the responder gets its
#                              JWT_SECRET), so its cost is the cached path's;
#                              results go to callgrind-token.json/-top.txt
#   LARGE_ROWS [1000000]       items for the large-table cases (0: none)
#   LARGE_CASES [get id price name range search attr]   bench/wrk/large.lua
#   PORT [18400]               ports PORT .. PORT+9 on 127.0.0.1
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mode=${1:-all}

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
ROWS=${ROWS:-10000}
CASES=${CASES-get list create mix}
CONTENDERS=${CONTENDERS-fastpg fastpg-nokeep fastpg-pgbouncer minimal fastapi-1w fastapi-2w pgbench nginx-const}
PROCS=${PROCS:-2}
POOL=${POOL:-4}
NGINX_WORKERS=${NGINX_WORKERS:-1}
KEEPALIVE=${KEEPALIVE:--1}
CONST_WORKERS=${CONST_WORKERS:-2}
CALLGRIND_REQS=${CALLGRIND_REQS:-2000}
CALLGRIND_WARM=${CALLGRIND_WARM:-200}
CALLGRIND_TOKEN=${CALLGRIND_TOKEN:-0}
LARGE_ROWS=${LARGE_ROWS:-1000000}
LARGE_CASES=${LARGE_CASES-get id price name range search attr}
PORT=${PORT:-18400}
export DURATION WARMUP CONNS THREADS ROWS

PY=/usr/bin/python3		# Debian's, with python3-fastapi & co.
B=$top/build/bench		# everything this run writes, but the results
W=$B/stack			# deploy/local.sh's folder: PostgreSQL, responders
SNAP=$B/snap			# the binaries under test, copied once
RES=$top/bench/results
root=0; [ "$(id -u)" -eq 0 ] && root=1

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- set-up

deps() {
	sh deploy/deps.sh wrk postgresql-contrib python3-fastapi uvicorn \
	    python3-sqlalchemy python3-asyncpg python3-uvloop python3-httptools \
	    valgrind binutils procps
}

pids=()				# background processes we started
cleanup() {
	local p
	set +e
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for f in "$B"/ngx-*/nginx.pid "$B"/ngx-*/nginx-const.pid; do
		[ -s "$f" ] && kill -QUIT "$(cat "$f")" 2>/dev/null
	done
	pkill -f "^$B/minimal " 2>/dev/null
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	pids=()
	if [ -s "$B/callgrind/pids" ]; then
		for p in $(cat "$B/callgrind/pids"); do kill -KILL "$p" 2>/dev/null; done
		rm -f "$B/callgrind/pids"
	fi
	nginx_stop "$B/callgrind/ngx"
	bash deploy/local.sh down "$W" 2>/dev/null
	return 0
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

# Seeds the table with ROWS items, ids 1..ROWS, prices 0.00-999.99.
reseed() {
	psql "postgresql://fastpg@/fastpg?host=$W/pgrun" -Xq -v ON_ERROR_STOP=1 <<SQL >/dev/null
SET client_min_messages = warning;
TRUNCATE items RESTART IDENTITY CASCADE;
INSERT INTO items (sku, name, description, price, stock, attributes)
SELECT 'SEED-' || g, 'Seed item ' || g,
       CASE WHEN g % 3 = 0 THEN NULL ELSE 'Item number ' || g || ' of the benchmark data' END,
       ((g * 7919) % 100000) / 100.0, g % 97,
       jsonb_build_object('color', (ARRAY['red','green','blue'])[1 + g % 3], 'size', g % 7)
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE items;
CHECKPOINT;
SQL
}

# LARGE_ROWS items for the large-table cases (bench/wrk/large.lua):
# "<adjective> <material> <object>" names, so a material and an object
# together match 1% of the rows and a single word 10%; descriptions on
# two items of three; three attributes.
reseed_large() {
	psql "postgresql://fastpg@/fastpg?host=$W/pgrun" -Xq -v ON_ERROR_STOP=1 <<SQL >/dev/null
SET client_min_messages = warning;
TRUNCATE items RESTART IDENTITY CASCADE;
INSERT INTO items (sku, name, description, price, stock, attributes)
SELECT 'BIG-' || g,
    initcap((ARRAY['blue','large','small','rustic','modern','classic','handmade','glazed','matte','tall'])[1 + g % 10]
    || ' ' || (ARRAY['stoneware','porcelain','glass','steel','oak','linen','wool','cotton','copper','ceramic'])[1 + (g / 10) % 10]
    || ' ' || (ARRAY['mug','bowl','plate','vase','lamp','chair','table','towel','blanket','pan'])[1 + (g / 100) % 10]),
    CASE WHEN g % 3 = 0 THEN NULL ELSE 'Item ' || g || ' for the kitchen and the home, made to last' END,
    ((g::bigint * 7919) % 100000) / 100.0, g % 97,
    jsonb_build_object('color', (ARRAY['red','green','blue','black','white'])[1 + g % 5],
        'size', g % 7, 'shape', (ARRAY['round','square','oval'])[1 + g % 3])
FROM generate_series(1, $LARGE_ROWS) g;
VACUUM ANALYZE items;
CHECKPOINT;
SQL
}

# The large-table cases against fastpg (deploy/'s defaults): how GETs,
# keyset lists, search by rank and attribute filters cost as the table
# grows.  Rows "large-<case>".
large() {
	local c j s0 p0 s1 p1 rss
	NGX=$B/ngx-large
	say "large table: loading $LARGE_ROWS items"
	reseed_large
	responders "$PROCS" "$POOL"
	fastpg_nginx "$NGX" "$((PORT + 6))" "$W/run/items.sock" "$NGINX_WORKERS" "$KEEPALIVE"
	for c in $LARGE_CASES; do
		BENCH_LARGE_CASE=$c BENCH_ROWS=$LARGE_ROWS wrk_run "$((PORT + 6))" large "$WARMUP" >/dev/null
		s0=$(ticks $(fastpg_pids)) p0=$(ticks $(pg_pids))
		j=$(BENCH_LARGE_CASE=$c BENCH_ROWS=$LARGE_ROWS wrk_run "$((PORT + 6))" large "$DURATION")
		s1=$(ticks $(fastpg_pids)) p1=$(ticks $(pg_pids))
		rss=$(rss_kb $(fastpg_pids))
		printf '{"contender":"fastpg","case":"large-%s","desc":"%s items","rss_kb":%d,"conf":{},"cpu_ms":{"serve":%d,"pg":%d},"wrk":%s}\n' \
		    "$c" "$LARGE_ROWS" "$rss" $(((s1 - s0) * 1000 / HZ)) \
		    $(((p1 - p0) * 1000 / HZ)) "$j" >>"$B/rows.jsonl"
		$PY bench/report.py row "$B/rows.jsonl" >&2
	done
	nginx_stop "$NGX"
}

# A process and all its descendants.
tree() {
	local p c
	for p in "$@"; do
		echo "$p"
		for c in $(pgrep -P "$p" 2>/dev/null); do tree "$c"; done
	done
}
rss_kb() { # total RSS of the given pids
	[ $# -gt 0 ] || { echo 0; return; }
	ps -o rss= -p "$(echo "$@" | tr ' ' ',')" 2>/dev/null |
	    awk '{s += $1} END {print s + 0}'
}

wait_http() { # port path
	for _ in $(seq 300); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- fastpg

# The responders of items under spawn-fcgi + multiwatch (deploy/'s own
# deploy/spawn-fcgi/fastpg-spawn), PROCS processes of POOL threads.
# $3: pgbouncer to reach PostgreSQL through PgBouncer (transaction
# pooling, unnamed statements), as deploy/local.sh up --pgbouncer does.
responders() { # procs pool [pgbouncer]
	local env=(FASTPG_BIN="$SNAP/bin" FASTPG_RUN="$W/run" FASTPG_LOG="$W/log"
	    FASTPG_ETC="$W/etc" FASTPG_PROCS="$1" POOL_SIZE="$2"
	    DATABASE_URL="postgresql://fastpg_app@/fastpg?host=$W/pgrun"
	    JWT_SECRET="$BENCH_SECRET")
	[ "${3:-}" = pgbouncer ] &&
	    env+=(DATABASE_URL="postgresql://fastpg_app@/fastpg?host=$W/pgbrun&port=6432"
	    DB_PREPARE=false)
	[ $root = 1 ] && env+=(FASTPG_USER=nobody FASTPG_GROUP=nogroup FASTPG_SOCKET_GROUP=nogroup)
	env "${env[@]}" bash deploy/spawn-fcgi/fastpg-spawn stop items >/dev/null 2>&1 || true
	env "${env[@]}" bash deploy/spawn-fcgi/fastpg-spawn start items 2>/dev/null ||
	    die "items did not start, see $W/log/items.log"
}
responders_stop() {
	FASTPG_RUN=$W/run FASTPG_BIN=$SNAP/bin FASTPG_LOG=$W/log \
	    bash deploy/spawn-fcgi/fastpg-spawn stop items >/dev/null 2>&1 || true
}
responder_pids() { pgrep -P "$(cat "$W/run/items.pid")"; }

# nginx for items from deploy/nginx's templates, as local.sh fills them,
# with: N workers, the upstream's keepalive (0: none, a fastcgi_pass to
# the socket without fastcgi_keep_conn), and the write rate limit out of
# the way (local.sh's 1000r/s would answer 429 to a benchmark).  $1
# folder, $2 port, $3 socket, $4 workers, $5 keepalive.
fastpg_nginx() {
	local d=$1 port=$2 sock=$3 workers=$4 ka=$5
	mkdir -p "$d/log" "$d/tmp"
	chmod 755 "$d" "$d/log"
	sed -e "s|@NAME@|items|g" -e "s|@PREFIX@|/items|g" \
	    -e "s|@RUN@/items.sock|$sock|g" -e "s|@WRITE_BURST@|1000000|g" \
	    deploy/nginx/resource.conf.in >"$d/resources.conf"
	sed -e "s|@NAME@|items|g" -e "s|@RUN@/items.sock|$sock|g" \
	    deploy/nginx/upstream.conf.in >"$d/upstream.conf"
	if [ "$ka" -gt 0 ]; then
		sed -i -e "s|keepalive [0-9]*;|keepalive $ka;|" "$d/upstream.conf"
	elif [ "$ka" -eq 0 ]; then
		sed -i -e "s|^\([[:space:]]*\)fastcgi_pass fastpg_items;|\1fastcgi_pass unix:$sock;|" \
		    -e "/^[[:space:]]*fastcgi_keep_conn on;/d" "$d/resources.conf"
		: >"$d/upstream.conf"
	fi
	{
		[ $root = 1 ] && echo "user nobody nogroup;"
		sed -e "/^[[:space:]]*@RESOURCES@[[:space:]]*$/{r $d/resources.conf" -e "d}" \
		    -e "/^[[:space:]]*@UPSTREAMS@[[:space:]]*$/{r $d/upstream.conf" -e "d}" \
		    -e "s|^worker_processes .*|worker_processes $workers;|" \
		    deploy/nginx/nginx.conf.in |
		    # Other include-lines (@DOCS@: the OpenAPI pages) are not
		    # part of the benchmark.
		    sed -e '/^[[:space:]]*@[A-Z_]*@[[:space:]]*$/d' |
		    sed -e "s|@DIR@|$d|g" -e "s|@ADDR@|127.0.0.1|g" -e "s|@PORT@|$port|g" -e "s|@BODY_MAX@|1m|g" \
		    -e "s|@ERRORS@|$top/deploy/nginx/errors|g" -e "s|@WRITE_RATE@|1000000r/s|g"
	} >"$d/nginx.conf"
	grep -v '^[[:space:]]*#' "$d/nginx.conf" | grep -q '@[A-Z_]*@' && die "unfilled template names in $d/nginx.conf"
	nginx -t -q -p "$d" -c "$d/nginx.conf" 2>>"$d/log/stderr" ||
	    die "nginx refused $d/nginx.conf, see $d/log/stderr"
	nginx -p "$d" -c "$d/nginx.conf" </dev/null >/dev/null 2>>"$d/log/stderr" &
	wait_http "$port" /items/1 || die "fastpg via nginx on $port did not answer, see $d/log"
}
nginx_stop() { # folder
	local f=$1/nginx.pid p
	[ -s "$f" ] || return 0
	p=$(cat "$f")
	kill -QUIT "$p" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
}

# ---------------------------------------------------------------- running

# One wrk run of case $2 against port $1: prints wrk's BENCH JSON line.
wrk_run() { # port case seconds
	BENCH_WRK_DIR=$top/bench/wrk BENCH_ROWS=${BENCH_ROWS:-$ROWS} BENCH_TAG="$(date +%s%N)" \
	    BENCH_TOKEN="$BENCH_TOKEN" \
	    wrk -t"$THREADS" -c"$CONNS" -d"$3"s --timeout 5s \
	    -s "$top/bench/wrk/$2.lua" "http://127.0.0.1:$1" >"$B/wrk.out" 2>&1 ||
	    { cat "$B/wrk.out" >&2; die "wrk failed"; }
	grep '^BENCH ' "$B/wrk.out" | tail -n 1 | cut -c7-
}

# CPU time (clock ticks: user + system, with reaped children's) of the
# given pids; fields after the ")" that ends the command name.
ticks() {
	local p s=0 v
	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{print $12 + $13 + $14 + $15}') && s=$((s + ${v:-0}))
	done
	echo "$s"
}
pg_pids() { tree "$(head -n 1 "$W/pg/data/postmaster.pid")"; }
HZ=$(getconf CLK_TCK)

# Every case against one contender; appends rows to $B/rows.jsonl.
# Beside wrk's figures, the CPU time the serving processes and
# PostgreSQL spent during the measured run: per request, it shows where
# the machine's time goes however loaded the machine is.
# $1 name, $2 port, $3 description, $4 a function printing the serving
# processes' pids (for RSS), $5 JSON object of settings, $6 (optional)
# a function printing the web server's pids among them: its share of
# the serving CPU, the rest being the responders'.
cases() {
	local name=$1 port=$2 desc=$3 pidfn=$4 conf=$5 webfn=${6:-} c j rss
	local s0 p0 w0 s1 p1 w1 web=
	for c in $CASES; do
		wrk_run "$port" "$c" "$WARMUP" >/dev/null
		s0=$(ticks $($pidfn)) p0=$(ticks $(pg_pids))
		w0=$([ -n "$webfn" ] && ticks $($webfn) || echo 0)
		j=$(wrk_run "$port" "$c" "$DURATION")
		s1=$(ticks $($pidfn)) p1=$(ticks $(pg_pids))
		w1=$([ -n "$webfn" ] && ticks $($webfn) || echo 0)
		[ -n "$webfn" ] && web=",\"web\":$(((w1 - w0) * 1000 / HZ))"
		rss=$(rss_kb $($pidfn))
		printf '{"contender":"%s","case":"%s","desc":"%s","rss_kb":%d,"conf":%s,"cpu_ms":{"serve":%d,"pg":%d%s},"wrk":%s}\n' \
		    "$name" "$c" "$desc" "$rss" "$conf" \
		    $(((s1 - s0) * 1000 / HZ)) $(((p1 - p0) * 1000 / HZ)) \
		    "$web" "$j" >>"$B/rows.jsonl"
		$PY bench/report.py row "$B/rows.jsonl" >&2
	done
}

fastpg_pids() { tree "$(cat "$W/run/items.pid")" "$(cat "$NGX/nginx.pid")"; }
ngx_pids() { tree "$(cat "$NGX/nginx.pid")"; }
fastpg_pgb_pids() { fastpg_pids; cat "$W/pgbouncer/pgbouncer.pid"; }

# The least a responder can do (bench/peers/minimal.c): libfcgi + libpq
# by hand, PROCS x POOL threads in one process, one prepared statement,
# no routing, validation or logging; nginx without kept connections
# (libfcgi's own loop would pin a thread to each).  GET only.
minimal_pids() { tree "$(pgrep -f "^$B/minimal " | head -n 1)" "$(cat "$NGX/nginx.pid")"; }
contender_minimal() {
	local sock=$W/run/minimal.sock
	NGX=$B/ngx-minimal
	cc -O2 -I "$(pg_config --includedir)" -o "$B/minimal" bench/peers/minimal.c \
	    -lfcgi -lpq -lpthread || die "bench/peers/minimal.c did not build"
	rm -f "$sock"
	"$B/minimal" "$sock" "postgresql://fastpg_bench@/fastpg?host=$W/pgrun" \
	    $((PROCS * POOL)) </dev/null >"$B/minimal.log" 2>&1 &
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	fastpg_nginx "$NGX" "$((PORT + 5))" "$sock" "$NGINX_WORKERS" 0
	CASES=get cases minimal "$((PORT + 5))" \
	    "nginx ($NGINX_WORKERS worker, no keepalive) + bench/peers/minimal.c ($((PROCS * POOL)) threads, one prepared statement)" \
	    minimal_pids "{\"threads\":$((PROCS * POOL))}" ngx_pids
	nginx_stop "$NGX"
	pkill -f "^$B/minimal " 2>/dev/null || true
}

contender_fastpg() { # name procs pool workers keepalive [pgbouncer]
	local name=$1 procs=$2 pool=$3 workers=$4 ka=$5 via=${6:-}
	NGX=$B/ngx-$name
	reseed
	if [ "$via" = pgbouncer ] && [ ! -S "$W/pgbrun/.s.PGSQL.6432" ]; then
		bash deploy/local.sh pgbouncer-start "$W" >/dev/null 2>>"$B/local.log" ||
		    die "PgBouncer did not start, see $W/log/pgbouncer.log"
	fi
	responders "$procs" "$pool" "$via"
	fastpg_nginx "$NGX" "$((PORT + 1))" "$W/run/items.sock" "$workers" "$ka"
	ka=$(sed -n 's/^[[:space:]]*keepalive \([0-9]*\);.*/\1/p' "$NGX/upstream.conf")
	ka=${ka:-0}
	cases "$name" "$((PORT + 1))" \
	    "nginx ($workers worker$([ "$workers" = 1 ] || echo s)$([ "$ka" -gt 0 ] && echo ", keepalive $ka" || echo ", no keepalive")) + $procs x items (POOL_SIZE=$pool)${via:+ + PgBouncer $(pgbouncer --version | awk 'NR == 1 {print $2}') (transaction pooling, DB_PREPARE=false)}" \
	    "fastpg_${via:+pgb_}pids" \
	    "{\"procs\":$procs,\"pool_size\":$pool,\"nginx_workers\":$workers,\"keepalive\":$ka}" \
	    ngx_pids
	# RSS of each responder process after its cases.
	# (smaps_rollup: how much of it is the process's own, how much
	# shared-library pages.)
	local p
	for p in $(responder_pids); do
		awk -v n="$name" -v p="$p" '
		    /^Rss:/ {r = $2} /^Pss:/ {s = $2}
		    /^Private_(Clean|Dirty):/ {v += $2}
		    END {printf "{\"contender\":\"%s\",\"pid\":%d,\"rss_kb\":%d,\"pss_kb\":%d,\"private_kb\":%d,\"threads\":%d}\n", n, p, r, s, v, t}
		' t="$(ls "/proc/$p/task" | wc -l)" "/proc/$p/smaps_rollup"
	done >>"$B/responder-rss.jsonl"
	nginx_stop "$NGX"
}

UVI=""
fastapi_pids() { tree "$UVI"; }
contender_fastapi() { # name workers wrapper(0/1)
	local name=$1 workers=$2 fix=$3 cmd
	local port=$((PORT + 2))
	reseed
	if [ "$fix" = 1 ]; then
		cmd=("$PY" "$top/bench/peers/uvicorn_nodelay.py")
	else
		cmd=(/usr/bin/uvicorn)
	fi
	(cd "$top/bench/peers" && exec env \
	    DATABASE_URL="postgresql+asyncpg://fastpg_bench@/fastpg?host=$W/pgrun" \
	    PYTHONDONTWRITEBYTECODE=1 \
	    "${cmd[@]}" fastapi_app:app --host 127.0.0.1 --port "$port" \
	    --workers "$workers" </dev/null >>"$B/$name.log" 2>&1) &
	UVI=$!
	pids+=("$UVI")
	wait_http "$port" /items/1 || die "$name did not answer, see $B/$name.log"
	cases "$name" "$port" \
	    "uvicorn $(uvicorn --version 2>/dev/null | awk '{print $3}'), $workers worker$([ "$workers" = 1 ] || echo s)$([ "$fix" = 1 ] && echo ", TCP_NODELAY")" \
	    fastapi_pids "{\"workers\":$workers,\"nodelay_fix\":$fix}"
	kill -TERM "$UVI" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$UVI" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$UVI" 2>/dev/null || true
}

contender_pgbench() {
	local out lat p0 p1
	reseed
	pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$WARMUP" -f bench/pgbench/get.sql \
	    "host=$W/pgrun user=fastpg_bench dbname=fastpg" >/dev/null 2>&1
	rm -rf "$B/pgbench-log"; mkdir -p "$B/pgbench-log"
	p0=$(ticks $(pg_pids))
	out=$(cd "$B/pgbench-log" && pgbench -n -M prepared -c "$CONNS" -j "$THREADS" \
	    -T "$DURATION" -l --sampling-rate=0.1 -f "$top/bench/pgbench/get.sql" \
	    "host=$W/pgrun user=fastpg_bench dbname=fastpg" 2>&1) ||
	    { echo "$out" >&2; die "pgbench failed"; }
	p1=$(ticks $(pg_pids))
	echo "$out" >"$B/pgbench.out"
	lat=$(cat "$B"/pgbench-log/pgbench_log.* | $PY bench/report.py pgbench-latency)
	printf '{"contender":"pgbench","case":"get","desc":"pgbench -M prepared -c %d -j %d, item_get SELECT","rss_kb":0,"conf":{},"cpu_ms":{"pg":%d},"pgbench":{"tps":%s,"xacts":%s,"failed":%s,%s}}\n' \
	    "$CONNS" "$THREADS" $(((p1 - p0) * 1000 / HZ)) \
	    "$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' <<<"$out")" \
	    "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")" \
	    "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out" | grep . || echo 0)" \
	    "$lat" >>"$B/rows.jsonl"
	$PY bench/report.py row "$B/rows.jsonl" >&2
}

const_pids() { tree "$(cat "$B/ngx-const/nginx-const.pid")"; }
contender_const() {
	local d=$B/ngx-const j rss
	mkdir -p "$d/log" "$d/tmp"
	sed -e "s|@DIR@|$d|g" -e "s|@PORT@|$((PORT + 3))|g" -e "s|@WORKERS@|$CONST_WORKERS|g" \
	    bench/nginx/const.conf.in >"$d/nginx.conf"
	nginx -p "$d" -c "$d/nginx.conf" </dev/null >/dev/null 2>>"$d/log/stderr" &
	wait_http "$((PORT + 3))" / || die "nginx-const did not start"
	wrk_run "$((PORT + 3))" get "$WARMUP" >/dev/null
	j=$(wrk_run "$((PORT + 3))" get "$DURATION")
	rss=$(rss_kb $(const_pids))
	printf '{"contender":"nginx-const","case":"get","desc":"nginx (%s workers) return 200 constant item JSON","rss_kb":%d,"conf":{},"wrk":%s}\n' \
	    "$CONST_WORKERS" "$rss" "$j" >>"$B/rows.jsonl"
	$PY bench/report.py row "$B/rows.jsonl" >&2
	kill -QUIT "$(cat "$d/nginx-const.pid")" 2>/dev/null || true
}

# Instructions per GET /items/{id} in one responder (POOL_SIZE=1) under
# callgrind, behind its own nginx (deploy/'s configuration, 1 worker;
# CALLGRIND_KEEPALIVE as KEEPALIVE, 0 to connect per request): run A
# serves WARM requests, run B WARM + N; (Ir(B) - Ir(A)) / N is the cost
# of a request, start-up, connection and shutdown subtracted.
callgrind_run() { # requests -> total Ir
	local n=$1 d=$B/callgrind sock out
	sock=$d/items.sock
	out=$d/callgrind.out.$n
	rm -f "$sock" "$out"
	(exec env POOL_SIZE=1 LOG_LEVEL="${CALLGRIND_LOG_LEVEL:-info}" DATABASE_URL="postgresql://fastpg_app@/fastpg?host=$W/pgrun" \
	    ${cg_secret:+JWT_SECRET="$cg_secret"} \
	    spawn-fcgi -n -s "$sock" -M 0666 $([ $root = 1 ] && echo "-u nobody -g nogroup") -- \
	    /usr/bin/valgrind --tool=callgrind --callgrind-out-file="$out" \
	    "$SNAP/bin/items" </dev/null >>"$d/items.log" 2>&1) &
	local vg=$!	# spawn-fcgi -n execs valgrind: the same pid
	echo "$vg" >>"$B/callgrind/pids"	# for cleanup: we run in $(...)
	for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done
	sleep 1
	fastpg_nginx "$d/ngx" "$((PORT + 4))" "$sock" 1 "${CALLGRIND_KEEPALIVE:--1}"
	if [ "$n" -gt 0 ]; then
		{
			# one header line: curl's config options hold for every URL
			[ -z "$cg_token" ] || printf 'header = "Authorization: Bearer %s"\n' "$cg_token"
			for i in $(seq "$n"); do
				printf 'url = "http://127.0.0.1:%d/items/%d"\noutput = /dev/null\n' \
				    "$((PORT + 4))" $(( (i * 7919) % ROWS + 1 ))
			done
		} >"$d/curl.cfg"
		curl -s -w '%{http_code}\n' -K "$d/curl.cfg" | sort | uniq -c >"$d/codes.$n"
		grep -q " 200$" "$d/codes.$n" && [ "$(wc -l <"$d/codes.$n")" = 1 ] ||
		    { cat "$d/codes.$n" >&2; die "callgrind: not every request answered 200"; }
	fi
	nginx_stop "$d/ngx"
	kill -TERM "$vg" 2>/dev/null || true
	for _ in $(seq 300); do kill -0 "$vg" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$vg" 2>/dev/null || true
	[ -s "$out" ] || die "callgrind wrote no $out, see $d/items.log"
	sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$out" | head -n 1
}
# A bearer token for CALLGRIND_TOKEN=1: HS256 over {"sub":"bench"},
# valid a day, signed with a secret made for the run.
cg_secret= cg_token= cg_sfx=
callgrind_token() {
	cg_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	cg_token=$(JWT_SECRET=$cg_secret $PY -c '
import base64, hashlib, hmac, json, os, time
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
m = b(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b(json.dumps(
    {"sub": "bench", "exp": int(time.time()) + 86400}).encode())
print(m + "." + b(hmac.new(os.environ["JWT_SECRET"].encode(), m.encode(),
    hashlib.sha256).digest()))')
	cg_sfx=-token
}
callgrind() {
	local a b
	[ "$CALLGRIND_TOKEN" = 1 ] && callgrind_token
	mkdir -p "$B/callgrind"
	chmod 777 "$B/callgrind"
	reseed
	a=$(callgrind_run "$CALLGRIND_WARM")
	b=$(callgrind_run "$((CALLGRIND_WARM + CALLGRIND_REQS))")
	[ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt "$a" ] || die "callgrind failed, see $B/callgrind"
	printf '{"requests":%d,"warmup":%d,"ir_warmup_run":%d,"ir_full_run":%d,"ir_per_request":%d}\n' \
	    "$CALLGRIND_REQS" "$CALLGRIND_WARM" "$a" "$b" $(( (b - a) / CALLGRIND_REQS )) \
	    >"$B/callgrind$cg_sfx.json"
	say "callgrind: $(( (b - a) / CALLGRIND_REQS )) instructions per GET /items/{id} in the responder${cg_token:+ (with a bearer token)}"
	{
		echo "Instructions per GET /items/{id} by function, (run B - run A) / $CALLGRIND_REQS"
		echo "(callgrind, one responder, POOL_SIZE=1; files in $B/callgrind)"
		echo; echo "== inclusive (a function and what it calls) =="
		$PY bench/report.py cgdiff "$B/callgrind/callgrind.out.$CALLGRIND_WARM" \
		    "$B/callgrind/callgrind.out.$((CALLGRIND_WARM + CALLGRIND_REQS))" "$CALLGRIND_REQS" yes
		echo; echo "== exclusive (the function's own instructions) =="
		$PY bench/report.py cgdiff "$B/callgrind/callgrind.out.$CALLGRIND_WARM" \
		    "$B/callgrind/callgrind.out.$((CALLGRIND_WARM + CALLGRIND_REQS))" "$CALLGRIND_REQS" no
	} >"$RES/callgrind$cg_sfx-top.txt"
}

sizes() {
	local f s
	mkdir -p "$B/stripped"
	{
		for f in "$SNAP"/bin/* "$SNAP"/lib/libfastpg.so.*.*; do
			[ -L "$f" ] && continue
			cp "$f" "$B/stripped/"
			strip "$B/stripped/${f##*/}"
			s=$(stat -c %s "$B/stripped/${f##*/}")
			printf '{"file":"%s","bytes":%d,"stripped_bytes":%d}\n' \
			    "${f#"$SNAP"/}" "$(stat -c %s "$f")" "$s"
		done
	} >"$B/sizes.jsonl"
}

# ---------------------------------------------------------------- main

# Sourced (bench/tfb.sh): the helpers above only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

deps
for p in $(seq "$PORT" $((PORT + 6))); do port_free "$p" || die "port $p is in use (set PORT)"; done
# FASTPG_BUILD: the build folder under test (another checkout's, to
# compare two versions of the library on the same machine).
FASTPG_BUILD=${FASTPG_BUILD:-build}
[ -x "$FASTPG_BUILD/bin/items" ] || die "$FASTPG_BUILD/bin/items missing: make all"
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
rm -rf "$B"
mkdir -p "$B" "$RES" "$SNAP/bin"
chmod 755 "$B"
# The binaries under test, copied: a rebuild during the run changes nothing.
cp -a "$FASTPG_BUILD/lib" "$SNAP/lib"
cp -a "$FASTPG_BUILD/bin/items" "$SNAP/bin/"
: >"$B/rows.jsonl"
: >"$B/responder-rss.jsonl"

say "starting PostgreSQL and the responders (deploy/local.sh up $W)"
POOL_SIZE=$POOL bash deploy/local.sh up "$W" --port "$PORT" --bin "$SNAP/bin" --procs "$PROCS" >/dev/null 2>"$B/local.log" ||
    { cat "$B/local.log" >&2; die "local.sh up failed"; }
nginx_stop "$W"	# local.sh's own nginx: ours are generated below
# Item writes need a shop_admin token (sql/005_users.sql): one signed
# with a secret made for the run, sent by the wrk scripts' writes.  The
# peers (FastAPI, minimal, pgbench) log in as fastpg_bench, which holds
# shop_admin's rights, as fastpg_app did before it became an
# authenticator with none of its own.
BENCH_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
BENCH_TOKEN=$(JWT_SECRET=$BENCH_SECRET $PY -c '
import base64, hashlib, hmac, json, os, time
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
m = b(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b(json.dumps(
    {"sub": "1", "role": "shop_admin", "exp": int(time.time()) + 86400}).encode())
print(m + "." + b(hmac.new(os.environ["JWT_SECRET"].encode(), m.encode(),
    hashlib.sha256).digest()))')
psql "postgresql://fastpg@/fastpg?host=$W/pgrun" -Xq -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastpg_bench') THEN
        CREATE ROLE fastpg_bench LOGIN IN ROLE shop_admin; END IF; END \$\$" ||
    die "cannot create the role fastpg_bench"

if [ "$mode" = knobs ]; then
	: >"$B/knobs.jsonl"
	for k in ${KNOBS:-2:4:1:0 2:4:1:16 1:4:1:16 1:8:1:16 2:4:2:16 4:2:1:16 2:8:1:16 2:4:1:4}; do
		IFS=: read -r kp kq kw kk <<<"$k"
		: >"$B/rows.jsonl"
		contender_fastpg "p${kp}xq${kq}-w${kw}-ka${kk}" "$kp" "$kq" "$kw" "$kk"
		cat "$B/rows.jsonl" >>"$B/knobs.jsonl"
	done
	$PY bench/report.py knobs "$B/knobs.jsonl" "$RES/knobs.json"
	exit 0
fi

sizes
for c in $CONTENDERS; do
	say "contender $c"
	case $c in
	fastpg) contender_fastpg fastpg "$PROCS" "$POOL" "$NGINX_WORKERS" "$KEEPALIVE";;
	fastpg-nokeep) contender_fastpg fastpg-nokeep "$PROCS" "$POOL" "$NGINX_WORKERS" 0;;
	fastpg-pgbouncer) contender_fastpg fastpg-pgbouncer "$PROCS" "$POOL" "$NGINX_WORKERS" "$KEEPALIVE" pgbouncer;;
	minimal) contender_minimal;;
	fastapi-1w) contender_fastapi fastapi-1w 1 0;;
	fastapi-2w) contender_fastapi fastapi-2w 2 1;;
	fastapi-2w-stock) contender_fastapi fastapi-2w-stock 2 0;;
	pgbench) contender_pgbench;;
	nginx-const) contender_const;;
	*) die "unknown contender $c";;
	esac
done
[ "$LARGE_ROWS" -gt 0 ] && [ -n "$LARGE_CASES" ] && large
# The callgrind run has the machine to itself.
responders_stop
if [ "${CALLGRIND:-1}" = 1 ]; then
	say "callgrind: $CALLGRIND_WARM + $CALLGRIND_REQS requests"
	callgrind
fi
$PY bench/report.py final "$B" "$RES/latest.json"
