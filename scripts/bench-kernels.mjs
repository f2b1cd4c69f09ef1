#!/usr/bin/env node
// Optimized CPU kernels vs their naive references at the reference workload's shapes.
// usage: node scripts/bench-kernels.mjs [name,name,...] [--iters N] [--threads N]
// Prints one JSON object: machine facts and, per kernel, best-of-N milliseconds and speedup.
// The naive references run once (they take up to seconds); the machine may be shared, so
// compare numbers from the same run only.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require('node-gyp-build')(process.cwd());

const args = process.argv.slice(2);
let iters = 3;
let names = addon.kernelBenchNames();
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--iters') iters = Number(args[++i]);
  else if (args[i] === '--threads') addon.setThreads(Number(args[++i]));
  else names = args[i].split(',');
}
const info = addon.systemInfo();
const results = [];
for (const n of names) results.push(addon.kernelBench(n, iters));
console.log(JSON.stringify({ cpu: info.cpuModel, isa: info.isa, threads: info.threads, iters, results }, null, 2));
