// The CUDA attention kernels (native/cuda/attention.cu) against the CPU addon's
// (attentionFwd / attentionBwd, native/src/napi/kernels_attention_napi.cc, which run the
// double-accumulating references of native/src/cpu/attention_ref.cc).
//   - CPU entry points (no GPU needed): hand-computed cases and argument errors.
//   - GPU (skipped with the reason when no device): self-attention out of a fused qkv
//     buffer (row stride 3d), causal and not; cross-attention with separate buffers and a
//     fused kv buffer; padding (k_len < Tk, k_len = 0 for one batch row); Tq = 1 decoding
//     against a KV cache holding NaN past k_len; head dims 64, 128, 32, 16, 8 and odd ones.
//     Forward: out vs the CPU, lse vs a double log-sum-exp computed here (-inf exactly where
//     a row sees no key). Backward: dq, dk, dv vs the CPU backward given the CPU's probs
//     (the GPU gets the CPU's out and the reference lse). Outputs are poisoned with NaN on
//     the device, so unwritten elements fail; NaN never passes.
//   - The same cases on the bf16 tensor-core path ({ bf16: true }) with TOL.bf16, inputs
//     (q, k, v, dout) rounded to bf16 first so the comparison measures the kernel (its
//     internal roundings and fp32 accumulation), not the rounding of the inputs.
import { describe, expect, it } from 'vitest';

import { cpu, cuda, HAS_DEVICE, gpuTitle, nanCount, relErr, TOL, values } from './device.js';

interface Shape {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  dh: number;
  ldq: number;
  ldk: number;
  ldv: number;
  ldo: number;
  qBs: number;
  kBs: number;
  vBs: number;
  oBs: number;
  causal: boolean;
  scale: number;
}

interface Case {
  name: string;
  s: Shape;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  kLen: Int32Array | null;
}

/** Self-attention out of one fused [B*T, 3d] buffer: q at 0, k at d, v at 2d (views). */
function selfCase(B: number, H: number, T: number, dh: number, causal: boolean, kLen: number[] | null, seed: number): Case {
  const d = H * dh;
  const qkv = values(B * T * 3 * d, seed, -1, 1);
  const s: Shape = {
    B, H, Tq: T, Tk: T, dh,
    ldq: 3 * d, ldk: 3 * d, ldv: 3 * d, ldo: d,
    qBs: T * 3 * d, kBs: T * 3 * d, vBs: T * 3 * d, oBs: T * d,
    causal, scale: 1 / Math.sqrt(dh),
  };
  const name = `self B=${B} H=${H} T=${T} dh=${dh} causal=${causal} kLen=${kLen ? kLen.join(',') : 'all'}`;
  return { name, s, q: qkv.subarray(0), k: qkv.subarray(d), v: qkv.subarray(2 * d), kLen: kLen ? Int32Array.from(kLen) : null };
}

/** Cross-attention: q alone (padded rows and batches), k/v from a fused [B*Tk, 2d] buffer, out padded. */
function crossCase(B: number, H: number, Tq: number, Tk: number, dh: number, causal: boolean, kLen: number[] | null, seed: number): Case {
  const d = H * dh;
  const ldq = d + 3, qBs = Tq * ldq + 7;
  const ldo = d + 5, oBs = Tq * ldo + 2;
  const q = values((B - 1) * qBs + (Tq - 1) * ldq + d, seed, -1, 1);
  const kv = values(B * Tk * 2 * d, seed + 1, -1, 1);
  const s: Shape = {
    B, H, Tq, Tk, dh,
    ldq, ldk: 2 * d, ldv: 2 * d, ldo,
    qBs, kBs: Tk * 2 * d, vBs: Tk * 2 * d, oBs,
    causal, scale: 0.7 / Math.sqrt(dh),
  };
  const name = `cross B=${B} H=${H} Tq=${Tq} Tk=${Tk} dh=${dh} causal=${causal} kLen=${kLen ? kLen.join(',') : 'all'}`;
  return { name, s, q, k: kv.subarray(0), v: kv.subarray(d), kLen: kLen ? Int32Array.from(kLen) : null };
}

