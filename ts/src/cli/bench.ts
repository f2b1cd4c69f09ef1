// `regurgitate bench gemm|train`: speed, as JSON lines a script can compare.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { native, nativeExport, packageRoot } from '../native/load.js';
import { wrapNative } from '../common/errors.js';
import { Transformer } from '../engine/transformer.js';
import { Trainer } from '../engine/trainer.js';
import type { Pair } from '../engine/pairs.js';
import { parseCommand, helpText, UsageError, type CommandSpec } from './args.js';
import { mulberry32, out, randInt, err } from './util.js';
import { ProgressBar } from './progress.js';

export const spec: CommandSpec = {
  name: 'bench',
  args: '<gemm|train>',
  summary: 'Benchmarks. `bench gemm`: GFLOP/s of the optimized GEMM per size. `bench train`: training throughput of the reference model.',
  flags: [],
  positionals: true,
  details: "See 'regurgitate bench gemm --help' and 'regurgitate bench train --help'.",
};

const threadsFlag = { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (0 = one per hardware thread)' } as const;

export const gemmSpec: CommandSpec = {
  name: 'bench gemm',
  summary: 'Times the optimized fp32 GEMM C = A B for square sizes; one line per size {op, m, n, k, gflops, seconds, isa, threads}.',
  flags: [
    { name: 'sizes', type: 'intlist', value: 'LIST', min: 1, max: 16384, default: [256, 512, 1024, 2048], description: 'comma-separated sizes (M = N = K)' },
    { name: 'iters', type: 'int', value: 'N', min: 1, max: 100000, description: 'timed repetitions per size, best kept (default: more for small sizes)' },
    threadsFlag,
    { name: 'json', type: 'boolean', description: 'print JSON lines' },
    { name: 'peer', type: 'boolean', description: 'also run scripts/bench_gemm_openblas.py (OpenBLAS via numpy) and print ratios' },
  ],
};

export const trainSpec: CommandSpec = {
  name: 'bench train',
  summary:
    'Training throughput of the reference model (vocab 8000, d 256, 3+3 layers, 4 heads, ff 1024, dropout 0.1) on one synthetic batch of 256 pairs, source and target length 32.',
  flags: [
    { name: 'steps', type: 'int', value: 'N', min: 1, max: 1000000, default: 10, description: 'timed optimizer steps' },
    { name: 'warmup', type: 'int', value: 'N', min: 0, max: 1000000, default: 2, description: 'untimed steps first' },
    threadsFlag,
    { name: 'seed', type: 'int', value: 'N', min: 0, default: 1, description: 'seed of the weights and the data' },
    { name: 'json', type: 'boolean', description: 'print one JSON line' },
  ],
  details: 'tokens_per_s counts source tokens (incl. EOS) and target input tokens (incl. BOS) per step: 256 x (32 + 32) = 16384.',
};

function defaultIters(n: number): number {
  if (n <= 256) return 50;
  if (n <= 512) return 20;
  if (n <= 1024) return 8;
  return 3;
}

interface PeerResult {
  gflops: Map<number, number>;
  error?: string;
  impl?: string;
}

/** Runs the OpenBLAS peer; expects JSON lines carrying {m, n, k, gflops}. */
function runPeer(sizes: number[], threads: number | undefined): PeerResult {
  const script = join(packageRoot(), 'scripts', 'bench_gemm_openblas.py');
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const gflops = new Map<number, number>();
  if (!existsSync(script)) return { gflops, error: `peer skipped: ${script} does not exist` };
  const args = [script, '--sizes', sizes.join(',')];
  if (threads !== undefined && threads > 0) args.push('--threads', String(threads));
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { gflops, error: `peer failed to start: ${r.error.message}` };
  let impl: string | undefined;
  for (const line of (r.stdout ?? '').split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const o = JSON.parse(t) as Record<string, unknown>;
      const m = Number(o.m ?? o.size);
      const square = (o.n === undefined || o.n === m) && (o.k === undefined || o.k === m) && !o.transA && !o.transB;
      if (Number.isFinite(m) && square && typeof o.gflops === 'number') gflops.set(m, o.gflops);
      if (typeof o.impl === 'string') impl = o.impl;
      else if (typeof o.peer === 'string') impl = o.peer;
    } catch {
      // not a result line
    }
  }
  if (r.status !== 0) return { gflops, impl, error: `peer exited with status ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}` };
  if (gflops.size === 0) return { gflops, impl, error: 'peer printed no JSON lines with {m, gflops}' };
  return { gflops, impl };
}

