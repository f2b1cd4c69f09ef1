// The fused training ops of the backend seam (native/src/backend.h): each runs through a
// whole Backend via the CUDA module's fusedOpTest, on "cpu" (the default implementations,
// which are exactly the unfused compositions the model used to call) and on the GPU (one
// fused kernel each), on fresh random inputs with outputs poisoned with NaN. The GPU must
// match the CPU within TOL.fp32 (cuda:fp32, and all non-GEMM ops) or the precision's bound
// on inputs rounded as the GPU rounds them (the linear layer at tf32 / bf16), and the
// dropout masks must zero exactly the same elements. The CPU half runs wherever the
// module loads, checking the defaults against plain JS references.
import { describe, expect, it } from 'vitest';

import { bf16Bits, roundBf16 } from '../helpers.js';
import { cuda, deviceReason, gpuTitle, HAS_DEVICE, nanCount, relErr, TOL, values } from './device.js';

type F32 = Float32Array;
type Out = Record<string, F32>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const run = (device: string, op: string, args: Record<string, any>): Out => cuda.fusedOpTest(device, op, args);
const canLoad = cuda !== null && typeof cuda.fusedOpTest === 'function';
const cpuTitle = (t: string): string => (canLoad ? t : `${t} (skipped: CUDA module not loaded: ${deviceReason})`);

function expectClose(got: F32, want: F32, where: string, tol: number = TOL.fp32): void {
  expect(nanCount(got), `${where}: NaN (unwritten) elements`).toBe(0);
  expect(relErr(got, want), where).toBeLessThan(tol);
}
/** Both zero exactly where the other is (the dropout masks agree). */
function expectSameZeros(a: F32, b: F32, where: string): void {
  let diff = 0;
  for (let i = 0; i < a.length; ++i) if ((a[i] === 0) !== (b[i] === 0)) ++diff;
  expect(diff, `${where}: elements dropped on one side only`).toBe(0);
}
/** Both sides on the same args (copies, so in-place ops cannot leak between them). */
function both(device: string, op: string, args: Record<string, unknown>): [Out, Out] {
  const copy = (): Record<string, unknown> =>
    Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v instanceof Float32Array ? v.slice() : v]));
  return [run(device, op, copy()), run('cpu', op, copy())];
}

// Rounding as the tensor cores round their inputs (bf16: tests/helpers.ts).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const sameArray = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));
const roundTf32 = (a: F32): F32 =>
  a.map((x) => {
    f32[0] = x;
    u32[0] = ((u32[0] + 0x1000) & 0xffffe000) >>> 0;
    return f32[0];
  });

function linearArgs(rows: number, out: number, inn: number, seed: number, round: (a: F32) => F32 = (a) => a) {
  return {
    rows, out, in: inn,
    x: round(values(rows * inn, seed, -1, 1)),
    W: round(values(out * inn, seed + 1, -0.5, 0.5)),
    b: values(out, seed + 2, -1, 1),
  };
}

function lnFwdArgs(rows: number, cols: number, p: number, seed: number) {
  return {
    rows, cols, eps: 1e-5, p, seed: 1234 + seed, sid: 77,
    h: values(rows * cols, seed, -2, 2), res: values(rows * cols, seed + 1, -1, 1),
    gamma: values(cols, seed + 2, 0.5, 1.5), beta: values(cols, seed + 3, -0.5, 0.5),
  };
}

function lnBwdArgs(rows: number, cols: number, p: number, alias: string, seed: number) {
  // Statistics from a real forward on the CPU so the inputs are consistent.
  const x = values(rows * cols, seed, -2, 2);
  const mean = new Float32Array(rows), rstd = new Float32Array(rows);
  for (let r = 0; r < rows; ++r) {
    let s = 0, ss = 0;
    for (let c = 0; c < cols; ++c) s += x[r * cols + c];
    const mu = s / cols;
    for (let c = 0; c < cols; ++c) ss += (x[r * cols + c] - mu) ** 2;
    mean[r] = mu;
    rstd[r] = 1 / Math.sqrt(ss / cols + 1e-5);
  }
  return {
    rows, cols, p, alias, seed: 99 + seed, sid: 5,
    x, mean, rstd,
    dx: values(rows * cols, seed + 1, -1, 1), dy: values(rows * cols, seed + 2, -1, 1),
    dgamma: values(cols, seed + 3, -1, 1), dbeta: values(cols, seed + 4, -1, 1),
    gamma: values(cols, seed + 5, 0.5, 1.5),
  };
}

