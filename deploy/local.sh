#!/bin/bash
# local.sh -- a whole fastpg stack on this machine: a PostgreSQL cluster,
# the migrations, every resource behind a web server.  Used by `make run`
# (in var/, nginx) and by the integration tests (in temp folders, once
# per way of serving).
#
#   local.sh run                   make run: up in var/, wait for Ctrl-C
#                                  (PGBOUNCER=1, REPLICA=1: --pgbouncer,
#                                  --replica; TFB=1: apps/tfb too)
#   local.sh stop                  make stop: down in var/
#   local.sh up DIR [options]      start everything in DIR
#   local.sh down DIR              stop what runs in DIR
#   local.sh pg-stop|pg-start DIR  stop or start its PostgreSQL only
#   local.sh replica-stop|replica-start DIR   the same for its replica
#   local.sh pgbouncer-start DIR   PgBouncer before its PostgreSQL (bench)
#
# Options of up: --port P (8080), --bin DIR (build/bin), --procs N
# (processes per resource, 2), --body-max SIZE (the web server's body
# limit, 1m), --docs DIR (nginx only: the API docs that deploy/docs.sh
# built, served at /openapi.json and /docs/; default: docs/ beside the
# --bin folder, when there is one), --demo (load sql/demo.sql into the
# database when this creates it: make run does, the tests do not),
# --pgbouncer (the responders reach PostgreSQL through PgBouncer in
# transaction pooling mode, DB_PREPARE=false: see pgbouncer_up),
# --replica (a streaming replica of the database, made with
# pg_basebackup -R, serves the read-only routes: DATABASE_READ_URL,
# see replica_up), --database URL (no PostgreSQL of its own: the
# responders use URL, one host of several), --listen ADDR (nginx on
# ADDR:P instead of 127.0.0.1:P), --front ADDR (nginx trusts
# X-Forwarded-For from ADDR: a front before several hosts),
# --server S, one of:
#   nginx             nginx; responders under spawn-fcgi + multiwatch
#   apache-proxy      Apache mod_proxy_fcgi; spawn-fcgi + multiwatch
#   apache-fcgid      Apache mod_fcgid spawns the responders
#   lighttpd          lighttpd mod_fastcgi; spawn-fcgi + multiwatch
#   lighttpd-binpath  lighttpd mod_fastcgi spawns them (bin-path)
#   cgi               lighttpd mod_cgi: one process per request
#   none              PostgreSQL only (the database host of several)
# The configurations come from deploy/<server>/ templates.  The
# responders' own settings come from the environment: POOL_SIZE,
# MAX_BODY_SIZE, STATEMENT_TIMEOUT, LOG_LEVEL...  JWT_SECRET: the
# environment's, else .env's, else generated into DIR/jwt_secret;
# anonymous requests run as shop_anon, the login role's default role
# (sql/005_users.sql).  FASTPG_ADMIN_PASSWORD set: a
# shop_admin user FASTPG_ADMIN_EMAIL (admin@example.com) with it
# (make run generates one into var/admin_password).  nginx's write rate
# limit: FASTPG_WRITE_RATE (1000r/s), FASTPG_WRITE_BURST (2000).
#
# A resource is a binary in --bin with an apps/<name>/main.c; it serves
# the URL prefixes listed in apps/<name>/prefixes (one a line), else
# /<name>.
#
# As root, PostgreSQL runs as the postgres user and the responders and
# web server workers as nobody: none of them needs root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
root=0; [ "$(id -u)" -eq 0 ] && root=1
# The responders' configuration: the variables of lib/conf.c's table
# (tests/check-conf.sh holds this list against a responder's --help).
conf_vars="DATABASE_URL DATABASE_READ_URL READ_MAX_LAG POOL_SIZE MAX_OVERFLOW STATEMENT_TIMEOUT MAX_BODY_SIZE
LOG_LEVEL DB_PREPARE ROOT_PATH LOG_FORMAT SERVER_TIMING METRICS_DIR
JWT_SECRET JWT_ALG JWT_PUBLIC_KEY JWT_JWKS_FILE JWT_SKEW JWT_REQUIRE_EXP
JWT_AUDIENCE JWT_ISSUER JWT_ROLE_CLAIM JWT_ANON_ROLE JWT_TTL CORS_ORIGINS
CORS_ALLOW_CREDENTIALS CORS_MAX_AGE"
# What a web server that spawns the responders must pass on to them.
resp_vars="$conf_vars ENV_FILE ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS"

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
	# Tests of what crosses TCP (FASTPG_PG_TCP=1): PostgreSQL also
	# listens on a loopback address of this stack's own, 127.x.y.z, so
	# stacks side by side never clash on a port.
	if [ "${FASTPG_PG_TCP:-0}" = 1 ] && [ ! -s "$dir/pg/tcp_addr" ]; then
		echo "127.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))" \
		    >"$dir/pg/tcp_addr"
		grep -q '^host all all 127.0.0.0/8 trust' "$dir/pg/data/pg_hba.conf" ||
		    echo 'host all all 127.0.0.0/8 trust' >>"$dir/pg/data/pg_hba.conf"
	fi
	# Else a unix socket only, inside DIR: nothing listens on the network.
	bash "$top/deploy/local.sh" pg-start "$dir" || die "PostgreSQL did not start, see $dir/log/postgresql.log"
	local admin="postgresql://fastpg@/postgres?host=$dir/pgrun"
	local fresh=0
	if [ -z "$(psql "$admin" -XAtc "SELECT 1 FROM pg_database WHERE datname = 'fastpg'")" ]; then
		psql "$admin" -Xqc "CREATE DATABASE fastpg" >/dev/null
		fresh=1
	fi
	MIGRATE_URL="postgresql://fastpg@/fastpg?host=$dir/pgrun" sh "$top/sql/migrate.sh" >&2
	# --demo: sql/demo.sql into a database just made, never again.
	if [ "$fresh" = 1 ] && [ "$demo" = 1 ]; then
		psql "postgresql://fastpg@/fastpg?host=$dir/pgrun" -Xq -v ON_ERROR_STOP=1 \
		    -f "$top/sql/demo.sql" >/dev/null || die "sql/demo.sql failed"
		log "demo data loaded (sql/demo.sql)"
	fi
}