async function benchGemm(argv: string[]): Promise<number> {
  const a = parseCommand(gemmSpec, argv);
  if (!a) return 0;
  const addon = native();
  const benchGemmFn = nativeExport('benchGemm');
  const threads = a.flags.threads as number | undefined;
  if (threads !== undefined) addon.setThreads(threads);
  const nthreads = addon.systemInfo().threads;
  const sizes = a.flags.sizes as number[];
  const json = Boolean(a.flags.json);
  const peer = a.flags.peer ? runPeer(sizes, nthreads) : undefined;
  if (peer?.error) {
    if (json) out(JSON.stringify({ op: 'gemm-peer', impl: peer.impl ?? 'openblas', error: peer.error }));
    else err(peer.error);
  }
  if (!json) out(['size', 'GFLOP/s', 'ms', 'isa', 'threads', ...(peer ? ['peer GFLOP/s', 'ratio'] : [])].map((s) => s.padStart(14)).join(''));
  for (const n of sizes) {
    const iters = (a.flags.iters as number | undefined) ?? defaultIters(n);
    const r = wrapNative(() => benchGemmFn(n, n, n, iters));
    const row: Record<string, unknown> = { op: 'gemm', m: n, n, k: n, gflops: r.gflops, seconds: r.seconds, iters, isa: r.isa, threads: nthreads };
    const pg = peer?.gflops.get(n);
    if (pg !== undefined) {
      row.peer = peer?.impl ?? 'openblas';
      row.peer_gflops = pg;
      row.ratio = r.gflops / pg;
    }
    if (json) out(JSON.stringify(row));
    else {
      const cells = [String(n), r.gflops.toFixed(1), (r.seconds * 1000).toFixed(2), r.isa, String(nthreads)];
      if (peer) cells.push(pg !== undefined ? pg.toFixed(1) : '-', pg !== undefined ? (r.gflops / pg).toFixed(2) : '-');
      out(cells.map((s) => s.padStart(14)).join(''));
    }
  }
  return 0;
}

/** The benchmark data: 256 pairs, source 31 ids + EOS, target 31 ids (+ EOS label). */
export function benchPairs(seed: number, n = 256, len = 31, vocab = 8000): Pair[] {
  const rng = mulberry32(seed);
  const sent = () => Int32Array.from({ length: len }, () => randInt(rng, 3, vocab));
  return Array.from({ length: n }, () => ({ src: sent(), tgt: sent() }));
}

async function benchTrain(argv: string[]): Promise<number> {
  const a = parseCommand(trainSpec, argv);
  if (!a) return 0;
  const addon = native();
  const threads = a.flags.threads as number | undefined;
  if (threads !== undefined) addon.setThreads(threads);
  const info = addon.systemInfo();
  const steps = a.flags.steps as number;
  const warmup = a.flags.warmup as number;
  const seed = a.flags.seed as number;
  const json = Boolean(a.flags.json);
  const pairsN = 256;
  const srcLen = 32; // 31 ids + EOS
  const tgtLen = 32; // BOS + 31 ids as input; 31 ids + EOS as labels
  const model = Transformer.create(
    { vocabSize: 8000, dModel: 256, encoderLayers: 3, decoderLayers: 3, nHeads: 4, dFF: 1024, dropout: 0.1 },
    { seed },
  );
  const data = benchPairs(seed, pairsN, 31);
  const tokensPerStep = pairsN * (srcLen + tgtLen);
  const trainer = new Trainer(model, {
    seed,
    maxSteps: warmup + steps,
    // One batch = all 256 pairs: the sentence cap binds, the token cap (2x the need) does not.
    maxSentences: pairsN,
    maxTokens: 2 * tokensPerStep,
    lr: 5e-4,
    warmupSteps: 4000,
    progressEvery: 1,
    validEvery: 0,
  });
  const bar = json ? undefined : new ProgressBar({ total: warmup + steps, label: 'bench train' });
  let tWarm = warmup === 0 ? 0 : NaN;
  let tLast = NaN;
  let firstLoss = NaN;
  let lastLoss = NaN;
  let nativeTps = NaN;
  const result = await trainer.fit(data, null, {
    onProgress: (p) => {
      if (Number.isNaN(firstLoss)) firstLoss = p.loss;
      lastLoss = p.loss;
      if (p.step === warmup) tWarm = p.elapsedSec;
      if (p.step === warmup + steps) {
        tLast = p.elapsedSec;
        nativeTps = p.tokensPerSec;
      }
      bar?.update(p.step, { loss: p.loss, tokensPerSec: p.tokensPerSec });
    },
  });
  bar?.done();
  if (Number.isNaN(tLast)) tLast = result.seconds;
  const stepS = (tLast - tWarm) / steps;
  const row = {
    op: 'train',
    tokens_per_s: tokensPerStep / stepS,
    step_s: stepS,
    steps,
    warmup_steps: warmup,
    tokens_per_step: tokensPerStep,
    batch_pairs: pairsN,
    src_len: srcLen,
    tgt_len: tgtLen,
    params: model.numParams,
    loss_first: firstLoss,
    loss_last: Number.isNaN(lastLoss) ? result.lastLoss : lastLoss,
    native_tokens_per_s: nativeTps,
    isa: info.isa,
    threads: info.threads,
    model: { vocab: 8000, d_model: 256, layers: '3+3', heads: 4, d_ff: 1024, dropout: 0.1 },
  };
  if (json) out(JSON.stringify(row));
  else {
    out(`reference model: ${row.params.toLocaleString('en-US')} parameters, batch ${pairsN} pairs x (${srcLen} + ${tgtLen}) tokens, ${info.isa}, ${info.threads} threads`);
    out(`${steps} timed steps after ${warmup} warm-up: ${(stepS * 1000).toFixed(1)} ms/step, ${Math.round(row.tokens_per_s).toLocaleString('en-US')} tokens/s; loss ${row.loss_first.toFixed(3)} -> ${row.loss_last.toFixed(3)}`);
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'gemm') return benchGemm(argv.slice(1));
  if (sub === 'train') return benchTrain(argv.slice(1));
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(helpText(spec));
    return 0;
  }
  if (sub === undefined) throw new UsageError('bench', 'missing benchmark: choose gemm or train');
  throw new UsageError('bench', `unknown benchmark '${sub}' (choose gemm or train)`);
}