function adamArgs(n: number, clip: number, seed: number) {
  // Three spans with a gap between the first two and 8 elements after the last (P, M, V
  // there must stay untouched; clipping scales G there too), and a span longer than one
  // CUDA chunk (32,768 elements).
  const spans = [
    { offset: 0, size: 1000, decay: true },
    { offset: 1016, size: 40000, decay: false },
    { offset: 41016, size: n - 41016 - 8, decay: true },
  ];
  return {
    P: values(n, seed, -1, 1), G: values(n, seed + 1, -0.2, 0.2), M: values(n, seed + 2, -0.01, 0.01),
    V: values(n, seed + 3, 0, 0.001), spans, lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-9, step: 7, wd: 0.01, clip,
  };
}

/** clipAdamw's P16 (poisoned with 0xFFFF): bf16(P) bit for bit inside the spans, untouched in the gaps. */
function expectP16(r: Out, spans: { offset: number; size: number }[]): void {
  const p16 = r.P16 as unknown as Uint16Array;
  const want = bf16Bits(r.P);
  const inSpan = new Uint8Array(want.length);
  for (const s of spans) inSpan.fill(1, s.offset, s.offset + s.size);
  let wrong = 0, touched = 0;
  for (let i = 0; i < want.length; ++i) {
    if (inSpan[i] && p16[i] !== want[i]) ++wrong;
    if (!inSpan[i] && p16[i] !== 0xffff) ++touched;
  }
  expect(wrong, 'P16 elements that are not bf16(P)').toBe(0);
  expect(touched, 'P16 elements written outside the spans').toBe(0);
}

