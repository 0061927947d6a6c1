#!/bin/sh
# docs.sh BUILD -- the interactive API docs: BUILD/docs/ gets Swagger UI
# (the npm registry's swagger-ui-dist, fetched here at build time, kept
# in BUILD/docs-npm/) and a copy of the merged OpenAPI document
# (BUILD/openapi.json, from `make openapi`).  nginx serves them
# (deploy/local.sh, @DOCS@ in deploy/nginx/nginx.conf.in) at /docs/ and
# /openapi.json; the page loads nothing from the internet.
#
# Without npm or the network the API still runs: this prints that /docs
# is unavailable and exits 0 (DOCS_REQUIRED=1: exits 1 instead).
# Installs Debian's nodejs and npm when they are missing (as root).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: docs.sh BUILD}
# Pinned: a new version is a deliberate change (and a run of the browser
# test, tests/browser).
SWAGGER_UI_VERSION=5.34.1

say() { printf 'docs: %s\n' "$*" >&2; }
unavailable() {
	say "$*"
	say "Swagger UI unavailable: /docs will not be served (/openapi.json still is)"
	rm -f "$out/index.html"
	[ "${DOCS_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
}

[ -s "$build/openapi.json" ] || { say "no $build/openapi.json (make openapi)"; exit 1; }
out=$build/docs
cache=$build/docs-npm
mkdir -p "$out"
cp "$build/openapi.json" "$out/openapi.json.tmp"
mv "$out/openapi.json.tmp" "$out/openapi.json"

if ! command -v npm >/dev/null 2>&1; then
	sh "$top/deploy/deps.sh" nodejs npm >&2 || true
	command -v npm >/dev/null 2>&1 || unavailable "npm is not installed"
fi

dist=$cache/node_modules/swagger-ui-dist
have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dist/package.json" 2>/dev/null | head -n 1)
if [ "$have" != "$SWAGGER_UI_VERSION" ]; then
	say "fetching swagger-ui-dist@$SWAGGER_UI_VERSION from the npm registry"
	mkdir -p "$cache"
	[ -f "$cache/package.json" ] || echo '{"private":true}' >"$cache/package.json"
	npm install --prefix "$cache" --no-audit --no-fund --no-save \
	    --fetch-retries=1 --fetch-timeout=60000 \
	    --no-package-lock --loglevel=error \
	    "swagger-ui-dist@$SWAGGER_UI_VERSION" >&2 ||
	    unavailable "npm install swagger-ui-dist@$SWAGGER_UI_VERSION failed (offline?)"
fi
[ -s "$dist/swagger-ui-bundle.js" ] || unavailable "swagger-ui-dist has no swagger-ui-bundle.js"

# The files the page needs; the dist's index.html loads them (and
# swagger-initializer.js) by relative URLs only.
for f in index.html index.css swagger-ui.css swagger-ui-bundle.js \
    swagger-ui-standalone-preset.js oauth2-redirect.html \
    favicon-16x16.png favicon-32x32.png; do
	[ -f "$dist/$f" ] && cp "$dist/$f" "$out/$f.tmp" && mv "$out/$f.tmp" "$out/$f"
done
# The page's title: this API's, not the distribution's.
sed -i 's|<title>[^<]*</title>|<title>fastpg API docs</title>|' "$out/index.html"
if grep -Eq '(src|href)="(https?:)?//' "$out/index.html"; then
	unavailable "swagger-ui-dist's index.html loads something from the internet"
fi
# Ours: the merged document of this site, no validator badge (it would
# send the document to validator.swagger.io), "Try it out" against the
# same origin (the document has no servers: Swagger UI uses the page's).
cat >"$out/swagger-initializer.js" <<'JS'
window.onload = function () {
	window.ui = SwaggerUIBundle({
		url: "/openapi.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		validatorUrl: null,
		displayRequestDuration: true,
		presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
		plugins: [SwaggerUIBundle.plugins.DownloadUrl],
		layout: "StandaloneLayout"
	});
};
JS
chmod -R a+rX "$out"
say "Swagger UI $SWAGGER_UI_VERSION in $out (served at /docs/)"
