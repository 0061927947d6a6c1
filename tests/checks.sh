# checks.sh -- sourced by the shell tests that count their own checks
# (tests/install.sh, tests/new-resource.sh, tests/check-*.sh): ok, fail,
# check, and finish, which prints "$CHECKS_NAME: N passed, M failed" and
# exits 1 on any failure.  CHECKS_QUIET=1 keeps ok silent, for tests of
# many small checks.
passed=0 failed=0
ok() {
	passed=$((passed + 1))
	[ -n "${CHECKS_QUIET:-}" ] || echo "ok: $*"
}
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
finish() {
	echo "$CHECKS_NAME: $passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}