/** Tq = 1 against a KV cache [B, Tmax, d] (k and v separate); past kLen the cache holds `junk`. */
function decodeCase(B: number, H: number, Tmax: number, dh: number, kLen: number[], seed: number, junk: number): Case {
  const d = H * dh;
  const q = values(B * d, seed, -1, 1);
  const k = values(B * Tmax * d, seed + 1, -1, 1);
  const v = values(B * Tmax * d, seed + 2, -1, 1);
  for (let b = 0; b < B; ++b)
    for (let j = kLen[b]; j < Tmax; ++j)
      for (let c = 0; c < d; ++c) {
        k[(b * Tmax + j) * d + c] = junk;
        v[(b * Tmax + j) * d + c] = junk;
      }
  const s: Shape = {
    B, H, Tq: 1, Tk: Tmax, dh,
    ldq: d, ldk: d, ldv: d, ldo: d,
    qBs: d, kBs: Tmax * d, vBs: Tmax * d, oBs: d,
    causal: true, scale: 1 / Math.sqrt(dh),
  };
  return { name: `decode B=${B} H=${H} Tmax=${Tmax} dh=${dh} junk=${junk}`, s, q, k, v, kLen: Int32Array.from(kLen) };
}

/** The [B, T, H*dh] elements of a strided buffer, packed. */
function view(a: Float32Array, s: Shape, T: number, ld: number, bs: number): Float32Array {
  const d = s.H * s.dh;
  const o = new Float32Array(s.B * T * d);
  for (let b = 0; b < s.B; ++b)
    for (let t = 0; t < T; ++t)
      for (let c = 0; c < d; ++c) o[(b * T + t) * d + c] = a[b * bs + t * ld + c];
  return o;
}

function keyEnd(s: Shape, kLen: Int32Array | null, b: number, i: number): number {
  let e = kLen ? Math.max(0, Math.min(s.Tk, kLen[b])) : s.Tk;
  if (s.causal) e = Math.max(0, Math.min(e, i + (s.Tk - s.Tq) + 1));
  return e;
}

/** log-sum-exp of each row's scaled visible scores, in double ([B, H, Tq]; -inf: no key). */
function lseRef(c: Case): Float32Array {
  const { s } = c;
  const out = new Float32Array(s.B * s.H * s.Tq);
  const sc = new Float64Array(s.Tk);
  for (let b = 0; b < s.B; ++b)
    for (let h = 0; h < s.H; ++h)
      for (let i = 0; i < s.Tq; ++i) {
        const e = keyEnd(s, c.kLen, b, i);
        let mx = -Infinity;
        for (let j = 0; j < e; ++j) {
          let dot = 0;
          for (let x = 0; x < s.dh; ++x)
            dot += c.q[b * s.qBs + i * s.ldq + h * s.dh + x] * c.k[b * s.kBs + j * s.ldk + h * s.dh + x];
          sc[j] = dot * s.scale;
          mx = Math.max(mx, sc[j]);
        }
        let sum = 0;
        for (let j = 0; j < e; ++j) sum += Math.exp(sc[j] - mx);
        out[(b * s.H + h) * s.Tq + i] = e > 0 ? mx + Math.log(sum) : -Infinity;
      }
  return out;
}

/** lse check: -inf exactly where expected, finite elsewhere within tol. */
function checkLse(got: Float32Array, want: Float32Array, tol: number, where: string): void {
  expect(got.length, `${where}: lse length`).toBe(want.length);
  let infMismatch = 0;
  const g: number[] = [], w: number[] = [];
  for (let i = 0; i < want.length; ++i) {
    if (want[i] === -Infinity) {
      if (got[i] !== -Infinity) ++infMismatch;
    } else {
      g.push(got[i]);
      w.push(want[i]);
    }
  }
  expect(infMismatch, `${where}: lse should be -inf for rows that see no key`).toBe(0);
  const r = relErr(Float32Array.from(g), Float32Array.from(w));
  expect(r < tol, `${where}: lse rel err ${r}`).toBe(true);
}

