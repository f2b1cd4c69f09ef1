// The CUDA GEMM family (native/cuda/gemm.cu, gemm_tc.cu) against the CPU addon's gemm:
// fp32 (SIMT), tf32 and bf16 (tensor cores) through gemm(), and gemm_bf16() (bf16 in and
// out). Every transpose combination, odd sizes (1, 7, 33, 127, 129, 200, ...), padded
// leading dimensions (including ones that are not 16-byte multiples: the element-load
// path), alpha/beta, K = 0, split-K shapes (small M x N, large K) and their determinism.
// The Hopper wgmma path (gemm_wgmma.cu) on a compute capability 9.0 device: its self-check,
// forced (gemmSetPath('wgmma')) against the CPU at edge shapes, every transpose, alpha/beta,
// the bias epilogue, its agreement with the mma.sync kernel and determinism, and which
// problems the automatic path gives it.
// Outputs are poisoned with NaN on the device before each run (NaN never passes), and the
// elements between rows (ldc > N) must keep their values. Reference: cpu.gemm on the same
// inputs rounded as the GPU rounds them (tf32: round to nearest, ties away; bf16: round to
// nearest even), so the bounds only cover summation order and output rounding.
import { describe, expect, it } from 'vitest';

import { cpu, cuda, deviceReason, devices, gpuTitle, HAS_DEVICE, nanCount, relErr, TOL, values } from './device.js';

type Precision = 'fp32' | 'tf32' | 'bf16' | 'bf16:fused' | 'bf16:convert';

interface GemmCuda {
  gemmTest(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
    precision: Precision,
  ): Float32Array;
  gemmBf16Test(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Uint16Array, lda: number, B: Uint16Array, ldb: number, ldc: number,
  ): Uint16Array;
  gemmBench(o: { M: number; N: number; K: number; transA?: boolean; transB?: boolean; precision: string; iters?: number; path?: GemmPath }): { ms: number; tflops: number; path: string };
  gemmWgmmaStatus(runSelfcheck?: boolean): WgmmaStatus;
  gemmSetPath(path: GemmPath | null): GemmPath | null;
}
type GemmPath = 'auto' | 'mma' | 'wgmma';
interface WgmmaStatus {
  built: boolean; cc90: boolean; available: boolean; device: number;
  selfcheck: string; path: string; reason: string; launches: number;
}
const mod = cuda as GemmCuda | null;

// ---- rounding as the GPU does it ----------------------------------------------------------
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** bf16 bits of x, round to nearest even (finite x). */
function bf16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) / 65536) & 0xffff;
}
function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}
function roundBf16(a: Float32Array): Float32Array {
  return a.map((x) => bf16ToF32(bf16Bits(x)));
}
/** tf32 as cvt.rna.tf32.f32: 10 mantissa bits, round to nearest, ties away from zero. */
function roundTf32(a: Float32Array): Float32Array {
  return a.map((x) => {
    f32[0] = x;
    u32[0] = ((u32[0] + 0x1000) & 0xffffe000) >>> 0;
    return f32[0];
  });
}

// ---- shapes ---------------------------------------------------------------------------------
interface Case {
  ta: boolean;
  tb: boolean;
  M: number;
  N: number;
  K: number;
  lda: number;
  ldb: number;
  ldc: number;
  alpha: number;
  beta: number;
}
const COMBOS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
// [M, N, K]: odd and tile-straddling sizes, one tile exactly, split-K (small M x N, large K).
const SIZES: [number, number, number][] = [
  [1, 1, 1], [7, 5, 3], [33, 65, 17], [127, 129, 200], [129, 127, 255], [200, 33, 1000],
  [1, 300, 70], [300, 1, 70], [128, 256, 32], [64, 64, 3000],
];
/** Leading-dimension padding per variant: packed; odd (element-load path); 16-byte multiple. */
const PADS: [number, number, number][] = [[0, 0, 0], [3, 5, 2], [8, 16, 4]];
const SCALES: [number, number][] = [[1, 0], [0.5, -1.5], [-2, 0]];

function makeCase(ta: boolean, tb: boolean, [M, N, K]: [number, number, number], v: number): Case {
  const [pa, pb, pc] = PADS[v % PADS.length];
  const [alpha, beta] = SCALES[v % SCALES.length];
  return {
    ta, tb, M, N, K, alpha, beta,
    lda: Math.max(1, (ta ? M : K) + pa),
    ldb: Math.max(1, (tb ? K : N) + pb),
    ldc: Math.max(1, N + pc),
  };
}
/** Elements a rows x cols matrix with row stride ld spans. */
const extent = (rows: number, cols: number, ld: number) => (rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0);

