#!/usr/bin/env node
// Our CUDA benchmarks, one JSON line per measurement (the PyTorch peers are
// scripts/bench_torch_cuda.py, run by scripts/device-run.sh on the same GPU in the same
// call; bench/RESULTS.md quotes the ratios).
//
//   node scripts/bench-cuda.mjs kernels   GEMM (4096^3 and the model's shapes), attention
//                                         forward/backward (T 64..512), row kernels
//   node scripts/bench-cuda.mjs train     Transformer-base training steps on the GPU
//   node scripts/bench-cuda.mjs decode    Transformer-base decoding: sentences/s, greedy and
//                                         beam 5, one batch of 64 sources of 30 tokens
//   node scripts/bench-cuda.mjs all
// Options: --iters N (default 20), --rows N (tokens at the model's GEMM shapes, 24576),
//          --gemm-path both|auto|mma|wgmma (kernels: which GEMM path to time for bf16;
//          default both (mma under REGURGITATE_GEMM=mma, and no wgmma self-check):
//          the mma.sync kernel and, forced, the Hopper wgmma kernel, each
//          line with `path` = the kernel that ran: a product wgmma refuses, e.g. split-K or
//          a non-sm_90 GPU, reports mma once),
//          --batch N, --src-len N, --tgt-len N (training batch: 96 x (128 + 128)), --steps N,
//          --d-model N, --layers N (Transformer-base: 512, 6; d_ff is 4 d_model)
//          decode: --batch N (64), --src-len N (30), --rounds N (3, the best is reported)
// RG_BENCH_DEVICES=cuda,cpu (train, decode): the devices to run on; cpu alone needs no
// GPU or CUDA module. REGURGITATE_PROFILE=1 adds the time per backend op (stderr).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const what = args[0] && !args[0].startsWith('--') ? args[0] : 'all';
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const iters = flag('iters', 20);
// REGURGITATE_GEMM=mma (device-run.sh sets it when its wgmma probe failed): by default
// neither the wgmma self-check nor a forced wgmma run, either of which could fault and leave
// this process's CUDA context unusable for every benchmark after it.
const wgmmaOff = process.env.REGURGITATE_GEMM === 'mma';
const gemmPathArg = (() => {
  const i = args.indexOf('--gemm-path');
  const v = i >= 0 ? args[i + 1] : wgmmaOff ? 'mma' : 'both';
  if (!['both', 'auto', 'mma', 'wgmma'].includes(v)) {
    process.stderr.write(`bench-cuda: --gemm-path must be both, auto, mma or wgmma, got ${v}\n`);
    process.exit(2);
  }
  return v;
})();
const rows = flag('rows', 24576);
const emit = (o) => process.stdout.write(JSON.stringify({ impl: 'regurgitate', ...o }) + '\n');
const note = (s) => process.stderr.write(`bench-cuda: ${s}\n`);

const benchDevices = (process.env.RG_BENCH_DEVICES ?? 'cuda').split(',');
const cpuOnly = (what === 'train' || what === 'decode') && benchDevices.every((d) => d === 'cpu');
const modPath = path.join(root, 'build', 'Release', 'regurgitate_cuda.node');
let cuda = null;
if (!cpuOnly) {
  if (!existsSync(modPath)) {
    note(`${modPath} is not built (bash scripts/build-cuda.sh)`);
    process.exit(2);
  }
  cuda = require(modPath);
  let devices;
  try {
    devices = cuda.devices();
  } catch (e) {
    note(e.message);
    process.exit(2);
  }
  emit({ bench: 'system', gpu: devices[0]?.name, capability: devices[0]?.computeCapability, version: cuda.version() });
}

// Every GEMM kind of a Transformer-base step (d 512, ff 2048, vocabulary 16,000), as the
// engine calls them: forward x W^T (NT), input gradient dY W (NN), weight gradient dY^T X (TN).
function modelShapes(r) {
  const d = 512, f = 2048, V = 16000;
  const out = [];
  for (const [o, i, name] of [[3 * d, d, 'qkv'], [d, d, 'out'], [f, d, 'fc1'], [d, f, 'fc2'], [V, d, 'logits']]) {
    out.push({ name: `fwd ${name}`, M: r, N: o, K: i, transA: false, transB: true, layout: 'NT' });
    out.push({ name: `dX ${name}`, M: r, N: i, K: o, transA: false, transB: false, layout: 'NN' });
    out.push({ name: `dW ${name}`, M: o, N: i, K: r, transA: true, transB: false, layout: 'TN' });
  }
  return out;
}

