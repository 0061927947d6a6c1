#!/bin/bash
# new-resource.sh -- `make new-resource NAME=widgets` in a copy of this
# tree gives a resource that builds and serves CRUD with nothing else
# written: the copy is built, its stack started (deploy/local.sh: a
# PostgreSQL cluster, the migrations, the responders, nginx on a free
# port, all in a temp folder) and /widgets walked over HTTP with curl.
# Ends with "new-resource: N passed, M failed"; exits 1 on any failure.
# As root or not (deploy/local.sh decides who runs what).  KEEP=1 keeps
# the temp folder.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CHECKS_NAME=new-resource
. "$top/tests/checks.sh"

tmp=$(mktemp -d /tmp/fastpg-newres.XXXXXX)
chmod 755 "$tmp"	# PostgreSQL and the responders run as other users
src=$tmp/src stack=$tmp/stack
cleanup() {
	[ -d "$stack" ] && bash "$src/deploy/local.sh" down "$stack" >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The tree as a user has it: tracked and untracked files, not what
# .gitignore names (build/, var/), nor files deleted but not committed.
mkdir "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -co --exclude-standard -z |
	    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	    xargs -0 cp -p --parents -t "$src")
else
	(cd "$top" && tar -cf - --exclude=./build --exclude=./var --exclude=./.git .) |
	    tar -xf - -C "$src"
fi
cd "$src" || exit 1

# --- the generator -----------------------------------------------------

if make -s new-resource NAME=widgets >"$tmp/gen.log" 2>&1; then
	ok "make new-resource NAME=widgets"
else
	fail "make new-resource NAME=widgets"; cat "$tmp/gen.log" >&2; finish
fi
for f in apps/widgets/main.c apps/widgets/widgets_create.json \
    apps/widgets/widgets_patch.json apps/widgets/widgets_id.json \
    apps/widgets/widgets_list.json; do
	[ -s "$f" ] && ok "$f written" || fail "$f not written"
done
sqlf=$(ls sql/[0-9][0-9][0-9]_widgets.sql 2>/dev/null)
last=$(ls sql/[0-9][0-9][0-9]_*.sql | grep -v _widgets.sql | sort | tail -n 1)
want=$(printf '%03d' $(( 10#$(basename "$last" | cut -c1-3) + 1 )))
check "migration numbered after ${last##*/}" "sql/${want}_widgets.sql" "$sqlf"
# Refusals, and nothing written by them.
before=$(ls -a apps sql . | tr '\n' ' ')
for bad in widgets Items 9lives order text items_id_seq healthz; do
	if make -s new-resource NAME=$bad >/dev/null 2>&1; then
		fail "make new-resource NAME=$bad accepted"
	else
		ok "NAME=$bad refused"
	fi
done
if make -s new-resource >/dev/null 2>&1; then fail "make new-resource without NAME accepted"
else ok "NAME missing refused"; fi
check "refusals wrote nothing" "$before" "$(ls -a apps sql . | tr '\n' ' ')"

# --- build and serve ---------------------------------------------------

if make -j"$(nproc)" >"$tmp/build.log" 2>&1 && [ -x build/bin/widgets ]; then
	ok "make builds build/bin/widgets"
else
	fail "make"; tail -n 30 "$tmp/build.log" >&2; finish
fi
if grep -E 'apps/widgets/main.c:[0-9]+:[0-9]+: warning' "$tmp/build.log" >&2; then
	fail "warnings in apps/widgets/main.c"
else
	ok "no warnings in apps/widgets/main.c"
fi
if build/bin/widgets --check >"$tmp/check.log" 2>&1; then ok "widgets --check (schemas compile)"
else fail "widgets --check"; cat "$tmp/check.log" >&2; fi

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
port=$(free_port)
if POOL_SIZE=2 LOG_LEVEL=warn bash deploy/local.sh up "$stack" --port "$port" \
    --bin build/bin --procs 1 >"$tmp/up.log" 2>&1; then
	ok "stack up on port $port"
else
	fail "stack up"; cat "$tmp/up.log" >&2; tail -n 20 "$stack"/log/*.log >&2; finish
fi
if grep -q "applied ${want}_widgets" "$tmp/up.log"; then ok "migration ${want}_widgets applied"
else fail "migration ${want}_widgets not applied"; fi

# The new resource relies on the library's SQL only, not on the example
# shop's: its migration applies to a database holding nothing but
# sql/000_fastpg.sql (the role fastpg_app is the cluster's already).
mkdir "$tmp/libsql"
cp sql/migrate.sh sql/000_*.sql "$sqlf" "$tmp/libsql/"
if psql "postgresql://fastpg@/postgres?host=$stack/pgrun" -Xqc "CREATE DATABASE widgets_alone" &&
    MIGRATE_URL="postgresql://fastpg@/widgets_alone?host=$stack/pgrun" \
    sh "$tmp/libsql/migrate.sh" >"$tmp/libsql.log" 2>&1; then
	ok "${want}_widgets applies on the library's SQL alone"
else
	fail "${want}_widgets needs more than the library's SQL"; cat "$tmp/libsql.log" >&2
fi

# req METHOD PATH [BODY [HEADER...]]: sets $code, $body, $hdrs.
base=http://127.0.0.1:$port
req() {
	local m=$1 p=$2 d=${3:-} a=()
	shift 2; [ $# -gt 0 ] && shift
	for h in "$@"; do a+=(-H "$h"); done
	[ -n "$d" ] && a+=(-H 'Content-Type: application/json' --data-binary "$d")
	code=$(curl -s -X "$m" -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "${a[@]}" "$base$p")
	body=$(cat "$tmp/b"); hdrs=$(tr -d '\r' <"$tmp/h")
}
hdr() { printf '%s\n' "$hdrs" | sed -n "s/^$1: *//Ip" | head -n 1; }

req POST /widgets '{"name":"first","description":"a widget","data":{"n":12345678901234567890}}'
check "POST /widgets: 201" 201 "$code"
loc=$(hdr Location)
case $loc in /widgets/[0-9]*) ok "Location $loc";; *) fail "Location: '$loc'";; esac
check "POST: ETag" '"1"' "$(hdr ETag)"
case $body in *'"name":"first"'*'"data":{"n": 12345678901234567890}'*) ok "POST body: the row, data exact";;
*) fail "POST body: $body";; esac

