#!/bin/bash
# trace.sh -- one request followed end to end (issue 14): the trace id
# of a sampled W3C traceparent is in the responder's access line and,
# during a slow statement, in pg_stat_activity (application_name "items
# <trace id>"), set for that transaction only: nothing of it is left on
# the connection afterwards.  A malformed traceparent starts a new trace.
# And PostgreSQL's notices reach the log with the request's id.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
: "${BASE_URL:?}" "${STACK_DIR:?}"
db="postgresql://fastpg@/fastpg?host=$STACK_DIR/pgrun"
trace=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
tp="00-$trace-00f067aa0ba902b7-01"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ans=$(curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer ${ADMIN_TOKEN:-}" \
    -d "{\"sku\":\"TRACE-$$-$(date +%s%N)\",\"name\":\"Traced\",\"price\":1}" \
    "$BASE_URL/items")
id=$(sed -nE 's/^\{"id":([0-9]+),.* 201$/\1/p' <<<"$ans")
check "an item to change (${ans: -3})" [ -n "$id" ]

# A row lock held for a second makes the traced PATCH wait in PostgreSQL.
psql "$db" -Xq -c "BEGIN" -c "SELECT 1 FROM items WHERE id = $id FOR UPDATE" \
    -c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.3
curl -s -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/json' -H "Authorization: Bearer ${ADMIN_TOKEN:-}" \
    -H "traceparent: $tp" -d '{"name":"Traced 2"}' "$BASE_URL/items/$id" >"$out" &
patcher=$!
seen=
for _ in $(seq 40); do
	seen=$(psql "$db" -XAtc "SELECT application_name FROM pg_stat_activity WHERE application_name = 'items $trace'")
	[ -n "$seen" ] && break
	sleep 0.05
done
wait $patcher $locker
check "the PATCH waited and went through ($(cat "$out"))" [ "$(cat "$out")" = 200 ]
check "pg_stat_activity showed the trace during the statement ($seen)" [ "$seen" = "items $trace" ]
sleep 0.2
check "the access line carries it" grep -q "PATCH /items/$id 200 .* trace=$trace" "$STACK_DIR/log/items.log"
left=$(psql "$db" -XAtc "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'items %'")
check "nothing of it is left on the connections ($left)" [ "$left" = 0 ]

# PostgreSQL's notices go through the library's log, with the request's
# id, never raw to stderr (issue 12): a search of only stop words.
rid="notice-$$-$(date +%s)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Request-ID: $rid" \
    "$BASE_URL/items?q=the%20a%20of")
sleep 0.2
check "a stop-word search is answered ($code)" [ "$code" = 200 ]
check "its NOTICE is logged with the request id" \
    grep -q "database NOTICE: SQLSTATE 00000: .*(id=$rid)" "$STACK_DIR/log/items.log"
check "no raw libpq line in the log" bash -c "! grep -q '^NOTICE:' '$STACK_DIR/log/items.log'"

# Malformed: a new trace, the request still served.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'traceparent: 00-zz-00-01' "$BASE_URL/items/$id")
check "a malformed traceparent is ignored (${code})" [ "$code" = 200 ]
report
