#!/bin/bash
# run.sh [BUILD] -- a generated TypeScript client, as a FastAPI user
# would make one from /openapi.json: openapi-typescript turns
# BUILD/openapi.json (`make openapi`; OPENAPI=FILE for another) into
# gen/api.d.ts, `tsc --strict --noEmit` checks client.ts against it
# (zero errors; no `any` in client.ts), tsc compiles it to gen/out/, and
# node runs it against a stack of its own (deploy/local.sh up: the
# responders of BUILD/bin behind nginx on a free port, in a temp folder,
# stopped however the test ends): create, read, PATCH with If-Match,
# list with filters, an order, a 422 and a 404 through the typed errors.
# A document whose types regress fails the type check (an open object
# typed Record<string, never>: TS2322).
#
# Installs Debian's nodejs and npm when missing, and the npm packages
# (package-lock.json) into tests/client/node_modules.  Ends with
# "client: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$top/${1:-build}" && pwd) || exit 1
doc=${OPENAPI:-$build/openapi.json}

fail() { echo "FAIL: $*" >&2; echo "client: 0 passed, 1 failed"; exit 1; }

command -v npm >/dev/null || sh "$top/deploy/deps.sh" nodejs npm || fail "npm is not installed"
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
    [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
	    fail "npm ci in tests/client"
fi
[ -s "$doc" ] || fail "no $doc (make openapi)"
[ -x "$build/bin/items" ] || fail "no $build/bin/items (make)"
cd "$here" || exit 1

# The program must hold no escape hatch: the types do the work.
if grep -nE '\bany\b' client.ts | grep -vE '^[0-9]+:\s*//'; then
	fail "client.ts uses any"
fi
rm -rf gen && mkdir gen
node_modules/.bin/openapi-typescript "$doc" -o gen/api.d.ts >gen/openapi-typescript.log 2>&1 ||
    { cat gen/openapi-typescript.log >&2; fail "openapi-typescript $doc"; }
if ! node_modules/.bin/tsc --strict --noEmit -p .; then
	fail "tsc --strict: client.ts does not type-check against the client generated from $doc"
fi
echo "ok    tsc --strict --noEmit: client.ts against the generated client"
node_modules/.bin/tsc -p . || fail "tsc could not compile client.ts"

# The client logs in as the stack's first shop_admin.
export FASTPG_ADMIN_EMAIL=${FASTPG_ADMIN_EMAIL:-admin@example.com}
export FASTPG_ADMIN_PASSWORD=${FASTPG_ADMIN_PASSWORD:-admin-password-for-client}
stack=$(mktemp -d /tmp/fastpg-client.XXXXXX)
chmod 755 "$stack"
trap 'bash "$top/deploy/local.sh" down "$stack" >/dev/null 2>&1; rm -rf "$stack"' EXIT
port=
for p in $(shuf -i 20000-32000 -n 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || fail "no free port"
if ! bash "$top/deploy/local.sh" up "$stack" --demo --server nginx --port "$port" \
    --bin "$build/bin" >"$stack/up.log" 2>&1; then
	tail -n 20 "$stack/up.log" "$stack"/log/*.log 2>/dev/null
	fail "the stack did not start"
fi
out=$(mktemp)
timeout 120 node gen/out/client.js "http://127.0.0.1:$port" | tee "$out"
rc=${PIPESTATUS[0]}
p=$(sed -nE 's/^program: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$out")
f=$(sed -nE 's/^program: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$out")
rm -f "$out"
p=${p:-0} f=${f:-1}
[ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
# The type check counts as one more.
echo "client: $((p + 1)) passed, $f failed"
[ "$f" -eq 0 ]
