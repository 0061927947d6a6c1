# wrkparse.sh -- sourced by the load tests: wrk_stats FILE sets
# requests, non2xx and sockerr from a wrk report (wrk prints the
# "Non-2xx" and "Socket errors" lines only when there were any).
wrk_stats() {
	local f=$1 s
	requests=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$f" | tail -n 1)
	requests=${requests:-0}
	non2xx=$(sed -nE 's/.*Non-2xx or 3xx responses: *([0-9]+).*/\1/p' "$f")
	non2xx=${non2xx:-0}
	sockerr=0
	s=$(sed -nE 's/.*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+).*/\1 \2 \3 \4/p' "$f")
	if [ -n "$s" ]; then
		set -- $s
		sockerr=$(($1 + $2 + $3 + $4))
	fi
}

# Check-like result line, counted by tests/run-tests.sh.
checks=0 fails=0
check() {	# check DESCRIPTION COMMAND...
	local what=$1; shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok: $what"
	else
		fails=$((fails + 1))
		echo "FAIL: $what"
	fi
}
report() {
	local pct=100
	[ $checks -gt 0 ] && pct=$(( (checks - fails) * 100 / checks ))
	echo "$pct%: Checks: $checks, Failures: $fails, Errors: 0"
	[ $fails -eq 0 ]
}