function expectClose(got: Float32Array, want: Float32Array, tol: number, where: string): void {
  expect(nanCount(got), `${where}: NaN (unwritten or poisoned) elements`).toBe(0);
  expect(nanCount(want), `${where}: NaN in the CPU reference`).toBe(0);
  const r = relErr(got, want);
  expect(r < tol, `${where}: rel err ${r}`).toBe(true);
}

interface CpuFwd { out: Float32Array; probs: Float32Array }
interface Grads { dq: Float32Array; dk: Float32Array; dv: Float32Array }

/** x rounded to the nearest bf16 (ties to even), in place; NaN stays NaN. */
function roundBf16(a: Float32Array): Float32Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < u.length; ++i) {
    if (Number.isNaN(a[i])) continue;
    const x = u[i];
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
  return a;
}

/** The case's inputs rounded to bf16 in place (views of one buffer are rounded idempotently). */
function roundCase(c: Case): Case {
  roundBf16(c.q);
  roundBf16(c.k);
  roundBf16(c.v);
  return c;
}

interface Opts { bf16?: boolean; split?: boolean }

function checkFwd(c: Case, tol: number, opts: Opts = {}): { cf: CpuFwd; lse: Float32Array } {
  const { s } = c;
  const cf = cpu.attentionFwd(s, c.q, c.k, c.v, c.kLen) as CpuFwd;
  const gf = cuda.attentionFwdTest(s, c.q, c.k, c.v, c.kLen, opts) as { out: Float32Array; lse: Float32Array };
  expectClose(view(gf.out, s, s.Tq, s.ldo, s.oBs), view(cf.out, s, s.Tq, s.ldo, s.oBs), tol, `${c.name} fwd out`);
  const lse = lseRef(c);
  checkLse(gf.lse, lse, tol, `${c.name} fwd`);
  return { cf, lse };
}

function checkBwd(c: Case, cf: CpuFwd, lse: Float32Array, tol: number, seed: number, opts: Opts = {}): Grads {
  const { s } = c;
  const dout = values(cf.out.length, seed, -1, 1);
  if (opts.bf16) roundBf16(dout);
  const cg = cpu.attentionBwd(s, c.q, c.k, c.v, c.kLen, cf.probs, dout) as Grads;
  const gg = cuda.attentionBwdTest(s, c.q, c.k, c.v, c.kLen, cf.out, lse, dout, opts) as Grads;
  expect(gg.dq.length).toBe(c.q.length);
  expect(gg.dk.length).toBe(c.k.length);
  expect(gg.dv.length).toBe(c.v.length);
  expectClose(view(gg.dq, s, s.Tq, s.ldq, s.qBs), view(cg.dq, s, s.Tq, s.ldq, s.qBs), tol, `${c.name} dq`);
  expectClose(view(gg.dk, s, s.Tk, s.ldk, s.kBs), view(cg.dk, s, s.Tk, s.ldk, s.kBs), tol, `${c.name} dk`);
  expectClose(view(gg.dv, s, s.Tk, s.ldv, s.vBs), view(cg.dv, s, s.Tk, s.ldv, s.vBs), tol, `${c.name} dv`);
  return gg;
}

const base = (over: Partial<Shape> = {}): Shape => ({
  B: 1, H: 1, Tq: 1, Tk: 1, dh: 1, ldq: 1, ldk: 1, ldv: 1, ldo: 1, qBs: 1, kBs: 1, vBs: 1, oBs: 1,
  causal: false, scale: 1, ...over,
});

