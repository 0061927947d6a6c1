#!/usr/bin/env node
// ajv.js -- the same measurement as bench.c, with ajv 8 (draft 2020-12).
//
// usage: node ajv.js SCHEMA VALID.json INVALID.json [SECONDS [WARMUP]]
//
// The schema is compiled once (ajv generates a JS function from it).
// Each set is parsed once with JSON.parse and its objects are validated
// round-robin, WARMUP seconds (default 0.5, not counted, lets V8 JIT
// the generated code) then SECONDS (default 2).  useDefaults writes
// defaults into the objects, so they only apply on the first pass, as
// in bench.c.  allErrors: every error is collected (ajv has no cap;
// these instances have at most a handful).
//
// Before timing, every VALID instance must pass and every INVALID one
// must fail; otherwise exit 1.  Prints one JSON line.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require(path.join(__dirname, 'node_modules', 'ajv', 'dist', '2020')).default;

const argv = process.argv.slice(2);
if (argv.length < 3 || argv.length > 5) {
  console.error('usage: ajv.js SCHEMA VALID.json INVALID.json [SECONDS [WARMUP]]');
  process.exit(2);
}
const secs = argv.length > 3 ? Number(argv[3]) : 2;
const warm = argv.length > 4 ? Number(argv[4]) : 0.5;

const ajv = new Ajv2020({
  allErrors: true,
  useDefaults: true,
  strict: false,
  // Not in ajv's defaults.  Without it multipleOf tests x / 0.01 for
  // integrality in binary floating point, and valid prices such as
  // 530.31 (53031.00000000001) fail.  fastpg compares decimals exactly.
  // With 6, |round(q) - q| <= 1e-6 passes: every 2-decimal price of
  // this set passes and 19.999 still fails; the check costs one extra
  // Math.round/Math.abs.  (9 is too tight: 271372.53 still fails.)
  multipleOfPrecision: 6,
});
const validate = ajv.compile(JSON.parse(fs.readFileSync(argv[0], 'utf8')));
const valid = JSON.parse(fs.readFileSync(argv[1], 'utf8'));
const invalid = JSON.parse(fs.readFileSync(argv[2], 'utf8'));

const now = () => Number(process.hrtime.bigint()) / 1e9;

// One validation; returns the error count (like bench.c's one()).
function one(inst) {
  return validate(inst) ? 0 : validate.errors.length;
}

function verify(set, wantValid, name) {
  let errors = 0, ok = true;
  set.forEach((inst, i) => {
    const e = one(inst);
    errors += e;
    if ((e === 0) !== wantValid) {
      console.error(`ajv.js: ${name}[${i}] is ${e === 0 ? 'valid' : 'invalid'}: ` +
        JSON.stringify(inst) + (e ? ' ' + JSON.stringify(validate.errors) : ''));
      ok = false;
    }
  });
  return { ok, errors };
}

function run(set) {
  const n = set.length;
  let sink = 0, count = 0, t1;
  let end = now() + warm;
  while (now() < end)
    for (let i = 0; i < n; i++) sink += one(set[i]);
  const t0 = now();
  end = t0 + secs;
  do {
    for (let i = 0; i < n; i++) sink += one(set[i]);
    count += n;
  } while ((t1 = now()) < end);
  if (sink < 0) console.error(sink);   // keep the work observable
  return count / (t1 - t0);
}

const v = verify(valid, true, 'valid');
const iv = verify(invalid, false, 'invalid');
if (!v.ok || !iv.ok) process.exit(1);
const vps = run(valid);
const ips = run(invalid);
console.log(JSON.stringify({
  validator: 'ajv',
  valid_per_s: Math.round(vps),
  invalid_per_s: Math.round(ips),
  valid_n: valid.length,
  invalid_n: invalid.length,
  invalid_errors: iv.errors,
  seconds: secs,
  warmup: warm,
  ajv: require(path.join(__dirname, 'node_modules', 'ajv', 'package.json')).version,
  node: process.version,
}));
