#!/bin/bash
# sigmask.sh -- no worker thread of a responder takes a stop signal
# (issue 12, item 8): libfcgi's reads and writes do not restart after
# EINTR, so a SIGTERM landing on a worker could fail the request it is
# serving.  Every thread but the main one must block HUP, INT, USR1,
# PIPE and TERM (/proc/PID/task/TID/status, SigBlk); the main thread
# takes them.
#
# Environment (tests/run-tests.sh): STACK_DIR.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${STACK_DIR:?}"
# bits (signal - 1): HUP 0, INT 1, USR1 9, PIPE 12, TERM 14
want=$(( (1 << 0) | (1 << 1) | (1 << 9) | (1 << 12) | (1 << 14) ))
mw=$(cat "$STACK_DIR/run/items.pid")
for pid in $(pgrep -P "$mw"); do
	workers=0 blocked=0 main_takes=0
	for t in /proc/"$pid"/task/*; do
		blk=$((16#$(awk '/^SigBlk:/ { print $2 }' "$t/status")))
		if [ "${t##*/}" = "$pid" ]; then
			[ $((blk & want)) -eq 0 ] && main_takes=1
			continue
		fi
		workers=$((workers + 1))
		[ $((blk & want)) -eq $want ] && blocked=$((blocked + 1))
	done
	echo "sigmask: process $pid: $blocked of $workers workers block the stop signals"
	check "process $pid has workers" [ "$workers" -gt 0 ]
	check "every worker of $pid blocks the stop signals" [ "$blocked" -eq "$workers" ]
	check "the main thread of $pid takes them" [ "$main_takes" -eq 1 ]
done
report
