// The rows kernel family of the CUDA module (layer norm, cross-entropy, log-softmax,
// embedding, activations, bias, residual add, scaling, sum of squares) against the CPU
// addon's kernels of the same name (native/src/napi/kernels_rows_napi.cc): fresh random
// inputs, outputs poisoned with NaN on the device (accumulators start from given values),
// relative error under TOL.fp32, NaN never passes. The reductions must give the same bits
// run to run; in-place forms (xent, log-softmax, activations) must equal the out-of-place.
import { describe, expect, it } from 'vitest';

import { rng } from '../helpers.js';
import { cpu, cuda, gpuTitle, HAS_DEVICE, nanCount, relErr, sameBits, TOL, values } from './device.js';

type F32 = Float32Array;
interface XentOut {
  losses: F32 | null;
  targetLogprob: F32 | null;
  dlogits: F32 | null;
}

const CPU_FUNCS = [
  'layernormFwd', 'layernormBwd', 'xent', 'logSoftmaxRows', 'embedFwd', 'embedBwd', 'sinusoidalTable',
  'actFwd', 'actBwd', 'biasAdd', 'biasGrad', 'addInplace', 'scaleInplace', 'sumSquares',
];
const CUDA_FUNCS = [
  'layernormFwdTest', 'layernormBwdTest', 'xentTest', 'logSoftmaxRowsTest', 'embedFwdTest', 'embedBwdTest',
  'actFwdTest', 'actBwdTest', 'biasAddTest', 'biasGradTest', 'addInplaceTest', 'scaleInplaceTest',
  'sumSquaresTest', 'rowsBench',
];

function expectClose(got: F32 | null, want: F32, where: string, tol: number = TOL.fp32): void {
  expect(got, `${where}: missing`).not.toBeNull();
  expect(nanCount(got!), `${where}: NaN (unwritten) elements`).toBe(0);
  const r = relErr(got!, want);
  expect(r < tol, `${where}: rel err ${r}`).toBe(true);
}

function ints(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = rng(seed);
  const a = new Int32Array(n);
  for (let i = 0; i < n; ++i) a[i] = lo + Math.floor((hi - lo) * r());
  return a;
}

describe('rows kernels: CPU entry points (no GPU needed)', () => {
  it('the CPU addon exports every rows function the GPU tests compare against', () => {
    for (const f of CPU_FUNCS) expect(typeof cpu[f], f).toBe('function');
  });

  it('give checkable results', () => {
    // Layer norm of a constant row is beta.
    const cols = 5;
    const beta = values(cols, 1, -1, 1);
    const ln = cpu.layernormFwd(new Float32Array(2 * cols).fill(3), values(cols, 2, 0.5, 1.5), beta, 2, cols, 1e-5);
    expect(Array.from(ln.y.subarray(0, cols))).toEqual(Array.from(beta));
    expect(Array.from(ln.mean)).toEqual([3, 3]);
    // Uniform logits: loss log V, gradient p - onehot.
    const V = 4;
    const xe = cpu.xent(new Float32Array(2 * V), new Int32Array([1, -100]), 2, V, 0, -100, 1);
    expect(xe.losses[0]).toBeCloseTo(Math.log(V), 6);
    expect(xe.losses[1]).toBe(0);
    expect(xe.dlogits[1]).toBeCloseTo(0.25 - 1, 6);
    expect(Array.from(xe.dlogits.subarray(V))).toEqual([0, 0, 0, 0]);
    expect(cpu.sumSquares(new Float32Array([1, 2, 3]))).toBe(14);
    // Embedding backward accumulates, repeated ids add up.
    const dE = cpu.embedBwd(new Float32Array([1, 1, 1, 1]), new Float32Array([1, 2, 3, 4, 5, 6]), new Int32Array([1, 1, 0]), 3, 2, 2);
    expect(Array.from(dE)).toEqual([11, 13, 9, 13]);
    expect(cpu.actFwd('relu', new Float32Array([-1, 2]))).toEqual(new Float32Array([0, 2]));
    expect(Array.from(cpu.biasGrad(new Float32Array([1, 0]), new Float32Array([1, 2, 3, 4]), 2, 2))).toEqual([5, 6]);
  });

  it.skipIf(!cuda)(cuda ? 'the CUDA module exports every rows test entry point' : 'the CUDA module exports the rows entry points (skipped: module not loaded)', () => {
    for (const f of CUDA_FUNCS) expect(typeof cuda[f], f).toBe('function');
  });

  const noGpu = cuda !== null && !HAS_DEVICE;
  it.skipIf(!noGpu)(noGpu ? 'without a GPU the rows entry points throw "CUDA unavailable"' : 'without a GPU the rows entry points throw (skipped: a GPU is present or the module is not loaded)', () => {
    expect(() => cuda.layernormFwdTest(new Float32Array(4), new Float32Array(4), new Float32Array(4), 1, 4, 1e-5)).toThrow(/CUDA unavailable: /);
    expect(() => cuda.sumSquaresTest(new Float32Array(4))).toThrow(/CUDA unavailable: /);
  });
});

