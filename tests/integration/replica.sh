#!/bin/bash
# replica.sh -- reads on a streaming replica (issue 15), through nginx, on
# a stack started with `local.sh up --replica` (the nginx-replica pass of
# tests/run-tests.sh, READ_MAX_LAG=4s).  Which server answered a read is
# told by the data: the replica's replay is paused just after a write it
# has replayed, then the primary changes a row; a read that sees the old
# row came from the replica, one that sees the new row from the primary.
#  - GETs of items run on the replica while it is within READ_MAX_LAG;
#  - a write goes to the primary, and GET /orders/{id} (.primary) sees
#    the order just placed while GET /orders (on the replica) does not;
#  - past READ_MAX_LAG the replica is left out: reads see the primary,
#    counted and logged, none fails; once replay resumes it is taken back;
#  - the replica stopped: every read still 200, from the primary; started
#    again: reads go back to it.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR, ADMIN_TOKEN.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${BASE_URL:?}" "${STACK_DIR:?}" "${ADMIN_TOKEN:?}"
R="postgresql://fastpg@/fastpg?host=$STACK_DIR/replrun"
auth=(-H "Authorization: Bearer $ADMIN_TOKEN")
trap 'psql "$R" -XAtqc "SELECT pg_wal_replay_resume()" >/dev/null 2>&1;
    bash "$top/deploy/local.sh" replica-start "$STACK_DIR" >/dev/null 2>&1' EXIT