function safe(label, fn) {
  try {
    return fn();
  } catch (e) {
    note(`${label}: ${e.message}`);
    emit({ bench: 'error', what: label, error: e.message });
    return null;
  }
}

function benchKernels() {
  if (typeof cuda.gemmWgmmaStatus === 'function') {
    // The Hopper path's state (its self-check runs here on a compute capability 9.0 GPU).
    const st = safe('gemm wgmma status', () => cuda.gemmWgmmaStatus(!(wgmmaOff && gemmPathArg === 'mma')));
    if (st) emit({ bench: 'gemm-path', ...st });
  }
  if (typeof cuda.gemmBench === 'function') {
    const shapes = [{ name: 'square 4096', M: 4096, N: 4096, K: 4096, transA: false, transB: false, layout: 'NN' }, ...modelShapes(rows)];
    for (const s of shapes) {
      // bf16in: bf16 operands as cuBLAS gets them; bf16: our fp32 buffers rounded to bf16
      // on the way in (what training does); tf32 for reference at 4096^3 only.
      const precs = s.name === 'square 4096' ? ['bf16in', 'bf16', 'tf32'] : ['bf16in', 'bf16'];
      for (const precision of precs) {
        // The bf16 products on each path (tf32 has only the mma.sync kernel). Forced wgmma
        // first: when it refused the product (r.path 'mma'), that was the mma.sync run.
        const hasPath = typeof cuda.gemmWgmmaStatus === 'function';
        const paths = precision === 'tf32' || !hasPath ? [null] : gemmPathArg === 'both' ? ['wgmma', 'mma'] : [gemmPathArg];
        const seen = new Set();
        for (const path of paths) {
          if (path === 'mma' && seen.has('mma')) continue; // forced wgmma already ran mma.sync
          const label = `gemm ${s.name} ${precision}${path ? ` ${path}` : ''}`;
          const r = safe(label, () => cuda.gemmBench({ ...s, precision, iters, ...(path ? { path } : {}) }));
          if (!r) continue;
          const ran = r.path ?? 'mma';
          if (seen.has(ran)) continue;
          seen.add(ran);
          emit({ bench: 'gemm', name: s.name, M: s.M, N: s.N, K: s.K, layout: s.layout, precision, path: ran, ms: r.ms, tflops: r.tflops });
        }
      }
    }
  } else note('no gemmBench in the CUDA module');
  if (typeof cuda.attentionBench === 'function') {
    for (const T of [64, 128, 256, 512])
      for (const causal of [false, true])
        // bf16 with P and dS split into hi + lo (the default) and rounded to bf16 (split: false).
        for (const [bf16, split] of [[false, true], [true, true], [true, false]]) {
          const r = safe(`attention T ${T}`, () => cuda.attentionBench({ B: 32, H: 8, T, dh: 64, causal, iters, bf16, split }));
          if (r) emit({ bench: 'attention', B: 32, H: 8, T, dh: 64, causal, precision: bf16 ? (split ? 'bf16' : 'bf16-nosplit') : 'fp32', fwd_ms: r.fwdMs, bwd_ms: r.bwdMs, fwd_bwd_ms: r.fwdMs + r.bwdMs });
        }
  } else note('no attentionBench in the CUDA module');
  if (typeof cuda.rowsBench === 'function') {
    const r = safe('rows', () => cuda.rowsBench({ rows, cols: 512, V: 16000, iters }));
    if (r) emit({ bench: 'rows', rows, cols: 512, V: 16000, ...r });
  } else note('no rowsBench in the CUDA module');
}

