// GEMM (native/src/cpu/gemm.cc) against the naive reference, for every ISA the CPU has;
// determinism across thread counts; argument validation. Correctness only, never time.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const addon = require('node-gyp-build')(process.cwd());
const child = fileURLToPath(new URL('./gemm-isa-check.mjs', import.meta.url));

const TOL = 1e-5;

interface ChildReport {
  isa: string;
  cases: { name: string; relErr: number; untouched: boolean }[];
  determinism: { name: string; same: boolean }[];
}

const features: string[] = addon.systemInfo().cpuFeatures;
const supported = {
  generic: true,
  avx2: features.includes('avx2') && features.includes('fma'),
  avx512: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => features.includes(f)),
};

describe.each(['generic', 'avx2', 'avx512'] as const)('gemm vs gemmRef, REGURGITATE_ISA=%s', (isa) => {
  const title = 'matches the reference on every shape, transpose, alpha/beta and stride';
  it.skipIf(!supported[isa])(supported[isa] ? title : `${title} (skipped: this CPU lacks ${isa})`, () => {
    const out = execFileSync(process.execPath, [child], {
      cwd: process.cwd(),
      env: { ...process.env, REGURGITATE_ISA: isa },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const r = JSON.parse(out) as ChildReport;
    expect(r.isa).toBe(isa);
    expect(r.cases.length).toBeGreaterThan(300);
    const bad = r.cases.filter((c) => !(c.relErr < TOL)).map((c) => `${c.name}: rel err ${c.relErr}`);
    expect(bad).toEqual([]);
    const touched = r.cases.filter((c) => !c.untouched).map((c) => c.name);
    expect(touched).toEqual([]);
    const diverged = r.determinism.filter((d) => !d.same).map((d) => d.name);
    expect(diverged).toEqual([]);
  });
});

function rnd(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

describe('gemm basics', () => {
  it('computes a small product exactly', () => {
    // [1 2 3; 4 5 6] * [1 0; 0 1; 1 1] = [4 5; 10 11]
    const A = new Float32Array([1, 2, 3, 4, 5, 6]);
    const B = new Float32Array([1, 0, 0, 1, 1, 1]);
    expect(Array.from(addon.gemm(A, B, 2, 2, 3, false, false))).toEqual([4, 5, 10, 11]);
    expect(Array.from(addon.gemmRef(A, B, 2, 2, 3, false, false))).toEqual([4, 5, 10, 11]);
    // A^T with A stored 3x2, B^T with B stored 2x3.
    const At = new Float32Array([1, 4, 2, 5, 3, 6]);
    const Bt = new Float32Array([1, 0, 1, 0, 1, 1]);
    expect(Array.from(addon.gemm(At, Bt, 2, 2, 3, true, true))).toEqual([4, 5, 10, 11]);
  });

  it('never reads C when beta = 0 and leaves the input C untouched', () => {
    const M = 33, N = 47, K = 19;
    const A = rnd(M * K, 1), B = rnd(K * N, 2);
    const C = new Float32Array(M * N).fill(NaN);
    const c = addon.gemm(A, B, M, N, K, false, false, { beta: 0, C });
    expect(c.some(Number.isNaN)).toBe(false);
    expect(C.every(Number.isNaN)).toBe(true);
  });

  it('is bitwise identical with 1 and 2 threads at model-like shapes', () => {
    const before = addon.systemInfo().threads;
    try {
      for (const [M, N, K, ta, tb] of [
        [1024, 256, 256, false, true],
        [1024, 256, 512, false, false],
        [256, 256, 1024, true, false],
        [4, 2000, 256, false, true],
        [16, 1000, 256, false, false],
      ] as [number, number, number, boolean, boolean][]) {
        const A = rnd(M * K, M + K), B = rnd(K * N, N + K), C = rnd(M * N, 7);
        const beta = ta ? 1 : 0;
        addon.setThreads(1);
        const c1 = addon.gemm(A, B, M, N, K, ta, tb, { beta, C });
        addon.setThreads(2);
        const c2 = addon.gemm(A, B, M, N, K, ta, tb, { beta, C });
        const b1 = new Uint32Array(c1.buffer), b2 = new Uint32Array(c2.buffer);
        let diff = 0;
        for (let i = 0; i < b1.length; ++i) if (b1[i] !== b2[i]) ++diff;
        expect(diff, `${M}x${N}x${K}`).toBe(0);
      }
    } finally {
      addon.setThreads(before);
    }
  });

  it('benchGemm reports a positive rate and the active ISA', () => {
    const r = addon.benchGemm(64, 48, 32, 2, { transB: true, beta: 1 });
    expect(r.gflops).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.isa).toBe(addon.systemInfo().isa);
  });
});

describe('gemm argument validation', () => {
  const A = new Float32Array(6), B = new Float32Array(12);
  const cases: [string, () => unknown][] = [
    ['too few arguments', () => addon.gemm(A, B, 2, 4, 3)],
    ['A not a Float32Array', () => addon.gemm(Array.from(A), B, 2, 4, 3, false, false)],
    ['B a Float64Array', () => addon.gemm(A, new Float64Array(12), 2, 4, 3, false, false)],
    ['M = 0', () => addon.gemm(A, B, 0, 4, 3, false, false)],
    ['N negative', () => addon.gemm(A, B, 2, -4, 3, false, false)],
    ['K fractional', () => addon.gemm(A, B, 2, 4, 3.5, false, false)],
    ['K NaN', () => addon.gemm(A, B, 2, 4, NaN, false, false)],
    ['M a string', () => addon.gemm(A, B, '2', 4, 3, false, false)],
    ['M too large', () => addon.gemm(A, B, 2 ** 31, 4, 3, false, false)],
    ['transA a number', () => addon.gemm(A, B, 2, 4, 3, 0, false)],
    ['transB missing', () => addon.gemm(A, B, 2, 4, 3, false, undefined)],
    ['A length mismatch', () => addon.gemm(A, B, 3, 4, 3, false, false)],
    ['B length mismatch', () => addon.gemm(A, B, 2, 5, 3, false, false)],
    ['opts not an object', () => addon.gemm(A, B, 2, 4, 3, false, false, 5)],
    ['unknown option', () => addon.gemm(A, B, 2, 4, 3, false, false, { gamma: 1 })],
    ['alpha not finite', () => addon.gemm(A, B, 2, 4, 3, false, false, { alpha: Infinity })],
    ['beta a string', () => addon.gemm(A, B, 2, 4, 3, false, false, { beta: '1' })],
    ['C too short', () => addon.gemm(A, B, 2, 4, 3, false, false, { beta: 1, C: new Float32Array(7) })],
    ['C wrong type', () => addon.gemm(A, B, 2, 4, 3, false, false, { C: new Int32Array(8) })],
    ['lda below K', () => addon.gemm(A, B, 2, 4, 3, false, false, { lda: 2 })],
    ['ldb below N', () => addon.gemm(A, B, 2, 4, 3, false, false, { ldb: 3 })],
    ['ldc below N', () => addon.gemm(A, B, 2, 4, 3, false, false, { ldc: 3 })],
    ['A shorter than its strided extent', () => addon.gemm(A, B, 2, 4, 3, false, false, { lda: 4 })],
    ['gemmRef validates too', () => addon.gemmRef(A, B, 2, 4, 4, false, false)],
    ['benchGemm iters = 0', () => addon.benchGemm(8, 8, 8, 0)],
    ['benchGemm M fractional', () => addon.benchGemm(8.5, 8, 8, 1)],
    ['benchGemm bad option', () => addon.benchGemm(8, 8, 8, 1, { trans: true })],
    ['benchGemm transA not boolean', () => addon.benchGemm(8, 8, 8, 1, { transA: 'yes' })],
    ['benchGemm too large', () => addon.benchGemm(2 ** 30, 2 ** 30, 8, 1)],
  ];
  it.each(cases)('%s throws EINVAL', (_name, call) => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('EINVAL');
    expect((err as Error).message).toMatch(/^(gemm|gemmRef|benchGemm)\b/);
  });

  it('accepts exact strided extents', () => {
    // 2x3 A with lda 4 needs (2-1)*4 + 3 = 7 elements.
    const c = addon.gemm(new Float32Array(7).fill(1), new Float32Array(12).fill(1), 2, 4, 3, false, false, { lda: 4 });
    expect(Array.from(c)).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
  });
});
