#!/bin/sh
# check-conf.sh BUILD -- the configuration is written down once: the
# variables a responder's --help lists (lib/conf.c's table) are exactly
# those of README.md's configuration table, with the same defaults, and
# exactly deploy/local.sh's conf_vars (which it passes on to responders
# that web servers spawn).
# Ends with "conf: N passed, M failed"; exits 1 on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-conf.sh BUILD}
CHECKS_NAME=conf
CHECKS_QUIET=1
. "$top/tests/checks.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Any responder will do: --help reads nothing, connects to nothing.
bin=
for b in "$build"/bin/*; do
	n=${b##*/}
	if [ -x "$b" ] && [ -f "$top/apps/$n/main.c" ]; then bin=$b; break; fi
done
if [ -z "$bin" ]; then
	fail "no responder in $build/bin (run make first)"; finish
fi
if ! "$bin" --help >"$tmp/help" 2>&1; then
	fail "${bin##*/} --help"; cat "$tmp/help" >&2; finish
fi

# "  NAME=default" lines of --help; "| `NAME` | default | ..." rows of
# README.md's Configuration section ("empty" and backquotes dropped).
sed -n 's/^  \([A-Z][A-Z0-9_]*\)=\(.*\)$/\1 \2/p' "$tmp/help" | sort >"$tmp/table"
awk '/^## / { on = ($0 == "## Configuration") } on' "$top/README.md" |
    sed -n 's/^| `\([A-Z][A-Z0-9_]*\)` | \([^|]*\) |.*$/\1 \2/p' |
    sed -e 's/`//g' -e 's/ *$//' -e 's/ empty$/ /' -e 's/ $//' | sort >"$tmp/readme"
sed 's/ $//' "$tmp/table" >"$tmp/table.d"
cut -d' ' -f1 "$tmp/table" >"$tmp/names"
sed -n '/^conf_vars="/,/"/p' "$top/deploy/local.sh" |
    sed -e 's/^conf_vars="//' -e 's/".*$//' | tr -s ' \t' '\n\n' | grep . | sort >"$tmp/local"

if [ -s "$tmp/names" ]; then ok "--help lists variables"; else fail "--help lists no NAME=default line"; fi
if diff "$tmp/table.d" "$tmp/readme" >"$tmp/diff"; then
	ok "README.md: the table's variables and defaults"
else
	sed 's/^/  /' "$tmp/diff" >&2
	fail "README.md's configuration table differs from --help (< --help, > README)"
fi
if diff "$tmp/names" "$tmp/local" >"$tmp/diff"; then
	ok "deploy/local.sh: conf_vars"
else
	sed 's/^/  /' "$tmp/diff" >&2
	fail "deploy/local.sh's conf_vars differ from --help (< --help, > local.sh)"
fi
finish
