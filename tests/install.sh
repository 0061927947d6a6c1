#!/bin/bash
# install.sh -- `make install` into a temp DESTDIR (PREFIX=/usr/local)
# puts every file where it belongs; a resource written outside this
# tree builds against the installed library with
# `pkg-config --cflags --libs fastpg` (sysroot = DESTDIR), links
# statically with what fastpg.pc declares private, and answers as CGI;
# `make uninstall` leaves nothing of fastpg.  Ends with
# "install: N passed, M failed"; exits 1 on any failure.  KEEP=1 keeps
# the temp folder.
set -uo pipefail		# (so never `... | grep -q`: SIGPIPE fails the pipe)
top=$(cd "$(dirname "$0")/.." && pwd)
CHECKS_NAME=install
. "$top/tests/checks.sh"

tmp=$(mktemp -d /tmp/fastpg-install.XXXXXX)
trap '[ -n "${KEEP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
cd "$top" || exit 1
prefix=/usr/local
d=$tmp/root$prefix		# the installed tree
vmajor=$(sed -n 's/^#define FPG_VMAJOR *//p' lib/fastpg.h)
vminor=$(sed -n 's/^#define FPG_VMINOR *//p' lib/fastpg.h)
version=$vmajor.$vminor

if make -s all >"$tmp/build.log" 2>&1 &&
    make -s install DESTDIR="$tmp/root" PREFIX=$prefix >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=\$tmp PREFIX=$prefix"
else
	fail "make install"; tail -n 30 "$tmp/build.log" "$tmp/install.log" >&2; finish
fi

# --- the files ---------------------------------------------------------

isfile() { [ -f "$1" ] && [ ! -L "$1" ]; }
link_to() {	# link_to LINK TARGET: a symlink to TARGET that resolves
	if [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ] && [ -e "$1" ]; then
		ok "${1#$d/} -> $2"
	else
		fail "${1#$d/}: not a working symlink to $2 ($(readlink "$1" 2>/dev/null))"
	fi
}
# Before 1.0 the minor version is part of the soname (every 0.x may
# break the ABI); from 1.0 on the major alone.
if [ "$vmajor" = 0 ]; then somajor=$version; else somajor=$vmajor; fi
so=$d/lib/libfastpg.so.$version.0
isfile "$so" && ok "lib/libfastpg.so.$version.0" || fail "lib/libfastpg.so.$version.0 missing"
check "soname" "libfastpg.so.$somajor" \
    "$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
link_to "$d/lib/libfastpg.so.$somajor" "libfastpg.so.$version.0"
link_to "$d/lib/libfastpg.so" "libfastpg.so.$somajor"
isfile "$d/lib/libfastpg.a" && ar t "$d/lib/libfastpg.a" | grep -c '^serve\.o$' >/dev/null &&
    ok "lib/libfastpg.a" || fail "lib/libfastpg.a missing or without serve.o"
cmp -s lib/fastpg.h "$d/include/fastpg.h" && ok "include/fastpg.h" || fail "include/fastpg.h"
pc=$d/lib/pkgconfig/fastpg.pc
if isfile "$pc" && ! grep -q '@' "$pc"; then ok "lib/pkgconfig/fastpg.pc, filled in"
else fail "lib/pkgconfig/fastpg.pc missing or with @...@ left"; fi

# Binaries: tools in bin/, resources in libexec/fastpg/.  None carries an
# rpath: installed, they find libfastpg where the system looks, never
# in a build tree (nor in $ORIGIN/../lib, which from libexec/fastpg/ is
# libexec/lib).
nbin=0
for b in build/bin/*; do
	n=${b##*/}
	if [ -f "apps/$n/main.c" ]; then i=$d/libexec/fastpg/$n; else i=$d/bin/$n; fi
	if [ -f "apps/$n/bench-only" ]; then
		# a benchmark (apps/tfb): built, never installed
		[ -e "$i" ] && fail "${i#$d/}: bench-only, installed" ||
		    ok "${i#$d/}: bench-only, not installed"
		continue
	fi
	nbin=$((nbin + 1))
	if [ -x "$i" ] && isfile "$i"; then ok "${i#$d/}"; else fail "${i#$d/} missing"; continue; fi
	rp=$(readelf -d "$i" | grep -E '\((RPATH|RUNPATH)\)')
	check "${i#$d/}: no rpath" "" "$rp"
