#!/bin/bash
# rollout.sh -- a rolling redeploy of one resource (items) under steady
# load through the web server, twice in a row, with wrk counting every
# answer: reads, and writes (POST, which nginx never retries on another
# connection).  Zero non-2xx and zero socket errors are asserted, and
# the other resources' processes must stay untouched.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR (the local.sh
# stack), LOAD_SECONDS (12).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${BASE_URL:?}" "${STACK_DIR:?}"
secs=${LOAD_SECONDS:-12}
run=$STACK_DIR/run
out=$(mktemp) outw=$(mktemp)
trap 'rm -f "$out" "$outw"' EXIT

others=""
for p in "$run"/*.pid; do
	n=${p##*/}; n=${n%.pid}
	[ "$n" = items ] || others+="$n=$(cat "$p") "
done
old=$(cat "$run/items.pid")

wrk -t2 -c16 -d"${secs}s" "$BASE_URL/items?limit=5" >"$out" 2>&1 &
wrk=$!
WRK_TAG=$$-$(date +%s%N) wrk -t2 -c16 -d"${secs}s" \
    -s "$top/tests/integration/post.lua" "$BASE_URL" >"$outw" 2>&1 &
wrkw=$!
sleep 2
t0=$(date +%s%N)
bash "$top/deploy/rollout.sh" items "$STACK_DIR"; rc1=$?
ms1=$((($(date +%s%N) - t0) / 1000000))
mid=$(cat "$run/items.pid")
sleep 1
t0=$(date +%s%N)
bash "$top/deploy/rollout.sh" items "$STACK_DIR"; rc2=$?
ms2=$((($(date +%s%N) - t0) / 1000000))
new=$(cat "$run/items.pid")
wait $wrk $wrkw
cat "$out" "$outw"
wrk_stats "$outw"
wrequests=$requests wnon2xx=$non2xx wsockerr=$sockerr
wrk_stats "$out"

check "first rollout exits 0 ($ms1 ms)" [ $rc1 -eq 0 ]
check "second rollout exits 0 ($ms2 ms)" [ $rc2 -eq 0 ]
check "items runs a new multiwatch ($old -> $mid -> $new)" \
    [ "$old" != "$mid" -a "$mid" != "$new" ]
check "old generations are gone" bash -c "! kill -0 $old 2>/dev/null && ! kill -0 $mid 2>/dev/null"
still=1
for kv in $others; do
	[ "$(cat "$run/${kv%%=*}.pid")" = "${kv#*=}" ] && kill -0 "${kv#*=}" || still=0
done
check "the other resources kept their processes ($others)" [ $still = 1 ]
check "load ran ($requests requests)" [ "$requests" -gt 100 ]
check "zero non-2xx answers ($non2xx)" [ "$non2xx" -eq 0 ]
check "zero socket errors ($sockerr)" [ "$sockerr" -eq 0 ]
check "writes ran ($wrequests POSTs)" [ "$wrequests" -gt 50 ]
check "zero non-2xx answers to POSTs ($wnon2xx)" [ "$wnon2xx" -eq 0 ]
check "zero socket errors on POSTs ($wsockerr)" [ "$wsockerr" -eq 0 ]
echo "rollout: $requests reads and $wrequests POSTs in ${secs}s through" \
    "${SERVER:-nginx}, 2 rollouts of items ($ms1 ms, $ms2 ms)," \
    "$((non2xx + wnon2xx)) non-2xx, $((sockerr + wsockerr)) socket errors"
report