async function benchTrain() {
  const { Transformer, Trainer } = await import(path.join(root, 'dist', 'index.js'));
  const B = flag('batch', 96), S = flag('src-len', 128), T = flag('tgt-len', 128);
  const steps = flag('steps', 10), warmup = 3;
  // Transformer-base by default; --d-model / --layers give the small models studies train
  // by the hundred, where per-op launch costs (and so CUDA graphs) matter most.
  const dModel = flag('d-model', 512), layers = flag('layers', 6);
  for (const device of benchDevices) {
    const model = Transformer.create(
      { vocabSize: 16000, dModel, nHeads: 8, dFF: 4 * dModel, encoderLayers: layers, decoderLayers: layers, maxLen: 256, dropout: 0.1, labelSmoothing: 0.1, activation: 'relu' },
      { seed: 1, device },
    );
    // S source ids incl. EOS; target input BOS + T-1 ids: one batch of exactly B pairs.
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) % 15997) + 3;
    const pairs = Array.from({ length: B }, () => ({ src: Int32Array.from({ length: S - 1 }, rnd), tgt: Int32Array.from({ length: T - 1 }, rnd) }));
    const tokens = B * (S + T);
    const trainer = new Trainer(model, { seed: 1, maxSteps: warmup + steps, maxSentences: B, maxTokens: 4 * tokens, lr: 1e-4, warmupSteps: 4000, progressEvery: 1, validEvery: 0 });
    let tWarm = NaN, tLast = NaN, first = NaN, last = NaN;
    const t0 = performance.now();
    let firstStepS = NaN;
    await trainer.fit(pairs, null, {
      onProgress: (p) => {
        if (p.step === 1) firstStepS = (performance.now() - t0) / 1000;
        if (Number.isNaN(first)) first = p.loss;
        last = p.loss;
        if (p.step === warmup) tWarm = p.elapsedSec;
        if (p.step === warmup + steps) tLast = p.elapsedSec;
      },
    });
    const stepMs = ((tLast - tWarm) / steps) * 1000;
    emit({ bench: 'train', device, d_model: dModel, layers, batch: B, src_len: S, tgt_len: T, tokens_per_step: tokens, step_ms: stepMs, tokens_per_s: (tokens / stepMs) * 1000, steps, warmup, loss_first: first, loss_last: last, first_step_s: firstStepS, params: model.numParams, graphs: model.graphStats() });
  }
}

// Decoding: the search on the host, the model and (greedy, beam up to 31) the per-row
// top-k, cache appends and beam reorders on the device. A random model almost never
// emits EOS, so every hypothesis runs to the length limit (src-len + 10 tokens): the
// work per sentence is fixed and the same on every device.
async function benchDecode() {
  const { Transformer } = await import(path.join(root, 'dist', 'index.js'));
  const B = flag('batch', 64), S = flag('src-len', 30), rounds = flag('rounds', 3);
  let x = 777;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) % 15997) + 3;
  const srcs = Array.from({ length: B }, () => Int32Array.from({ length: S }, rnd));
  for (const device of benchDevices) {
    const model = Transformer.create(
      { vocabSize: 16000, dModel: 512, nHeads: 8, dFF: 2048, encoderLayers: 6, decoderLayers: 6, maxLen: 256, dropout: 0.1, labelSmoothing: 0.1, activation: 'relu' },
      { seed: 1, device },
    );
    for (const [name, opts] of [['greedy', { method: 'greedy' }], ['beam 5', { method: 'beam', beamSize: 5, lengthPenalty: 0.6 }]]) {
      const options = { ...opts, maxLenA: 1, maxLenB: 10, batchSize: B };
      await model.translate(srcs.slice(0, Math.min(B, 8)), options); // warm-up: allocations, module load
      let best = Infinity, tokens = 0;
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const out = await model.translate(srcs, options);
        best = Math.min(best, (performance.now() - t0) / 1000);
        tokens = out.ids.reduce((n, h) => n + h.length + 1, 0); // + EOS
      }
      emit({ bench: 'decode', device, search: name, batch: B, src_len: S, seconds: best, sentences_per_s: B / best, out_tokens: tokens, out_tokens_per_s: tokens / best, rounds, graphs: model.graphStats().decode });
    }
  }
}

if (what === 'kernels' || what === 'all') benchKernels();
if (what === 'train' || what === 'all') await benchTrain();
if (what === 'decode' || what === 'all') await benchDecode();
