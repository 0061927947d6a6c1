#!/bin/bash
# tfb.sh -- the TechEmpower Framework Benchmarks' six test types, run
# with wrk against fastpg (apps/tfb behind deploy/'s nginx, as
# deploy/local.sh starts it), TechEmpower's own FastAPI implementation
# (bench/peers/tfb_fastapi.py under uvicorn, Debian's packages) and,
# for /db, the hand-written responder (bench/peers/minimal.c world).
# `make bench-tfb`; prints a table and writes bench/results/tfb.json.
# See bench/README.md.  The helpers are bench/run.sh's (sourced).
#
# Environment (defaults in brackets):
#   DURATION [10] WARMUP [2]   seconds per run, and of the untimed run before
#   CONNS [32] THREADS [2]     wrk -c / -t
#   TYPES [json db queries fortunes updates plaintext]
#   QUERIES [20]               N of /queries?queries=N and /updates?queries=N
#   CONTENDERS [fastpg fastapi minimal]
#   PROCS [2] POOL [4]         fastpg: processes x POOL_SIZE (deploy/'s)
#   FASTAPI_WORKERS [2]        uvicorn --workers (one per core, as TFB does)
#   PORT [19600]               ports PORT .. PORT+5 on 127.0.0.1
set -euo pipefail

PORT=${PORT:-19600}
CONTENDERS=${CONTENDERS-fastpg fastapi minimal}
. "$(cd "$(dirname "$0")" && pwd)/run.sh"	# cd's to the top, sets the knobs
TYPES=${TYPES-json db queries fortunes updates plaintext}
QUERIES=${QUERIES:-20}
FASTAPI_WORKERS=${FASTAPI_WORKERS:-2}
B=$top/build/bench-tfb		# everything this run writes, but the result
W=$B/stack
SNAP=$B/snap

# The path of each test type, on fastpg (under /tfb) and on the peers.
type_path() {
	case $1 in
	queries|updates) echo "/$1?queries=$QUERIES";;
	*) echo "/$1";;
	esac
}

# What we started, stopped by pid (nginx by its pid file).
tfb_pids=()
tfb_cleanup() {
	local p
	set +e
	for p in "${tfb_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${tfb_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	tfb_pids=()
	nginx_stop "$B/ngx-minimal"
	bash deploy/local.sh down "$W" >/dev/null 2>&1
	return 0
}

# One wrk run: prints common.lua's BENCH JSON line.  $1 URL, $2 seconds.
tfb_wrk() {
	BENCH_WRK_DIR=$top/bench/wrk wrk -t"$THREADS" -c"$CONNS" -d"$2"s \
	    --timeout 5s -s "$top/bench/wrk/tfb.lua" "$1" >"$B/wrk.out" 2>&1 ||
	    { cat "$B/wrk.out" >&2; die "wrk failed on $1"; }
	grep '^BENCH ' "$B/wrk.out" | tail -n 1 | cut -c7-
}

# Serving processes of each contender (their CPU time per request).
fastpg_tfb_pids() { tree "$(cat "$W/run/tfb.pid")" "$(cat "$W/nginx.pid")"; }
fastapi_tfb_pids() { tree "$UVI"; }
minimal_tfb_pids() { tree "$MINI" "$(cat "$B/ngx-minimal/nginx.pid")"; }

# One type against one contender: a row of $B/rows.jsonl.
# $1 contender, $2 type, $3 base URL, $4 pid function.
measure() {
	local name=$1 type=$2 url=$3$(type_path "$2") pidfn=$4 j s0 s1 p0 p1
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] ||
	    die "$name: $url does not answer 200"
	tfb_wrk "$url" "$WARMUP" >/dev/null
	s0=$(ticks $($pidfn)) p0=$(ticks $(pg_pids))
	j=$(tfb_wrk "$url" "$DURATION")
	s1=$(ticks $($pidfn)) p1=$(ticks $(pg_pids))
	printf '{"contender":"%s","type":"%s","url":"%s","rss_kb":%d,"cpu_ms":{"serve":%d,"pg":%d},"wrk":%s}\n' \
	    "$name" "$type" "$url" "$(rss_kb $($pidfn))" \
	    $(((s1 - s0) * 1000 / HZ)) $(((p1 - p0) * 1000 / HZ)) "$j" >>"$B/rows.jsonl"
	$PY - "$B/rows.jsonl" <<'PY' >&2
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
w = r["wrk"]
print("bench: %-8s %-10s %9.0f req/s  p99 %7.2f ms  errors %d" % (r["contender"],
    r["type"], w["requests"] / (w["duration_us"] / 1e6), w["p99_us"] / 1000,
    w["status_errors"] + w["socket_errors"]))
PY
}

# ---------------------------------------------------------------- main

sh deploy/deps.sh wrk postgresql-contrib python3-fastapi uvicorn python3-asyncpg \
    python3-jinja2 python3-uvloop python3-httptools procps
for p in $(seq "$PORT" $((PORT + 5))); do port_free "$p" || die "port $p is in use (set PORT)"; done
[ -x build/bin/tfb ] || die "build/bin/tfb missing: make all"
trap tfb_cleanup EXIT
trap 'exit 130' INT TERM
tfb_cleanup
rm -rf "$B"
mkdir -p "$B" "$RES" "$SNAP/bin"
chmod 755 "$B"
# The binary under test, copied (a rebuild during the run changes
# nothing), and alone in its folder: local.sh starts only tfb.
cp -a build/lib "$SNAP/lib"
cp -a build/bin/tfb "$SNAP/bin/"
: >"$B/rows.jsonl"

