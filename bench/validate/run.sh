#!/usr/bin/env bash
# bench/validate/run.sh -- fastpg's JSON Schema validator against ajv 8,
# on the POST /items body schema.  `make bench-validate` runs this.
#
# Installs what is missing (node/npm via apt if there is no node; ajv 8
# into bench/validate/node_modules), builds bench.c against
# build/lib/libfastpg.a, generates the instance sets, runs each
# validator REPEAT times, prints a table of the medians and writes
# bench/results/validate.json.
#
# Environment: REPEAT (default 3), SECONDS_PER_SET (default 2),
# WARMUP (default 0.5), N (instances per set, default 1000).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

REPEAT=${REPEAT:-3}
SECS=${SECONDS_PER_SET:-2}
WARMUP=${WARMUP:-0.5}
N=${N:-1000}
out=build/bench/validate
schema=build/gen/items/bundled/item_create.json	# as the binary embeds it
results=bench/results/validate.json

# --- what is missing -------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
	echo "bench-validate: installing nodejs and npm" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench-validate: node is missing; run as root or install nodejs npm" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi
if [ ! -f bench/validate/node_modules/ajv/dist/2020.js ]; then
	echo "bench-validate: installing ajv@8 into bench/validate/node_modules" >&2
	npm install --no-save --no-audit --no-fund --prefix bench/validate ajv@8 >&2
fi
for l in bench/validate/node_modules/ bench/validate/package-lock.json; do
	grep -qxF "$l" .gitignore 2>/dev/null || echo "$l" >> .gitignore
done

# --- build -----------------------------------------------------------------
if [ -z "${MAKELEVEL:-}" ]; then	# make bench-validate has built it already
	make --no-print-directory -s all
fi
mkdir -p "$out" bench/results
pg_inc=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
${CC:-cc} -O2 -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -o "$out/bench" \
    bench/validate/bench.c -Ilib -I"$pg_inc" build/lib/libfastpg.a \
    -lpq -ljansson -lpcre2-8 -lcrypto -lpthread
node bench/validate/gen-instances.js "$out" "$N"

# --- run -------------------------------------------------------------------
: > "$out/runs.jsonl"
for i in $(seq "$REPEAT"); do
	echo "bench-validate: run $i/$REPEAT" >&2
	"$out/bench" "$schema" "$out/valid.json" "$out/invalid.json" \
	    "$SECS" "$WARMUP" | tee -a "$out/runs.jsonl" >&2
	node bench/validate/ajv.js "$schema" "$out/valid.json" "$out/invalid.json" \
	    "$SECS" "$WARMUP" | tee -a "$out/runs.jsonl" >&2
done

# --- report ----------------------------------------------------------------
RUNS="$out/runs.jsonl" RESULTS="$results" SCHEMA="$schema" node - <<'JS'
'use strict';
const fs = require('fs');
const os = require('os');
const { execSync } = require('child_process');

const runs = fs.readFileSync(process.env.RUNS, 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l));
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};
const by = {};
for (const r of runs) (by[r.validator] = by[r.validator] || []).push(r);
const med = {};
for (const [v, rs] of Object.entries(by))
  med[v] = {
    valid_per_s: median(rs.map((r) => r.valid_per_s)),
    invalid_per_s: median(rs.map((r) => r.invalid_per_s)),
  };
const f = med.fastpg, a = med.ajv;
const ratio = {
  valid: +(f.valid_per_s / a.valid_per_s).toFixed(3),
  invalid: +(f.invalid_per_s / a.invalid_per_s).toFixed(3),
};

const sh = (c) => { try { return execSync(c, { encoding: 'utf8' }).trim(); } catch { return null; } };
let osName = null;
try {
  osName = /PRETTY_NAME="([^"]*)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1];
} catch { /* unknown */ }
const first = (v) => by[v][0];

const fmt = (n) => n.toLocaleString('en-US');
const rows = [
  ['validator', 'valid/s', 'invalid/s'],
  ['fastpg', fmt(f.valid_per_s), fmt(f.invalid_per_s)],
  ['ajv ' + first('ajv').ajv, fmt(a.valid_per_s), fmt(a.invalid_per_s)],
  ['fastpg/ajv', ratio.valid.toFixed(2), ratio.invalid.toFixed(2)],
];
const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => r[0].padEnd(w[0]) + '  ' + r[1].padStart(w[1]) + '  ' + r[2].padStart(w[2]);
console.log(`\nValidator throughput, ${process.env.SCHEMA}, median of ${by.fastpg.length} runs ` +
  `(${first('fastpg').seconds} s per set after ${first('fastpg').warmup} s warm-up)`);
console.log(line(rows[0]));
console.log('-'.repeat(w[0] + w[1] + w[2] + 4));
rows.slice(1).forEach((r) => console.log(line(r)));
console.log(`errors in the invalid set (first pass): fastpg ${first('fastpg').invalid_errors}, ` +
  `ajv ${first('ajv').invalid_errors}`);

const result = {
  benchmark: 'validate',
  date: new Date().toISOString(),
  schema: process.env.SCHEMA,
  instances: { valid: first('fastpg').valid_n, invalid: first('fastpg').invalid_n },
  seconds_per_set: first('fastpg').seconds,
  warmup: first('fastpg').warmup,
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0] && os.cpus()[0].model,
    os: osName,
    kernel: os.release(),
    node: process.version,
    ajv: first('ajv').ajv,
    cc: sh('${CC:-cc} --version | head -1'),
  },
  median: med,
  ratio_fastpg_over_ajv: ratio,
  runs: by,
};
fs.writeFileSync(process.env.RESULTS, JSON.stringify(result, null, 2) + '\n');
console.log(`written to ${process.env.RESULTS}`);
JS
