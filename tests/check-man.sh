#!/bin/sh
# check-man.sh -- the reference manual is clean and complete:
#  - every page in man/ passes `mandoc -Tlint -Wall` without a single
#    message (style ones included; -Werror alone would hide those);
#  - every function lib/fastpg.h declares is a .Nm of some page;
#  - man/links.txt lists exactly the .Nm names that are not their page's
#    own name, as "page name" (the Makefile installs them as links).
# Ends with "man: N passed, M failed"; exits 1 on any failure.
# `check-man.sh --links` rewrites man/links.txt from the pages instead.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
man=$top/man
CHECKS_NAME=man
CHECKS_QUIET=1
. "$top/tests/checks.sh"

if ! command -v mandoc >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		sh "$top/deploy/deps.sh" mandoc >&2
	fi
	if ! command -v mandoc >/dev/null 2>&1; then
		fail "mandoc is missing (apt-get install mandoc)"; finish
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- lint: all pages at once, from man/, so that .Xr between them
# resolves; then one check per page by the messages naming it.
cd "$man" || exit 1
pages=$(ls -- *.[0-9] 2>/dev/null)
if [ -z "$pages" ]; then
	fail "no pages in man/"
else
	# shellcheck disable=SC2086
	mandoc -Tlint -Wall $pages >"$tmp/lint" 2>&1
	rc=$?
	for p in $pages; do
		if grep -q "^mandoc: $p:" "$tmp/lint"; then
			grep "^mandoc: $p:" "$tmp/lint" >&2
			fail "$p: mandoc -Tlint"
		else
			ok
		fi
	done
	# Messages about no page in particular (or a failing mandoc).
	other=$(grep -v -e "^mandoc: [^ :]*\.[0-9]:" "$tmp/lint")
	if [ -n "$other" ] || { [ "$rc" -ne 0 ] && ! grep -q . "$tmp/lint"; }; then
		printf '%s\n' "$other" >&2
		fail "mandoc -Tlint exited $rc"
	fi
fi

# --- .Nm names: "page name" for each name in each page's NAME section.
for p in $pages; do
	awk -v page="${p%.*}" '
		/^\.Sh / { inname = ($2 == "NAME") ; next }
		inname && /^\.Nm / { print page, $2 }
	' "$p"
done | sort -u >"$tmp/names"

if [ "${1:-}" = --links ]; then
	awk '$1 != $2' "$tmp/names" | sort >"$man/links.txt"
	echo "check-man: wrote man/links.txt"
	exit 0
fi

# --- every function of the header has a page.  Comments are dropped
# first, so that prose mentioning a name does not count.
perl -0777 -pe 's{/\*.*?\*/}{}gs' "$top/lib/fastpg.h" |
    grep -o 'fpg_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:]]*($//' |
    sort -u >"$tmp/funcs"
if [ ! -s "$tmp/funcs" ]; then
	fail "no functions found in lib/fastpg.h"
fi
while read -r f; do
	if awk -v f="$f" '$2 == f { found = 1 } END { exit !found }' \
	    "$tmp/names"; then
		ok
	else
		fail "$f: declared in lib/fastpg.h but no man page has .Nm $f"
	fi
done <"$tmp/funcs"

# --- links.txt: exactly the names that are not their page's own.
awk '$1 != $2' "$tmp/names" | sort >"$tmp/want"
if [ -f "$man/links.txt" ] &&
    sort "$man/links.txt" | diff "$tmp/want" - >"$tmp/diff"; then
	ok
else
	[ -f "$tmp/diff" ] && sed 's/^/  /' "$tmp/diff" >&2
	fail "man/links.txt does not match the .Nm names (< missing," \
	    "> extra; tests/check-man.sh --links rewrites it)"
fi

finish