say "starting PostgreSQL, tfb and nginx (deploy/local.sh up $W)"
FASTPG_BENCH_APPS=1 POOL_SIZE=$POOL bash deploy/local.sh up "$W" --port "$PORT" --bin "$SNAP/bin" \
    --procs "$PROCS" >/dev/null 2>"$B/local.log" ||
    { cat "$B/local.log" >&2; die "local.sh up failed"; }
wait_http "$PORT" /tfb/json || die "fastpg did not answer, see $W/log"
# The peers log in as fastpg_bench, with what apps/tfb's requests may
# do (fastpg_api's grants in sql/008_tfb.sql).
psql "postgresql://fastpg@/fastpg?host=$W/pgrun" -Xq -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastpg_bench') THEN
        CREATE ROLE fastpg_bench LOGIN; END IF; END \$\$; GRANT fastpg_api TO fastpg_bench" ||
    die "cannot create the role fastpg_bench"

UVI= MINI=
case " $CONTENDERS " in *" fastapi "*)
	(cd "$top/bench/peers" && exec env \
	    DATABASE_URL="postgresql://fastpg_bench@/fastpg?host=$W/pgrun" \
	    PYTHONDONTWRITEBYTECODE=1 \
	    "$PY" "$top/bench/peers/uvicorn_nodelay.py" tfb_fastapi:app \
	    --host 127.0.0.1 --port "$((PORT + 2))" --workers "$FASTAPI_WORKERS" \
	    --log-level warning --no-access-log </dev/null >>"$B/fastapi.log" 2>&1) &
	UVI=$!; disown "$UVI"
	tfb_pids+=("$UVI")
	wait_http "$((PORT + 2))" /json || die "FastAPI did not answer, see $B/fastapi.log";;
esac
case " $CONTENDERS " in *" minimal "*)
	cc -O2 -I "$(pg_config --includedir)" -o "$B/minimal" bench/peers/minimal.c \
	    -lfcgi -lpq -lpthread || die "bench/peers/minimal.c did not build"
	"$B/minimal" "$W/run/minimal.sock" "postgresql://fastpg_bench@/fastpg?host=$W/pgrun" \
	    $((PROCS * POOL)) world </dev/null >"$B/minimal.log" 2>&1 &
	MINI=$!; disown "$MINI"	# (libfcgi: TERM ignored, KILLed)
	tfb_pids+=("$MINI")
	for _ in $(seq 50); do [ -S "$W/run/minimal.sock" ] && break; sleep 0.1; done
	# run.sh's nginx for the minimal peer: deploy/'s templates under
	# the prefix /items, no kept connections (libfcgi's own loop).
	fastpg_nginx "$B/ngx-minimal" "$((PORT + 5))" "$W/run/minimal.sock" 1 0;;
esac

for t in $TYPES; do
	for c in $CONTENDERS; do
		case $c in
		fastpg) measure fastpg "$t" "http://127.0.0.1:$PORT/tfb" fastpg_tfb_pids;;
		fastapi) measure fastapi "$t" "http://127.0.0.1:$((PORT + 2))" fastapi_tfb_pids;;
		minimal) [ "$t" = db ] &&
		    measure minimal "$t" "http://127.0.0.1:$((PORT + 5))/items" minimal_tfb_pids;;
		*) die "unknown contender $c";;
		esac
	done
done

$PY - "$B/rows.jsonl" "$RES/tfb.json" "$DURATION" "$CONNS" "$THREADS" "$QUERIES" \
    "$PROCS" "$POOL" "$FASTAPI_WORKERS" <<'PY'
import json, os, platform, sys, time
rows = [json.loads(l) for l in open(sys.argv[1])]
dur, conns, threads, queries, procs, pool, fw = sys.argv[3:10]
by = {}
for r in rows:
    w = r["wrk"]
    s = w["duration_us"] / 1e6
    r["rps"] = w["requests"] / s
    r["errors"] = w["status_errors"] + w["socket_errors"]
    n = max(w["requests"], 1)
    r["cpu_us_per_req"] = {k: v * 1000 / n for k, v in r["cpu_ms"].items()}
    by[(r["contender"], r["type"])] = r
types = list(dict.fromkeys(r["type"] for r in rows))
hdr = "| type | contender | requests/s | p50 ms | p99 ms | errors | CPU us/req serving/PG | RSS MB | /fastapi |"
print(hdr)
print("|" + "---|" * 9)
for t in types:
    base = by.get(("fastapi", t))
    for c in ("fastpg", "fastapi", "minimal"):
        r = by.get((c, t))
        if r is None:
            continue
        w = r["wrk"]
        print("| %s | %s | %s | %.2f | %.2f | %d | %d/%d | %.1f | %s |" % (
            t, c, format(round(r["rps"]), ","), w["p50_us"] / 1000,
            w["p99_us"] / 1000, r["errors"], r["cpu_us_per_req"]["serve"],
            r["cpu_us_per_req"]["pg"], r["rss_kb"] / 1024,
            "%.2f" % (r["rps"] / base["rps"]) if base else "-"))
with open(sys.argv[2], "w") as f:
    json.dump({"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "loadavg": os.getloadavg()},
               "settings": {"duration_s": int(dur), "conns": int(conns),
                            "threads": int(threads), "queries": int(queries),
                            "fastpg_procs": int(procs), "fastpg_pool": int(pool),
                            "fastapi_workers": int(fw)},
               "rows": rows}, f, indent=1)
print("\nwritten: " + sys.argv[2])
PY
