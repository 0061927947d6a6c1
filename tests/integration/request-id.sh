#!/bin/bash
# request-id.sh -- every answer through nginx carries an X-Request-ID,
# the ones nginx gives itself too (an unknown path's 404, a 413, a 400
# for a malformed request line, a 502 for a resource whose socket is
# gone), and those error pages carry no ETag or Last-Modified (they are
# static files to nginx).  The id nginx hands a responder is the one in
# nginx's access log and in the responder's log; a client's sane
# X-Request-ID is kept on nginx's answers as on the responders'.
#
# Environment (tests/run-tests.sh): BASE_URL, STACK_DIR (its logs and
# sockets; the stack's body limit is 1m).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"	# check, report
: "${BASE_URL:?}" "${STACK_DIR:?}"
hdr=$(mktemp) body=$(mktemp) big=$(mktemp)
sock=$STACK_DIR/run/health.sock
trap 'rm -f "$hdr" "$body" "$big"; [ -S "$sock.away" ] && mv "$sock.away" "$sock"' EXIT

# req METHOD PATH [curl args...]: status in $code, headers in $hdr.
req() {
	local m=$1 p=$2; shift 2
	code=$(curl -s -X "$m" -D "$hdr" -o "$body" -w '%{http_code}' "$@" "$BASE_URL$p")
}
h() { sed -nE "s/^$1: *([^[:space:]]*).*/\\1/Ip" "$hdr" | head -n 1; }
hex32() { [[ $1 =~ ^[0-9a-f]{32}$ ]]; }
# nginx's own error page: the status, a request id, JSON, no validators.
own() {	# own WHAT STATUS
	check "$1: $2 ($code)" [ "$code" = "$2" ]
	check "$1: X-Request-ID is nginx's ($(h X-Request-ID))" hex32 "$(h X-Request-ID)"
	check "$1: no ETag ($(h ETag))" [ -z "$(h ETag)" ]
	check "$1: no Last-Modified" [ -z "$(h Last-Modified)" ]
	check "$1: a JSON body" grep -q '"detail"' "$body"
}

req GET /no/such/path
own "unknown path" 404

head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$big"
req POST /items -H 'Content-Type: application/json' --data-binary @"$big"
own "body over the limit" 413

# A malformed request line never reaches a location: the server's
# error page answers it.
port=${BASE_URL##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET\r\n\r\n' >&3
timeout 5 cat <&3 | tr -d '\r' >"$hdr"
exec 3<&-
code=$(sed -nE '1s/^HTTP\/1\.[01] ([0-9]+).*/\1/p' "$hdr")
sed -n '/^$/,$p' "$hdr" >"$body"
own "malformed request line" 400

# A resource whose socket is gone: nginx's 502.  The listening socket
# stays open in the responders, so moving the path back restores it.
mv "$sock" "$sock.away"
req GET /healthz
mv "$sock.away" "$sock"
own "resource not running" 502
req GET /healthz
check "the resource answers again ($code)" [ "$code" = 200 ]

req GET /no/such/path -H 'X-Request-ID: client-id_1.2'
check "nginx keeps a client's sane id ($(h X-Request-ID))" [ "$(h X-Request-ID)" = client-id_1.2 ]
req GET /no/such/path -H 'X-Request-ID: not sane!'
check "and replaces one that is not ($(h X-Request-ID))" hex32 "$(h X-Request-ID)"

# A responder's answer: the id nginx made is the one the responder
# used, and both logs carry it (nginx writes its log within a second).
req GET '/items?limit=1'
id=$(h X-Request-ID)
check "a responder's answer has one X-Request-ID ($id)" \
    [ "$(grep -ci '^X-Request-ID:' "$hdr")" = 1 ]
check "it is 32 hex (nginx's \$request_id or the responder's own)" hex32 "$id"
found=0
for _ in $(seq 30); do
	grep -q " \"GET /items?limit=1 HTTP/1.1\" 200 .* $id\$" \
	    "$STACK_DIR/log/nginx-access.log" && { found=1; break; }
	sleep 0.1
done
check "nginx's access log line carries it" [ $found = 1 ]
check "the responder's log line carries it" grep -q "id=$id" "$STACK_DIR/log/items.log"
req GET '/items?limit=1' -H 'X-Request-ID: client-id_3'
check "a client's sane id reaches the responder ($(h X-Request-ID))" \
    [ "$(h X-Request-ID)" = client-id_3 ]
report
