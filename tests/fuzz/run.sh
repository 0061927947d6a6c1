#!/bin/bash
# run.sh [NAME...] -- builds the libFuzzer harnesses tests/fuzz/fuzz_*.c
# (or only fuzz_NAME.c for each NAME given) with `make` (the fuzz-bins
# target: clang, ASan and UBSan, the library's flags) into build/fuzz/,
# then runs each for FUZZ_SECONDS (default 60).
#
# A harness runs on build/fuzz/corpus-NAME: the committed seeds in
# tests/fuzz/corpus/NAME/ are copied there first and what the fuzzer
# finds accumulates there, never in the committed corpus (rm -rf
# build/fuzz starts afresh).  tests/fuzz/NAME.dict is used when present,
# else tests/fuzz/request.dict.  A crash, leak, timeout (-timeout=10) or
# memory blow-up (-rss_limit_mb=2048) fails the harness; its input is
# saved under build/fuzz/artifacts/NAME/ and the way to replay it is
# printed.  Ends with "fuzz: N passed, M failed"; exits 1 if M > 0.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
CC=${FUZZ_CC:-clang}

# libFuzzer is in libclang-rt-14-dev, which clang only recommends.
sh deploy/deps.sh clang libclang-rt-14-dev || exit 1

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The fuzzer reports leaks itself (-detect_leaks=1), per input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0}

if [ $# -gt 0 ]; then
	names="$*"
else
	names=
	for src in tests/fuzz/fuzz_*.c; do
		src=${src#tests/fuzz/fuzz_}
		names="$names ${src%.c}"
	done
fi

# The harnesses are built by the Makefile, with the library's flags:
# `make fuzz-bins` builds them all; here each is made on its own, so
# that one that does not build fails alone.
mkdir -p "$out" || exit 1
passed=0 failed=0 failures=
for name in $names; do
	src=tests/fuzz/fuzz_$name.c bin=$out/fuzz_$name
	corpus=$out/corpus-$name arts=$out/artifacts/$name/
	log=$out/$name.log dict=tests/fuzz/$name.dict
	[ -e "$dict" ] || dict=tests/fuzz/request.dict
	if [ ! -e "$src" ]; then
		echo "fuzz: $name: no $src" >&2
		failed=$((failed + 1)) failures="$failures $name"
		continue
	fi
	if ! make --no-print-directory -s BUILD=build FUZZ_CC="$CC" "$bin" \
	    >"$log.build" 2>&1; then
		cat "$log.build" >&2
		echo "fuzz: $name: build failed (make $bin)" >&2
		failed=$((failed + 1)) failures="$failures $name"
		continue
	fi
	mkdir -p "$corpus" "$arts"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -p "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
	fi
	echo "== fuzz: $name for ${secs}s"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -dict="$dict" -artifact_prefix="$arts" \
	    "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ $rc -eq 0 ]; then
		echo "fuzz: $name: ok, ${runs:-?} runs, ${eps:-?} exec/s"
		passed=$((passed + 1))
		continue
	fi
	failed=$((failed + 1)) failures="$failures $name"
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
	    tail -n 1)
	echo "FAIL: fuzz: $name exited $rc after ${runs:-?} runs" >&2
	# What failed, and where: the sanitizer's or libFuzzer's report
	# and the harness's frames (an abort() in a check names its line).
	grep -E '^(==[0-9]+== ?ERROR|SUMMARY|INFO: Seed|.*runtime error)' \
	    "$log" | head -n 6 >&2
	grep -E "^ +#[0-9]+ .*(tests/fuzz|lib)/" "$log" | head -n 8 >&2
	if [ -n "$crash" ]; then
		echo "fuzz: $name: input saved in $crash; replay with:" >&2
		echo "    $bin $crash" >&2
	else
		tail -n 30 "$log" >&2
	fi
	echo "fuzz: $name: full log in $log" >&2
done
echo "fuzz: $passed passed, $failed failed${failures:+ (failed:$failures)}"
[ "$failed" -eq 0 ]
