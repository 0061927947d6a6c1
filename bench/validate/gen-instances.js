#!/usr/bin/env node
// Writes the deterministic instance sets for bench/validate:
//   OUTDIR/valid.json    N bodies that POST /items accepts
//   OUTDIR/invalid.json  N bodies it rejects (a 422), cycling through kinds
// Usage: node gen-instances.js OUTDIR [N]   (N defaults to 1000)
'use strict';
const fs = require('fs');
const path = require('path');

const outdir = process.argv[2];
const N = parseInt(process.argv[3] || '1000', 10);
if (!outdir || !(N > 0)) {
  console.error('usage: gen-instances.js OUTDIR [N]');
  process.exit(2);
}

// mulberry32: small, seeded, the same sequence on every node version.
let seed = 0x5eedf00d;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (a) => a[int(0, a.length - 1)];
const chance = (p) => rnd() < p;

const SKU_CH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';
const WORDS = ['steel', 'widget', 'blue', 'large', 'compact', 'wireless',
  'ergonomic', 'pro', 'mini', 'organic', 'cotton', 'lamp', 'chair', 'desk',
  'cable', 'adapter', 'bottle', 'kit', 'premium', 'classic', 'café', 'naïve',
  'Größe', '日本', 'set', 'pack', 'ultra', 'smart', 'eco', 'vintage'];
const COLORS = ['red', 'green', 'blue', 'black', 'white', 'silver'];

function sku() {
  let s = '';
  for (let i = int(3, 24); i > 0; i--) s += SKU_CH[int(0, SKU_CH.length - 1)];
  return s;
}
function words(lo, hi) {
  const w = [];
  for (let i = int(lo, hi); i > 0; i--) w.push(pick(WORDS));
  return w.join(' ');
}
// A price with at most 2 decimals: integer cents / 100 (shortest repr in JSON).
function price() {
  const cents = pick([int(0, 999), int(100, 99999), int(100000, 99999999),
    int(0, 20) * 100]);
  return cents / 100;
}
function attributes() {
  const a = {};
  const keys = ['color', 'size', 'weight_kg', 'tags', 'dims', 'fragile', 'origin'];
  for (let i = int(1, 5); i > 0; i--) {
    const k = pick(keys);
    switch (k) {
      case 'color': a.color = pick(COLORS); break;
      case 'size': a.size = pick(['S', 'M', 'L', 'XL']); break;
      case 'weight_kg': a.weight_kg = int(1, 50000) / 1000; break;
      case 'tags': a.tags = [pick(WORDS), pick(WORDS)]; break;
      case 'dims': a.dims = { w: int(1, 200), h: int(1, 200), d: int(1, 200) }; break;
      case 'fragile': a.fragile = chance(0.5); break;
      case 'origin': a.origin = pick(['DE', 'FR', 'JP', 'US', 'IT']); break;
    }
  }
  return a;
}

function validBody() {
  const b = { sku: sku(), name: words(1, 6), price: price() };
  if (chance(0.6)) b.description = chance(0.15) ? null : words(0, 40);
  if (chance(0.7)) b.stock = int(0, 100000);
  if (chance(0.6)) b.attributes = attributes();
  return b;
}

// Each kind turns a valid body into an invalid one.
const KINDS = [
  (b) => { delete b.sku; },
  (b) => { delete b.name; },
  (b) => { delete b.price; },
  (b) => { for (const k of Object.keys(b)) delete b[k]; },        // {}
  (b) => { b.sku = int(1, 99999); },                                // wrong type
  (b) => { b.name = [b.name]; },
  (b) => { b.price = String(b.price); },
  (b) => { b.price = -int(1, 99999) / 100; },                       // negative
  (b) => { b.colour = pick(COLORS); },                              // extra property
  (b) => { b.sku = b.sku.slice(0, 5) + pick([' ', '/', '#', 'é', '!']) + 'x'; },
  (b) => { b.price = 19.999; },                                     // not a multiple of 0.01
  (b) => { b.price = int(0, 9999) + pick([0.001, 0.005, 0.125]); },
  (b) => { b.stock = pick([-1, 1.5, '12', null]); },
  (b) => { b.description = int(0, 9); },
  (b) => { b.attributes = pick([[], 'none', 3]); },
  (b) => { b.name = ''; },
  (b) => { b.sku = 'S'.repeat(65); },
  (b) => { b.price = 1e11; },                                       // above maximum
  (b) => {                                                          // several at once
    delete b.name; b.sku = 'bad sku'; b.price = -0.005; b.stock = 'x'; b.extra = 1;
  },
];

const valid = [];
const invalid = [];
for (let i = 0; i < N; i++) valid.push(validBody());
for (let i = 0; i < N; i++) {
  const b = validBody();
  KINDS[i % KINDS.length](b);
  invalid.push(b);
}

fs.mkdirSync(outdir, { recursive: true });
fs.writeFileSync(path.join(outdir, 'valid.json'), JSON.stringify(valid) + '\n');
fs.writeFileSync(path.join(outdir, 'invalid.json'), JSON.stringify(invalid) + '\n');