req GET "$loc"
check "GET $loc: 200" 200 "$code"
check "GET: ETag" '"1"' "$(hdr ETag)"
case $body in '{"id":'*'"name":"first","description":"a widget"'*'"created_at":'*) ok "GET body";;
*) fail "GET body: $body";; esac
req GET "$loc" "" 'If-None-Match: "1"'
check "GET If-None-Match: 304" 304 "$code"

for i in 2 3; do req POST /widgets "{\"name\":\"w$i\"}"; done
check "POST without data: 201" 201 "$code"
case $body in *'"description":null,"data":{}'*) ok "defaults: description null, data {}";;
*) fail "defaults: $body";; esac

req GET '/widgets?limit=2'
check "list limit=2: 200" 200 "$code"
check "list: 2 rows" 2 "$(printf '%s' "$body" | grep -o '"id":' | wc -l)"
link=$(hdr Link)
next=$(printf '%s' "$link" | sed -n 's/^<\([^>]*\)>; *rel="next".*/\1/p')
case $next in *after=*) ok "Link rel=next";; *) fail "Link: '$link'";; esac
case $next in http*://*) next=/${next#http*://*/};; esac
req GET "$next"
check "next page: 200" 200 "$code"
check "next page: 1 row" 1 "$(printf '%s' "$body" | grep -o '"id":' | wc -l)"
check "last page: no Link" "" "$(hdr Link)"
req GET '/widgets?after=%21%21'
check "bad cursor: 422" 422 "$code"
# The declared list's filter and sort (apps/widgets/main.c)
req GET '/widgets?name=w2'
check "filter name=w2: 1 row" 1 "$(printf '%s' "$body" | grep -o '"id":' | wc -l)"
req GET '/widgets?sort=-id&limit=1'
case $body in '[{"id":'*'"name":"w3"'*) ok "sort=-id: newest first";;
*) fail "sort=-id: $body";; esac
req GET '/widgets?sort=size'
check "unknown sort: 422" 422 "$code"
req GET '/widgets?limit=0'
check "limit=0: 422" 422 "$code"
req GET '/widgets?color=red'
check "unknown query parameter: 422" 422 "$code"

req PATCH "$loc" '{"description":null,"data":{"k":"v"}}' 'If-Match: "1"'
check "PATCH If-Match current: 200" 200 "$code"
check "PATCH: new ETag" '"2"' "$(hdr ETag)"
case $body in *'"name":"first","description":null,"data":{"k": "v"}'*) ok "PATCH merged";;
*) fail "PATCH body: $body";; esac
req PATCH "$loc" '{"name":"again"}' 'If-Match: "1"'
check "PATCH If-Match stale: 412" 412 "$code"
req PATCH "$loc" '{"name":""}'
check "PATCH name '': 422" 422 "$code"
req PATCH "$loc" '{}'
check "PATCH {}: 422" 422 "$code"

req POST /widgets '{"description":"no name","extra":1}'
check "POST bad body: 422" 422 "$code"
case $body in *'"type":"missing","loc":["body","name"]'*) ok "422 names the missing field";;
*) fail "422 body: $body";; esac
req POST /widgets '{"name":"x","data":[]}'
check "POST data not an object: 422" 422 "$code"
req GET /widgets/abc
check "GET /widgets/abc: 422" 422 "$code"
req PUT "$loc" '{"name":"x"}'
check "PUT: 405" 405 "$code"

req DELETE "$loc"
check "DELETE: 204" 204 "$code"
req GET "$loc"
check "GET after DELETE: 404" 404 "$code"
req DELETE "$loc"
check "DELETE again: 404" 404 "$code"
req GET /items
check "the other resources still served (/items)" 200 "$code"

if grep -hE 'ERROR|FATAL' "$stack"/log/widgets.log 2>/dev/null | grep -vE 'FP422|Invalid pagination' >&2; then
	fail "errors in log/widgets.log"
else
	ok "no errors in log/widgets.log"
fi
finish