# The resources: binaries in $1 that have an apps/<name>/main.c (not
# one marked apps/<name>/bench-only, unless FASTPG_BENCH_APPS=1).
resources() {
	local b name
	for b in "$1"/*; do
		name=${b##*/}
		if [ -x "$b" ] && [ -f "$top/apps/$name/main.c" ] &&
		    { [ ! -f "$top/apps/$name/bench-only" ] ||
		    [ "${FASTPG_BENCH_APPS:-0}" = 1 ]; }; then
			echo "$name"
		fi
	done
	# Tests only: a responder that echoes what the server sent.
	if [ -n "${FASTPG_TEST_ECHO:-}" ]; then echo echo; fi
}

# The folder of a resource's binary: $2, but for the test echo.
bindir() {
	if [ "$1" = echo ] && [ -n "${FASTPG_TEST_ECHO:-}" ]; then
		dirname "$FASTPG_TEST_ECHO"
	else
		(cd "$2" && pwd)
	fi
}

# A resource's URL prefixes: apps/<name>/prefixes, else /<name>.
prefixes() {
	local f="$top/apps/$1/prefixes"
	if [ -f "$f" ]; then
		grep -vE '^[[:space:]]*(#|$)' "$f" | sed -e 's/[[:space:]]//g' -e 's|/*$||'
	else
		echo "/$1"
	fi
}

# 1m, 64k, 1048576 -> bytes.
bytes() {
	case $1 in
	*[kK]) echo $(( ${1%?} * 1024 ));;
	*[mM]) echo $(( ${1%?} * 1024 * 1024 ));;
	*[gG]) echo $(( ${1%?} * 1024 * 1024 * 1024 ));;
	*) echo "$1";;
	esac
}

# $1 made safe as a sed replacement (delimiters | and #).
sedq() { printf '%s' "$1" | sed -e 's/[\\&|#]/\\&/g'; }

