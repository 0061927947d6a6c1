#!/bin/bash
# run-tests.sh BUILD [unit|integration|all] -- runs the Check unit tests
# and the integration tests built in BUILD (a sanitizer build), and ends
# with one line: "N passed, M failed".
#
# The integration tests run once per way of serving (nginx, Apache
# mod_proxy_fcgi, Apache mod_fcgid, lighttpd to sockets, lighttpd
# bin-path, plain CGI under lighttpd, nginx with the responders behind
# PgBouncer in transaction pooling mode; SERVERS="nginx cgi" picks some),
# each against its own stack in a temp folder: a PostgreSQL cluster, the
# responders, the web server on a free port (deploy/local.sh), stopped
# again however the tests end.  The shell tests (tests/integration/*.sh:
# rolling redeploy, SIGKILL, 2,000 concurrent clients, nginx's request
# ids and error pages) run in the nginx pass.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$top/${1:?usage: run-tests.sh BUILD [unit|integration|all]}" && pwd)
what=${2:-all}
passed=0 failed=0

# Adds the counts of one Check runner's output ("N%: Checks: C,
# Failures: F, Errors: E"); a runner that died without it is a failure.
count() {
	local out=$1 name=$2 line c f e
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $name printed no result" >&2
		failed=$((failed + 1))
		return
	fi
	c=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	passed=$((passed + c - f - e))
	failed=$((failed + f + e))
}

# Tokens: a known key, so that the tests can forge and tamper with
# tokens, and a first shop_admin they log in as (deploy/local.sh up
# makes it).
export JWT_SECRET=${JWT_SECRET:-fastpg-tests-only-0123456789abcdef0123456789}
export FASTPG_ADMIN_EMAIL=${FASTPG_ADMIN_EMAIL:-admin@example.com}
export FASTPG_ADMIN_PASSWORD=${FASTPG_ADMIN_PASSWORD:-admin-password-for-tests}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in "$build"/tests/check_*; do
		[ -x "$t" ] || continue
		out=$(mktemp)
		echo "== unit: ${t##*/}"
		"$t" >"$out" 2>&1
		rc=$?
		cat "$out"
		count "$out" "${t##*/}"
		if [ $rc -ne 0 ] && ! grep -qE 'Failures: [1-9]|Errors: [1-9]' "$out"; then
			echo "FAIL: ${t##*/} exited $rc (sanitizer?)" >&2
			failed=$((failed + 1))
		fi
		rm -f "$out"
	done
	# The same unit tests without sanitizers, under valgrind memcheck:
	# any error or leak fails (VALGRIND_BUILD, default build/).  The
	# exhaustive comparisons run a tenth of their values there
	# (FASTPG_TEST_QUICK); the sanitizer pass above runs them all.
	vb=$top/${VALGRIND_BUILD:-build}
	if command -v valgrind >/dev/null && [ -d "$vb/tests" ]; then
		for t in "$vb"/tests/check_*; do
			[ -x "$t" ] || continue
			out=$(mktemp)
			echo "== valgrind: ${t##*/}"
			CK_FORK=no FASTPG_TEST_QUICK=1 valgrind -q --leak-check=full \
			    --errors-for-leak-kinds=definite,indirect \
			    --error-exitcode=99 "$t" >"$out" 2>&1
			rc=$?
			tail -n 3 "$out"
			if [ $rc -eq 0 ]; then
				passed=$((passed + 1))
			else
				grep -E '==[0-9]+==' "$out" | head -40
				echo "FAIL: valgrind: ${t##*/} exited $rc" >&2
				failed=$((failed + 1))
			fi
			rm -f "$out"
		done
	fi
fi

free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
	done
	return 1
}

