#!/usr/bin/env node
// GEMM benchmark: our CPU GEMM (native/src/cpu/gemm.cc) against OpenBLAS (numpy) at the
// same shapes and thread count, run in the same invocation. Prints JSON lines:
//   {"op":"gemm","impl":"regurgitate","isa",m,n,k,transA,transB,beta,gflops,seconds,threads,label}
//   {"op":"gemm","impl":"openblas",...}               (from scripts/bench_gemm_openblas.py)
//   {"op":"gemm","impl":"ratio",m,n,k,...,"ours","openblas","ratio"}
// Each side runs every case in a burst, and the bursts alternate `rounds` times; the best
// of all is kept (the machine may be shared: short bursts, repeat, take the best).
//
// usage: node scripts/bench_gemm.mjs [--sizes 256,512,1024,2048] [--no-model] [--no-decode]
//          [--threads 2] [--iters N] [--rounds 2] [--no-peer] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

/** The model's shapes (N = 8192 tokens, d = 256, d_ff = 1024, vocab = 8000). */
export const MODEL_CASES = [
  { label: 'fwd x W^T d->d', m: 8192, n: 256, k: 256, transB: true },
  { label: 'fwd x W^T d->ff', m: 8192, n: 1024, k: 256, transB: true },
  { label: 'fwd x W^T ff->d', m: 8192, n: 256, k: 1024, transB: true },
  { label: 'bwd dy W d<-d', m: 8192, n: 256, k: 256 },
  { label: 'bwd dy W d<-ff', m: 8192, n: 256, k: 1024 },
  { label: 'bwd dy W ff<-d', m: 8192, n: 1024, k: 256 },
  { label: 'dW += dy^T x d,d', m: 256, n: 256, k: 8192, transA: true, beta: 1 },
  { label: 'dW += dy^T x ff,d', m: 1024, n: 256, k: 8192, transA: true, beta: 1 },
  { label: 'dW += dy^T x d,ff', m: 256, n: 1024, k: 8192, transA: true, beta: 1 },
  { label: 'logits', m: 8192, n: 8000, k: 256, transB: true },
  { label: 'dX from logits', m: 8192, n: 256, k: 8000 },
  { label: 'dE += dlogits^T X', m: 8000, n: 256, k: 8192, transA: true, beta: 1 },
];

/** Decoding: few rows (batch x beam) against the model's weights; plus GEMV-like NN. */
export const DECODE_CASES = [
  ...[1, 4, 16, 64].flatMap((m) => [
    { label: `decode M=${m} d->d`, m, n: 256, k: 256, transB: true },
    { label: `decode M=${m} d->ff`, m, n: 1024, k: 256, transB: true },
    { label: `decode M=${m} logits`, m, n: 8000, k: 256, transB: true },
  ]),
  { label: 'small M=1 NN', m: 1, n: 1024, k: 256 },
  { label: 'small M=4 NN', m: 4, n: 1024, k: 256 },
];

function normalize(c) {
  return {
    label: c.label ?? `square ${c.m}`,
    m: c.m,
    n: c.n,
    k: c.k,
    transA: !!c.transA,
    transB: !!c.transB,
    beta: c.beta ?? 0,
  };
}
const key = (c) => `${c.m}x${c.n}x${c.k}:${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}:${c.beta}`;
// About 0.3 s of work per case at 100 GFLOP/s, 3..50 calls.
const autoIters = (c) => Math.max(3, Math.min(50, Math.round(0.3 / ((2 * c.m * c.n * c.k) / 100e9))));

function loadAddon() {
  return createRequire(import.meta.url)('node-gyp-build')(repoRoot);
}