# n GETs of $1, 8 at a time: the answers in $out/1..n, the statuses
# one a line.
gets() {
	rm -f "$out"/*
	seq "$2" | xargs -P 8 -I{} curl -s -o "$out/{}" -w '%{http_code}\n' \
	    "${auth[@]}" "$BASE_URL$1"
}
metric() {
	curl -s "$BASE_URL/_fastpg/$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
new_item() {
	curl -s -X POST -H 'Content-Type: application/json' "${auth[@]}" \
	    -d "{\"sku\":\"REPLICA-$$-$RANDOM$RANDOM\",\"name\":\"v0\",\"price\":3,\"stock\":100}" \
	    "$BASE_URL/items" | sed -nE 's/^\{"id":([0-9]+),.*/\1/p'
}
rename() {	# rename ID NAME: on the primary
	curl -s -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/json' \
	    "${auth[@]}" -d "{\"name\":\"$2\"}" "$BASE_URL/items/$1"
}
# Waits up to 5 s for the replica to have replayed item $1 named $2.
replayed() {
	for _ in $(seq 50); do
		[ "$(psql "$R" -XAtc "SELECT name FROM items WHERE id = $1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# The replica stale from now on, with a lag that starts at about 0: a
# write replayed, then replay paused.
pause_fresh() {
	local i
	i=$(new_item)
	replayed "$i" v0 || echo "(item $i not replayed)"
	psql "$R" -XAtqc "SELECT pg_wal_replay_pause()" >/dev/null
}
resume() {
	psql "$R" -XAtqc "SELECT pg_wal_replay_resume()" >/dev/null
}
# n GETs of item $1: prints "<200s> <with name $2>"
reads() {
	local ok
	ok=$(gets "/items/$1" "$3" | grep -c '^200$')
	echo "$ok $(grep -l "\"name\":\"$2\"" "$out"/* | wc -l)"
}
out=$(mktemp -d)
trap 'rm -rf "$out"; psql "$R" -XAtqc "SELECT pg_wal_replay_resume()" >/dev/null 2>&1;
    bash "$top/deploy/local.sh" replica-start "$STACK_DIR" >/dev/null 2>&1' EXIT

id=$(new_item)
check "an item written (id ${id:-none})" [ -n "$id" ]
check "the replica replays it" replayed "$id" v0
gets "/items/$id" 20 >/dev/null

# 1. Reads on the replica: it answers what it has replayed.
pause_fresh
m0=$(metric items fastpg_db_replica_reads_total)
check "renamed on the primary" [ "$(rename "$id" v1)" = 200 ]
r=$(reads "$id" v0 50)
check "50 GETs answered 200, all with the replica's old row ($r)" [ "$r" = "50 50" ]
m1=$(metric items fastpg_db_replica_reads_total)
check "counted as replica reads (${m0:-none} -> ${m1:-none})" \
    [ "${m1:-0}" -ge $((${m0:-0} + 50)) ]

# 2. Writes go to the primary; GET /orders/{id} reads the primary
# (.primary) and sees the order at once, the list reads the replica.
oid=$(curl -s -X POST -H 'Content-Type: application/json' "${auth[@]}" \
    -d "{\"lines\":[{\"item_id\":$id,\"quantity\":1}]}" "$BASE_URL/orders" |
    sed -nE 's/^\{"id":([0-9]+),.*/\1/p')
check "an order placed (id ${oid:-none})" [ -n "$oid" ]
st=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$BASE_URL/orders/$oid")
check "GET /orders/{id} (on the primary) finds it at once ($st)" [ "$st" = 200 ]
list=$(curl -s "${auth[@]}" "$BASE_URL/orders?limit=100")
check "GET /orders (on the replica) does not yet" \
    bash -c "! grep -q '\"id\":$oid,' <<<'$list'"

# 3. Past READ_MAX_LAG (4 s), plus a second for the check: left out.
f0=$(metric items fastpg_db_replica_fallbacks_total)
sleep 5.5
r=$(reads "$id" v1 50)
check "the replica too far behind: 50 GETs 200, all with the primary's row ($r)" \
    [ "$r" = "50 50" ]
f1=$(metric items fastpg_db_replica_fallbacks_total)
check "counted as fallbacks (${f0:-none} -> ${f1:-none})" [ "${f1:-0}" -ge $((${f0:-0} + 50)) ]
list=$(curl -s "${auth[@]}" "$BASE_URL/orders?limit=100")
check "GET /orders finds the order now" grep -q "\"id\":$oid," <<<"$list"
check "logged: the replica left out, and how far behind" \
    grep -qE 'read replica 1 left out: [0-9]+ ms behind its primary' "$STACK_DIR/log/items.log"

# 4. Replay resumed: taken back.
resume
check "the replica catches up" replayed "$id" v1
sleep 1.2	# every worker's last check is older than a second
pause_fresh
check "renamed on the primary" [ "$(rename "$id" v2)" = 200 ]
r=$(reads "$id" v1 50)
check "replay resumed: 50 GETs 200, all by the replica again ($r)" [ "$r" = "50 50" ]
check "logged: taken back" grep -q 'read replica 1 taken back' "$STACK_DIR/log/items.log"
resume

# 5. The replica stopped: nothing fails.  Whichever worker notices first
# logs it: a read that finds it gone, or the once-a-second probe.
lines=$(wc -l <"$STACK_DIR/log/items.log")
bash "$top/deploy/local.sh" replica-stop "$STACK_DIR"
r=$(reads "$id" v2 100)
check "replica stopped: 100 GETs 200, from the primary ($r)" [ "$r" = "100 100" ]
logged_since() {	# logged_since LINE ERE: within 3 s
	for _ in $(seq 30); do
		tail -n +"$(($1 + 1))" "$STACK_DIR/log/items.log" | grep -qE "$2" && return 0
		sleep 0.1
	done
	return 1
}
check "logged: left out" logged_since "$lines" \
    'read replica 1 left out: (not connected|its connection was (lost|closed)|its lag could not be read)'


# 6. Started again: every worker notices its closed connection within a
# second, between requests, and connects again.
bash "$top/deploy/local.sh" replica-start "$STACK_DIR"
check "the replica up again, caught up" replayed "$id" v2
sleep 2.5	# each worker looks at its connection once a second
pause_fresh
check "renamed on the primary" [ "$(rename "$id" v3)" = 200 ]
r=$(reads "$id" v2 50)
check "replica back: 50 GETs 200, all by the replica ($r)" [ "$r" = "50 50" ]
resume
report
