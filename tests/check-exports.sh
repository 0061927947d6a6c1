#!/bin/sh
# check-exports.sh BUILD -- libfastpg exports exactly its public API:
# every function lib/fastpg.h declares is a defined dynamic symbol of
# BUILD/lib/libfastpg.so, and every defined dynamic symbol is declared
# there; nothing private (extern.h's fpg_req_handle, the schema
# internals, pcre2 or anything linked in) leaks.  (jansson's
# test/ld_so export check, STYLE.md habit 1.)
# Ends with "exports: N passed, M failed"; exits 1 on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-exports.sh BUILD}
so=$build/lib/libfastpg.so
CHECKS_NAME=exports
CHECKS_QUIET=1
. "$top/tests/checks.sh"

if [ ! -e "$so" ]; then
	fail "$so not found (run make first)"; finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, version suffix ("@@FASTPG_0") dropped.  Every
# type counts (T, D, B, R, W, V, i, ...): a leaked constant or weak
# symbol is as much a leak as a function.  Only A, the version nodes
# themselves, is not a symbol of the library.
if ! nm -D --defined-only "$so" >"$tmp/nm" 2>"$tmp/err"; then
	cat "$tmp/err" >&2
	fail "nm -D $so"; finish
fi
awk 'NF >= 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' "$tmp/nm" |
    sort -u >"$tmp/exported"

# Functions the header declares, comments dropped first.
perl -0777 -pe 's{/\*.*?\*/}{}gs' "$top/lib/fastpg.h" | grep -v '^typedef' |
    grep -o 'fpg_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:]]*($//' |
    sort -u >"$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
	fail "no functions found in lib/fastpg.h"
fi

while read -r f; do
	if grep -qx "$f" "$tmp/exported"; then
		ok
	else
		fail "$f: declared in lib/fastpg.h but not exported"
	fi
done <"$tmp/declared"

while read -r s; do
	if grep -qx "$s" "$tmp/declared"; then
		ok
	else
		fail "$s: exported but not declared in lib/fastpg.h"
	fi
done <"$tmp/exported"

finish
