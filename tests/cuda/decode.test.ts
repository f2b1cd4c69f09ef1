// Decoding on the GPU: the seam's row ops (copy_rows, gather_rows, topk_rows) of the
// cuda:fp32 backend against the CPU backend's, exactly (they move or select values, so
// the same bits and the same indices, ties and NaN included), and greedy and beam search
// on cuda:fp32 against the CPU engine. The CPU entry points are checked everywhere
// against plain JavaScript references; the GPU tests skip with the reason without one.
import { describe, expect, it } from 'vitest';

import { rng } from '../helpers.js';
import { cpu, cuda, gpuTitle, HAS_DEVICE, sameBits, skewedTwins, values } from './device.js';

type F32 = Float32Array;
interface Topk {
  vals: F32;
  idx: Int32Array;
}

const CPU_FUNCS = ['copyRows', 'gatherRows', 'topkRows'];
const CUDA_FUNCS = ['copyRowsTest', 'gatherRowsTest', 'topkRowsTest'];
const TOPK_MAX = 64;

/** The top-k order: greater first, equal values by lower index, NaN last (by index). */
function before(a: number, ia: number, b: number, ib: number): boolean {
  if (Number.isNaN(b)) return !Number.isNaN(a) || ia < ib;
  if (Number.isNaN(a)) return false;
  return a > b || (a === b && ia < ib);
}

function topkRef(x: F32, R: number, V: number, k: number): Topk {
  const vals = new Float32Array(R * k), idx = new Int32Array(R * k);
  for (let r = 0; r < R; ++r) {
    const ids = Array.from({ length: V }, (_, v) => v);
    const row = x.subarray(r * V, (r + 1) * V);
    ids.sort((a, b) => (before(row[a], a, row[b], b) ? -1 : before(row[b], b, row[a], a) ? 1 : 0));
    for (let j = 0; j < k; ++j) {
      vals[r * k + j] = row[ids[j]];
      idx[r * k + j] = ids[j];
    }
  }
  return { vals, idx };
}

/**
 * R x V log-probability-like rows full of ties: values from a small set, some -inf,
 * NaN, -0 and +0, and rows that are all -inf or all equal.
 */
function tiedRows(R: number, V: number, seed: number): F32 {
  const r = rng(seed);
  const x = new Float32Array(R * V);
  const pool = [-1.5, -2.25, -3, -0.5, -7.125, 0, -0, -Infinity];
  for (let i = 0; i < x.length; ++i) {
    const u = r();
    x[i] = u < 0.6 ? pool[Math.floor(r() * pool.length)] : u < 0.62 ? NaN : -10 * r();
  }
  if (R > 1) x.fill(-Infinity, 0, V); // row 0: nothing finite
  if (R > 2) x.fill(-2.5, V, 2 * V); // row 1: one value everywhere
  if (R > 3) x.fill(NaN, 2 * V, 3 * V); // row 2: NaN everywhere
  return x;
}

function expectTopk(got: Topk, want: Topk, where: string): void {
  expect(sameBits(got.vals, want.vals), `${where}: values differ`).toBe(true);
  expect(Array.from(got.idx), `${where}: indices differ`).toEqual(Array.from(want.idx));
}

/** dst with rows copied, in JavaScript (pitches and lengths in floats). */
function gatherRef(dst: F32, dp: number, src: F32, sp: number, len: number, idx: Int32Array, rows: number): F32 {
  const out = Float32Array.from(dst);
  for (let r = 0; r < rows; ++r) out.set(src.subarray(idx[r] * sp, idx[r] * sp + len), r * dp);
  return out;
}

const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const nans = (n: number) => new Float32Array(n).fill(NaN);