# One way of serving: its own stack in a temp folder (PostgreSQL,
# responders, the web server from deploy/'s templates on a free port),
# every it_* binary against it with SERVER=<name>, the load tests under
# nginx, then down -- also when a test fails -- and a sanitizer check of
# the responders' logs.
serve_pass() {
	local server=$1 tmp port t out p0 f0 start rc web=$1 opts=()
	# nginx-pgbouncer: nginx, the responders reaching PostgreSQL
	# through PgBouncer (DB_PREPARE=false); the tests' DB_URL stays on
	# PostgreSQL itself.
	if [ "$server" = nginx-pgbouncer ]; then
		web=nginx opts=(--pgbouncer)
	fi
	# nginx-replica: a streaming replica serves the read-only routes
	# (DATABASE_READ_URL): replica.sh only, since the other suites
	# read what they have just written.
	if [ "$server" = nginx-replica ]; then
		web=nginx opts=(--replica)
	fi
	p0=$passed f0=$failed start=$(date +%s)
	tmp=$(mktemp -d /tmp/fastpg-test.XXXXXX)
	chmod 755 "$tmp"
	pgb_url=
	[ "$server" = nginx-pgbouncer ] &&
	    pgb_url="postgresql://fastpg_app@/fastpg?host=$tmp/pgbrun&port=6432"
	current=$tmp
	port=$(free_port)
	echo
	echo "=== server: $server (stack in $tmp, 127.0.0.1:$port)"
	if FASTPG_PG_TCP=1 FASTPG_BENCH_APPS=1 FASTPG_TEST_ECHO="$top/tests/integration/echo/echo" \
	    READ_MAX_LAG=4s MAX_BODY_SIZE=64k POOL_SIZE=4 LOG_LEVEL=info STATEMENT_TIMEOUT=2s \
	    FASTPG_WRITE_RATE=100000r/s FASTPG_WRITE_BURST=100000 \
	    bash "$top/deploy/local.sh" up "$tmp" --server "$web" --port "$port" \
	    --bin "$build/bin" --body-max 1m "${opts[@]}"; then
		# The shell tests write items: they send the admin's token.
		ADMIN_TOKEN=$(curl -s --data-urlencode "username=$FASTPG_ADMIN_EMAIL" \
		    --data-urlencode "password=$FASTPG_ADMIN_PASSWORD" \
		    "http://127.0.0.1:$port/token" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
		[ -n "$ADMIN_TOKEN" ] || echo "FAIL: $server: no admin token from POST /token" >&2
		export ADMIN_TOKEN
		for t in "$build"/tests/it_*; do
			[ -x "$t" ] || continue
			# The database-side suites (faults, security, tx, ...)
			# need one way of serving, not six: nginx runs them.
			# HTTP, routing, the shop and who may do what (auth:
			# the Authorization header must reach the responder
			# through each server) run through all six.  Behind
			# PgBouncer: what the responders send the database
			# (HTTP, the shop, auth), and a pool other clients
			# leave session settings in (pooler).
			case $server:${t##*/} in
			nginx:it_pooler) continue;;
			nginx:*) ;;
			nginx-pgbouncer:it_http|nginx-pgbouncer:it_shop|nginx-pgbouncer:it_auth) ;;
			nginx-pgbouncer:it_pooler) ;;
			nginx-pgbouncer:*) continue;;
			nginx-replica:*) continue;;
			*:it_http|*:it_routing|*:it_shop|*:it_auth) ;;
			*:it_pooler) continue;;
			*) continue;;
			esac
			echo "== $server: ${t##*/}"
			out=$(mktemp)
			SERVER=$server ECHO=1 \
			BASE_URL="http://127.0.0.1:$port" \
			DB_URL="postgresql://fastpg@/fastpg?host=$tmp/pgrun" \
			BIN_DIR="$build/bin" \
			PG_STOP="bash $top/deploy/local.sh pg-stop $tmp" \
			PG_START="bash $top/deploy/local.sh pg-start $tmp" \
			PG_KILL="kill -9 \$(head -n 1 $tmp/pg/data/postmaster.pid)" \
			STACK_DIR=$tmp \
			APP_DB_URL="postgresql://fastpg_app@/fastpg?host=$tmp/pgrun" \
			DB_TCP_URL="postgresql://fastpg@$(cat "$tmp/pg/tcp_addr" 2>/dev/null)/fastpg" \
			PGBOUNCER_URL="$pgb_url" \
			    "$t" >"$out" 2>&1
			cat "$out"
			count "$out" "$server: ${t##*/}"
			rm -f "$out"
		done
		# Shell tests, through nginx: a rolling redeploy of one
		# resource, a responder killed with SIGKILL (wrk), wrk -c 2000
		# (c2000.sh), request ids on nginx's own answers.
		if [ "$server" = nginx ] || [ "$server" = nginx-replica ]; then
			for t in "$top"/tests/integration/*.sh; do
				case $server:${t##*/} in
				*:wrkparse.sh) continue;;
				nginx:replica.sh) continue;;
				*:hosts.sh) continue;;	# hosts_pass
				nginx-replica:replica.sh) ;;
				nginx-replica:*) continue;;
				esac
				echo "== $server: ${t##*/}"
				out=$(mktemp)
				SERVER=$server BASE_URL="http://127.0.0.1:$port" \
				STACK_DIR=$tmp POOL_SIZE=4 bash "$t" >"$out" 2>&1
				cat "$out"
				count "$out" "$server: ${t##*/}"
				rm -f "$out"
			done
		fi
		# The responders ran under ASan + UBSan: any report fails,
		# leaks too, which LeakSanitizer prints as they exit.
		bash "$top/deploy/local.sh" down "$tmp"
		if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp"/log/*.log; then
			grep -hE -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp"/log/*.log | head -60
			echo "FAIL: $server: sanitizer report in a responder log" >&2
			failed=$((failed + 1))
		fi
	else
		echo "FAIL: $server: the test stack did not start" >&2
		tail -n 30 "$tmp"/log/*.log 2>/dev/null
		failed=$((failed + 1))
	fi
	bash "$top/deploy/local.sh" down "$tmp"
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
	current=
	summary+=$(printf '  %-17s %3d passed, %d failed  (%ds)' "$server" \
	    $((passed - p0)) $((failed - f0)) $(($(date +%s) - start)))$'\n'
}

# Several hosts (network namespaces), a front with TLS, PostgreSQL with
# TLS on a host of its own: once, with the nginx way of serving
# (tests/integration/hosts.sh starts and stops it all).
hosts_pass() {
	local p0=$passed f0=$failed start=$(date +%s) out
	echo
	echo "=== hosts: a front, two hosts, a database host (network namespaces)"
	out=$(mktemp)
	bash "$top/tests/integration/hosts.sh" "$build" >"$out" 2>&1
	grep -vE '^(migrate|local): ' "$out"
	count "$out" "hosts: hosts.sh"
	rm -f "$out"
	summary+=$(printf '  %-17s %3d passed, %d failed  (%ds)' hosts \
	    $((passed - p0)) $((failed - f0)) $(($(date +%s) - start)))$'\n'
}

if [ "$what" = integration ] || [ "$what" = all ]; then
	# SERVERS picks some; all of them by default.
	servers=${SERVERS:-nginx apache-proxy apache-fcgid lighttpd lighttpd-binpath cgi nginx-pgbouncer nginx-replica hosts}
	current= summary=
	trap '[ -z "$current" ] || { bash "$top/deploy/local.sh" down "$current";
	    [ -n "${KEEP:-}" ] || rm -rf "$current"; }' EXIT
	for s in $servers; do
		if [ "$s" = hosts ]; then
			hosts_pass
		else
			serve_pass "$s"
		fi
	done
	echo
	echo "== by way of serving:"
	printf '%s' "$summary"
fi

echo
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ]
