#!/bin/bash
# local.sh -- a whole fastpg stack on this machine: a PostgreSQL cluster,
# the migrations, every resource under spawn-fcgi + multiwatch on a unix
# socket, and nginx in front.  Used by `make run` (in var/) and by the
# integration tests (in a temp folder).
#
#   local.sh run                   make run: up in var/, wait for Ctrl-C
#   local.sh stop                  make stop: down in var/
#   local.sh up DIR [options]      start everything in DIR
#   local.sh down DIR              stop what runs in DIR
#   local.sh pg-stop|pg-start DIR  stop or start its PostgreSQL only
#
# Options of up: --port P (nginx, 8080), --bin DIR (build/bin),
# --procs N (multiwatch children per resource, 2), --body-max SIZE (nginx
# client_max_body_size, 1m).  The responders' own settings come from the
# environment: POOL_SIZE, MAX_BODY_SIZE, STATEMENT_TIMEOUT, LOG_LEVEL...
#
# As root, PostgreSQL runs as the postgres user and the responders and
# nginx workers as nobody: none of them needs root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
root=0; [ "$(id -u)" -eq 0 ] && root=1

as_pg() { if [ $root = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { printf 'local: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

pg_up() {
	local dir=$1
	mkdir -p "$dir/pg" "$dir/pgrun"
	[ $root = 1 ] && chown postgres: "$dir/pg" "$dir/pgrun"
	chmod 700 "$dir/pg"; chmod 755 "$dir/pgrun"
	if [ ! -s "$dir/pg/data/PG_VERSION" ]; then
		as_pg "$pgbin/initdb" -D "$dir/pg/data" -U fastpg -A trust \
		    -E UTF8 --locale=C.UTF-8 >"$dir/log/initdb.log" 2>&1 ||
		    die "initdb failed, see $dir/log/initdb.log"
	fi
	touch "$dir/log/postgresql.log"
	[ $root = 1 ] && chown postgres: "$dir/log/postgresql.log"
	# Unix socket only, inside DIR: nothing listens on the network.
	bash "$top/deploy/local.sh" pg-start "$dir" || die "PostgreSQL did not start, see $dir/log/postgresql.log"
	local admin="postgresql://fastpg@/postgres?host=$dir/pgrun"
	if [ -z "$(psql "$admin" -XAtc "SELECT 1 FROM pg_database WHERE datname = 'fastpg'")" ]; then
		psql "$admin" -Xqc "CREATE DATABASE fastpg" >/dev/null
	fi
	MIGRATE_URL="postgresql://fastpg@/fastpg?host=$dir/pgrun" sh "$top/sql/migrate.sh" >&2
}

responders_up() {
	local dir=$1 bin=$2 procs=$3 name b
	mkdir -p "$dir/run"
	chmod 755 "$dir/run"
	local owner=()
	[ $root = 1 ] && owner=(-u nobody -g nogroup -U nobody -G nogroup)
	for b in "$bin"/*; do
		name=${b##*/}
		[ -x "$b" ] && [ -f "$top/apps/$name/main.c" ] || continue
		rm -f "$dir/run/$name.sock"
		DATABASE_URL="postgresql://fastpg_app@/fastpg?host=$dir/pgrun" \
		spawn-fcgi -n -s "$dir/run/$name.sock" -M 0660 "${owner[@]}" -- \
		    /usr/bin/multiwatch -f "$procs" -- "$(cd "$bin" && pwd)/$name" \
		    >>"$dir/log/$name.log" 2>&1 &
		echo $! >"$dir/run/$name.pid"
		for _ in $(seq 50); do [ -S "$dir/run/$name.sock" ] && break; sleep 0.1; done
		[ -S "$dir/run/$name.sock" ] || die "$name did not start, see $dir/log/$name.log"
		log "$name: $dir/run/$name.sock ($procs processes)"
	done
}

nginx_up() {
	local dir=$1 port=$2 bodymax=$3 locs="" name
	mkdir -p "$dir/tmp" "$dir/nginx"
	for s in "$dir"/run/*.sock; do
		[ -S "$s" ] || continue
		name=${s##*/}; name=${name%.sock}
		locs+=$(sed -e "s|@NAME@|$name|g" -e "s|@RUN@|$dir/run|g" \
		    "$top/deploy/nginx/resource.conf.in")$'\n'
	done
	local user=""
	[ $root = 1 ] && user="user nobody nogroup;"
	{
		echo "$user"
		sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" \
		    -e "s|@BODY_MAX@|$bodymax|g" -e "s|@ERRORS@|$top/deploy/nginx/errors|g" \
		    "$top/deploy/nginx/nginx.conf.in" |
		awk -v locs="$locs" '{ if ($1 == "@RESOURCES@") print locs; else print }'
	} >"$dir/nginx/nginx.conf"
	nginx -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>>"$dir/log/nginx-error.log" ||
	    die "nginx configuration refused, see $dir/log/nginx-error.log"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" </dev/null >/dev/null 2>>"$dir/log/nginx-error.log" &
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	die "nginx did not start on port $port, see $dir/log/nginx-error.log"
}

up() {
	local dir=$1; shift
	local port=8080 bin="$top/build/bin" procs=2 bodymax=1m
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=$2; shift 2;;
		--bin) bin=$2; shift 2;;
		--procs) procs=$2; shift 2;;
		--body-max) bodymax=$2; shift 2;;
		*) die "up: unknown option $1";;
		esac
	done
	[ -n "$pgbin" ] || die "PostgreSQL server not installed (make deps)"
	mkdir -p "$dir/log"
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir" "$dir/log"
	pg_up "$dir"
	responders_up "$dir" "$bin" "$procs"
	nginx_up "$dir" "$port" "$bodymax"
}

down() {
	local dir=$1 p pid
	[ -d "$dir" ] || return 0
	if [ -s "$dir/nginx.pid" ]; then
		kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	fi
	for p in "$dir"/run/*.pid; do
		[ -s "$p" ] || continue
		pid=$(cat "$p")
		# multiwatch passes the stop on (SIGUSR1): requests in flight end.
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$p"
	done
	if [ -s "$dir/pg/data/postmaster.pid" ]; then
		as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] || break; sleep 0.1; done
}

case ${1:-} in
pg-stop) as_pg "$pgbin/pg_ctl" -D "$2/pg/data" -m fast -w stop >/dev/null;;
pg-start) as_pg "$pgbin/pg_ctl" -D "$2/pg/data" -l "$2/log/postgresql.log" -w -t 60 \
	    -o "-k $2/pgrun -c listen_addresses='' -c max_connections=200" start >/dev/null;;
up)	shift; [ $# -ge 1 ] || die "usage: local.sh up DIR [options]"; up "$@";;
down)	[ $# -eq 2 ] || die "usage: local.sh down DIR"; down "$2";;
run)
	dir="$top/var"
	down "$dir"
	trap 'echo; log "stopping"; down "$dir"; exit 0' INT TERM
	up "$dir" --port "${PORT:-8080}"
	cat <<MSG

fastpg is running:  http://127.0.0.1:${PORT:-8080}/items
  try:  curl -s http://127.0.0.1:${PORT:-8080}/items
  logs: $dir/log/   database: psql "postgresql://fastpg@/fastpg?host=$dir/pgrun"
Ctrl-C stops everything (or \`make stop\` from another shell).
MSG
	wait
	;;
stop)	down "$top/var"; log "stopped";;
*)	die "usage: local.sh run|stop|up DIR|down DIR";;
esac