describe('decoding row ops: CPU entry points (no GPU needed)', () => {
  it('the CPU addon exports every decoding row op the GPU tests compare against', () => {
    for (const f of CPU_FUNCS) expect(typeof cpu[f], f).toBe('function');
  });

  it('topkRows equals a sorted reference: ties to the lower index, -inf, NaN last, -0 == +0', () => {
    for (const [R, V] of [[1, 1], [5, 3], [6, 40], [4, 700]]) {
      const x = tiedRows(R, V, R * 13 + V);
      for (const k of [1, 2, 3, 12, Math.min(V, TOPK_MAX)]) {
        if (k > V) continue;
        expectTopk(cpu.topkRows(x, R, V, k), topkRef(x, R, V, k), `R=${R} V=${V} k=${k}`);
      }
    }
    // -0 and +0 tie: the lower index first, each keeping its sign.
    const t = cpu.topkRows(new Float32Array([-0, 0, -1]), 1, 3, 2) as Topk;
    expect(Array.from(t.idx)).toEqual([0, 1]);
    expect(Object.is(t.vals[0], -0)).toBe(true);
  });

  it('topkRows rejects k outside [1, min(V, 64)]', () => {
    expect(() => cpu.topkRows(new Float32Array(100), 1, 100, 65)).toThrow(/k must be in \[1, min\(V, 64\)\]/);
    expect(() => cpu.topkRows(new Float32Array(4), 1, 4, 5)).toThrow(/k must be in/);
  });

  it('copyRows and gatherRows (out of place and in place) equal the JavaScript reference', () => {
    const src = values(7 * 9, 1, -1, 1);
    expect(Array.from(cpu.copyRows(nans(5 * 6), 6, src, 9, 4, 5))).toEqual(Array.from(gatherRef(nans(5 * 6), 6, src, 9, 4, iota(5), 5)));
    const idx = Int32Array.from([6, 0, 0, 3, 2]);
    expect(Array.from(cpu.gatherRows(nans(5 * 6), 6, src, 9, 5, idx, 5))).toEqual(Array.from(gatherRef(nans(5 * 6), 6, src, 9, 5, idx, 5)));
    // In place: every row read before any is written (a permutation with a cycle, a copy).
    const buf = values(6 * 8, 2, -1, 1);
    const perm = Int32Array.from([1, 2, 0, 3, 3, 5]);
    expect(Array.from(cpu.gatherRows(buf, 8, null, 8, 7, perm, 6))).toEqual(Array.from(gatherRef(buf, 8, Float32Array.from(buf), 8, 7, perm, 6)));
  });

  it.skipIf(!cuda)(cuda ? 'the CUDA module exports every decoding test entry point' : 'the CUDA module exports the decoding entry points (skipped: module not loaded)', () => {
    for (const f of CUDA_FUNCS) expect(typeof cuda[f], f).toBe('function');
  });

  const noGpu = cuda !== null && !HAS_DEVICE;
  it.skipIf(!noGpu)(noGpu ? 'without a GPU the decoding entry points throw "CUDA unavailable"' : 'without a GPU the decoding entry points throw (skipped: a GPU is present or the module is not loaded)', () => {
    expect(() => cuda.topkRowsTest(new Float32Array(4), 1, 4, 1)).toThrow(/CUDA unavailable: /);
    expect(() => cuda.gatherRowsTest(new Float32Array(4), 4, null, 4, 4, new Int32Array([0]), 1)).toThrow(/CUDA unavailable: /);
  });
});

