// Golden test: the native model's loss and gradients against an independent PyTorch
// implementation of docs/model.md (scripts/torch_model.py, run in float64).
//
// Error metric, per tensor: rel(a, b) = max_i |a_i - b_i| / max(max_i |b_i|, TINY),
// a = native (fp32), b = PyTorch (fp64). The loss must agree within 1e-5 relative, every
// parameter's gradient within 1e-4.
//
// Needs /usr/bin/python3 with torch (Debian: apt-get install python3-torch; override
// with REGURGITATE_TORCH_PYTHON). Without it the tests are skipped, except under CI
// (process.env.CI set), where they fail: CI installs python3-torch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon, NativeModel, NativeModelConfig, NativePairs } from '../ts/src/native/types.js';
import { rng } from './helpers.js';
import { readSafetensors, type SafeTensorArray } from './helpers/safetensors.js';

const PYTHON = process.env.REGURGITATE_TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../scripts/torch_model.py', import.meta.url));
const LOSS_TOL = 1e-5;
const GRAD_TOL = 1e-4;
const TINY = 1e-30;

function probeTorch(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, sys; sys.stdout.write(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${PYTHON} could not be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (${(r.stderr || '').trim().split('\n').pop()})`;
  return null;
}

const torchMissing = probeTorch();

function loadAddon(): NativeAddon {
  // The addon built in this checkout (build/Release or prebuilds/).
  try {
    return createRequire(import.meta.url)('node-gyp-build')(process.cwd()) as NativeAddon;
  } catch (e) {
    throw new Error(`cannot load the native addon from ${process.cwd()} (build it: npm run build:native): ${(e as Error).message}`);
  }
}

function tinyConfig(activation: 'relu' | 'gelu'): NativeModelConfig {
  return {
    vocab_size: 50,
    d_model: 32,
    n_heads: 4,
    d_ff: 64,
    encoder_layers: 2,
    decoder_layers: 2,
    max_len: 32,
    dropout: 0.1, // train: false below, so dropout is off
    label_smoothing: 0.1,
    activation,
    ln_eps: 1e-5,
    pad_id: 0,
    bos_id: 1,
    eos_id: 2,
  };
}


interface Batch {
  src: number[][];
  tgt: number[][];
}

/** Pairs of varied lengths (so the batch is padded on both sides); ids avoid the specials. */
function makeBatch(seed: number, cfg: NativeModelConfig): Batch {
  const r = rng(seed);
  const id = () => 3 + Math.floor(r() * (cfg.vocab_size - 3));
  const lens: Array<[number, number]> = [[7, 5], [3, 9], [12, 2], [1, 1], [5, 12], [9, 6]];
  const src = lens.map(([s], i) => {
    const ids = Array.from({ length: s }, id);
    return i % 2 === 0 ? [...ids, cfg.eos_id] : ids; // src is passed as given, EOS or not
  });
  const tgt = lens.map(([, t]) => Array.from({ length: t }, id));
  return { src, tgt };
}

function toPairs(b: Batch): NativePairs {
  const pack = (seqs: number[][]) => {
    const offsets = new Int32Array(seqs.length + 1);
    seqs.forEach((s, i) => (offsets[i + 1] = offsets[i] + s.length));
    return { ids: Int32Array.from(seqs.flat()), offsets };
  };
  const s = pack(b.src);
  const t = pack(b.tgt);
  return { src: s.ids, srcOffsets: s.offsets, tgt: t.ids, tgtOffsets: t.offsets };
}

/** max|a-b| / max(max|b|, TINY), and where the worst element is. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; maxAbs: number; at: number } {
  let maxAbs = 0;
  let maxRef = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > maxAbs || Number.isNaN(d)) {
      maxAbs = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return { rel: maxAbs / Math.max(maxRef, TINY), maxAbs, at };
}

function asNumbers(a: SafeTensorArray, what: string): Float32Array | Float64Array {
  if (a instanceof Float32Array || a instanceof Float64Array) return a;
  throw new Error(`${what}: expected a float tensor`);
}

interface TorchGrads {
  loss: number;
  tokens: number;
  grads: Map<string, { shape: number[]; data: Float32Array | Float64Array }>;
}

/** Runs scripts/torch_model.py grads on a model directory and a batch. */
function torchGrads(modelDir: string, batch: Batch, work: string): TorchGrads {
  const batchPath = path.join(work, 'batch.json');
  const outPath = path.join(work, 'torch_grads.safetensors');
  writeFileSync(batchPath, JSON.stringify(batch));
  const r = spawnSync(PYTHON, [SCRIPT, 'grads', '--model', modelDir, '--batch', batchPath, '--out', outPath, '--double'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`torch_model.py grads failed (status ${r.status}): ${r.error?.message ?? ''}\n${r.stderr}`);
  }
  const file = readSafetensors(outPath);
  const lossT = file.tensors.get('loss');
  if (!lossT) throw new Error(`${outPath}: no 'loss' tensor`);
  const grads = new Map<string, { shape: number[]; data: Float32Array | Float64Array }>();
  for (const [name, t] of file.tensors) {
    if (name !== 'loss') grads.set(name, { shape: t.shape, data: asNumbers(t.data, name) });
  }
  return { loss: asNumbers(lossT.data, 'loss')[0], tokens: Number(file.metadata?.tokens ?? NaN), grads };
}

/** Compares native loss and gradients with PyTorch's; the message names the worst tensor. */
function compare(model: NativeModel, batch: Batch, modelDir: string, work: string, opts: { grads: boolean }): void {
  const native = model.lossAndGrads(toPairs(batch), { dropoutSeed: 1, step: 1, train: false });
  const ref = torchGrads(modelDir, batch, work);
  const labelTokens = batch.tgt.reduce((n, y) => n + y.length + 1, 0);
  expect(ref.tokens).toBe(labelTokens);
  expect(native.tokens).toBe(labelTokens);

  const lossRel = Math.abs(native.loss - ref.loss) / Math.max(Math.abs(ref.loss), TINY);
  expect(Number.isFinite(native.loss), `native loss ${native.loss}`).toBe(true);
  expect(lossRel, `loss: native ${native.loss} vs torch ${ref.loss} (rel ${lossRel.toExponential(2)})`).toBeLessThanOrEqual(LOSS_TOL);
  if (!opts.grads) return;

  const info = model.paramInfo();
  // Same tensors, same documented order, same shapes.
  expect(info.map((p) => p.name)).toEqual([...ref.grads.keys()]);
  expect(native.grads.length).toBe(model.getParams().length);
  const rows: Array<{ name: string; rel: number; maxAbs: number; at: number; a: number; b: number }> = [];
  for (const p of info) {
    const r = ref.grads.get(p.name)!;
    expect(p.shape, `shape of ${p.name}`).toEqual(r.shape);
    const n = p.shape.reduce((a, s) => a * s, 1);
    const g = native.grads.subarray(p.offset, p.offset + n);
    const e = relErr(g, r.data);
    rows.push({ name: p.name, ...e, a: g[Math.max(e.at, 0)], b: r.data[Math.max(e.at, 0)] });
  }
  rows.sort((x, y) => y.rel - x.rel);
  const worst = rows[0];
  const bad = rows.filter((x) => !(x.rel <= GRAD_TOL));
  const describeRow = (x: (typeof rows)[number]) =>
    `${x.name}: rel ${x.rel.toExponential(2)} (max abs ${x.maxAbs.toExponential(2)} at [${x.at}]: native ${x.a} vs torch ${x.b})`;
  console.info(`model_vs_torch: loss rel ${lossRel.toExponential(2)}; worst gradient ${describeRow(worst)}`);
  expect(
    bad.length,
    `${bad.length} of ${rows.length} gradients differ by more than ${GRAD_TOL} relative; worst ${describeRow(worst)}\n` +
      bad.slice(0, 10).map(describeRow).join('\n'),
  ).toBe(0);
}

/** Moves every parameter off its initial value (so layer-norm gains != 1, biases != 0). */
function perturb(model: NativeModel, seed: number): void {
  const r = rng(seed);
  const p = model.getParams();
  for (const t of model.paramInfo()) {
    const n = t.shape.reduce((a, s) => a * s, 1);
    for (let i = t.offset; i < t.offset + n; i++) p[i] += 0.1 * (2 * r() - 1);
  }
  model.setParams(p);
}

if (torchMissing && process.env.CI) {
  describe('model vs PyTorch', () => {
    it('has PyTorch available (required in CI)', () => {
      throw new Error(`${torchMissing}. CI must provide PyTorch for the golden tests: apt-get install python3-torch.`);
    });
  });
} else if (torchMissing) {
  console.warn(`model_vs_torch: skipped, ${torchMissing} (install python3-torch, or set REGURGITATE_TORCH_PYTHON)`);
  describe.skip(`model vs PyTorch (skipped: ${torchMissing})`, () => {
    it('compares loss and gradients', () => {});
  });
} else {
  describe('model vs PyTorch (scripts/torch_model.py)', () => {
    let addon: NativeAddon;
    let work: string;

    beforeAll(() => {
      work = mkdtempSync(path.join(tmpdir(), 'rg-vs-torch-'));
      addon = loadAddon();
      if (typeof addon.Model !== 'function') throw new Error('the native addon exports no Model class');
    });
    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    for (const activation of ['relu', 'gelu'] as const) {
      it(`loss and every gradient match (${activation}, native init, perturbed)`, () => {
        const cfg = tinyConfig(activation);
        const model = new addon.Model(JSON.stringify(cfg), 1234);
        perturb(model, activation === 'relu' ? 11 : 12);
        const dir = path.join(work, `native-${activation}`);
        model.save(dir);

        // The saved file holds exactly getParams(), under the documented names.
        const saved = readSafetensors(path.join(dir, 'model.safetensors'));
        const params = model.getParams();
        for (const p of model.paramInfo()) {
          expect(p.offset % 16, `${p.name} starts at a multiple of 16 floats`).toBe(0);
          const t = saved.tensors.get(p.name);
          expect(t, `model.safetensors has ${p.name}`).toBeDefined();
          expect(t!.shape).toEqual(p.shape);
          const n = p.shape.reduce((a, s) => a * s, 1);
          expect(relErr(asNumbers(t!.data, p.name), params.subarray(p.offset, p.offset + n)).maxAbs, p.name).toBe(0);
        }

        compare(model, makeBatch(activation === 'relu' ? 1 : 2, cfg), dir, work, { grads: true });
      });
    }

    it('starts from PyTorch-initialised weights (Model.load) and matches the loss and gradients', () => {
      const cfg = tinyConfig('relu');
      const dir = path.join(work, 'torch-init');
      const cfgPath = path.join(work, 'torch-init-config.json');
      writeFileSync(cfgPath, JSON.stringify(cfg));
      const r = spawnSync(PYTHON, [SCRIPT, 'init', '--config', cfgPath, '--seed', '5', '--out', dir], { encoding: 'utf8', timeout: 120_000 });
      if (r.error || r.status !== 0) throw new Error(`torch_model.py init failed (status ${r.status}): ${r.stderr}`);

      const model = addon.Model.load(dir);
      expect(model.config.vocab_size).toBe(cfg.vocab_size);
      expect(model.config.activation).toBe(cfg.activation);
      // The loaded parameters are exactly the file's.
      const file = readSafetensors(path.join(dir, 'model.safetensors'));
      const params = model.getParams();
      for (const p of model.paramInfo()) {
        const t = file.tensors.get(p.name)!;
        const n = p.shape.reduce((a, s) => a * s, 1);
        expect(relErr(params.subarray(p.offset, p.offset + n), asNumbers(t.data, p.name)).maxAbs, p.name).toBe(0);
      }
      compare(model, makeBatch(3, cfg), dir, work, { grads: true });
    });
  });
}