describe('CPU attention entry points (the references)', () => {
  it('Tk = 1: out = v, probs = 1, dq = dk = 0, dv = sum of dout', () => {
    const s = base({ Tq: 3, dh: 2, ldq: 2, ldk: 2, ldv: 2, ldo: 2, qBs: 6, kBs: 2, vBs: 2, oBs: 6, scale: 0.5 });
    const q = Float32Array.from([1, 2, -3, 4, 0.5, -1]);
    const k = Float32Array.from([5, 6]);
    const v = Float32Array.from([7, -8]);
    const f = cpu.attentionFwd(s, q, k, v, null) as CpuFwd;
    expect(Array.from(f.out)).toEqual([7, -8, 7, -8, 7, -8]);
    expect(Array.from(f.probs)).toEqual([1, 1, 1]);
    const dout = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const g = cpu.attentionBwd(s, q, k, v, null, f.probs, dout) as Grads;
    expect(Array.from(g.dq)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(g.dk)).toEqual([0, 0]);
    expect(Array.from(g.dv)).toEqual([9, 12]);
  });

  it('two keys: softmax weights 1/4, 3/4; causal hides the second key from row 0; kLen = 0 gives zeros', () => {
    const s = base({ Tq: 2, Tk: 2, qBs: 2, kBs: 2, vBs: 2, oBs: 2 });
    const q = Float32Array.from([1, 1]);
    const k = Float32Array.from([0, Math.log(3)]);
    const v = Float32Array.from([4, 8]);
    const f = cpu.attentionFwd(s, q, k, v, null) as CpuFwd;
    expect(f.out[0]).toBeCloseTo(7, 5);
    expect(f.out[1]).toBeCloseTo(7, 5);
    expect(f.probs[0]).toBeCloseTo(0.25, 6);
    expect(f.probs[1]).toBeCloseTo(0.75, 6);
    const fc = cpu.attentionFwd({ ...s, causal: true }, q, k, v, null) as CpuFwd;
    expect(fc.out[0]).toBeCloseTo(4, 6);
    expect(fc.out[1]).toBeCloseTo(7, 5);
    const f0 = cpu.attentionFwd(s, q, k, v, Int32Array.from([0])) as CpuFwd;
    expect(Array.from(f0.out)).toEqual([0, 0]);
    expect(Array.from(f0.probs)).toEqual([0, 0, 0, 0]);
    const f1 = cpu.attentionFwd(s, q, k, v, Int32Array.from([1])) as CpuFwd;
    expect(Array.from(f1.out)).toEqual([4, 4]);
  });

  it('the optimized CPU kernels ({ fast: true }) agree with the references on a strided case', () => {
    for (const causal of [false, true]) {
      const c = crossCase(2, 2, 9, 13, 8, causal, [13, 4], 3);
      const r = cpu.attentionFwd(c.s, c.q, c.k, c.v, c.kLen) as CpuFwd;
      const f = cpu.attentionFwd(c.s, c.q, c.k, c.v, c.kLen, { fast: true }) as CpuFwd;
      expect(relErr(f.out, r.out)).toBeLessThan(1e-5);
      expect(relErr(f.probs, r.probs)).toBeLessThan(1e-5);
      const dout = values(r.out.length, 9, -1, 1);
      const gr = cpu.attentionBwd(c.s, c.q, c.k, c.v, c.kLen, r.probs, dout) as Grads;
      const gf = cpu.attentionBwd(c.s, c.q, c.k, c.v, c.kLen, r.probs, dout, { fast: true }) as Grads;
      for (const key of ['dq', 'dk', 'dv'] as const) expect(relErr(gf[key], gr[key])).toBeLessThan(1e-5);
    }
  });

  it('argument errors are EINVAL with a clear message', () => {
    const s = base({ Tq: 2, dh: 2, ldq: 2, ldk: 2, ldv: 2, ldo: 2, qBs: 4, kBs: 2, vBs: 2, oBs: 4 });
    const q = new Float32Array(4), k = new Float32Array(2), v = new Float32Array(2);
    const err = (f: () => unknown, re: RegExp) => {
      let e: unknown = null;
      try {
        f();
      } catch (x) {
        e = x;
      }
      expect(e, `expected a throw matching ${re}`).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(re);
      expect((e as { code?: string }).code).toBe('EINVAL');
    };
    err(() => cpu.attentionFwd(null, q, k, v, null), /attentionFwd: shape must be an object/);
    err(() => cpu.attentionFwd({ ...s, Tk: undefined }, q, k, v, null), /shape\.Tk must be a number/);
    err(() => cpu.attentionFwd({ ...s, dh: 1.5 }, q, k, v, null), /shape\.dh must be an integer/);
    err(() => cpu.attentionFwd({ ...s, causal: 1 }, q, k, v, null), /shape\.causal must be a boolean/);
    err(() => cpu.attentionFwd({ ...s, scale: NaN }, q, k, v, null), /shape\.scale must be a finite/);
    err(() => cpu.attentionFwd({ ...s, ldq: 1 }, q, k, v, null), /shape\.ldq = 1 is less than H\*dh = 2/);
    err(() => cpu.attentionFwd({ ...s, B: 2, kBs: 1 }, q, k, v, null), /shape\.kBs = 1 overlaps/);
    err(() => cpu.attentionFwd(s, new Float32Array(3), k, v, null), /q has 3 elements, needs at least 4/);
    err(() => cpu.attentionFwd(s, q, k, new Float64Array(2), null), /v must be a Float32Array/);
    err(() => cpu.attentionFwd(s, q, k, v, Int32Array.from([1, 1])), /kLen has 2 elements, expected B = 1/);
    err(() => cpu.attentionFwd(s, q, k, v, [1]), /kLen must be an Int32Array/);
    err(() => cpu.attentionFwd(s, q, k, v, null, { fast: 1 }), /opts\.fast must be a boolean/);
    const f = cpu.attentionFwd(s, q, k, v, null) as CpuFwd;
    err(() => cpu.attentionBwd(s, q, k, v, null, new Float32Array(3), f.out), /probs has 3 elements, expected B\*H\*Tq\*Tk = 2/);
    err(() => cpu.attentionBwd(s, q, k, v, null, f.probs, new Float32Array(1)), /dout has 1 elements/);
    err(() => cpu.attentionBwd(s, q, k, v, null, f.probs), /attentionBwd: expected/);
  });
});

