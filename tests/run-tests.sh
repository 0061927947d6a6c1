#!/bin/bash
# run-tests.sh BUILD [unit|integration|all] -- runs the Check unit tests
# and the integration tests built in BUILD (a sanitizer build), and ends
# with one line: "N passed, M failed".
#
# The integration tests get their own stack in a temp folder: a
# PostgreSQL cluster, the responders under spawn-fcgi + multiwatch, and
# nginx on a free port (deploy/local.sh), stopped again however the
# tests end.
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
fi

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
	done
	return 1
}

if [ "$what" = integration ] || [ "$what" = all ]; then
	tmp=$(mktemp -d /tmp/fastpg-test.XXXXXX)
	chmod 755 "$tmp"
	trap 'bash "$top/deploy/local.sh" down "$tmp"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
	port=$(free_port)
	echo "== integration: stack in $tmp, nginx on 127.0.0.1:$port"
	if MAX_BODY_SIZE=64k POOL_SIZE=4 LOG_LEVEL=info \
	    bash "$top/deploy/local.sh" up "$tmp" --port "$port" --bin "$build/bin" --body-max 1m; then
		for t in "$build"/tests/it_*; do
			[ -x "$t" ] || continue
			echo "== integration: ${t##*/it_}"
			out=$(mktemp)
			BASE_URL="http://127.0.0.1:$port" \
			DB_URL="postgresql://fastpg@/fastpg?host=$tmp/pgrun" \
			BIN_DIR="$build/bin" \
			PG_STOP="bash $top/deploy/local.sh pg-stop $tmp" \
			PG_START="bash $top/deploy/local.sh pg-start $tmp" \
			    "$t" >"$out" 2>&1
			cat "$out"
			count "$out" "${t##*/}"
			rm -f "$out"
		done
		# The responders ran under ASan + UBSan: any report fails,
		# leaks too, which LeakSanitizer prints as they exit.
		bash "$top/deploy/local.sh" down "$tmp"
		if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp"/log/*.log; then
			grep -hE -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp"/log/*.log | head -60
			echo "FAIL: sanitizer report in a responder log" >&2
			failed=$((failed + 1))
		fi
	else
		echo "FAIL: the test stack did not start" >&2
		tail -n 30 "$tmp"/log/*.log 2>/dev/null
		failed=$((failed + 1))
	fi
fi

echo
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ]
