// Sampling on the backend (Backend::sample_rows): the CPU addon's sampleRows against a
// plain JavaScript reference of the draw (everywhere), the cuda:fp32 backend's against
// the CPU's on the same rows, and sampling decoding on cuda:fp32 against the CPU engine.
// Tokens may differ only where the draw lies within a relative 1e-9 of a boundary (the
// backends sum in different orders); the reference finds those rows and leaves them out.
import { describe, expect, it } from 'vitest';

import { rng } from '../helpers.js';
import { cpu, cuda, gpuTitle, HAS_DEVICE, sameBits, skewedTwins } from './device.js';

type F32 = Float32Array;
interface Params {
  temperature: number;
  topK: number;
  topP: number;
  fallback: number;
  excluded: number[];
}
interface Drawn {
  tokens: Int32Array;
  lp: F32;
}

/** Rows whose draw lies this close (relative to the total mass) to a boundary may differ. */
const NEAR = 1e-9;
const EXCLUDED = [0, 1]; // pad and bos, as decoding passes them
const EOS = 2;

const SETTINGS: Params[] = [
  { temperature: 1, topK: 0, topP: 1 },
  { temperature: 0.7, topK: 0, topP: 0.9 },
  { temperature: 1.5, topK: 5, topP: 1 },
  { temperature: 1, topK: 40, topP: 0.55 },
  { temperature: 0.05, topK: 0, topP: 0.95 }, // most weights underflow to 0
  { temperature: 1, topK: 1, topP: 1 }, // the greedy token
  { temperature: 2, topK: 3, topP: 0.01 }, // top-p keeps only the best
  { temperature: 1, topK: 1 << 20, topP: 0.999 }, // top-k above the candidates: all
].map((s) => ({ ...s, fallback: EOS, excluded: EXCLUDED }));

/**
 * The draw, written plainly: candidates (finite, not excluded), top-k by log-prob (ties
 * to the lower id), weights exp((lp - max) / T), top-p prefix best first, then the first
 * id (in id order) whose cumulative weight exceeds u * total. margin: the smallest
 * distance, relative to the total, between u * total or top_p * total and a cumulative
 * sum (Infinity when nothing is drawn).
 */
function sampleRef(row: F32, p: Params, u: number): { token: number; margin: number } {
  if (!(u >= 0)) return { token: p.fallback, margin: Infinity };
  let cand: number[] = [];
  for (let v = 0; v < row.length; v++) if (Number.isFinite(row[v]) && !p.excluded.includes(v)) cand.push(v);
  if (cand.length === 0) return { token: p.fallback, margin: Infinity };
  const better = (a: number, b: number) => row[a] > row[b] || (row[a] === row[b] && a < b);
  const bestFirst = (a: number, b: number) => (better(a, b) ? -1 : better(b, a) ? 1 : 0);
  const byId = (a: number, b: number) => a - b;
  if (p.topK > 0 && p.topK < cand.length) cand = cand.sort(bestFirst).slice(0, p.topK).sort(byId);
  let mx = -Infinity;
  for (const v of cand) mx = Math.max(mx, row[v]);
  const invT = 1 / Math.fround(p.temperature);
  const w = (v: number) => Math.exp((row[v] - mx) * invT);
  const sum = (ids: number[]) => ids.reduce((s, v) => s + w(v), 0);
  let total = sum(cand);
  let margin = Infinity;
  const topP = Math.fround(p.topP);
  if (topP < 1) {
    const need = topP * total;
    const best = [...cand].sort(bestFirst);
    let cum = 0, keep = best.length;
    for (let i = 0; i < best.length; i++) {
      cum += w(best[i]);
      margin = Math.min(margin, Math.abs(cum - need) / total);
      if (cum >= need) {
        keep = i + 1;
        break;
      }
    }
    cand = best.slice(0, keep).sort(byId);
    total = sum(cand);
  }
  const target = Math.fround(u) * total;
  let cum = 0, token = -1;
  for (const v of cand) {
    cum += w(v);
    margin = Math.min(margin, Math.abs(cum - target) / total);
    if (token < 0 && target < cum) token = v;
  }
  return { token: token < 0 ? cand[cand.length - 1] : token, margin };
}

/**
 * R x V rows of every kind a draw meets: log-softmax-like rows, rows full of ties (-0 and
 * +0, -inf, NaN, +inf), peaked rows, rows whose best ids are the excluded ones, and rows
 * with no candidate (all -inf, all NaN, only excluded ids finite) or one value everywhere.
 */