describe('fused training ops: CPU defaults (the unfused compositions)', () => {
  it.skipIf(!canLoad)(cpuTitle('toBf16 rounds to nearest even (ties, tiny and large values)'), () => {
    const x = new Float32Array([1, -1, 0, 1.00390625, 1.01171875, 3.4e38, 1e-40, -2.5, 0.1, ...values(1000, 3, -100, 100)]);
    const r = run('cpu', 'toBf16', { x });
    expect(sameArray(r.y16, bf16Bits(x))).toBe(true);
    expect(r.y16[3]).toBe(0x3f80); // 1 + 2^-8: a tie, to even (down)
    expect(r.y16[4]).toBe(0x3f82); // 1 + 3 * 2^-8: a tie, to even (up)
  });

  it.skipIf(!canLoad)(cpuTitle('the bf16 copies of dropoutAddLayernorm and actDropoutFwd are bf16(y)'), () => {
    const ln = run('cpu', 'dropoutAddLayernorm', { ...lnFwdArgs(5, 24, 0.1, 8), y16: true });
    expect(sameArray(ln.y16, bf16Bits(ln.y))).toBe(true);
    const act = run('cpu', 'actDropoutFwd', { act: 'gelu', x: values(99, 2, -3, 3), p: 0.1, seed: 1, sid: 2, y16: true });
    expect(sameArray(act.y16, bf16Bits(act.y))).toBe(true);
  });

  it.skipIf(!canLoad)(cpuTitle('linearFwd is x W^T + b'), () => {
    const a = linearArgs(5, 7, 3, 1);
    const { y } = run('cpu', 'linearFwd', a);
    for (let r = 0; r < 5; ++r)
      for (let o = 0; o < 7; ++o) {
        let s = 0;
        for (let i = 0; i < 3; ++i) s += a.x[r * 3 + i] * a.W[o * 3 + i];
        expect(y[r * 7 + o]).toBeCloseTo(s + a.b[o], 5);
      }
  });

  it.skipIf(!canLoad)(cpuTitle('linearBwd: dW += dout^T x, db += column sums, din = dout W (or +=)'), () => {
    const rows = 4, out = 3, inn = 2;
    const a = {
      rows, out, in: inn, accumulate: true, dout: values(rows * out, 1, -1, 1), x: values(rows * inn, 2, -1, 1),
      W: values(out * inn, 3, -1, 1), dW: values(out * inn, 4, -1, 1), db: values(out, 5, -1, 1), din: values(rows * inn, 6, -1, 1),
    };
    const r = run('cpu', 'linearBwd', a);
    for (let o = 0; o < out; ++o) {
      let sb = a.db[o];
      for (let k = 0; k < rows; ++k) sb += a.dout[k * out + o];
      expect(r.db[o]).toBeCloseTo(sb, 5);
      for (let i = 0; i < inn; ++i) {
        let s = a.dW[o * inn + i];
        for (let k = 0; k < rows; ++k) s += a.dout[k * out + o] * a.x[k * inn + i];
        expect(r.dW[o * inn + i]).toBeCloseTo(s, 5);
      }
    }
    for (let k = 0; k < rows; ++k)
      for (let i = 0; i < inn; ++i) {
        let s = a.din[k * inn + i];
        for (let o = 0; o < out; ++o) s += a.dout[k * out + o] * a.W[o * inn + i];
        expect(r.din[k * inn + i]).toBeCloseTo(s, 5);
      }
    // No outputs: din = dout W is an empty sum, all zeros (written, not left NaN).
    const e = run('cpu', 'linearBwd', {
      rows: 6, out: 0, in: 5, dout: new Float32Array(0), x: values(30, 7, -1, 1), W: new Float32Array(0),
      dW: new Float32Array(0), db: new Float32Array(0), din: values(30, 8, -1, 1),
    });
    expect(Array.from(e.din)).toEqual(new Array(30).fill(0));
  });

  it.skipIf(!canLoad)(cpuTitle('dropoutAddLayernorm: h = res + dropout(h), y = LN(h); p = 0 is a plain residual add'), () => {
    const a = lnFwdArgs(6, 40, 0, 3);
    const r0 = run('cpu', 'dropoutAddLayernorm', a);
    for (let i = 0; i < a.h.length; ++i) expect(r0.h[i]).toBe(Math.fround(a.h[i] + a.res[i]));
    // With gamma = 1 and beta = 0 every row of y has mean 0.
    const b = { ...lnFwdArgs(6, 40, 0.3, 3), gamma: new Float32Array(40).fill(1), beta: new Float32Array(40) };
    const r1 = run('cpu', 'dropoutAddLayernorm', b);
    let dropped = 0;
    for (let i = 0; i < b.h.length; ++i) {
      const kept = r1.h[i] !== Math.fround(b.res[i]);
      if (!kept) ++dropped;
      else expect(r1.h[i]).toBeCloseTo(b.h[i] / 0.7 + b.res[i], 5);
    }
    expect(dropped / b.h.length).toBeGreaterThan(0.15);
    expect(dropped / b.h.length).toBeLessThan(0.45);
    for (let r = 0; r < 6; ++r) {
      let s = 0;
      for (let c = 0; c < 40; ++c) s += r1.y[r * 40 + c];
      expect(Math.abs(s / 40)).toBeLessThan(1e-5);
    }
  });

  it.skipIf(!canLoad)(cpuTitle('clipAdamw clips by the global norm, decays only decaying spans and leaves gaps alone'), () => {
    const a = adamArgs(50000, 0.5, 11);
    const r = run('cpu', 'clipAdamw', a);
    let ss = 0;
    for (const g of a.G) ss += g * g;
    const coef = 0.5 / (Math.sqrt(ss) + 1e-6);
    expect(coef).toBeLessThan(1);
    // Every element of G is clipped, the gaps' included (1005, 49995 and 49999 lie in gaps).
    for (const i of [0, 999, 1005, 1016, 30000, 41015, 49995, 49999]) expect(r.G[i]).toBeCloseTo(a.G[i] * coef, 6);
    for (const i of [...Array.from({ length: 16 }, (_, k) => 1000 + k), 49992, 49999]) {
      expect(r.P[i]).toBe(a.P[i]);
      expect(r.M[i]).toBe(a.M[i]);
    }
    // One element by hand (torch.optim.AdamW): decayed span and undecayed span.
    for (const [i, wd] of [[5, 0.01], [2000, 0]] as const) {
      const g = a.G[i] * coef;
      const m = 0.9 * a.M[i] + 0.1 * g, v = 0.98 * a.V[i] + 0.02 * g * g;
      const p = a.P[i] * (1 - 1e-3 * wd) - (1e-3 / (1 - 0.9 ** 7)) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.98 ** 7) + 1e-9);
      expect(r.P[i]).toBeCloseTo(p, 5);
    }
  });

  it.skipIf(!canLoad)(cpuTitle('clipAdamw given P16 writes bf16 of every updated element, leaves the gaps alone and changes nothing else'), () => {
    const a = adamArgs(50000, 0.5, 12);
    const plain = run('cpu', 'clipAdamw', a);
    const r = run('cpu', 'clipAdamw', { ...a, P16: true });
    for (const k of ['P', 'G', 'M', 'V']) expect(sameArray(r[k], plain[k]), k).toBe(true);
    expectP16(r, a.spans);
  });

  it.skipIf(!canLoad)(cpuTitle('linearFwd / linearBwd: W16 changes nothing on the CPU (it computes in fp32)'), () => {
    const fw = linearArgs(9, 16, 24, 4);
    expect(sameArray(run('cpu', 'linearFwd', { ...fw, W16: true }).y, run('cpu', 'linearFwd', fw).y)).toBe(true);
    const bw = {
      rows: 9, out: 16, in: 24, dout: values(9 * 16, 1, -1, 1), x: fw.x, W: fw.W, dW: values(16 * 24, 2, -1, 1),
      db: values(16, 3, -1, 1), din: values(9 * 24, 4, -1, 1),
    };
    const b0 = run('cpu', 'linearBwd', bw), b1 = run('cpu', 'linearBwd', { ...bw, W16: true });
    for (const k of ['dW', 'db', 'din']) expect(sameArray(b1[k], b0[k]), k).toBe(true);
  });
});

