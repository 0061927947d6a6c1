#!/bin/sh
# check-deps.sh BUILD -- the library's files depend on each other
# without a cycle, and lib/schema/ on nothing outside it but the URL
# helpers (url.c, a leaf).  "a uses b" when a's object file refers to a
# symbol b's defines (nm); tsort finds a cycle.  The validator's own
# files count as one, "schema": a keyword compiles its subschemas, so
# they recurse into each other by nature.  Prints the graph's edges on
# a failure.
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
. "$top/tests/checks.sh"
CHECKS_NAME=check-deps
objs=$(find "$build/obj/lib" -name '*.o' | sort)
[ -n "$objs" ] || { fail "no objects in $build/obj/lib"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The node of an object: its file's name, or "schema".
unit() {
	f=${1#"$build/obj/lib/"}; f=${f%.o}
	case $f in schema/*|schema_*) echo schema;; *) echo "$f";; esac
}

# symbol -> file that defines it
for o in $objs; do
	f=$(unit "$o")
	nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print $3, f }'
done | sort -u >"$tmp/defs"
# file -> file it uses (self-references dropped)
for o in $objs; do
	f=$(unit "$o")
	nm -u "$o" | awk '{ print $NF }' | sort -u |
	    join - "$tmp/defs" | awk -v f="$f" '$2 != f { print f, $2 }'
done | sort -u >"$tmp/edges"

if tsort "$tmp/edges" >/dev/null 2>"$tmp/loop"; then
	ok "no dependency cycle among $(echo "$objs" | wc -l) files"
else
	fail "dependency cycle: $(grep -v 'input contains a loop' "$tmp/loop" | sed 's/^tsort: //' | tr '\n' ' ')"
	cat "$tmp/edges"
fi

# lib/schema/ stands alone (when it has its own folder).
bad=$(awk '$1 == "schema" && $2 != "url" { print }' "$tmp/edges")
if [ -z "$bad" ]; then
	ok "lib/schema/ uses nothing else of the library but url.c"
else
	fail "lib/schema/ reaches outside: $(echo "$bad" | tr '\n' ';')"
fi
finish