function rows(R: number, V: number, seed: number): F32 {
  const r = rng(seed);
  const x = new Float32Array(R * V);
  const pool = [-1.5, -2.25, -3, -0.5, -7.125, 0, -0, -Infinity];
  for (let i = 0; i < R; i++) {
    const row = x.subarray(i * V, (i + 1) * V);
    const kind = i < 4 && R > 8 ? i : 4 + Math.floor(r() * 4);
    if (kind === 0) row.fill(-Infinity);
    else if (kind === 1) row.fill(NaN);
    else if (kind === 2) {
      row.fill(-Infinity);
      for (const e of EXCLUDED) if (e < V) row[e] = -0.1;
    } else if (kind === 3) row.fill(-2.5);
    else if (kind === 4) {
      // log-softmax of random logits
      let m = -Infinity, s = 0;
      for (let v = 0; v < V; v++) m = Math.max(m, (row[v] = 4 * r() * r()));
      for (let v = 0; v < V; v++) s += Math.exp(row[v] - m);
      for (let v = 0; v < V; v++) row[v] = row[v] - m - Math.log(s);
    } else if (kind === 5) {
      for (let v = 0; v < V; v++) {
        const t = r();
        row[v] = t < 0.7 ? pool[Math.floor(r() * pool.length)] : t < 0.72 ? NaN : t < 0.73 ? Infinity : -10 * r();
      }
    } else if (kind === 6) {
      for (let v = 0; v < V; v++) row[v] = -5 - 15 * r();
      row[Math.floor(r() * V)] = -0.01;
    } else {
      for (let v = 0; v < V; v++) row[v] = -3 - 5 * r();
      for (const e of EXCLUDED) if (e < V) row[e] = 0;
    }
  }
  return x;
}

/** One uniform per row on fp32's 24-bit grid (as uniform_at), some -1 (no draw), 0 and the top. */
function uniforms(R: number, seed: number): F32 {
  const r = rng(seed);
  const u = Float32Array.from({ length: R }, () => Math.floor(r() * 16777216) / 16777216);
  if (R > 5) u[5] = -1;
  if (R > 6) u[6] = 0;
  if (R > 7) u[7] = 1 - 2 ** -24;
  return u;
}

/** Checks `got` against the reference (or `want`): equal tokens except near boundaries. */
function expectDraws(got: Drawn, x: F32, R: number, V: number, p: Params, u: F32, where: string, want?: Drawn): number {
  let near = 0;
  for (let i = 0; i < R; i++) {
    const row = x.subarray(i * V, (i + 1) * V);
    const ref = sampleRef(row, p, u[i]);
    const expected = want ? want.tokens[i] : ref.token;
    if (ref.margin < NEAR) {
      near++;
      continue;
    }
    expect(got.tokens[i], `${where} row ${i}: token`).toBe(expected);
    expect(sameBits(got.lp.subarray(i, i + 1), row.subarray(expected, expected + 1)), `${where} row ${i}: log-prob`).toBe(true);
  }
  return near;
}

const SHAPES_CPU: [number, number][] = [[1, 1], [9, 2], [48, 300], [6, 16000]];

/** p for a vocabulary of V: tiny ones exclude only id 0 (if it is not the last) and fall back to V - 1. */
function fit(p: Params, V: number): Params {
  return V > 3 ? p : { ...p, fallback: V - 1, excluded: V > 1 ? [0] : [] };
}

