#!/bin/bash
# metrics.sh -- what an operator reads (issue 14), through nginx:
#  - /_fastpg/<name>/metrics passes `promtool check metrics`;
#  - the request counters add up to the requests sent, across both
#    processes of the resource, whichever one answers the scrape;
#  - after one process is SIGKILLed and respawned they still do (no
#    drop Prometheus would misread as a reset);
#  - /_fastpg/<name>/readyz turns 503 within a second of PostgreSQL
#    stopping and 200 again once it is back; livez stays 200.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${BASE_URL:?}" "${STACK_DIR:?}"
ops=$BASE_URL/_fastpg/items
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; bash "$top/deploy/local.sh" pg-start "$STACK_DIR" >/dev/null 2>&1' EXIT

# GET /items/{id}'s 200s as the scrape counts them.
count() {
	curl -s "$ops/metrics" | awk '/^fastpg_requests_total\{route="\/items\/\{id\}",method="GET",status="200"\}/ { print $2 }'
}
# n requests, 8 at a time; prints how many were 200.
send() {
	seq "$1" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    "$BASE_URL/items/$id" | grep -c '^200$'
}

ans=$(curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer ${ADMIN_TOKEN:-}" \
    -d "{\"sku\":\"METRICS-$$-$(date +%s%N)\",\"name\":\"Counted\",\"price\":2.5}" \
    "$BASE_URL/items")
id=$(sed -nE 's/^\{"id":([0-9]+),.* 201$/\1/p' <<<"$ans")
check "an item to read (${ans: -3})" [ -n "$id" ]

curl -s "$ops/metrics" >"$tmp/scrape"
promtool check metrics <"$tmp/scrape" >"$tmp/lint" 2>&1
rc=$?
cat "$tmp/lint"
check "promtool check metrics finds nothing (rc $rc, $(wc -l <"$tmp/lint") lines)" \
    [ $rc -eq 0 -a ! -s "$tmp/lint" ]
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$ops/metrics")
check "the scrape is text format 0.0.4 ($ctype)" grep -q 'version=0.0.4' <<<"$ctype"

before=$(count); before=${before:-0}
ok=$(send 400)
# Scrapes land on either process: each must show the whole resource.
same=1
for _ in 1 2 3 4 5 6; do
	[ "$(count)" = $((before + ok)) ] || same=0
done
check "400 GETs ($ok 200s) counted once across both processes ($before -> $(count))" \
    [ "$ok" -eq 400 -a $same -eq 1 ]

mw=$(cat "$STACK_DIR/run/items.pid")
victim=$(pgrep -P "$mw" | head -n 1)
kill -KILL "$victim"
for _ in $(seq 100); do
	[ "$(pgrep -P "$mw" | wc -l)" -ge 2 ] && ! kill -0 "$victim" 2>/dev/null && break
	sleep 0.05
done
after_kill=$(count)
check "after a SIGKILL nothing counted is lost ($after_kill >= $((before + ok)))" \
    [ "${after_kill:-0}" -ge $((before + ok)) ]
ok2=$(send 100)
check "the respawned pair counts on ($after_kill + $ok2 = $(count))" \
    [ "$(count)" = $((after_kill + ok2)) ]
procs=$(curl -s "$ops/metrics" | awk '/^fastpg_processes / { print $2 }')
check "fastpg_processes counts the live ones ($procs)" [ "$procs" = 2 ]

check "livez 200" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ops/livez")" = 200 ]
check "readyz 200" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ops/readyz")" = 200 ]
bash "$top/deploy/local.sh" pg-stop "$STACK_DIR" >/dev/null 2>&1
t0=$(date +%s%N) down=0
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ops/readyz")" = 503 ] && { down=1; break; }
	sleep 0.02
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "readyz 503 within a second of PostgreSQL stopping (${ms} ms)" [ $down = 1 -a $ms -le 1000 ]
check "livez still 200" [ "$(curl -s -o /dev/null -w '%{http_code}' "$ops/livez")" = 200 ]
bash "$top/deploy/local.sh" pg-start "$STACK_DIR" >/dev/null 2>&1
up=0
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$ops/readyz")" = 200 ] && { up=1; break; }
	sleep 0.05
done
check "readyz 200 again once it is back" [ $up = 1 ]
unavail=$(curl -s "$ops/metrics" | awk '/^fastpg_db_reconnects_total / { print $2 }')
check "reconnects counted ($unavail)" [ "${unavail:-0}" -gt 0 ]
check "nginx keeps /_fastpg/ to loopback" grep -q 'deny all;' "$STACK_DIR/nginx/nginx.conf"
echo "metrics: $((ok + ok2)) GETs counted exactly across 2 processes and a SIGKILL; readyz 503 in ${ms} ms"
report