describe('CUDA attention entry points without a GPU', () => {
  const loaded = cuda !== null;
  it.skipIf(!loaded)(loaded ? 'dh > 128 is refused with a clear EINVAL before touching the device' : 'dh limit (skipped: module not loaded)', () => {
    const c = selfCase(1, 1, 2, 129, false, null, 1);
    expect(() => cuda.attentionFwdTest(c.s, c.q, c.k, c.v, null)).toThrow(/shape\.dh = 129 exceeds the CUDA attention kernels' limit of 128/);
  });
  const noGpu = loaded && !HAS_DEVICE;
  it.skipIf(!noGpu)(noGpu ? 'entry points throw "CUDA unavailable" instead of crashing' : 'no-GPU errors (skipped: a device is present or the module is not loaded)', () => {
    const c = selfCase(1, 1, 4, 8, true, null, 1);
    expect(() => cuda.attentionFwdTest(c.s, c.q, c.k, c.v, null)).toThrow(/CUDA unavailable: /);
    const out = new Float32Array(4 * 8), lse = new Float32Array(4);
    expect(() => cuda.attentionBwdTest(c.s, c.q, c.k, c.v, null, out, lse, out)).toThrow(/CUDA unavailable: /);
    expect(() => cuda.attentionBench({ B: 1, H: 1, T: 8, dh: 8, causal: false, iters: 1, bf16: false })).toThrow(/CUDA unavailable: /);
  });
});

describe('CUDA attention vs the CPU (fp32)', () => {
  const tol = TOL.fp32;

  it.skipIf(!HAS_DEVICE)(gpuTitle('self-attention from a fused qkv buffer, causal and not, dh 64, awkward T'), () => {
    let seed = 100;
    for (const T of [1, 2, 5, 64, 65, 77, 130])
      for (const causal of [false, true]) {
        const c = selfCase(2, 3, T, 64, causal, null, ++seed);
        const { cf, lse } = checkFwd(c, tol);
        checkBwd(c, cf, lse, tol, ++seed);
      }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('head dims 128, 100, 33, 32, 16, 8, 7, 1'), () => {
    let seed = 200;
    for (const dh of [128, 100, 33, 32, 16, 8, 7, 1])
      for (const causal of [false, true]) {
        const c = selfCase(2, 2, 70, dh, causal, null, ++seed);
        const { cf, lse } = checkFwd(c, tol);
        checkBwd(c, cf, lse, tol, ++seed);
      }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('padding: kLen < T, kLen = 0 for one batch row, causal and not'), () => {
    let seed = 300;
    for (const [T, kLen] of [[9, [9, 3, 0]], [70, [70, 0, 33]], [130, [1, 129, 64]]] as [number, number[]][])
      for (const causal of [false, true])
        for (const dh of [64, 24]) {
          const c = selfCase(3, 2, T, dh, causal, kLen, ++seed);
          const { cf, lse } = checkFwd(c, tol);
          checkBwd(c, cf, lse, tol, ++seed);
        }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('cross-attention (Tq != Tk, separate q, fused kv, padded out), kLen with 0'), () => {
    let seed = 400;
    for (const [Tq, Tk] of [[7, 50], [70, 9], [130, 65], [3, 200], [64, 64]])
      for (const causal of [false, true])
        for (const dh of [64, 16]) {
          const kLen = [Tk, 0, Math.max(1, Tk >> 1)];
          const c = crossCase(3, 2, Tq, Tk, dh, causal, kLen, ++seed);
          const { cf, lse } = checkFwd(c, tol);
          checkBwd(c, cf, lse, tol, ++seed);
        }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('Tq = 1 decoding against a KV cache, NaN past kLen (forward), backward on a clean cache'), () => {
    let seed = 500;
    const B = 24;
    for (const [Tmax, dh] of [[300, 64], [37, 32], [129, 128], [200, 20]]) {
      const kLen: number[] = [];
      for (let b = 0; b < B; ++b) kLen.push(b === 3 ? 0 : b === 5 ? Tmax : 1 + ((b * 7919) % Tmax));
      const c = decodeCase(B, 2, Tmax, dh, kLen, ++seed, NaN);
      checkFwd(c, tol);
      const clean = decodeCase(B, 2, Tmax, dh, kLen, ++seed, 0.5);
      const { cf, lse } = checkFwd(clean, tol);
      checkBwd(clean, cf, lse, tol, ++seed);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('backward is deterministic (bitwise equal on a second run)'), () => {
    const c = selfCase(2, 2, 130, 64, true, [130, 77], 600);
    const cf = cpu.attentionFwd(c.s, c.q, c.k, c.v, c.kLen) as CpuFwd;
    const lse = lseRef(c);
    const dout = values(cf.out.length, 601, -1, 1);
    const a = cuda.attentionBwdTest(c.s, c.q, c.k, c.v, c.kLen, cf.out, lse, dout) as Grads;
    const b = cuda.attentionBwdTest(c.s, c.q, c.k, c.v, c.kLen, cf.out, lse, dout) as Grads;
    for (const key of ['dq', 'dk', 'dv'] as const) {
      const x = a[key], y = b[key];
      let diff = 0;
      for (let i = 0; i < x.length; ++i) if (!Object.is(x[i], y[i])) ++diff;
      expect(diff, `${key}: elements differing between runs`).toBe(0);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('attentionBench runs and returns positive times'), () => {
    const r = cuda.attentionBench({ B: 2, H: 2, T: 64, dh: 64, causal: true, iters: 3, bf16: false }) as { fwdMs: number; bwdMs: number };
    expect(r.fwdMs).toBeGreaterThan(0);
    expect(r.bwdMs).toBeGreaterThan(0);
  });
});

describe('CUDA attention vs the CPU (bf16 tensor cores)', () => {
  const tol = TOL.bf16;
  const bf = { bf16: true };
  const both = (c: Case, seed: number) => {
    roundCase(c);
    const { cf, lse } = checkFwd(c, tol, bf);
    checkBwd(c, cf, lse, tol, seed, bf);
  };

  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16: self-attention from a fused qkv buffer, causal and not, dh 64'), () => {
    let seed = 1100;
    // (T = 1 is left out: its exact gradient is 0 and the bf16 path returns ~1e-8 there.)
    for (const T of [2, 9, 64, 77, 130, 200])
      for (const causal of [false, true]) both(selfCase(2, 3, T, 64, causal, null, ++seed), ++seed);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16: head dims 128, 100, 96, 33 (scalar loads), 32, 16, 8'), () => {
    let seed = 1200;
    for (const dh of [128, 100, 96, 33, 32, 16, 8])
      for (const causal of [false, true]) both(selfCase(2, 2, 70, dh, causal, null, ++seed), ++seed);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16: padding (kLen < T, kLen = 0) and cross-attention'), () => {
    let seed = 1300;
    for (const [T, kLen] of [[70, [70, 0, 33]], [130, [1, 129, 64]]] as [number, number[]][])
      for (const causal of [false, true]) both(selfCase(3, 2, T, 64, causal, kLen, ++seed), ++seed);
    for (const [Tq, Tk] of [[7, 50], [70, 9], [130, 65]])
      for (const causal of [false, true])
        for (const dh of [64, 16]) both(crossCase(3, 2, Tq, Tk, dh, causal, [Tk, 0, Math.max(1, Tk >> 1)], ++seed), ++seed);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16: Tq = 1 decoding (fp32 forward kernel) and its backward'), () => {
    let seed = 1400;
    const kLen: number[] = [];
    for (let b = 0; b < 16; ++b) kLen.push(b === 3 ? 0 : b === 5 ? 150 : 1 + ((b * 7919) % 150));
    both(decodeCase(16, 2, 150, 64, kLen, ++seed, 0.5), ++seed);
  });

  // P and dS rounded to bf16 (split: false, REGURGITATE_ATTN_SPLIT=0), as FlashAttention:
  // about 0.2% of an output's rms per element, inside the bf16 bound.
  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16 without the hi + lo split of P and dS: self, causal, padded and cross cases'), () => {
    const nosplit = { bf16: true, split: false };
    const once = (c: Case, seed: number) => {
      roundCase(c);
      const { cf, lse } = checkFwd(c, tol, nosplit);
      checkBwd(c, cf, lse, tol, seed, nosplit);
    };
    let seed = 1500;
    for (const T of [9, 77, 200])
      for (const causal of [false, true]) once(selfCase(2, 3, T, 64, causal, null, ++seed), ++seed);
    once(selfCase(2, 2, 70, 128, true, null, ++seed), ++seed);
    once(selfCase(3, 2, 70, 64, false, [70, 0, 33], ++seed), ++seed);
    once(crossCase(3, 2, 70, 9, 64, false, [9, 0, 4], ++seed), ++seed);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('bf16: attentionBench runs'), () => {
    const r = cuda.attentionBench({ B: 2, H: 2, T: 128, dh: 64, causal: false, iters: 3, bf16: true }) as { fwdMs: number; bwdMs: number };
    expect(r.fwdMs).toBeGreaterThan(0);
    expect(r.bwdMs).toBeGreaterThan(0);
  });
});