describe('sampling draws: CPU entry point against a JavaScript reference (no GPU needed)', () => {
  it('the CPU addon exports sampleRows', () => {
    expect(typeof cpu.sampleRows).toBe('function');
  });

  it('sampleRows equals the reference: temperature, top-k, top-p, ties, -inf/NaN/+inf, excluded ids, empty rows', () => {
    let rowsChecked = 0, near = 0;
    for (const [R, V] of SHAPES_CPU) {
      const x = rows(R, V, R * 31 + V);
      const u = uniforms(R, R + V);
      for (const p of SETTINGS.map((q) => fit(q, V))) {
        const where = `R=${R} V=${V} ${JSON.stringify(p)}`;
        near += expectDraws(cpu.sampleRows(x, R, V, p, u), x, R, V, p, u, where);
        rowsChecked += R;
      }
    }
    expect(near, 'rows left out as near a boundary').toBeLessThanOrEqual(rowsChecked / 50);
  });

  it('rows with no candidate, or no draw (u < 0 or NaN), give the fallback and its log-prob', () => {
    const V = 5;
    const x = Float32Array.from([
      -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, // no finite entry
      -1, -2, NaN, Infinity, -Infinity, // only excluded ids finite
      -1, -2, -3, -4, -5, // u < 0: no draw
      -1, -2, -3, -4, -5, // u NaN: no draw
    ]);
    const u = Float32Array.from([0.5, 0.5, -1, NaN]);
    const p = { temperature: 1, topK: 0, topP: 1, fallback: 3, excluded: [0, 1] };
    const got = cpu.sampleRows(x, 4, V, p, u) as Drawn;
    expect(Array.from(got.tokens)).toEqual([3, 3, 3, 3]);
    expect(Array.from(got.lp)).toEqual([-Infinity, Infinity, -4, -4]);
  });

  it('top-k 1 and top-p near 0 take the best candidate, ties to the lower id, -0 == +0', () => {
    const x = Float32Array.from([5, 5, -0, 0, -1, 0]); // ids 0, 1 excluded
    const u = Float32Array.from([0.999]);
    for (const [topK, topP] of [[1, 1], [0, 1e-6], [2, 1e-6]]) {
      const got = cpu.sampleRows(x, 1, 6, { temperature: 1, topK, topP, fallback: 2, excluded: [0, 1] }, u) as Drawn;
      expect(got.tokens[0], `topK ${topK} topP ${topP}`).toBe(2);
      expect(Object.is(got.lp[0], -0)).toBe(true);
    }
  });

  it('sampleRows rejects bad parameters with EINVAL', () => {
    const x = new Float32Array(10), u = new Float32Array(2);
    const base = { temperature: 1, topK: 0, topP: 1, fallback: 2, excluded: [0, 1] };
    const bad: [Partial<Params>, RegExp][] = [
      [{ temperature: 0 }, /sample_rows: temperature must be a finite number > 0/],
      [{ temperature: Infinity }, /temperature must be a finite number > 0/],
      [{ topK: -1 }, /top_k must be >= 0/],
      [{ topP: 0 }, /top_p must be in \(0, 1\]/],
      [{ topP: 1.5 }, /top_p must be in \(0, 1\]/],
      [{ fallback: 5 }, /fallback must be a token id in \[0, V\)/],
      [{ excluded: [0, 7] }, /excluded ids must lie in \[0, V\)/],
      [{ excluded: [0, 1, 2, 3, 4] }, /excluded holds at most 4 ids/],
    ];
    for (const [o, re] of bad) {
      let err: unknown;
      try {
        cpu.sampleRows(x, 2, 5, { ...base, ...o }, u);
      } catch (e) {
        err = e;
      }
      expect(String(err), JSON.stringify(o)).toMatch(re);
      expect((err as { code?: string }).code, JSON.stringify(o)).toBe('EINVAL');
    }
    expect(() => cpu.sampleRows(x, 2, 5, base, new Float32Array(3))).toThrow(/u must have R elements/);
  });

  it.skipIf(!cuda)(cuda ? 'the CUDA module exports sampleRowsTest' : 'the CUDA module exports sampleRowsTest (skipped: module not loaded)', () => {
    expect(typeof cuda.sampleRowsTest).toBe('function');
  });

  const noGpu = cuda !== null && !HAS_DEVICE;
  it.skipIf(!noGpu)(noGpu ? 'without a GPU sampleRowsTest throws "CUDA unavailable"' : 'without a GPU sampleRowsTest throws (skipped: a GPU is present or the module is not loaded)', () => {
    const p = { temperature: 1, topK: 0, topP: 1, fallback: 0, excluded: [] };
    expect(() => cuda.sampleRowsTest(new Float32Array(4), 1, 4, p, new Float32Array(1))).toThrow(/CUDA unavailable: /);
  });
});

