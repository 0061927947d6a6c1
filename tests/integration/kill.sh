#!/bin/bash
# kill.sh -- a responder process killed with SIGKILL under load comes
# back through multiwatch; the requests that fail meanwhile (those in
# flight in the killed process: at most POOL_SIZE) are counted, bounded
# and reported.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR, POOL_SIZE (4),
# LOAD_SECONDS (8).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${BASE_URL:?}" "${STACK_DIR:?}"
secs=${LOAD_SECONDS:-8}
bound=$((2 * ${POOL_SIZE:-4}))
mw=$(cat "$STACK_DIR/run/items.pid")
procs=$(pgrep -P "$mw" | wc -l)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

wrk -t2 -c16 -d"${secs}s" "$BASE_URL/items?limit=5" >"$out" 2>&1 &
wrk=$!
sleep 2
victim=$(pgrep -P "$mw" | head -n 1)
t0=$(date +%s%N)
kill -KILL "$victim"
back=0
for _ in $(seq 200); do
	if ! kill -0 "$victim" 2>/dev/null &&
	    [ "$(pgrep -P "$mw" | wc -l)" -ge "$procs" ]; then
		back=1; break
	fi
	sleep 0.02
done
ms=$((($(date +%s%N) - t0) / 1000000))
wait $wrk
cat "$out"
wrk_stats "$out"
after=0
for _ in $(seq 20); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/items?limit=1")
	[ "$c" = 200 ] && after=$((after + 1))
done

check "multiwatch respawned the killed process ($ms ms)" [ $back = 1 ]
check "multiwatch itself still runs" kill -0 "$mw"
check "load ran ($requests requests)" [ "$requests" -gt 100 ]
check "failed requests bounded: $((non2xx + sockerr)) <= $bound" [ $((non2xx + sockerr)) -le $bound ]
check "all of 20 requests after the respawn succeed ($after)" [ $after -eq 20 ]
echo "kill: $requests requests in ${secs}s, 1 of $procs processes SIGKILLed," \
    "back in $ms ms, $non2xx non-2xx + $sockerr socket errors (bound $bound)"
report
