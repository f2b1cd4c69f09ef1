#!/usr/bin/env node
// GEMM benchmark: our CPU GEMM (native/src/cpu/gemm.cc) against OpenBLAS (numpy) at the
// same shapes and thread count, run in the same invocation. Prints JSON lines:
//   {"op":"gemm","impl":"regurgitate","isa",m,n,k,transA,transB,beta,gflops,seconds,threads,label}
//   {"op":"gemm","impl":"openblas",...}               (from scripts/bench_gemm_openblas.py)
//   {"op":"gemm","impl":"ratio",m,n,k,...,"ours","openblas","ratio"}
// The peer is one long-lived Python process; cases are interleaved (peer, pause, ours)
// and the whole list is repeated `rounds` times, keeping each side's best: the machine
// may be shared, so short bursts close in time, repeated, best taken. The pause lets
// OpenBLAS's worker threads, which busy-wait ~0.1 s after a call, go to sleep.
//
// usage: node scripts/bench_gemm.mjs [--sizes 256,512,1024,2048] [--no-model] [--no-decode]
//          [--threads 2] [--iters N] [--rounds 3] [--no-peer] [--python /usr/bin/python3]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import readline from 'node:readline';
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

/** The OpenBLAS peer in --serve mode: one JSON case per line in, one result line out. */
class Peer {
  constructor({ python, threads, iters }) {
    const script = path.join(here, 'bench_gemm_openblas.py');
    this.what = `${python} ${script}`;
    this.iters = iters;
    this.stderr = '';
    this.waiting = [];
    this.proc = spawn(python, [script, '--threads', String(threads), '--serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    this.failure = null;
    const fail = (why) => {
      this.failure = new Error(`OpenBLAS peer failed (${this.what}): ${why}`);
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    };
    this.proc.on('error', (e) => fail(e.message));
    this.proc.on('exit', (code) => {
      if (code !== 0 || this.waiting.length)
        fail(`exited with ${code}: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        w.resolve(JSON.parse(line));
      } catch {
        w.reject(new Error(`OpenBLAS peer printed something that is not JSON: ${line.slice(0, 200)}`));
      }
    });
  }
  run(c) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      const req = { m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, beta: c.beta };
      if (this.iters) req.iters = this.iters;
      this.proc.stdin.write(JSON.stringify(req) + '\n');
    });
  }
  close() {
    this.proc.stdin.end();
  }
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * Benchmarks square `sizes` plus (optionally) the model and decoding shapes.
 * opts: { model = true, decode = true, threads = 2, iters = 0 (auto), rounds = 3,
 *         pauseMs = 150, peer = true, python = '/usr/bin/python3', cases = [] (extra),
 *         log = one JSON line per result on stdout }
 * Returns [{ ...case, ours, openblas, ratio, isa }] and logs one JSON line per result.
 */
export async function benchGemm(sizes = [256, 512, 1024, 2048], opts = {}) {
  const {
    model = true,
    decode = true,
    threads = 2,
    iters = 0,
    rounds = 3,
    pauseMs = 150,
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
  const peerProc = peer ? new Peer({ python, threads, iters }) : null;
  try {
    for (let round = 0; round < rounds; ++round) {
      for (const c of cases) {
        if (peerProc) {
          const p = await peerProc.run(c);
          blas = p.blas;
          const prev = theirs.get(key(c));
          if (!prev || p.gflops > prev.gflops) theirs.set(key(c), p);
          await sleep(pauseMs); // OpenBLAS threads spin ~0.1 s after a call
        }
        const r = addon.benchGemm(c.m, c.n, c.k, iters || autoIters(c), {
          transA: c.transA,
          transB: c.transB,
          beta: c.beta,
        });
        isa = r.isa;
        const prev = ours.get(key(c));
        if (!prev || r.gflops > prev.gflops) ours.set(key(c), r);
      }
    }
  } finally {
    peerProc?.close();
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
        '[--threads 2] [--iters N] [--rounds 3] [--no-peer] [--python /usr/bin/python3]');
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