# Template $1 (- for stdin) with each @NAME@ replaced by the value of
# a "NAME=value" argument, any value (quoted here for sed).
subst() {
	local tpl=$1 kv args=(-e '')
	shift
	for kv in "$@"; do
		args+=(-e "s|@${kv%%=*}@|$(sedq "${kv#*=}")|g")
	done
	sed "${args[@]}" "$tpl"
}

# Template $1 (- for stdin) with each line that holds only @NAME@
# replaced by the contents of the file of a "NAME=file" argument.
splice() {
	local tpl=$1 kv args=(-e '')
	shift
	for kv in "$@"; do
		args+=(-e "/^[[:space:]]*@${kv%%=*}@[[:space:]]*$/{r ${kv#*=}" -e "d}")
	done
	sed "${args[@]}" "$tpl"
}

# Template $1 with the line holding @RESOURCES@ replaced by file $2,
# and @NAME@s from the remaining "NAME=value" arguments.
fill() {
	local tpl=$1 res=$2
	shift 2
	splice "$tpl" RESOURCES="$res" | subst - "$@"
}

# PgBouncer (Debian 12: 1.18) in transaction pooling mode before the
# PostgreSQL of DIR, run as postgres like it, configured in
# A streaming replica of the stack's PostgreSQL in DIR/replica/data,
# listening on a unix socket in DIR/replrun only: pg_basebackup -R
# (standby.signal and primary_conninfo written for it) with a
# replication slot, so the primary keeps the WAL it has not received.
replica_up() {
	local dir=$1
	mkdir -p "$dir/replica" "$dir/replrun"
	[ $root = 1 ] && chown postgres: "$dir/replica" "$dir/replrun"
	chmod 700 "$dir/replica"; chmod 755 "$dir/replrun"
	if [ ! -s "$dir/replica/data/PG_VERSION" ]; then
		as_pg "$pgbin/pg_basebackup" -d "postgresql://fastpg@/postgres?host=$dir/pgrun" \
		    -D "$dir/replica/data" -X stream -R -C -S fastpg_replica -c fast \
		    >"$dir/log/basebackup.log" 2>&1 ||
		    die "pg_basebackup failed, see $dir/log/basebackup.log"
	fi
	touch "$dir/log/replica.log"
	[ $root = 1 ] && chown postgres: "$dir/log/replica.log"
	bash "$top/deploy/local.sh" replica-start "$dir" ||
	    die "the replica did not start, see $dir/log/replica.log"
}

# DIR/pgbouncer/: a unix socket in DIR/pgbrun, port 6432, nothing on
# the network.  1.18 knows no protocol-level prepared statements in
# this mode (a server connection serves another client at the next
# transaction), hence DB_PREPARE=false for the responders behind it.
pgbouncer_up() {
	local dir=$1 b=$1/pgbouncer
	command -v pgbouncer >/dev/null || die "pgbouncer not installed (make deps)"
	mkdir -p "$b" "$dir/pgbrun"
	chmod 755 "$dir/pgbrun"
	printf '"fastpg" ""\n"fastpg_app" ""\n' >"$b/userlist.txt"
	cat >"$b/pgbouncer.ini" <<INI
[databases]
fastpg = host=$dir/pgrun dbname=fastpg

[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $dir/pgbrun
pool_mode = transaction
auth_type = trust
auth_file = $b/userlist.txt
admin_users = fastpg
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
; PostgreSQL down: a query waits for a server connection at most 1 s
; (the default, 120 s, makes an outage a 504 after the responder's own
; bound instead of a quick 503), and a failed server login is retried
; after 0.5 s (default 15 s: new clients are refused meanwhile).
query_wait_timeout = 1
server_login_retry = 0.5
logfile = $dir/log/pgbouncer.log
pidfile = $b/pgbouncer.pid
INI
	touch "$dir/log/pgbouncer.log"
	[ $root = 1 ] && chown -R postgres: "$b" "$dir/pgbrun" "$dir/log/pgbouncer.log"
	as_pg pgbouncer -d -q "$b/pgbouncer.ini" >>"$dir/log/pgbouncer.log" 2>&1 ||
	    die "pgbouncer did not start, see $dir/log/pgbouncer.log"
	for _ in $(seq 50); do
		[ -S "$dir/pgbrun/.s.PGSQL.6432" ] && return 0
		sleep 0.1
	done
	die "pgbouncer did not listen on $dir/pgbrun, see $dir/log/pgbouncer.log"
}

# Every resource under spawn-fcgi + multiwatch, on DIR/run/NAME.sock
# (deploy/spawn-fcgi/fastpg-spawn, which deploy/rollout.sh also uses).
responders_up() {
	local dir=$1 bin=$2 procs=$3 name
	mkdir -p "$dir/run"
	chmod 755 "$dir/run"
	{
		echo "FASTPG_BIN=$(cd "$bin" && pwd)"
		echo "FASTPG_RUN=$dir/run"
		echo "FASTPG_LOG=$dir/log"
		echo "FASTPG_ETC=$dir/etc"
		echo "FASTPG_PROCS=$procs"
		if [ $root = 1 ]; then
			echo "FASTPG_USER=nobody"
			echo "FASTPG_GROUP=nogroup"
			echo "FASTPG_SOCKET_GROUP=nogroup"
		fi
	} >"$dir/run/spawn.env"
	for name in $(resources "$bin"); do
		(set -a; . "$dir/run/spawn.env"; set +a
		 FASTPG_BIN=$(bindir "$name" "$bin")
		 bash "$top/deploy/spawn-fcgi/fastpg-spawn" start "$name") ||
		    die "$name did not start, see $dir/log/$name.log"
	done
}

# Waits for the web server (pid $!) on $2 to answer; $1 names its logs.
wait_http() {
	local pid=$! port=$2 what=$3
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://$listen_addr:$port/" && return 0
		kill -0 "$pid" 2>/dev/null || die "$what exited at start, see $1"
		sleep 0.1
	done
	die "$what did not start on port $port, see $1"
}

# The @DOCS@ locations for nginx into $2: the OpenAPI document when
# docs dir $1 has one, Swagger UI too when it is built.
nginx_docs() {
	local docs=$1 out=$2
	: >"$out"
	[ -n "$docs" ] && [ -s "$docs/openapi.json" ] || return 0
	docs=$(cd "$docs" && pwd)
	if [ -s "$docs/index.html" ]; then
		subst "$top/deploy/nginx/docs.conf.in" DOCS_DIR="$docs"
	else
		subst "$top/deploy/nginx/docs.conf.in" DOCS_DIR="$docs" |
		    sed '/^# Swagger UI:/,$d'
	fi >"$out"
}

nginx_up() {
	local dir=$1 port=$2 bodymax=$3 bin=$4 docs=$5 name p
	mkdir -p "$dir/tmp" "$dir/nginx"
	nginx_docs "$docs" "$dir/nginx/docs.conf"
	# Behind a front (--front ADDR): the client's address is the one
	# the front puts in X-Forwarded-For, for the logs and the rate
	# limit; from anyone else the header counts for nothing.
	: >"$dir/nginx/real_ip.conf"
	if [ -n "$front_addr" ]; then
		printf '\tset_real_ip_from %s;\n\treal_ip_header X-Forwarded-For;\n' \
		    "$front_addr" >"$dir/nginx/real_ip.conf"
	fi
	: >"$dir/nginx/resources.conf"
	: >"$dir/nginx/upstreams.conf"
	for name in $(resources "$bin"); do
		subst "$top/deploy/nginx/upstream.conf.in" NAME="$name" \
		    RUN="$dir/run" >>"$dir/nginx/upstreams.conf"
		for p in $(prefixes "$name"); do
			subst "$top/deploy/nginx/resource.conf.in" NAME="$name" \
			    PREFIX="$p" RUN="$dir/run" \
			    WRITE_BURST="${FASTPG_WRITE_BURST:-2000}" >>"$dir/nginx/resources.conf"
		done
		subst "$top/deploy/nginx/ops.conf.in" NAME="$name" \
		    OPS_ALLOW="$(for n in ${FASTPG_OPS_ALLOW:-}; do printf 'allow %s; ' "$n"; done)" \
		    >>"$dir/nginx/resources.conf"
	done
	{
		[ $root = 1 ] && echo "user nobody nogroup;"
		fill "$top/deploy/nginx/nginx.conf.in" "$dir/nginx/resources.conf" \
		    DIR="$dir" ADDR="$listen_addr" PORT="$port" BODY_MAX="$bodymax" \
		    ERRORS="$top/deploy/nginx/errors" WRITE_RATE="${FASTPG_WRITE_RATE:-1000r/s}" |
		    splice - DOCS="$dir/nginx/docs.conf" UPSTREAMS="$dir/nginx/upstreams.conf" \
		    REAL_IP="$dir/nginx/real_ip.conf"
	} >"$dir/nginx/nginx.conf"
	nginx -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>>"$dir/log/nginx-error.log" ||
	    die "nginx configuration refused, see $dir/log/nginx-error.log"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" </dev/null >/dev/null 2>>"$dir/log/nginx-error.log" &
	wait_http "$dir/log/nginx-error.log" "$port" nginx
}

# Apache 2.4 with mod_proxy_fcgi (mode proxy: responders already on
# DIR/run) or mod_fcgid (mode fcgid: Apache spawns them).
apache_up() {
	local dir=$1 port=$2 bodymax=$3 bin=$4 mode=$5 name p v params
	local a="$dir/apache"
	bin=$(cd "$bin" && pwd)
	mkdir -p "$a/empty" "$a/fcgid"
	[ $root = 1 ] && chown nobody:nogroup "$a/fcgid"
	: >"$a/resources.conf"
	for name in $(resources "$bin"); do
		params="retry=0 connectiontimeout=2 timeout=30"
		for p in $(prefixes "$name"); do
			subst "$top/deploy/apache/$mode-resource.conf.in" NAME="$name" \
			    PREFIX="$p" RUN="$dir/run" BIN="$(bindir "$name" "$bin")" \
			    PARAMS="$params" >>"$a/resources.conf"
			params=""
		done
	done
	if [ "$mode" = fcgid ]; then
		# mod_fcgid sends one request at a time to a process.
		for v in $resp_vars; do
			if [ "$v" != POOL_SIZE ] && [ -n "${!v:-}" ]; then
				printf 'FcgidInitialEnv %s "%s"\n' "$v" "${!v}"
			fi
		done >>"$a/resources.conf"
		echo 'FcgidInitialEnv POOL_SIZE 1' >>"$a/resources.conf"
	fi
	{
		fill "$top/deploy/apache/httpd.conf.in" "$a/resources.conf" \
		    DIR="$dir" PORT="$port" BODY_MAX="$(bytes "$bodymax")" \
		    ERRORS="$top/deploy/nginx/errors"
		[ $root = 1 ] && printf 'User nobody\nGroup nogroup\n'
	} >"$a/httpd.conf"
	local def=-DFASTPG_${mode^^}
	apache2 -t -d "$a" -f "$a/httpd.conf" "$def" >>"$dir/log/apache-error.log" 2>&1 ||
	    die "Apache configuration refused, see $dir/log/apache-error.log"
	apache2 -d "$a" -f "$a/httpd.conf" "$def" -DFOREGROUND </dev/null \
	    >>"$dir/log/apache-error.log" 2>&1 &
	wait_http "$dir/log/apache-error.log" "$port" Apache
}

# lighttpd with mod_fastcgi to the sockets in DIR/run (mode socket), with
# bin-path spawning (binpath), or mod_cgi (cgi).
lighttpd_up() {
	local dir=$1 port=$2 bodymax=$3 bin=$4 mode=$5 name p re env v f
	local l="$dir/lighttpd"
	bin=$(cd "$bin" && pwd)
	mkdir -p "$l/empty" "$l/errors" "$l/sock"
	touch "$dir"/log/lighttpd-{error,access,cgi}.log
	if [ $root = 1 ]; then
		# lighttpd opens its logs after dropping root.
		chown nobody:nogroup "$l/sock" "$dir"/log/lighttpd-{error,access,cgi}.log
	fi
	# lighttpd's own errors: <prefix><status>.html, JSON inside.
	for f in "$top"/deploy/nginx/errors/*.json; do
		f=${f##*/}
		cp "$top/deploy/nginx/errors/$f" "$l/errors/${f%.json}.html"
	done
	env=""
	for v in $resp_vars; do
		if [ -n "${!v:-}" ]; then env+="\"$v\" => \"${!v}\", "; fi
	done
	: >"$l/resources.conf"
	for name in $(resources "$bin"); do
		re=""
		for p in $(prefixes "$name"); do re+="${re:+|}$p"; done
		subst "$top/deploy/lighttpd/$mode-resource.conf.in" NAME="$name" \
		    PREFIXES="$re" RUN="$dir/run" BIN="$(bindir "$name" "$bin")" \
		    SOCKDIR="$l/sock" PROCS="$procs" ENV="${env%, }" >>"$l/resources.conf"
		if [ "$mode" = cgi ]; then
			# mod_alias: one entry per prefix, onto the binary.
			for p in $(prefixes "$name"); do
				echo "alias.url += ( \"$p\" => \"$(bindir "$name" "$bin")/$name\" )"
			done >>"$l/resources.conf"
		fi
	done
	{
		fill "$top/deploy/lighttpd/lighttpd.conf.in" "$l/resources.conf" \
		    DIR="$dir" PORT="$port" BODY_MAX_KB="$(( $(bytes "$bodymax") / 1024 ))" \
		    ERRORS="$l/errors/"
		if [ $root = 1 ]; then
			echo 'server.username = "nobody"'
			echo 'server.groupname = "nogroup"'
		fi
	} >"$l/lighttpd.conf"
	lighttpd -tt -f "$l/lighttpd.conf" >>"$dir/log/lighttpd-stderr.log" 2>&1 ||
	    die "lighttpd configuration refused, see $dir/log/lighttpd-stderr.log"
	lighttpd -D -f "$l/lighttpd.conf" </dev/null >>"$dir/log/lighttpd-stderr.log" 2>&1 &
	wait_http "$dir/log/lighttpd-*.log" "$port" lighttpd
}

# JWT_SECRET for the responders: the environment's, else .env's, else
# one generated on first start into DIR/jwt_secret (mode 0600, 48
# random bytes, base64), kept for the next start.
jwt_secret() {
	local dir=$1 f=$1/jwt_secret
	if [ -z "${JWT_SECRET:-}" ] && [ -f "$top/.env" ]; then
		JWT_SECRET=$(sed -n -e 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}JWT_SECRET=//p' \
		    "$top/.env" | tail -n 1 | sed -e "s/^[\"']//" -e "s/[\"']\$//")
	fi
	if [ -z "${JWT_SECRET:-}" ]; then
		if [ ! -s "$f" ]; then
			(umask 077; head -c 48 /dev/urandom | base64 -w 0 >"$f")
			log "JWT_SECRET generated into $f"
		fi
		JWT_SECRET=$(cat "$f")
	fi
	export JWT_SECRET
}

# The first shop_admin: FASTPG_ADMIN_EMAIL (admin@example.com) with
# the password FASTPG_ADMIN_PASSWORD, hashed by the users binary of
# $2 (yescrypt) and written as the database owner; set again on each
# start, so the password given is the one that works.
admin_user() {
	local dir=$1 bin=$2 email=${FASTPG_ADMIN_EMAIL:-admin@example.com} hash
	[ -n "${FASTPG_ADMIN_PASSWORD:-}" ] || return 0
	[ -x "$bin/users" ] || { log "no $bin/users: no admin user"; return 0; }
	hash=$(printf '%s\n' "$FASTPG_ADMIN_PASSWORD" | "$bin/users" --hash-password) ||
	    die "users --hash-password failed"
	psql "postgresql://fastpg@/fastpg?host=$dir/pgrun" -Xq -v ON_ERROR_STOP=1 \
	    -v email="$email" -v hash="$hash" >/dev/null <<'SQL' || die "admin user not created"
INSERT INTO users (email, password_hash, role)
VALUES (lower(:'email'), :'hash', 'shop_admin')
ON CONFLICT ((lower(email))) DO UPDATE
SET password_hash = EXCLUDED.password_hash, role = 'shop_admin';
SQL
	log "admin user $email (shop_admin)"
}

up() {
	local dir=$1; shift
	local port=8080 bin="$top/build/bin" procs=2 bodymax=1m server=nginx docs=
	local pgb=0 replica=0 database=
	demo=0 listen_addr=127.0.0.1 front_addr=
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=$2; shift 2;;
		--bin) bin=$2; shift 2;;
		--procs) procs=$2; shift 2;;
		--body-max) bodymax=$2; shift 2;;
		--server) server=$2; shift 2;;
		--docs) docs=$2; shift 2;;
		--demo) demo=1; shift;;
		--pgbouncer) pgb=1; shift;;
		--replica) replica=1; shift;;
		--database) database=$2; shift 2;;
		--listen) listen_addr=$2; shift 2;;
		--front) front_addr=$2; shift 2;;
		*) die "up: unknown option $1";;
		esac
	done
	[ -n "$pgbin" ] || die "PostgreSQL server not installed (make deps)"
	mkdir -p "$dir/log"
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir" "$dir/log"
	# PostgreSQL runs as postgres, the responders and web servers as
	# nobody: each must reach the folders (a tree under /root is not).
	if [ $root = 1 ]; then
		local u f
		for u in postgres nobody; do
			for f in "$dir" "$bin" "$top/deploy"; do
				runuser -u "$u" -- test -x "$f" 2>/dev/null ||
				    die "$f cannot be reached by the user $u: put the project where others may enter (chmod o+x its parent folders, or move it to /srv or /opt)"
			done
		done
	fi
	[ "$listen_addr" = 127.0.0.1 ] || [ "$server" = nginx ] ||
	    die "up: --listen is for nginx only"
	echo "$server" >"$dir/server"
	# --database URL: a PostgreSQL elsewhere (a host of several, its
	# database on another); --server none: the database only.
	if [ -z "$database" ]; then
		pg_up "$dir"
		admin_user "$dir" "$bin"
	fi
	if [ "$server" = none ]; then
		log "PostgreSQL on $dir/pgrun"
		return 0
	fi
	# Tokens: signed with JWT_SECRET.  Requests without one run as the
	# login role's default role, shop_anon (sql/005_users.sql), so they
	# need no setting sent with their statements; JWT_ANON_ROLE set
	# makes the library send it with every anonymous request instead.
	jwt_secret "$dir"
	# The responders' database (responders_up and the web servers
	# that spawn them pass this on): PostgreSQL, or PgBouncer before
	# it, with unnamed statements only.
	export DATABASE_URL="${database:-postgresql://fastpg_app@/fastpg?host=$dir/pgrun}"
	if [ $pgb = 1 ]; then
		pgbouncer_up "$dir"
		export DATABASE_URL="postgresql://fastpg_app@/fastpg?host=$dir/pgbrun&port=6432"
		export DB_PREPARE=false
	fi
	if [ $replica = 1 ]; then
		replica_up "$dir"
		export DATABASE_READ_URL="postgresql://fastpg_app@/fastpg?host=$dir/replrun"
	fi
	# The counters every process of a resource shares (METRICS_DIR).
	mkdir -p "$dir/metrics"
	chmod 700 "$dir/metrics"
	[ $root = 1 ] && chown nobody:nogroup "$dir/metrics"
	export METRICS_DIR="${METRICS_DIR-$dir/metrics}"
	case $server in
	nginx)
		responders_up "$dir" "$bin" "$procs"
		[ -n "$docs" ] || docs=$(dirname "$bin")/docs
		nginx_up "$dir" "$port" "$bodymax" "$bin" "$docs";;
	apache-proxy)
		responders_up "$dir" "$bin" "$procs"
		apache_up "$dir" "$port" "$bodymax" "$bin" proxy;;
	apache-fcgid)
		apache_up "$dir" "$port" "$bodymax" "$bin" fcgid;;
	lighttpd)
		responders_up "$dir" "$bin" "$procs"
		lighttpd_up "$dir" "$port" "$bodymax" "$bin" socket;;
	lighttpd-binpath)
		lighttpd_up "$dir" "$port" "$bodymax" "$bin" binpath;;
	cgi)
		lighttpd_up "$dir" "$port" "$bodymax" "$bin" cgi;;
	*)	die "up: unknown server $server";;
	esac
	log "$server on http://$listen_addr:$port$([ $pgb = 1 ] && echo ' (through PgBouncer)')$([ $replica = 1 ] && echo ' (reads on a replica)')"
}

