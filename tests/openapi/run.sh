#!/bin/bash
# run.sh BUILD -- validates BUILD/openapi.json (`make openapi`) and each
# resource's document (BUILD/openapi/<name>.json) as OpenAPI 3.1
# (validate.js: @apidevtools/swagger-parser, Ajv), then runs every
# operation's example in document order against a fresh stack as
# `make run` starts it (deploy/local.sh up --demo, nginx, BUILD/bin):
# examples.js, each must answer 2xx ("Try it out" from top to bottom).
# Installs Debian's nodejs and npm when missing, and the npm packages
# (package-lock.json) into tests/openapi/node_modules.  Ends with
# "openapi: N passed, M failed" (both parts added up).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$top/${1:-build}" && pwd) || exit 1

fail() { echo "FAIL: $*" >&2; echo "openapi: 0 passed, 1 failed"; exit 1; }

command -v npm >/dev/null || sh "$top/deploy/deps.sh" nodejs npm || fail "npm is not installed"
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
    [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
	    fail "npm ci in tests/openapi"
fi
[ -s "$build/openapi.json" ] || fail "no $build/openapi.json (make openapi)"
out=$(mktemp)
cd "$top" && node "$here/validate.js" "$build/openapi.json" "$build"/openapi/*.json | tee "$out"
p1=$(sed -nE 's/^openapi: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$out")
f1=$(sed -nE 's/^openapi: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$out")
p1=${p1:-0} f1=${f1:-1}

# The examples, in order, on a fresh stack: its own folder and port,
# with a first shop_admin that examples.js logs in as.
export FASTPG_ADMIN_EMAIL=${FASTPG_ADMIN_EMAIL:-admin@example.com}
export FASTPG_ADMIN_PASSWORD=${FASTPG_ADMIN_PASSWORD:-admin-password-for-examples}
stack=$(mktemp -d /tmp/fastpg-examples.XXXXXX)
chmod 755 "$stack"
trap 'bash "$top/deploy/local.sh" down "$stack"; rm -rf "$stack" "$out"' EXIT
port=
for p in $(shuf -i 20000-32000 -n 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { port=$p; break; }
done
if [ -n "$port" ] && bash "$top/deploy/local.sh" up "$stack" --demo --server nginx \
    --port "$port" --bin "$build/bin" >"$stack/up.log" 2>&1; then
	node "$here/examples.js" "$build/openapi.json" "http://127.0.0.1:$port" | tee "$out"
	p2=$(sed -nE 's/^openapi examples: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$out")
	f2=$(sed -nE 's/^openapi examples: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$out")
	p2=${p2:-0} f2=${f2:-1}
else
	tail -n 20 "$stack/up.log" "$stack"/log/*.log 2>/dev/null
	echo "FAIL: the stack for the examples did not start" >&2
	p2=0 f2=1
fi
echo "openapi: $((p1 + p2)) passed, $((f1 + f2)) failed"
[ $((f1 + f2)) -eq 0 ]