done
[ $nbin -gt 1 ] || fail "nothing in build/bin"
check "libfastpg.so: no rpath" "" "$(readelf -d "$so" | grep -E '\((RPATH|RUNPATH)\)')"
# An installed resource loads the installed library and its schemas.
if LD_LIBRARY_PATH=$d/lib "$d/libexec/fastpg/items" --check >"$tmp/check.log" 2>&1 &&
    LD_LIBRARY_PATH=$d/lib ldd "$d/libexec/fastpg/items" | grep -c "libfastpg.so.$somajor => $d/lib/" >/dev/null; then
	ok "libexec/fastpg/items --check, on the installed library"
else
	fail "libexec/fastpg/items --check"; cat "$tmp/check.log" >&2
fi

# The installed fastpg-validate reads a body as the installed library's
# server does (fpg_json_load): a "\u0000" escape gets the server's 422
# json_invalid, not a pass.
printf '{"type":"object"}' >"$tmp/s.json"
printf '{"a":"x\\u0000y"}' >"$tmp/nul.json"
out=$(LD_LIBRARY_PATH=$d/lib "$d/bin/fastpg-validate" "$tmp/s.json" \
    "$tmp/nul.json" 2>/dev/null); rc=$?
check "bin/fastpg-validate: \\u0000 in a body is what the server says" \
    "1 json_invalid" "$rc $(printf '%s' "$out" | sed -n 's/^\[{"type":"\([a-z_]*\)".*/\1/p')"

for m in man/*.[0-9]; do
	[ -e "$m" ] || continue
	s=${m##*.}
	isfile "$d/share/man/man$s/${m##*/}" && ok "share/man/man$s/${m##*/}" ||
	    fail "share/man/man$s/${m##*/} missing"
done
if [ -f man/links.txt ]; then
	while read -r p f; do
		[ -n "$f" ] && link_to "$d/share/man/man3/$f.3" "$p.3"
	done <man/links.txt
fi

# --- a resource outside the tree ---------------------------------------

mkdir "$tmp/hello"
cat >"$tmp/hello/main.c" <<'EOF'
/* hello -- the smallest resource: GET /hello, and GET /hello/{n}. */
#include <fastpg.h>

static const char n_schema[] = "{\"type\":\"object\",\"properties\":"
    "{\"n\":{\"type\":\"integer\",\"minimum\":1}},\"required\":[\"n\"]}";

static void
hello(struct fpg_req *r)
{
	static const char body[] = "{\"hello\":\"world\"}";

	fpg_send(r, 200, body, sizeof(body) - 1);
}

static const struct fpg_stmt stmts[] = { { NULL } };

static const struct fpg_route routes[] = {
	{ .method = "GET", .path = "/hello", .handler = hello },
	{ .method = "GET", .path = "/hello/{n}", .handler = hello,
	  .path_schema = n_schema },
	{ NULL }
};

static const struct fpg_resource res = {
	.name = "hello", .routes = routes, .stmts = stmts
};

int
main(int argc, char *argv[])
{
	return fpg_main(&res, argc, argv);
}
EOF
export PKG_CONFIG_PATH=$d/lib/pkgconfig
check "pkg-config --modversion fastpg" "$version" "$(pkg-config --modversion fastpg 2>&1)"
check "prefix in fastpg.pc" "$prefix" "$(pkg-config --variable=prefix fastpg 2>&1)"
check "resourcedir in fastpg.pc" "$prefix/libexec/fastpg" \
    "$(pkg-config --variable=resourcedir fastpg 2>&1)"
pkg-config --validate fastpg >/dev/null 2>&1 && ok "pkg-config --validate" || fail "pkg-config --validate"
# With the DESTDIR as sysroot, fastpg's own paths point into it.
flags=$(PKG_CONFIG_SYSROOT_DIR=$tmp/root pkg-config --cflags --libs fastpg 2>&1)
case " $flags " in
*" -I$d/include "*" -L$d/lib "*"-lfastpg "*) ok "sysroot flags: $flags";;
*) fail "sysroot flags: $flags";;
esac
# A sysroot also holds the system's libraries, which fastpg.pc requires
# (libpq, jansson): a real one has them; this one borrows the host's,
# as symlinks removed again before uninstall.
borrowed=()
for f in $flags; do
	case $f in -I"$tmp/root"/*|-L"$tmp/root"/*) ;; *) continue;; esac
	p=${f#-?}; h=${p#$tmp/root}
	if [ ! -e "$p" ] && [ -d "$h" ]; then
		mkdir -p "${p%/*}" && ln -s "$h" "$p" && borrowed+=("$p")
	fi
done
# shellcheck disable=SC2086	# the flags are words
if cc -std=c99 -Wall -Wextra -Werror -o "$tmp/hello/hello" "$tmp/hello/main.c" \
    $flags 2>"$tmp/cc.log"; then
	ok "hello builds with \`pkg-config --cflags --libs fastpg\`"
else
	fail "hello does not build"; cat "$tmp/cc.log" >&2
fi
# Static: libfastpg.a with what fastpg.pc declares private, the public
# requirements (libpq, jansson) shared.
priv=$(sed -n 's/^Libs.private: *//p' "$pc")
preq=$(sed -n 's/^Requires.private: *//p' "$pc")
export PKG_CONFIG_SYSROOT_DIR=$tmp/root
# shellcheck disable=SC2046,SC2086
if cc -std=c99 -o "$tmp/hello/hello-static" "$tmp/hello/main.c" \
    $(pkg-config --cflags fastpg) "$d/lib/libfastpg.a" \
    $(pkg-config --libs jansson libpq $preq) $priv 2>"$tmp/cc-static.log" &&
    ! ldd "$tmp/hello/hello-static" | grep -c libfastpg >/dev/null; then
	ok "hello links libfastpg.a with Libs.private/Requires.private"