// h is compared elementwise, so a mask that differs (a kept element is h / (1 - p) + res, a
// dropped one res) fails expectClose too.
describe('fused training ops: CUDA against the CPU', () => {
  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16 copies: toBf16, and the y16 of dropoutAddLayernorm / actDropoutFwd, are bf16(y) bit for bit'), () => {
    const x = values(4099, 7, -50, 50);
    expect(sameArray(run('cuda', 'toBf16', { x }).y16, bf16Bits(x))).toBe(true);
    for (const [rows, cols] of [[70, 512], [9, 37]]) {
      const ln = run('cuda', 'dropoutAddLayernorm', { ...lnFwdArgs(rows, cols, 0.1, 4), y16: true });
      expect(sameArray(ln.y16, bf16Bits(ln.y)), `ln ${rows}x${cols}`).toBe(true);
    }
    for (const n of [4096, 1003]) {
      const act = run('cuda', 'actDropoutFwd', { act: 'relu', x: values(n, 5, -3, 3), p: 0.1, seed: 1, sid: 2, y16: true });
      expect(sameArray(act.y16, bf16Bits(act.y)), `act n ${n}`).toBe(true);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('linearFwd / linearBwd given x16 give the same bits as rounding x themselves'), () => {
    for (const [rows, out, inn] of [[512, 384, 256], [300, 200, 96], [16, 64, 4096]] as [number, number, number][]) {
      const fw = linearArgs(rows, out, inn, 9);
      const plain = run('cuda', 'linearFwd', fw), withCopy = run('cuda', 'linearFwd', { ...fw, x16: true });
      expect(sameArray(withCopy.y, plain.y), `fwd ${rows}x${out}x${inn}`).toBe(true);
      const bw = {
        rows, out, in: inn, dout: values(rows * out, 1, -1, 1), x: fw.x, W: fw.W, dW: values(out * inn, 2, -1, 1),
        db: values(out, 3, -1, 1), din: values(rows * inn, 4, -1, 1),
      };
      const b0 = run('cuda', 'linearBwd', bw), b1 = run('cuda', 'linearBwd', { ...bw, x16: true });
      for (const k of ['dW', 'db', 'din']) expect(sameArray(b1[k], b0[k]), `bwd ${k} ${rows}x${out}x${inn}`).toBe(true);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('linearFwd / linearBwd given W16 (with or without x16) give the same bits as rounding W themselves, at every precision'), () => {
    // Convert route (both sides >= 256), fused route (small M or N: W16 unused), split-K,
    // and in % 8 != 0 (a copy whose rows are not 16-byte multiples: unused).
    const shapes: [number, number, number][] = [[512, 384, 256], [256, 512, 40], [300, 200, 96], [16, 64, 4096], [300, 300, 37]];
    for (const device of ['cuda', 'cuda:tf32', 'cuda:fp32']) {
      for (const [rows, out, inn] of shapes) {
        const at = `${device} ${rows}x${out}x${inn}`;
        const fw = linearArgs(rows, out, inn, 13);
        const plain = run(device, 'linearFwd', fw);
        for (const x16 of [false, true]) {
          const y = run(device, 'linearFwd', { ...fw, W16: true, x16 }).y;
          expect(nanCount(y), `fwd ${at}: unwritten`).toBe(0);
          expect(sameArray(y, plain.y), `fwd ${at} x16 ${x16}`).toBe(true);
        }
        const bw = {
          rows, out, in: inn, dout: values(rows * out, 1, -1, 1), x: fw.x, W: fw.W, dW: values(out * inn, 2, -1, 1),
          db: values(out, 3, -1, 1), din: values(rows * inn, 4, -1, 1),
        };
        for (const accumulate of [false, true]) {
          const b0 = run(device, 'linearBwd', { ...bw, accumulate });
          for (const x16 of [false, true]) {
            const b1 = run(device, 'linearBwd', { ...bw, accumulate, W16: true, x16 });
            for (const k of ['dW', 'db', 'din']) expect(sameArray(b1[k], b0[k]), `bwd ${k} ${at} acc ${accumulate} x16 ${x16}`).toBe(true);
          }
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('linearFwd (bias in the GEMM epilogue) at fp32, tf32 and bf16, split-K and both bf16 routes'), () => {
    const shapes: [number, number, number][] = [[300, 200, 96], [16, 64, 4096], [512, 384, 256], [33, 1, 7]];
    for (const [rows, out, inn] of shapes) {
      for (const [device, round, tol] of [
        ['cuda:fp32', (a: F32) => a, TOL.fp32], ['cuda:tf32', roundTf32, TOL.tf32], ['cuda', roundBf16, TOL.bf16],
      ] as const) {
        const [g, c] = both(device, 'linearFwd', linearArgs(rows, out, inn, rows + out, round));
        expectClose(g.y, c.y, `linearFwd ${device} ${rows}x${out}x${inn}`, tol);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('linearBwd (dout rounded once for dW and din) at fp32, tf32 and bf16; accumulate, no bias, no din'), () => {
    // [6, 0, 5]: no outputs, so din = dout W is all zeros (not left unwritten).
    const shapes: [number, number, number][] = [[300, 200, 96], [4096, 64, 48], [512, 384, 256], [9, 1, 7], [6, 0, 5]];
    for (const [rows, out, inn] of shapes) {
      for (const [device, round, tol] of [
        ['cuda:fp32', (a: F32) => a, TOL.fp32], ['cuda:tf32', roundTf32, TOL.tf32], ['cuda', roundBf16, TOL.bf16],
      ] as const) {
        for (const [accumulate, noBias, noDin] of [[false, false, false], [true, false, false], [false, true, true]]) {
          const a = {
            rows, out, in: inn, accumulate, noBias, noDin,
            dout: round(values(rows * out, rows, -1, 1)), x: round(values(rows * inn, out, -1, 1)),
            W: round(values(out * inn, inn, -0.5, 0.5)), dW: values(out * inn, 3, -1, 1), db: values(out, 4, -1, 1),
            din: values(rows * inn, 5, -1, 1),
          };
          const [g, c] = both(device, 'linearBwd', a);
          const at = `linearBwd ${device} ${rows}x${out}x${inn} acc ${accumulate} noBias ${noBias} noDin ${noDin}`;
          expectClose(g.dW, c.dW, `${at} dW`, tol);
          if (!noBias) expectClose(g.db, c.db, `${at} db`);
          else expect(g.db).toBeUndefined();
          if (!noDin) expectClose(g.din, c.din, `${at} din`, tol);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle("linearBwd's db: bf16's sums formed while rounding dout equal bias_grad's (cuda:fp32) bit for bit"), () => {
    // Rows not a multiple of the 64-row chunk, out not a multiple of 8 (padded bf16 rows) or
    // of 4 (scalar loads), out above one 256-column block.
    const shapes: [number, number, number][] = [[300, 200, 96], [130, 37, 16], [65, 12, 8], [4096, 64, 48], [70, 300, 8]];
    for (const [rows, out, inn] of shapes) {
      const a = {
        rows, out, in: inn, noDin: true, dout: values(rows * out, rows + 1, -1, 1), x: values(rows * inn, 2, -1, 1),
        W: values(out * inn, 3, -1, 1), dW: values(out * inn, 4, -1, 1), db: values(out, 5, -1, 1), din: values(rows * inn, 6, -1, 1),
      };
      const bf = run('cuda', 'linearBwd', a), exact = run('cuda:fp32', 'linearBwd', a);
      expect(nanCount(bf.db), `${rows}x${out}x${inn}: unwritten`).toBe(0);
      expect(sameArray(bf.db, exact.db), `db ${rows}x${out}x${inn}`).toBe(true);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('dropoutAddLayernorm: residual, mask, statistics and output (float4 and scalar rows)'), () => {
    for (const [rows, cols] of [[70, 512], [9, 37], [1, 4]]) {
      for (const p of [0, 0.1, 0.5]) {
        const [g, c] = both('cuda:fp32', 'dropoutAddLayernorm', lnFwdArgs(rows, cols, p, rows + cols));
        const at = `${rows}x${cols} p ${p}`;
        for (const k of ['h', 'y', 'mean', 'rstd']) expectClose(g[k], c[k], `${at} ${k}`);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('layernormBwdDropout: dx accumulates, dgamma/dbeta, ddrop masked; ddrop aliasing dy or dx'), () => {
    for (const [rows, cols] of [[130, 512], [7, 37]]) {
      for (const p of [0, 0.1]) {
        for (const alias of ['none', 'dy', 'dx']) {
          const [g, c] = both('cuda:fp32', 'layernormBwdDropout', lnBwdArgs(rows, cols, p, alias, rows + cols));
          const at = `${rows}x${cols} p ${p} alias ${alias}`;
          for (const k of ['dgamma', 'dbeta', 'ddrop']) expectClose(g[k], c[k], `${at} ${k}`);
          if (alias !== 'dx') expectClose(g.dx, c.dx, `${at} dx`);
          expectSameZeros(g.ddrop, c.ddrop, `${at} ddrop`);
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('actDropoutFwd / actDropoutBwd: ReLU and GELU, in place, odd lengths'), () => {
    for (const act of ['relu', 'gelu']) {
      for (const n of [4096, 1003, 3]) {
        for (const p of [0, 0.1]) {
          const x = values(n, n, -3, 3);
          const [gf, cf] = both('cuda:fp32', 'actDropoutFwd', { act, x, p, seed: 42, sid: 9 });
          expectClose(gf.y, cf.y, `${act} fwd n ${n} p ${p}`);
          expectSameZeros(gf.y, cf.y, `${act} fwd n ${n} p ${p}`);
          for (const inPlace of [false, true]) {
            const dy = values(n, n + 1, -1, 1);
            const [gb, cb] = both('cuda:fp32', 'actDropoutBwd', { act, x, dy, p, seed: 42, sid: 9, inPlace });
            expectClose(gb.dx, cb.dx, `${act} bwd n ${n} p ${p} inPlace ${inPlace}`);
          }
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('clipAdamw: one launch over all spans equals per-tensor AdamW after clipping; gaps untouched'), () => {
    for (const clip of [0.5, 1e9, 0]) {
      const a = adamArgs(90000, clip, 5);
      const [g, c] = both('cuda:fp32', 'clipAdamw', a);
      // G everywhere: clipping scales the gaps' G too (the reference's scale_inplace).
      for (const k of ['P', 'G', 'M', 'V']) expectClose(g[k], c[k], `clip ${clip} ${k}`);
      for (const i of [...Array.from({ length: 16 }, (_, k) => 1000 + k), 89992, 89999]) {
        expect(g.P[i]).toBe(a.P[i]);
        expect(g.M[i]).toBe(a.M[i]);
        expect(g.V[i]).toBe(a.V[i]);
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('clipAdamw given P16 writes bf16 of the updated P bit for bit, gaps untouched, everything else as without it'), () => {
    for (const clip of [0.5, 0]) {
      const a = adamArgs(90000, clip, 6);
      const plain = run('cuda', 'clipAdamw', a);
      const r = run('cuda', 'clipAdamw', { ...a, P16: true });
      for (const k of ['P', 'G', 'M', 'V']) expect(sameArray(r[k], plain[k]), `clip ${clip} ${k}`).toBe(true);
      expectP16(r, a.spans);
      // Unclipped, the update is the CPU's bit for bit (clipping's norm sums in another
      // order), so the copy is too.
      if (clip === 0) expect(sameArray(r.P16, run('cpu', 'clipAdamw', { ...a, P16: true }).P16), "P16 as the CPU's").toBe(true);
    }
  });
});

if (!HAS_DEVICE) {
  describe('fused ops without a GPU', () => {
    it.skipIf(!canLoad)(cpuTitle('a CUDA device string fails with the reason instead of crashing'), () => {
      expect(() => run('cuda', 'linearFwd', linearArgs(2, 2, 2, 1))).toThrow(/CUDA|cuda/);
    });
  });
}
