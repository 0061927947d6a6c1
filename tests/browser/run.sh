#!/bin/bash
# run.sh [BUILD] -- the browser test of the API docs (docs.test.js):
# Debian's headless Chromium, driven by playwright-core, opens /docs on
# a stack of its own (deploy/local.sh up: PostgreSQL, the responders of
# BUILD/bin, nginx serving BUILD/docs on a free port, in a temp folder,
# stopped however the test ends), runs "Try it out" and keeps a
# screenshot in BUILD/docs-screenshot.png.
#
# Installs what is missing: Debian's chromium, nodejs and npm (as root,
# deploy/deps.sh), playwright-core (package-lock.json) into
# tests/browser/node_modules; no browser is downloaded.  Builds the
# docs (deploy/docs.sh) when BUILD/docs has none.  Ends with
# "browser: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$top/${1:-build}" && pwd) || exit 1
tmp=

fail() {
	echo "FAIL: $*" >&2
	echo "browser: 0 passed, 1 failed"
	exit 1
}

free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

# Debian's nodejs and npm only when there is no npm at all (a node from
# elsewhere brings its own, which Debian's npm package would conflict with).
if command -v npm >/dev/null; then
	sh "$top/deploy/deps.sh" chromium >&2 || fail "could not install chromium"
else
	sh "$top/deploy/deps.sh" chromium nodejs npm >&2 || fail "could not install chromium, nodejs, npm"
fi
command -v npm >/dev/null || fail "npm is not installed"
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
    [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
	    fail "npm ci in tests/browser"
fi
[ -x "$build/bin/items" ] || fail "no $build/bin/items (make)"
if [ ! -s "$build/docs/index.html" ]; then
	[ -s "$build/openapi.json" ] || fail "no $build/openapi.json (make docs)"
	DOCS_REQUIRED=1 sh "$top/deploy/docs.sh" "$build" || fail "deploy/docs.sh $build"
fi

# A first shop_admin (local.sh up creates it) and a customer the test
# registers: the page logs in as each through Swagger UI's Authorize.
export FASTPG_ADMIN_EMAIL=${FASTPG_ADMIN_EMAIL:-admin@example.com}
export FASTPG_ADMIN_PASSWORD=${FASTPG_ADMIN_PASSWORD:-admin-password-for-browser}

tmp=$(mktemp -d /tmp/fastpg-browser.XXXXXX)
chmod 755 "$tmp"
trap 'bash "$top/deploy/local.sh" down "$tmp"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
port=$(free_port) || fail "no free port"
echo "== browser: stack in $tmp, http://127.0.0.1:$port/docs/"
if ! bash "$top/deploy/local.sh" up "$tmp" --port "$port" --bin "$build/bin" \
    --docs "$build/docs" >"$tmp/up.log" 2>&1; then
	tail -n 30 "$tmp/up.log" "$tmp"/log/*.log 2>/dev/null
	fail "the stack did not start"
fi

# The item that "Try it out" reads (and orders): written as the admin.
tok=$(curl -sf --data-urlencode "username=$FASTPG_ADMIN_EMAIL" \
    --data-urlencode "password=$FASTPG_ADMIN_PASSWORD" "http://127.0.0.1:$port/token" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p') || true
[ -n "$tok" ] || fail "POST /token as the admin"
sku="DOCS-$$"
item=$(curl -sf -X POST "http://127.0.0.1:$port/items" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $tok" \
    -d "{\"sku\":\"$sku\",\"name\":\"Browser test mug\",\"price\":4.20,\"stock\":3}") ||
    fail "POST /items with curl"
customer="customer-$$@example.com"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/users" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$customer\",\"password\":\"customer-password\"}" ||
    fail "POST /users for a customer"
id=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' <<<"$item")
[ -n "$id" ] || fail "POST /items answered $item"

rm -f "$build/docs-screenshot.png"
BASE_URL="http://127.0.0.1:$port" OPENAPI="$build/docs/openapi.json" \
ITEM_ID=$id ITEM_SKU=$sku SCREENSHOT="$build/docs-screenshot.png" \
ADMIN_EMAIL="$FASTPG_ADMIN_EMAIL" ADMIN_PASSWORD="$FASTPG_ADMIN_PASSWORD" \
CUSTOMER_EMAIL="$customer" CUSTOMER_PASSWORD=customer-password \
CHROMIUM=/usr/bin/chromium \
    timeout 120 node "$here/docs.test.js"
rc=$?
[ -s "$build/docs-screenshot.png" ] && echo "browser: screenshot in $build/docs-screenshot.png"
if [ $rc -eq 124 ]; then
	echo "FAIL: the browser test took more than 120 s" >&2
	echo "browser: 0 passed, 1 failed"
fi
exit $rc