else
	fail "static link"; cat "$tmp/cc-static.log" >&2
fi
unset PKG_CONFIG_SYSROOT_DIR
rm -f "${borrowed[@]}"

# cgi BINARY URI: the output of one CGI GET, with the installed library.
cgi() {
	env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$d/lib" \
	    DATABASE_URL="postgresql:///nonexistent?host=$tmp/nosocket&connect_timeout=1" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
	    REQUEST_URI="$2" SCRIPT_NAME="" PATH_INFO="${2%%\?*}" QUERY_STRING="" \
	    SERVER_NAME=localhost SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    timeout 10 "$1" </dev/null 2>>"$tmp/cgi.log" | tr -d '\r'
}
for h in hello hello-static; do
	b=$tmp/hello/$h
	[ -x "$b" ] || { fail "$h: not built"; continue; }
	out=$(cgi "$b" /hello)
	case $out in "Status: 200 OK"*'{"hello":"world"}'*) ok "$h as CGI: GET /hello 200";;
	*) fail "$h GET /hello: $out"; cat "$tmp/cgi.log" >&2;; esac
	out=$(cgi "$b" /hello/x)
	case $out in "Status: 422"*'int_parsing'*) ok "$h as CGI: GET /hello/x 422";;
	*) fail "$h GET /hello/x: $out";; esac
	out=$(cgi "$b" /nope)
	case $out in "Status: 404"*) ok "$h as CGI: GET /nope 404";;
	*) fail "$h GET /nope: $out";; esac
done
if ldd "$tmp/hello/hello" 2>/dev/null | grep -c "libfastpg.so.$somajor" >/dev/null; then
	ok "hello needs libfastpg.so.$somajor"
else
	fail "hello does not link libfastpg.so.$somajor"
fi

# --- uninstall ---------------------------------------------------------

if make -s uninstall DESTDIR="$tmp/root" PREFIX=$prefix >"$tmp/uninstall.log" 2>&1; then
	ok "make uninstall"
else
	fail "make uninstall"; cat "$tmp/uninstall.log" >&2
fi
left=$(cd "$tmp/root" && find . ! -type d | sort | tr '\n' ' ')
check "nothing left after uninstall" "" "$left"
[ -e "$d/libexec/fastpg" ] && fail "libexec/fastpg/ left" || ok "libexec/fastpg/ removed"
finish