function inputs(c: Case, seed: number) {
  const A = values(extent(c.ta ? c.K : c.M, c.ta ? c.M : c.K, c.lda), seed, -1, 1);
  const B = values(extent(c.tb ? c.N : c.K, c.tb ? c.K : c.N, c.ldb), seed + 1, -1, 1);
  const C = values(extent(c.M, c.N, c.ldc), seed + 2, -1, 1);
  return { A, B, C };
}

/** The M x N product part of a row-major matrix with row stride ld. */
function region(a: ArrayLike<number>, M: number, N: number, ld: number): Float32Array {
  const r = new Float32Array(M * N);
  for (let i = 0; i < M; ++i) for (let j = 0; j < N; ++j) r[i * N + j] = a[i * ld + j];
  return r;
}
/** Elements between rows (ldc > N) that differ bitwise from the input C. */
function gapsChanged(out: Float32Array, C: Float32Array, c: Case): number {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const i0 = new Uint32Array(C.buffer, C.byteOffset, C.length);
  let k = 0;
  for (let i = 0; i + 1 < c.M; ++i) for (let j = c.N; j < c.ldc; ++j) if (o[i * c.ldc + j] !== i0[i * c.ldc + j]) ++k;
  return k;
}
function cpuGemm(c: Case, A: Float32Array, B: Float32Array, C: Float32Array): Float32Array {
  return cpu.gemm(A, B, c.M, c.N, c.K, c.ta, c.tb, { alpha: c.alpha, beta: c.beta, C, lda: c.lda, ldb: c.ldb, ldc: c.ldc }) as Float32Array;
}
const where = (c: Case, p: string) =>
  `${p} transA=${c.ta} transB=${c.tb} M=${c.M} N=${c.N} K=${c.K} lda=${c.lda} ldb=${c.ldb} ldc=${c.ldc} alpha=${c.alpha} beta=${c.beta}`;

/** Runs one case on the GPU and checks it against the CPU on rounded inputs. Returns the error. */
function check(c: Case, precision: Precision, seed: number, tol: number): number {
  const { A, B, C } = inputs(c, seed);
  const round = precision === 'fp32' ? (a: Float32Array) => a : precision === 'tf32' ? roundTf32 : roundBf16;
  const ref = cpuGemm(c, round(A), round(B), C);
  const out = mod!.gemmTest(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, c.lda, B, c.ldb, c.beta, C, c.ldc, precision);
  const w = where(c, precision);
  expect(out.length, `${w}: output length`).toBe(C.length);
  const got = region(out, c.M, c.N, c.ldc);
  expect(nanCount(got), `${w}: NaN (unwritten) elements`).toBe(0);
  expect(gapsChanged(out, C, c), `${w}: elements between rows written`).toBe(0);
  const r = relErr(got, region(ref, c.M, c.N, c.ldc));
  expect(r < tol, `${w}: rel err ${r} (tol ${tol})`).toBe(true);
  return r;
}