# Stops the process of pid file $1, if any: SIGTERM, up to 10 s to end,
# then SIGKILL; the file is removed.
stop_pidfile() {
	local pid
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1"
}

down() {
	local dir=$1 p
	[ -d "$dir" ] || return 0
	if [ -s "$dir/nginx.pid" ]; then
		kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	fi
	# Apache and lighttpd stop the responders they spawned themselves.
	for p in "$dir/apache/httpd.pid" "$dir/lighttpd/lighttpd.pid"; do
		stop_pidfile "$p"
	done
	# multiwatch passes the stop on (SIGUSR1): requests in flight end.
	for p in "$dir"/run/*.pid; do
		stop_pidfile "$p"
	done
	stop_pidfile "$dir/pgbouncer/pgbouncer.pid"
	if [ -s "$dir/replica/data/postmaster.pid" ]; then
		as_pg "$pgbin/pg_ctl" -D "$dir/replica/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -s "$dir/pg/data/postmaster.pid" ]; then
		as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] || break; sleep 0.1; done
}

case ${1:-} in
pg-stop|pg-start)
	[ $# -eq 2 ] && [ -d "$2" ] || die "usage: local.sh $1 DIR"
	d=$(cd "$2" && pwd)	# PostgreSQL resolves -k from its data folder
	if [ "$1" = pg-stop ]; then
		as_pg "$pgbin/pg_ctl" -D "$d/pg/data" -m fast -w stop >/dev/null
	else
		tcp="''"
		[ -s "$d/pg/tcp_addr" ] && tcp=$(cat "$d/pg/tcp_addr")
		as_pg "$pgbin/pg_ctl" -D "$d/pg/data" -l "$d/log/postgresql.log" -w -t 60 \
		    -o "-k $d/pgrun -c listen_addresses=$tcp -c max_connections=200" start >/dev/null
	fi;;
replica-stop|replica-start)
	[ $# -eq 2 ] && [ -d "$2" ] || die "usage: local.sh $1 DIR"
	d=$(cd "$2" && pwd)
	if [ "$1" = replica-stop ]; then
		as_pg "$pgbin/pg_ctl" -D "$d/replica/data" -m fast -w stop >/dev/null
	else
		as_pg "$pgbin/pg_ctl" -D "$d/replica/data" -l "$d/log/replica.log" -w -t 60 \
		    -o "-k $d/replrun -c listen_addresses='' -c max_connections=200" start >/dev/null
	fi;;
pgbouncer-start)
	[ $# -eq 2 ] && [ -d "$2" ] || die "usage: local.sh $1 DIR"
	pgbouncer_up "$(cd "$2" && pwd)";;
up)	shift; [ $# -ge 1 ] || die "usage: local.sh up DIR [options]"; up "$@";;
down)	[ $# -eq 2 ] || die "usage: local.sh down DIR"; down "$2";;
run)
	dir="$top/var"
	down "$dir"
	trap 'echo; log "stopping"; down "$dir"; exit 0' INT TERM
	mkdir -p "$dir"
	# The first admin's password: generated once into var/admin_password.
	if [ -z "${FASTPG_ADMIN_PASSWORD:-}" ]; then
		if [ ! -s "$dir/admin_password" ]; then
			(umask 077; head -c 18 /dev/urandom | base64 -w 0 | tr '+/' '-_' \
			    >"$dir/admin_password")
		fi
		FASTPG_ADMIN_PASSWORD=$(cat "$dir/admin_password")
	fi
	export FASTPG_ADMIN_PASSWORD
	# make run PGBOUNCER=1: through PgBouncer (transaction pooling);
	# REPLICA=1: reads on a streaming replica; TFB=1: the benchmark's
	# resource too (apps/tfb, bench-only).
	[ "${TFB:-0}" = 1 ] && export FASTPG_BENCH_APPS=1
	up "$dir" --port "${PORT:-8080}" --demo \
	    $([ "${PGBOUNCER:-0}" = 1 ] && echo --pgbouncer) \
	    $([ "${REPLICA:-0}" = 1 ] && echo --replica)
	if [ -s "$top/build/docs/index.html" ]; then
		docs_msg="http://127.0.0.1:${PORT:-8080}/docs/  (OpenAPI: /openapi.json)"
	else
		docs_msg="unavailable: Swagger UI is not built (make docs; it needs npm)"
	fi
	cat <<MSG

fastpg is running:  http://127.0.0.1:${PORT:-8080}/items
  try:  curl -s http://127.0.0.1:${PORT:-8080}/items
  log in as the first admin (${FASTPG_ADMIN_EMAIL:-admin@example.com}, password in $dir/admin_password):
        curl -s -d "username=${FASTPG_ADMIN_EMAIL:-admin@example.com}&password=\$(cat $dir/admin_password)" http://127.0.0.1:${PORT:-8080}/token
  then: curl -H "Authorization: Bearer <access_token>" http://127.0.0.1:${PORT:-8080}/orders
  register a customer: curl -s -H 'Content-Type: application/json' -d '{"email":"ada@example.com","password":"correct horse"}' http://127.0.0.1:${PORT:-8080}/users
  docs: $docs_msg
  logs: $dir/log/   database: psql "postgresql://fastpg@/fastpg?host=$dir/pgrun"
Ctrl-C stops everything (or \`make stop\` from another shell).
MSG
	wait
	;;
stop)	down "$top/var"; log "stopped";;
*)	die "usage: local.sh run|stop|up DIR|down DIR";;
esac