describe('decoding row ops: CUDA vs CPU (exact)', () => {
  it.skipIf(!HAS_DEVICE)(gpuTitle('copyRows: KV-cache appends, a column (rowLen 1), odd pitches, 0 rows'), () => {
    // [rows, srcPitch, dstPitch, rowLen]: decoding's cache append (3d -> T*d), the EOS
    // column (V -> 1), 16-byte-unaligned pitches, a single row, none.
    for (const [rows, sp, dp, len] of [[320, 3 * 512, 40 * 512, 512], [320, 16000, 1, 1], [37, 13, 11, 7], [1, 5, 5, 5], [0, 4, 4, 4]]) {
      const where = `rows=${rows} srcPitch=${sp} dstPitch=${dp} rowLen=${len}`;
      const src = values(Math.max(1, rows * sp), rows + sp, -1, 1);
      const dst = nans(Math.max(1, rows * dp));
      const c = cpu.copyRows(dst, dp, src, sp, len, rows) as F32;
      expect(sameBits(cuda.copyRowsTest(dst, dp, src, sp, len, rows), c), where).toBe(true);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('gatherRows: out of place (cross-attention fill), in place (beam reorder), identity, repeats, odd sizes'), () => {
    const r = rng(5);
    for (const [rows, pitch, len] of [[320, 40 * 512, 7 * 512], [64, 2 * 512 * 30, 2 * 512 * 30], [37, 13, 11], [5, 3, 1], [1, 8, 8]]) {
      const srcRows = Math.max(1, Math.floor(rows / 5));
      const src = values(srcRows * pitch, rows + pitch, -1, 1);
      const spread = Int32Array.from({ length: rows }, (_, i) => Math.floor(i / Math.max(1, Math.floor(rows / srcRows))) % srcRows);
      const dst = nans(rows * pitch);
      const where = `rows=${rows} pitch=${pitch} rowLen=${len}`;
      expect(sameBits(cuda.gatherRowsTest(dst, pitch, src, pitch, len, spread, rows), cpu.gatherRows(dst, pitch, src, pitch, len, spread, rows)), `${where} out of place`).toBe(true);
      // In place: beams taking other beams' histories (repeats, cycles, rows that stay).
      const buf = values(rows * pitch, rows * 3 + pitch, -1, 1);
      const beam = Int32Array.from({ length: rows }, (_, i) => (r() < 0.3 ? i : Math.floor(r() * rows)));
      for (const [name, idx] of [['beam', beam], ['identity', iota(rows)], ['reverse', iota(rows).reverse()]] as const) {
        const c = cpu.gatherRows(buf, pitch, null, pitch, len, idx, rows) as F32;
        expect(sameBits(c, gatherRef(buf, pitch, Float32Array.from(buf), pitch, len, idx, rows)), `${where} ${name}: CPU in place`).toBe(true);
        expect(sameBits(cuda.gatherRowsTest(buf, pitch, null, pitch, len, idx, rows), c), `${where} ${name}: in place`).toBe(true);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('topkRows: ties, -inf and NaN rows, k = 1 .. 64 and k = V, V from 1 to 16000'), () => {
    for (const [R, V] of [[1, 1], [3, 5], [7, 40], [5, 255], [9, 257], [320, 16000], [2, 100000]]) {
      const tied = tiedRows(R, V, R + V);
      const smooth = values(R * V, R * 7 + V, -12, 0);
      for (const k of [1, 3, 4, 5, 12, 16, 17, 33, 64, V]) {
        if (k > V || k > TOPK_MAX) continue;
        for (const [name, x] of [['tied', tied], ['smooth', smooth]] as const) {
          const where = `R=${R} V=${V} k=${k} ${name}`;
          expectTopk(cuda.topkRowsTest(x, R, V, k), cpu.topkRows(x, R, V, k), where);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('topkRows rejects k above 64 as the CPU does'), () => {
    expect(() => cuda.topkRowsTest(new Float32Array(100), 1, 100, 65)).toThrow(/k must be in \[1, min\(V, 64\)\]/);
  });
});

describe('decoding on cuda:fp32 against the CPU engine', () => {
  // V 300 (a top-k over more than one thread's slice per row), pad and bos made likely so
  // the search must skip them in the top-k prefix.
  const CONFIG = { vocabSize: 300, dModel: 64, nHeads: 4, dFF: 128, encoderLayers: 2, decoderLayers: 2, maxLen: 48, dropout: 0, labelSmoothing: 0.1 };

  it.skipIf(!HAS_DEVICE)(gpuTitle('greedy, beam 4 and 5 (top-k path) and beam 32 (full rows) give the CPU\'s hypotheses'), async () => {
    const { cpuModel, gpuModel } = skewedTwins(CONFIG, 4);
    const r = rng(17);
    const srcs = Array.from({ length: 40 }, () => Int32Array.from({ length: 1 + Math.floor(r() * 14) }, () => 3 + Math.floor(r() * (CONFIG.vocabSize - 3))));
    for (const options of [{ beamSize: 1 }, { beamSize: 4 }, { beamSize: 5, lengthPenalty: 1 }, { beamSize: 32 }]) {
      const a = await cpuModel.translate(srcs, options);
      const b = await gpuModel.translate(srcs, options);
      let same = 0;
      for (let i = 0; i < srcs.length; i++) {
        if (JSON.stringify(a.ids[i]) !== JSON.stringify(b.ids[i])) continue;
        same++;
        expect(Math.abs(b.logprobs[i] - a.logprobs[i]), `beam ${options.beamSize} sentence ${i}: logprob`).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.logprobs[i])));
      }
      // fp32 GEMMs sum in another order than the CPU's: a near tie may go the other way.
      expect(same, `beam ${options.beamSize}: identical hypotheses`).toBeGreaterThanOrEqual(38);
    }
  });
});