function runPeer(cases, { python, threads, iters }) {
  const script = path.join(here, 'bench_gemm_openblas.py');
  const args = [script, '--threads', String(threads), '--cases', JSON.stringify(cases)];
  if (iters) args.push('--iters', String(iters));
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`OpenBLAS peer failed (${python} ${script}): ${why}`);
  }
  if (r.stderr.trim()) process.stderr.write(r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * Benchmarks square `sizes` plus (optionally) the model and decoding shapes.
 * opts: { model = true, decode = true, threads = 2, iters = 0 (auto), rounds = 2,
 *         peer = true, python = '/usr/bin/python3', cases = [] (extra), log = console.log }
 * Returns [{ ...case, ours, openblas, ratio, isa }] and logs one JSON line per result.
 */
export async function benchGemm(sizes = [256, 512, 1024, 2048], opts = {}) {
  const {
    model = true,
    decode = true,
    threads = 2,
    iters = 0,
    rounds = 2,
    peer = true,
    python = '/usr/bin/python3',
    log = (o) => console.log(JSON.stringify(o)),
  } = opts;
  const cases = [
    ...sizes.map((s) => ({ m: s, n: s, k: s })),
    ...(model ? MODEL_CASES : []),
    ...(decode ? DECODE_CASES : []),
    ...(opts.cases ?? []),
  ].map(normalize);

  const addon = loadAddon();
  addon.setThreads(threads);
  const ours = new Map(), theirs = new Map();
  let isa = addon.systemInfo().isa;
  let blas = null;
  for (let round = 0; round < rounds; ++round) {
    for (const c of cases) {
      const r = addon.benchGemm(c.m, c.n, c.k, iters || autoIters(c), {
        transA: c.transA,
        transB: c.transB,
        beta: c.beta,
      });
      isa = r.isa;
      const prev = ours.get(key(c));
      if (!prev || r.gflops > prev.gflops) ours.set(key(c), r);
    }
    if (peer) {
      await new Promise((res) => setTimeout(res, 200)); // let our pool threads go to sleep
      for (const p of runPeer(cases, { python, threads, iters })) {
        blas = p.blas;
        const c = normalize({ m: p.m, n: p.n, k: p.k, transA: p.transA, transB: p.transB, beta: p.beta });
        const prev = theirs.get(key(c));
        if (!prev || p.gflops > prev.gflops) theirs.set(key(c), p);
      }
    }
  }

  const results = [];
  for (const c of cases) {
    const o = ours.get(key(c));
    log({ op: 'gemm', impl: 'regurgitate', isa, ...c, gflops: o.gflops, seconds: o.seconds, threads });
  }
  for (const c of cases) {
    const p = theirs.get(key(c));
    if (p) log({ op: 'gemm', impl: 'openblas', ...c, gflops: p.gflops, seconds: p.seconds, threads, blas });
  }
  for (const c of cases) {
    const o = ours.get(key(c)), p = theirs.get(key(c));
    const row = { ...c, isa, ours: o.gflops, openblas: p ? p.gflops : null, ratio: p ? o.gflops / p.gflops : null };
    results.push(row);
    if (p) log({ op: 'gemm', impl: 'ratio', ...row, threads });
  }
  return results;
}

function parseCli(argv) {
  const o = { sizes: [256, 512, 1024, 2048] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const int = (name, v, min) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${v}'`);
      return n;
    };
    if (a === '--sizes') o.sizes = val().split(',').filter(Boolean).map((s) => int('--sizes entry', s, 1));
    else if (a === '--no-model') o.model = false;
    else if (a === '--no-decode') o.decode = false;
    else if (a === '--threads') o.threads = int('--threads', val(), 1);
    else if (a === '--iters') o.iters = int('--iters', val(), 1);
    else if (a === '--rounds') o.rounds = int('--rounds', val(), 1);
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--python') o.python = val();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/bench_gemm.mjs [--sizes 256,512,1024,2048] [--no-model] [--no-decode] ' +
        '[--threads 2] [--iters N] [--rounds 2] [--no-peer] [--python /usr/bin/python3]');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (see --help)`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let o;
  try {
    o = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`bench_gemm: ${e.message}`);
    process.exit(2);
  }
  benchGemm(o.sizes, o).catch((e) => {
    console.error(`bench_gemm: ${e.message}`);
    process.exit(1);
  });
}