describe('sampling draws: CUDA vs CPU', () => {
  it.skipIf(!HAS_DEVICE)(gpuTitle('sampleRows: the CPU\'s tokens on every row not near a boundary, V from 1 to 100000, every setting'), () => {
    let rowsChecked = 0, near = 0;
    for (const [R, V] of [[1, 1], [9, 2], [5, 3], [64, 300], [7, 257], [320, 16000], [2, 100000]]) {
      const x = rows(R, V, R * 7 + V);
      const u = uniforms(R, R * 3 + V);
      for (const p of SETTINGS.map((q) => fit(q, V))) {
        const where = `R=${R} V=${V} ${JSON.stringify(p)}`;
        const want = cpu.sampleRows(x, R, V, p, u) as Drawn;
        const got = cuda.sampleRowsTest(x, R, V, p, u) as Drawn;
        near += expectDraws(got, x, R, V, p, u, where, want);
        rowsChecked += R;
        // Fixed-shape reductions: the same tokens on every run.
        const again = cuda.sampleRowsTest(x, R, V, p, u) as Drawn;
        expect(Array.from(again.tokens), `${where}: a second run`).toEqual(Array.from(got.tokens));
      }
    }
    expect(near, 'rows left out as near a boundary').toBeLessThanOrEqual(rowsChecked / 50);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('sampleRows: every token of a row, u swept over [0, 1)'), () => {
    // One smooth row drawn at 2000 uniforms: the CUDA inverse CDF walks every slice.
    const V = 16000, R = 2000;
    const one = rows(8, V, 99).subarray(4 * V, 5 * V);
    const x = new Float32Array(R * V);
    for (let i = 0; i < R; i++) x.set(one, i * V);
    const u = Float32Array.from({ length: R }, (_, i) => Math.fround((i + 0.5) / R));
    for (const p of [SETTINGS[0], SETTINGS[3]]) {
      const want = cpu.sampleRows(x, R, V, p, u) as Drawn;
      expectDraws(cuda.sampleRowsTest(x, R, V, p, u), x, R, V, p, u, JSON.stringify(p), want);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('sampleRows: exact ties (one value everywhere) give the CPU\'s tokens on and off the boundaries'), () => {
    // Weights all 1 and u on a 2^-24 grid: every sum and u * total is exact in any order,
    // so even draws exactly on a boundary (top-p 0.5 of 298 candidates) must agree.
    const V = 300, R = 1024;
    const x = new Float32Array(R * V).fill(-2.5);
    const u = Float32Array.from({ length: R }, (_, i) => i / R);
    for (const [topK, topP] of [[0, 1], [0, 0.5], [40, 0.5], [7, 1]]) {
      const p = { temperature: 1, topK, topP, fallback: EOS, excluded: EXCLUDED };
      const want = cpu.sampleRows(x, R, V, p, u) as Drawn;
      const got = cuda.sampleRowsTest(x, R, V, p, u) as Drawn;
      expect(Array.from(got.tokens), `topK ${topK} topP ${topP}`).toEqual(Array.from(want.tokens));
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('sampleRows rejects bad parameters as the CPU does'), () => {
    const p = { temperature: 1, topK: 0, topP: 0, fallback: 0, excluded: [] };
    expect(() => cuda.sampleRowsTest(new Float32Array(4), 1, 4, p, new Float32Array(1))).toThrow(/top_p must be in \(0, 1\]/);
  });
});

describe('sampling decoding on cuda:fp32 against the CPU engine', () => {
  // As decode.test.ts: V 300, pad and bos made likely so the draw must skip them.
  const CONFIG = { vocabSize: 300, dModel: 64, nHeads: 4, dFF: 128, encoderLayers: 2, decoderLayers: 2, maxLen: 48, dropout: 0, labelSmoothing: 0.1 };

  it.skipIf(!HAS_DEVICE)(gpuTitle('sampling (temperature, top-k, top-p) gives the CPU\'s outputs for at least 95% of sentences'), async () => {
    const { cpuModel, gpuModel } = skewedTwins(CONFIG, 4);
    const r = rng(23);
    const srcs = Array.from({ length: 40 }, () => Int32Array.from({ length: 1 + Math.floor(r() * 14) }, () => 3 + Math.floor(r() * (CONFIG.vocabSize - 3))));
    const options = [
      { method: 'sample' as const, seed: 3 },
      { method: 'sample' as const, seed: 4, temperature: 1.5, topK: 20 },
      { method: 'sample' as const, seed: 5, temperature: 0.8, topP: 0.9 },
      { method: 'sample' as const, seed: 6, topK: 1 },
    ];
    for (const o of options) {
      const a = await cpuModel.translate(srcs, o);
      const b = await gpuModel.translate(srcs, o);
      let same = 0;
      for (let i = 0; i < srcs.length; i++) {
        if (JSON.stringify(a.ids[i]) !== JSON.stringify(b.ids[i])) continue;
        same++;
        expect(Math.abs(b.logprobs[i] - a.logprobs[i]), `${JSON.stringify(o)} sentence ${i}: logprob`).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.logprobs[i])));
      }
      // fp32 GEMMs sum in another order than the CPU's: a draw near a boundary may go the other way.
      expect(same, `${JSON.stringify(o)}: identical outputs`).toBeGreaterThanOrEqual(38);
    }
  });
});
