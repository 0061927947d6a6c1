#!/bin/bash
# run.sh BUILD -- validates BUILD/openapi.json (`make openapi`) and each
# resource's document (BUILD/openapi/<name>.json) as OpenAPI 3.1
# (validate.js: @apidevtools/swagger-parser, Ajv).  Installs Debian's
# nodejs and npm when missing, and the npm packages (package-lock.json)
# into tests/openapi/node_modules.  Ends with "openapi: N passed, M failed".
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
cd "$top" && node "$here/validate.js" "$build/openapi.json" "$build"/openapi/*.json