describe('rows kernels: CUDA vs CPU', () => {
  const ROWS = [1, 3, 1000];
  const COLS = [1, 7, 512, 1000];

  it.skipIf(!HAS_DEVICE)(gpuTitle('layernorm forward: y, mean, rstd'), () => {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        const where = `rows=${rows} cols=${cols}`;
        const x = values(rows * cols, rows * 31 + cols, -2, 3);
        const g = values(cols, cols + 5, 0.5, 1.5), b = values(cols, cols + 6, -0.5, 0.5);
        const c = cpu.layernormFwd(x, g, b, rows, cols, 1e-5);
        const d = cuda.layernormFwdTest(x, g, b, rows, cols, 1e-5);
        for (const k of ['y', 'mean', 'rstd']) expectClose(d[k], c[k], `${where} ${k}`);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('layernorm backward: dx, dgamma, dbeta accumulated; same bits twice'), () => {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        const where = `rows=${rows} cols=${cols}`;
        const x = values(rows * cols, rows * 17 + cols, -2, 3);
        const g = values(cols, cols + 7, 0.5, 1.5), b = values(cols, cols + 8, -0.5, 0.5);
        const f = cpu.layernormFwd(x, g, b, rows, cols, 1e-5);
        const dy = values(rows * cols, rows + cols + 9, -1, 1);
        const dx0 = values(rows * cols, rows + 10, -1, 1), dg0 = values(cols, cols + 11, -1, 1), db0 = values(cols, cols + 12, -1, 1);
        const args = [dx0, dg0, db0, dy, x, f.mean, f.rstd, g, rows, cols] as const;
        const c = cpu.layernormBwd(...args);
        const d = cuda.layernormBwdTest(...args);
        const d2 = cuda.layernormBwdTest(...args);
        for (const k of ['dx', 'dgamma', 'dbeta']) {
          expectClose(d[k], c[k], `${where} ${k}`);
          expect(sameBits(d[k], d2[k]), `${where} ${k}: differs between two runs`).toBe(true);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('xent: losses, targetLogprob, dlogits (smoothing, ignored rows, in place, null outputs); same bits twice'), () => {
    for (const N of [1, 3, 1000]) {
      for (const V of [5, 16000]) {
        for (const [eps, ignore] of [[0, -100], [0.1, 0]] as const) {
          const where = `N=${N} V=${V} eps=${eps} ignore=${ignore}`;
          const logits = values(N * V, N * 7 + V, -4, 4);
          const t = ints(N, N + V, 0, V);
          for (let i = 0; i < N; i += 3) t[i] = ignore; // every third row ignored (the first too)
          if (N > 1) t[1] = -1; // negative: ignored as well
          const gs = 1 / N;
          const c = cpu.xent(logits, t, N, V, eps, ignore, gs) as XentOut;
          const d = cuda.xentTest(logits, t, N, V, eps, ignore, gs) as XentOut;
          expectClose(d.losses, c.losses!, `${where} losses`);
          expectClose(d.targetLogprob, c.targetLogprob!, `${where} targetLogprob`);
          expectClose(d.dlogits, c.dlogits!, `${where} dlogits`);
          for (let i = 0; i < N; ++i) {
            if (t[i] === ignore || t[i] < 0) {
              expect(d.losses![i], `${where} row ${i} ignored: loss`).toBe(0);
              expect(d.targetLogprob![i], `${where} row ${i} ignored: target logprob`).toBe(0);
            }
          }
          const inPlace = cuda.xentTest(logits, t, N, V, eps, ignore, gs, { inPlace: true }) as XentOut;
          for (const k of ['losses', 'targetLogprob', 'dlogits'] as const)
            expect(sameBits(inPlace[k]!, d[k]!), `${where} in place: ${k} differs`).toBe(true);
          const onlyLoss = cuda.xentTest(logits, t, N, V, eps, ignore, gs, { targetLogprob: false, dlogits: false }) as XentOut;
          expect(onlyLoss.dlogits).toBeNull();
          expect(sameBits(onlyLoss.losses!, d.losses!), `${where} losses alone differ`).toBe(true);
          const onlyGrad = cuda.xentTest(logits, t, N, V, eps, ignore, gs, { losses: false, targetLogprob: false, inPlace: true }) as XentOut;
          expect(sameBits(onlyGrad.dlogits!, d.dlogits!), `${where} dlogits alone differ`).toBe(true);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('logSoftmaxRows, also in place'), () => {
    for (const N of [1, 3, 1000]) {
      for (const V of [1, 5, 7, 16000]) {
        const where = `N=${N} V=${V}`;
        const x = values(N * V, N * 3 + V, -6, 6);
        const c = cpu.logSoftmaxRows(x, N, V) as F32;
        const d = cuda.logSoftmaxRowsTest(x, N, V) as F32;
        expectClose(d, c, where);
        expect(sameBits(cuda.logSoftmaxRowsTest(x, N, V, true), d), `${where}: in place differs`).toBe(true);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('embedding forward'), () => {
    for (const [N, T] of [[1, 1], [7, 3], [1000, 128]]) {
      for (const d of [1, 7, 512]) {
        for (const V of [5, 16000]) {
          const where = `N=${N} T=${T} d=${d} V=${V}`;
          const pos0 = 2;
          const E = values(V * d, V + d, -0.5, 0.5);
          const ids = ints(N, N + d + V, 0, V);
          const pe = cpu.sinusoidalTable(pos0 + T, d) as F32;
          const scale = Math.sqrt(d);
          const c = cpu.embedFwd(E, ids, N, T, pos0, d, scale, pe) as F32;
          expectClose(cuda.embedFwdTest(E, ids, N, T, pos0, d, scale, pe), c, where);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('embedding backward: repeated, unused and very frequent ids; accumulates; same bits twice'), () => {
    const cases: [number, number, string][] = [
      [1, 5, 'uniform'], [3, 5, 'uniform'], [1000, 5, 'uniform'], [1000, 16000, 'uniform'],
      [25000, 16000, 'skewed'], [9000, 16000, 'one id 6000 times'],
    ];
    for (const [N, V, kind] of cases) {
      for (const d of [1, 7, 512]) {
        const where = `N=${N} V=${V} d=${d} ${kind}`;
        let ids: Int32Array;
        if (kind === 'uniform') ids = ints(N, N + V + d, 0, Math.max(1, V - 2)); // the last two ids never used
        else if (kind === 'skewed') {
          const r = rng(N + d);
          ids = new Int32Array(N);
          for (let i = 0; i < N; ++i) ids[i] = Math.min(V - 1, Math.floor(V * r() ** 3)); // id 0 ~1000 times
        } else {
          ids = ints(N, N + d, 0, V);
          const r = rng(d + 99);
          for (let placed = 0; placed < 6000;) {
            const i = Math.floor(N * r());
            if (ids[i] !== 3) { ids[i] = 3; ++placed; }
          }
        }
        const dE0 = values(V * d, V + d + 1, -1, 1);
        const dout = values(N * d, N + d + 2, -1, 1);
        const scale = Math.sqrt(512);
        const c = cpu.embedBwd(dE0, dout, ids, N, d, scale) as F32;
        const g = cuda.embedBwdTest(dE0, dout, ids, N, d, scale, V) as F32;
        expectClose(g, c, where);
        expect(sameBits(cuda.embedBwdTest(dE0, dout, ids, N, d, scale, V), g), `${where}: differs between two runs`).toBe(true);
        // Unused ids keep their initial rows exactly.
        const used = new Set(ids);
        for (let v = 0; v < V; ++v) {
          if (used.has(v)) continue;
          expect(sameBits(g.subarray(v * d, v * d + d), dE0.subarray(v * d, v * d + d)), `${where}: unused id ${v} changed`).toBe(true);
          break;
        }
      }
    }
  });

  const SIZES = [1, 3, 5, 1023, 65537];

  it.skipIf(!HAS_DEVICE)(gpuTitle('activations forward and backward (ReLU, GELU), in place and misaligned'), () => {
    for (const act of ['relu', 'gelu']) {
      for (const n of SIZES) {
        const x = values(n, n + 1, -5, 5), dy = values(n, n + 2, -1, 1);
        const where = `${act} n=${n}`;
        const cf = cpu.actFwd(act, x) as F32, cb = cpu.actBwd(act, dy, x) as F32;
        const f = cuda.actFwdTest(act, x) as F32, b = cuda.actBwdTest(act, dy, x) as F32;
        expectClose(f, cf, `${where} fwd`);
        expectClose(b, cb, `${where} bwd`);
        expect(sameBits(cuda.actFwdTest(act, x, { inPlace: true }), f), `${where} fwd in place`).toBe(true);
        expect(sameBits(cuda.actBwdTest(act, dy, x, { inPlace: true }), b), `${where} bwd in place`).toBe(true);
        expect(sameBits(cuda.actFwdTest(act, x, { misalign: true }), f), `${where} fwd misaligned`).toBe(true);
        expect(sameBits(cuda.actBwdTest(act, dy, x, { misalign: true }), b), `${where} bwd misaligned`).toBe(true);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('biasAdd, biasGrad (accumulates; same bits twice), addInplace, scaleInplace'), () => {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        const where = `rows=${rows} cols=${cols}`;
        const y = values(rows * cols, rows + cols, -1, 1), b = values(cols, cols + 3, -1, 1);
        expectClose(cuda.biasAddTest(y, b, rows, cols), cpu.biasAdd(y, b, rows, cols), `${where} biasAdd`);
        const db0 = values(cols, cols + 4, -1, 1);
        const g = cuda.biasGradTest(db0, y, rows, cols) as F32;
        expectClose(g, cpu.biasGrad(db0, y, rows, cols), `${where} biasGrad`);
        expect(sameBits(cuda.biasGradTest(db0, y, rows, cols), g), `${where} biasGrad differs between two runs`).toBe(true);
      }
    }
    for (const n of SIZES) {
      const y = values(n, n + 5, -1, 1), x = values(n, n + 6, -1, 1);
      const want = cpu.addInplace(y, x) as F32;
      expectClose(cuda.addInplaceTest(y, x), want, `addInplace n=${n}`);
      expectClose(cuda.addInplaceTest(y, x, true), want, `addInplace misaligned n=${n}`);
      expectClose(cuda.scaleInplaceTest(y, 0.37), cpu.scaleInplace(y, 0.37), `scaleInplace n=${n}`);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('sumSquares in double: matches the CPU, same bits twice and misaligned'), () => {
    for (const n of [0, 1, 5, 16384, 16385, 1_000_003]) {
      const x = values(n, n + 8, -2, 2);
      const c = cpu.sumSquares(x) as number;
      const d = cuda.sumSquaresTest(x) as number;
      expect(Number.isNaN(d), `n=${n}: NaN`).toBe(false);
      expect(Math.abs(d - c) <= 1e-12 * Math.max(1, Math.abs(c)), `n=${n}: ${d} vs ${c}`).toBe(true);
      expect(cuda.sumSquaresTest(x), `n=${n}: differs between two runs`).toBe(d);
      expect(cuda.sumSquaresTest(x, true), `n=${n}: misaligned differs`).toBe(d);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('rowsBench runs at model shapes and reports positive times'), () => {
    const r = cuda.rowsBench({ rows: 16384, cols: 512, V: 16000, iters: 10 });
    console.log('rowsBench', JSON.stringify(r));
    for (const [k, v] of Object.entries(r)) if (k.endsWith('Ms')) expect(v as number, k).toBeGreaterThan(0);
  });
});