// ---- without a GPU ---------------------------------------------------------------------------
describe('GEMM: CPU reference and entry points (no GPU needed)', () => {
  it('cpu.gemm exists and is right on a 2x2, all transposes, alpha and beta', () => {
    expect(typeof cpu.gemm).toBe('function');
    const A = new Float32Array([1, 2, 3, 4]); // [[1, 2], [3, 4]]
    const B = new Float32Array([5, 6, 7, 8]); // [[5, 6], [7, 8]]
    const C = new Float32Array([1, 1, 1, 1]);
    const T = (m: number[]) => [m[0], m[2], m[1], m[3]];
    const mul = (a: number[], b: number[]) => [
      a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
      a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
    ];
    for (const [ta, tb] of COMBOS) {
      const want = mul(ta ? T([...A]) : [...A], tb ? T([...B]) : [...B]).map((x) => 2 * x - 3);
      const got = cpu.gemm(A, B, 2, 2, 2, ta, tb, { alpha: 2, beta: -3, C }) as Float32Array;
      expect([...got], `transA=${ta} transB=${tb}`).toEqual(want);
    }
  });

  it('the rounding helpers match bf16 (nearest even) and tf32 (nearest, ties away)', () => {
    expect(bf16Bits(1)).toBe(0x3f80);
    expect(bf16Bits(-2)).toBe(0xc000);
    expect(bf16ToF32(bf16Bits(1 + 2 ** -8))).toBe(1); // tie -> even (down)
    expect(bf16ToF32(bf16Bits(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6); // tie -> even (up)
    expect(bf16ToF32(bf16Bits(1 + 2 ** -8 + 2 ** -20))).toBe(1 + 2 ** -7);
    expect(roundTf32(new Float32Array([1 + 2 ** -11]))[0]).toBe(1 + 2 ** -10); // tie -> away
    expect(roundTf32(new Float32Array([-(1 + 2 ** -11)]))[0]).toBe(-(1 + 2 ** -10));
    expect(roundTf32(new Float32Array([1 + 2 ** -12]))[0]).toBe(1);
  });

  it.skipIf(!mod)(mod ? 'the CUDA module has gemmTest, gemmBf16Test, gemmBench' : `the CUDA module has the GEMM entry points (skipped: ${deviceReason})`, () => {
    expect(typeof mod!.gemmTest).toBe('function');
    expect(typeof mod!.gemmBf16Test).toBe('function');
    expect(typeof mod!.gemmBench).toBe('function');
  });

  it.skipIf(!mod)(mod ? 'bad arguments throw clear errors before the device is touched' : `argument checks (skipped: ${deviceReason})`, () => {
    const a = new Float32Array(6), b = new Float32Array(12), c = new Float32Array(8);
    // M=2, N=4, K=3 packed: A 2x3, B 3x4, C 2x4.
    const call = (over: Partial<{ lda: number; ldb: number; ldc: number; A: Float32Array; C: Float32Array; p: string; M: number }>) =>
      () => mod!.gemmTest(false, false, over.M ?? 2, 4, 3, 1, over.A ?? a, over.lda ?? 3, b, over.ldb ?? 4, 0, over.C ?? c, over.ldc ?? 4, (over.p ?? 'fp32') as Precision);
    expect(call({ lda: 2 })).toThrow(/lda = 2 must be >= max\(1, K = 3\)/);
    expect(call({ ldb: 3 })).toThrow(/ldb = 3 must be >= max\(1, N = 4\)/);
    expect(call({ ldc: 3 })).toThrow(/ldc = 3 must be >= max\(1, N = 4\)/);
    expect(call({ A: new Float32Array(5) })).toThrow(/A has 5 elements, needs 6/);
    expect(call({ C: new Float32Array(7) })).toThrow(/C has 7 elements, needs 8/);
    expect(call({ p: 'fp16' })).toThrow(/precision must be 'fp32', 'tf32' or 'bf16'/);
    expect(call({ M: -1 })).toThrow(/M must be an integer >= 0/);
    expect(() => (mod!.gemmTest as unknown as (...x: unknown[]) => unknown)(false, false, 2, 4, 3)).toThrow(/expected 14 arguments/);
    expect(() => mod!.gemmBf16Test(false, false, 2, 4, 3, new Uint16Array(6), 3, new Uint16Array(11), 4, 4)).toThrow(/B has 11 elements, needs 12/);
    expect(() => mod!.gemmBf16Test(false, false, 2, 4, 3, a as unknown as Uint16Array, 3, new Uint16Array(12), 4, 4)).toThrow(/A must be a Uint16Array/);
    expect(() => mod!.gemmBench({ M: 0, N: 1, K: 1, precision: 'fp32' })).toThrow(/M must be an integer >= 1/);
    expect(() => mod!.gemmBench({ M: 1, N: 1, K: 1, precision: 'int8' })).toThrow(/precision must be/);
  });

  it.skipIf(!mod)(mod ? 'gemmWgmmaStatus reports the Hopper path; gemmSetPath validates and returns the previous setting' : `wgmma status entry points (skipped: ${deviceReason})`, () => {
    const st = mod!.gemmWgmmaStatus();
    expect(typeof st.built).toBe('boolean');
    expect(['passed', 'not run'].includes(st.selfcheck) || st.selfcheck.startsWith('failed: ')).toBe(true);
    if (!HAS_DEVICE) {
      expect(st.available).toBe(false);
      expect(st.selfcheck).toBe('not run');
      expect(st.reason).toMatch(/no CUDA device|not built|without sm_90a/);
    }
    expect(mod!.gemmSetPath('mma')).toBe(null);
    expect(mod!.gemmWgmmaStatus().path).toBe('mma');
    expect(mod!.gemmWgmmaStatus().available).toBe(false);
    expect(mod!.gemmSetPath('wgmma')).toBe('mma');
    expect(mod!.gemmSetPath(null)).toBe('wgmma');
    expect(() => mod!.gemmSetPath('fast' as GemmPath)).toThrow(/path must be 'auto', 'mma', 'wgmma' or null/);
    expect(() => mod!.gemmBench({ M: 8, N: 8, K: 8, precision: 'bf16in', path: 'x' as GemmPath })).toThrow(/path must be/);
  });

  const noGpu = mod !== null && !HAS_DEVICE;
  it.skipIf(!noGpu)(noGpu ? 'without a GPU the GEMM entry points throw "CUDA unavailable" cleanly' : `no-GPU behaviour (skipped: ${mod ? 'a CUDA device is present' : deviceReason})`, () => {
    const a = new Float32Array(4), c = new Float32Array(4);
    expect(() => mod!.gemmTest(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2, 'bf16')).toThrow(/CUDA unavailable: /);
    expect(() => mod!.gemmBf16Test(false, false, 2, 2, 2, new Uint16Array(4), 2, new Uint16Array(4), 2, 2)).toThrow(/CUDA unavailable: /);
    expect(() => mod!.gemmBench({ M: 8, N: 8, K: 8, precision: 'fp32' })).toThrow(/CUDA unavailable: /);
  });
});

// ---- on a GPU ----------------------------------------------------------------------------------
describe('GEMM on the GPU vs cpu.gemm', () => {
  const sweep = (precision: Precision, tol: number) => {
    let seed = 1000;
    let worst = 0;
    for (const [ta, tb] of COMBOS)
      for (const s of SIZES)
        for (let v = 0; v < PADS.length; ++v) worst = Math.max(worst, check(makeCase(ta, tb, s, v), precision, (seed += 7), tol));
    return worst;
  };

  it.skipIf(!HAS_DEVICE)(gpuTitle(`fp32 (SIMT): all transposes, odd sizes, padded ld, alpha/beta (rel < ${TOL.fp32})`), () => {
    sweep('fp32', TOL.fp32);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle(`tf32 (tensor cores) vs the CPU on tf32-rounded inputs (rel < ${TOL.tf32})`), () => {
    sweep('tf32', TOL.tf32);
  });

  for (const p of ['bf16', 'bf16:fused', 'bf16:convert'] as const) {
    it.skipIf(!HAS_DEVICE)(gpuTitle(`${p} (tensor cores) vs the CPU on bf16-rounded inputs (rel < ${TOL.bf16})`), () => {
      sweep(p, TOL.bf16);
    });
  }

  it.skipIf(!HAS_DEVICE)(gpuTitle('tf32 and bf16 round exactly as the reference (rel < 1e-4 on rounded-input references)'), () => {
    // A wrong rounding mode (truncation) or a dropped operand element would show at ~1e-3;
    // with the same rounded operands only fp32 summation order differs (~1e-6).
    let seed = 5000;
    for (const p of ['tf32', 'bf16:fused', 'bf16:convert'] as const)
      for (const [ta, tb] of COMBOS) check(makeCase(ta, tb, [129, 127, 255], 1), p, (seed += 3), 1e-4);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('K = 0 gives beta * C (0 when beta = 0, NaN in C ignored); M = 0 or N = 0 leaves C alone'), () => {
    for (const p of ['fp32', 'tf32', 'bf16'] as const)
      for (const [ta, tb] of COMBOS) {
        for (const beta of [0, 0.5]) {
          const C = values(5 * 7, 3, -1, 1);
          const out = mod!.gemmTest(ta, tb, 5, 7, 0, 1, new Float32Array(0), Math.max(1, ta ? 5 : 0), new Float32Array(0), Math.max(1, tb ? 0 : 7), beta, C, 7, p);
          const want = C.map((x) => beta * x);
          expect(relErr(out, want), `${p} ta=${ta} tb=${tb} beta=${beta}`).toBe(0);
        }
        // M = 0 (A empty, B 3 x 4 or 4 x 3) and N = 0 (B empty): C comes back as given.
        const C = values(12, 4, -1, 1);
        expect([...mod!.gemmTest(ta, tb, 0, 4, 3, 1, new Float32Array(0), 3, new Float32Array(12), tb ? 3 : 4, 0, C, 4, p)]).toEqual([...C]);
        expect([...mod!.gemmTest(ta, tb, 3, 0, 4, 1, new Float32Array(12), ta ? 3 : 4, new Float32Array(0), tb ? 4 : 1, 0, C, 4, p)]).toEqual([...C]);
      }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('model-like layouts at a larger size (NT forward, TN weight gradient with beta = 1, NN input gradient), all precisions'), () => {
    // rows x o x i = 1000 x 384 x 200; the TN case is split-K (K = rows).
    const R = 1000, o = 384, i = 200;
    const cases: Case[] = [
      { ta: false, tb: true, M: R, N: o, K: i, lda: i, ldb: i, ldc: o, alpha: 1, beta: 0 },
      { ta: true, tb: false, M: o, N: i, K: R, lda: o, ldb: i, ldc: i, alpha: 1, beta: 1 },
      { ta: false, tb: false, M: R, N: i, K: o, lda: o, ldb: i, ldc: i, alpha: 1, beta: 0 },
    ];
    let seed = 9000;
    for (const c of cases)
      for (const [p, tol] of [['fp32', TOL.fp32], ['tf32', TOL.tf32], ['bf16', TOL.bf16]] as const) check(c, p, (seed += 3), tol);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('split-K results are deterministic (bitwise equal over two runs)'), () => {
    for (const p of ['tf32', 'bf16:fused', 'bf16:convert'] as const) {
      const c = makeCase(true, false, [96, 80, 5000], 0);
      const { A, B, C } = inputs(c, 77);
      const r1 = mod!.gemmTest(c.ta, c.tb, c.M, c.N, c.K, 1, A, c.lda, B, c.ldb, 1, C, c.ldc, p);
      const r2 = mod!.gemmTest(c.ta, c.tb, c.M, c.N, c.K, 1, A, c.lda, B, c.ldb, 1, C, c.ldc, p);
      expect(Buffer.compare(Buffer.from(r1.buffer), Buffer.from(r2.buffer)), p).toBe(0);
    }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle(`gemm_bf16 (bf16 in and out): all transposes, odd sizes, padded ld (rel < ${TOL.bf16}), padding untouched`), () => {
    let seed = 3000;
    const sizes: [number, number, number][] = [...SIZES, [300, 520, 1030]];
    for (const [ta, tb] of COMBOS)
      for (const s of sizes)
        for (let v = 0; v < PADS.length; ++v) {
          const c = makeCase(ta, tb, s, v);
          const { A, B } = inputs(c, (seed += 5));
          const Ab = new Uint16Array(A.length), Bb = new Uint16Array(B.length);
          for (let k = 0; k < A.length; ++k) Ab[k] = bf16Bits(A[k]);
          for (let k = 0; k < B.length; ++k) Bb[k] = bf16Bits(B[k]);
          const Af = Float32Array.from(Ab, bf16ToF32), Bf = Float32Array.from(Bb, bf16ToF32);
          const ref = cpuGemm({ ...c, alpha: 1, beta: 0 }, Af, Bf, new Float32Array(extent(c.M, c.N, c.ldc)));
          const out = mod!.gemmBf16Test(ta, tb, c.M, c.N, c.K, Ab, c.lda, Bb, c.ldb, c.ldc);
          const w = where(c, 'gemm_bf16');
          expect(out.length, `${w}: output length`).toBe(c.M * c.ldc);
          let gaps = 0;
          for (let i = 0; i < c.M; ++i) for (let j = c.N; j < c.ldc; ++j) if (out[i * c.ldc + j] !== 0xffff) ++gaps;
          expect(gaps, `${w}: elements past N written`).toBe(0);
          const got = region(Float32Array.from(out, bf16ToF32), c.M, c.N, c.ldc);
          expect(nanCount(got), `${w}: NaN (unwritten) elements`).toBe(0);
          const r = relErr(got, region(ref, c.M, c.N, c.ldc));
          expect(r < TOL.bf16, `${w}: rel err ${r}`).toBe(true);
        }
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('gemmBench reports a median time and TFLOP/s for every precision'), () => {
    for (const precision of ['fp32', 'tf32', 'bf16', 'bf16in'])
      for (const [transA, transB] of COMBOS) {
        const r = mod!.gemmBench({ M: 256, N: 384, K: 320, transA, transB, precision, iters: 3 });
        expect(r.ms > 0 && Number.isFinite(r.ms), `${precision}: ms ${r.ms}`).toBe(true);
        expect(Math.abs(r.tflops - (2 * 256 * 384 * 320) / (r.ms * 1e-3) / 1e12) < 1e-6 * r.tflops).toBe(true);
      }
  });
});

// ---- the Hopper wgmma path (gemm_wgmma.cu) -------------------------------------------------------
// Its self-check runs here at collection (gemmWgmmaStatus(true)) on a cc 9.0 device, unless
// REGURGITATE_GEMM=mma: scripts/device-run.sh sets that when its wgmma probe failed (a
// kernel fault there would leave this process's CUDA context unusable, failing every GEMM
// test below with it), so then the self-check does not run and the wgmma tests skip.
const WGMMA_OFF = process.env.REGURGITATE_GEMM === 'mma';
const wg = HAS_DEVICE && mod && typeof mod.gemmWgmmaStatus === 'function' ? mod.gemmWgmmaStatus(!WGMMA_OFF) : null;
const CC90 = HAS_DEVICE && devices[0]?.computeCapability === '9.0';
const HOPPER = wg !== null && wg.built && wg.cc90 && !WGMMA_OFF;
const hopperTitle = (t: string): string => {
  if (HOPPER) return t;
  if (!HAS_DEVICE) return `${t} (skipped: no CUDA device: ${deviceReason})`;
  if (WGMMA_OFF) return `${t} (skipped: REGURGITATE_GEMM=mma; device-run.sh sets it when the wgmma probe fails: see wgmma-probe.json)`;
  if (!wg) return `${t} (skipped: the CUDA module has no gemmWgmmaStatus)`;
  if (!wg.built) return `${t} (skipped: module built without sm_90a: ${wg.reason})`;
  return `${t} (skipped: not a compute capability 9.0 device: ${devices[0]?.name} ${devices[0]?.computeCapability})`;
};
const launches = () => mod!.gemmWgmmaStatus().launches;
/** Runs fn with the GEMM path forced, restoring REGURGITATE_GEMM's rule after. */
function withPath<T>(path: GemmPath, fn: () => T): T {
  mod!.gemmSetPath(path);
  try {
    return fn();
  } finally {
    mod!.gemmSetPath(null);
  }
}
/** bf16 operands for gemmBf16Test: bits and their fp32 values. */
function bf16Inputs(c: Case, seed: number) {
  const { A, B } = inputs(c, seed);
  const Ab = Uint16Array.from(A, bf16Bits), Bb = Uint16Array.from(B, bf16Bits);
  return { Ab, Bb, Af: Float32Array.from(Ab, bf16ToF32), Bf: Float32Array.from(Bb, bf16ToF32) };
}
const up8 = (n: number) => Math.ceil(Math.max(1, n) / 8) * 8;
// [M, N, K], all unsplit (K <= 448): one element, below one tile, K < BK (64), tile-exact,
// one past the tile on every side, the self-check's shapes, a wide N-major B.
const WG_SIZES: [number, number, number][] = [
  [1, 1, 1], [7, 5, 3], [33, 65, 17], [64, 300, 40], [128, 256, 64], [129, 257, 65],
  [127, 129, 200], [200, 264, 136], [256, 256, 192], [300, 130, 448], [136, 520, 100],
];

describe('GEMM on the GPU: the Hopper wgmma path', () => {
  // Without this the wgmma tests below would skip quietly on an H100 if the module were
  // built without sm_90a.
  const cc90Title = 'on a compute capability 9.0 device the module has the wgmma kernel (sm_90a)';
  it.skipIf(!CC90 || !wg)(CC90 && wg ? cc90Title : `${cc90Title} (skipped: ${HAS_DEVICE ? `not a cc 9.0 device: ${devices[0]?.name} ${devices[0]?.computeCapability}` : `no CUDA device: ${deviceReason}`})`, () => {
    expect(wg!.built, wg!.reason).toBe(true);
    expect(wg!.cc90).toBe(true);
  });

  it.skipIf(!HOPPER)(hopperTitle('the wgmma self-check passed on this compute capability 9.0 device'), () => {
    expect(wg!.selfcheck, wg!.selfcheck).toBe('passed');
    expect(mod!.gemmWgmmaStatus().available).toBe(true);
  });

  it.skipIf(!HOPPER)(hopperTitle(`forced wgmma: gemm() bf16 vs the CPU, all transposes, edge shapes (K < 64, M, N, K off the tile), alpha/beta, NaN-poisoned C (rel < ${TOL.bf16})`), () => {
    withPath('wgmma', () => {
      let seed = 20000;
      for (const [ta, tb] of COMBOS)
        for (const s of WG_SIZES)
          for (let v = 0; v < PADS.length; ++v) {
            const c = makeCase(ta, tb, s, v);
            const n0 = launches();
            check(c, 'bf16:convert', (seed += 7), TOL.bf16);
            expect(launches() - n0, `${where(c, 'wgmma')}: wgmma kernel launched`).toBe(1);
          }
    });
  });

  it.skipIf(!HOPPER)(hopperTitle(`forced wgmma: gemm_bf16 (bf16 in and out) vs the CPU, all transposes, edge shapes, leading dimensions multiples of 8, padding untouched (rel < ${TOL.bf16})`), () => {
    withPath('wgmma', () => {
      let seed = 21000;
      for (const [ta, tb] of COMBOS)
        for (const [M, N, K] of WG_SIZES)
          for (const pad of [0, 8]) {
            const c: Case = { ta, tb, M, N, K, alpha: 1, beta: 0, lda: up8(ta ? M : K) + pad, ldb: up8(tb ? K : N) + pad, ldc: N + pad + 1 };
            const { Ab, Bb, Af, Bf } = bf16Inputs(c, (seed += 5));
            const ref = cpuGemm(c, Af, Bf, new Float32Array(extent(c.M, c.N, c.ldc)));
            const n0 = launches();
            const out = mod!.gemmBf16Test(ta, tb, M, N, K, Ab, c.lda, Bb, c.ldb, c.ldc);
            const w = where(c, 'gemm_bf16 wgmma');
            expect(launches() - n0, `${w}: wgmma kernel launched`).toBe(1);
            let gaps = 0;
            for (let i = 0; i < M; ++i) for (let j = N; j < c.ldc; ++j) if (out[i * c.ldc + j] !== 0xffff) ++gaps;
            expect(gaps, `${w}: elements past N written`).toBe(0);
            const got = region(Float32Array.from(out, bf16ToF32), M, N, c.ldc);
            expect(nanCount(got), `${w}: NaN (unwritten) elements`).toBe(0);
            const r = relErr(got, region(ref, M, N, c.ldc));
            expect(r < TOL.bf16, `${w}: rel err ${r}`).toBe(true);
          }
    });
  });

  it.skipIf(!HOPPER)(hopperTitle('forced wgmma refuses what TMA cannot load (leading dimension not a multiple of 8) and the mma.sync kernel gives the right answer'), () => {
    withPath('wgmma', () => {
      const c: Case = { ta: false, tb: true, M: 200, N: 264, K: 136, alpha: 1, beta: 0, lda: 141, ldb: 136, ldc: 264 };
      const { Ab, Bb, Af, Bf } = bf16Inputs(c, 22000);
      const n0 = launches();
      const out = mod!.gemmBf16Test(c.ta, c.tb, c.M, c.N, c.K, Ab, c.lda, Bb, c.ldb, c.ldc);
      expect(launches() - n0).toBe(0);
      const ref = cpuGemm(c, Af, Bf, new Float32Array(c.M * c.N));
      expect(relErr(Float32Array.from(out, bf16ToF32), ref) < TOL.bf16).toBe(true);
    });
  });

  it.skipIf(!HOPPER)(hopperTitle('forced wgmma agrees with the mma.sync kernel to fp32 summation order (rel < 1e-4) and is deterministic (bitwise over two runs)'), () => {
    let seed = 23000;
    for (const [ta, tb] of COMBOS)
      // The last: 11 x 12 = 132 tiles (unsplit on an H100), 16 k-steps, 11 tile rows (more
      // than one raster group of 8).
      for (const s of [[256, 256, 192], [129, 257, 65], [300, 130, 448], [1300, 3000, 1000]] as [number, number, number][]) {
        const c = makeCase(ta, tb, s, 1);
        const { A, B, C } = inputs(c, (seed += 3));
        const run = () => mod!.gemmTest(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, c.lda, B, c.ldb, c.beta, C, c.ldc, 'bf16:convert');
        const n0 = launches();
        const w1 = withPath('wgmma', run), w2 = withPath('wgmma', run), m = withPath('mma', run);
        const w = where(c, 'wgmma vs mma');
        expect(launches() - n0, `${w}: wgmma launched for both wgmma runs`).toBe(2);
        expect(Buffer.compare(Buffer.from(w1.buffer), Buffer.from(w2.buffer)), `${w}: two wgmma runs differ`).toBe(0);
        const r = relErr(region(w1, c.M, c.N, c.ldc), region(m, c.M, c.N, c.ldc));
        expect(r < 1e-4, `${w}: rel ${r}`).toBe(true);
      }
  });

  const fused = cuda !== null && typeof cuda.fusedOpTest === 'function';
  it.skipIf(!HOPPER || !fused)(hopperTitle(`forced wgmma: linearFwd (bias in the epilogue) and linearBwd (TN weight gradient, beta = 1; NN input gradient) vs the CPU on bf16-rounded operands (rel < ${TOL.bf16})`), () => {
    const round = roundBf16;
    for (const [rows, out, inn] of [[300, 264, 136], [256, 448, 448], [333, 257, 200]] as [number, number, number][]) {
      const x = values(rows * inn, rows, -1, 1), W = values(out * inn, rows + 1, -0.5, 0.5), b = values(out, rows + 2, -1, 1);
      const fw = { rows, out, in: inn, x, W, b };
      const n0 = launches();
      const g = withPath('wgmma', () => cuda.fusedOpTest('cuda', 'linearFwd', fw));
      expect(launches() - n0, `linearFwd ${rows}x${out}x${inn}: wgmma launched`).toBe(1);
      const c = cuda.fusedOpTest('cpu', 'linearFwd', { ...fw, x: round(x), W: round(W) });
      expect(nanCount(g.y)).toBe(0);
      const r = relErr(g.y, c.y);
      expect(r < TOL.bf16, `linearFwd ${rows}x${out}x${inn}: rel ${r}`).toBe(true);

      const dout = values(rows * out, rows + 3, -1, 1), dW = values(out * inn, rows + 4, -1, 1), db = new Float32Array(out), din = values(rows * inn, rows + 5, -1, 1);
      const bw = { rows, out, in: inn, dout, x, W, dW, db, din, accumulate: true };
      const n1 = launches();
      const gb = withPath('wgmma', () => cuda.fusedOpTest('cuda', 'linearBwd', bw));
      expect(launches() - n1, `linearBwd ${rows}x${out}x${inn}: wgmma launched for both products`).toBe(2);
      const cb = cuda.fusedOpTest('cpu', 'linearBwd', { ...bw, dout: round(dout), x: round(x), W: round(W) });
      for (const k of ['dW', 'din'] as const) {
        expect(nanCount(gb[k]), k).toBe(0);
        const e = relErr(gb[k], cb[k]);
        expect(e < TOL.bf16, `linearBwd ${k} ${rows}x${out}x${inn}: rel ${e}`).toBe(true);
      }
    }
  });

  it.skipIf(!HOPPER)(hopperTitle('automatic path: unsplit products of at least 128 x 128 x 64 take wgmma, smaller or split-K ones and REGURGITATE_GEMM=mma keep mma.sync'), () => {
    const takes = (M: number, N: number, K: number, path: GemmPath) => {
      const c = makeCase(false, true, [M, N, K], 0);
      const { A, B, C } = inputs(c, M + N + K);
      const n0 = launches();
      withPath(path, () => mod!.gemmTest(false, true, M, N, K, 1, A, c.lda, B, c.ldb, 0, C, c.ldc, 'bf16:convert'));
      return launches() - n0;
    };
    expect(takes(256, 256, 128, 'auto')).toBe(1);
    expect(takes(128, 128, 64, 'auto')).toBe(1);
    expect(takes(127, 256, 128, 'auto')).toBe(0);
    expect(takes(256, 256, 63, 'auto')).toBe(0);
    expect(takes(256, 256, 128, 'mma')).toBe(0);
    expect(takes(128, 128, 8192, 'wgmma')).toBe(0); // split-K: never wgmma
  });
});
