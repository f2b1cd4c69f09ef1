// Child process for tests/native/gemm.test.ts: REGURGITATE_ISA is read by the addon from
// the environment, so each ISA runs in its own process. Compares gemm with gemmRef on
// many shapes, all transposes, alpha/beta and strided layouts; checks bitwise determinism
// between 1 and 2 threads; prints one JSON object on stdout.
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('node-gyp-build')(process.cwd());

let seed = 0x2545f491;
function rand() {
  // xorshift32, deterministic
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
function randArray(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; ++i) a[i] = rand() * 2 - 1;
  return a;
}

const shapes = [
  [1, 1, 1], [1, 1, 7], [2, 3, 1], [17, 31, 7], [7, 17, 31], [31, 7, 17], [1, 300, 5],
  [300, 1, 5], [300, 2, 1], [3, 300, 1], [13, 29, 300], [37, 1, 64], [1, 64, 37],
  [12, 32, 256], [13, 33, 257], [11, 31, 255], [24, 64, 16], [25, 65, 9], [6, 16, 8],
  [7, 17, 9], [5, 15, 3], [64, 64, 64], [96, 96, 96], [255, 129, 31], [129, 255, 63],
  [2, 300, 299], [48, 290, 77], [300, 300, 300], [271, 263, 269],
  // K above the K block (KC = 1024 floats): C accumulates over several blocks.
  [3, 40, 1100], [29, 45, 2100], [13, 1, 1500], [50, 33, 3000],
];
for (let i = 0; i < 16; ++i) {
  const skew = () => (rand() < 0.5 ? randInt(1, 40) : randInt(1, 300));
  shapes.push([skew(), skew(), skew()]);
}

function relErr(c, r, ldc, M, N) {
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < M; ++i)
    for (let j = 0; j < N; ++j) {
      const x = c[i * ldc + j], y = r[i * ldc + j];
      const d = Math.abs(x - y);
      if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      maxRef = Math.max(maxRef, Math.abs(y));
    }
  return maxDiff / Math.max(maxRef, 1e-30);
}

const cases = [];
const variants = [
  { alpha: 1, beta: 0, nanC: true },
  { alpha: 0.5, beta: -1.5 },
  { alpha: -2, beta: 1 },
  { alpha: 1, beta: 0, nanC: true, pad: 3 },
  { alpha: 1.25, beta: 0.75, pad: 5 },
  { alpha: 0, beta: 0.5 },
];
let v = 0;
for (const [M, N, K] of shapes) {
  for (const ta of [false, true])
    for (const tb of [false, true]) {
      // The first variant (beta = 0, NaN-filled C) runs for every shape and transpose;
      // the others rotate.
      const picks = [variants[0], variants[1 + (v++ % (variants.length - 1))]];
      for (const o of picks) {
        const pad = o.pad ?? 0;
        const lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        const A = randArray((ta ? K : M) * lda), B = randArray((tb ? N : K) * ldb);
        const C0 = o.nanC ? new Float32Array(M * ldc).fill(NaN) : randArray(M * ldc);
        const opts = { alpha: o.alpha, beta: o.beta, C: C0 };
        if (pad) Object.assign(opts, { lda, ldb, ldc });
        const c = addon.gemm(A, B, M, N, K, ta, tb, opts);
        const r = addon.gemmRef(A, B, M, N, K, ta, tb, opts);
        const err = relErr(c, r, ldc, M, N);
        // Entries of C outside the M x N window (row padding) must be left untouched.
        let untouched = true;
        for (let i = 0; i < M && pad; ++i)
          for (let j = N; j < ldc; ++j)
            if (!Object.is(c[i * ldc + j], C0[i * ldc + j])) untouched = false;
        cases.push({
          name: `${M}x${N}x${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} alpha=${o.alpha} beta=${o.beta}` +
            `${o.nanC ? ' C=NaN' : ''}${pad ? ` ld+${pad}` : ''}`,
          relErr: err,
          untouched,
        });
      }
    }
}

// Bitwise determinism across thread counts (shapes big enough to be split).
const determinism = [];
for (const [M, N, K, ta, tb, beta] of [
  [512, 512, 512, false, false, 0],
  [1000, 300, 257, false, true, 0],
  [37, 2000, 300, false, false, 0],
  [300, 1000, 700, true, false, 1],
  [8, 3000, 256, false, true, 0],
  [2000, 40, 600, true, true, 0.5],
  [200, 300, 2500, false, true, 1],
  [10, 700, 2100, false, false, 0],
  [3, 3000, 500, false, false, 0.5],
  [1, 2500, 700, true, false, 0],
]) {
  const A = randArray(M * K), B = randArray(K * N), C0 = randArray(M * N);
  const results = [];
  for (const t of [1, 2, 1, 2]) {
    addon.setThreads(t);
    results.push(addon.gemm(A, B, M, N, K, ta, tb, { beta, C: C0 }));
  }
  addon.setThreads(0);
  const bits = results.map((r) => new Uint32Array(r.buffer, r.byteOffset, r.length));
  let same = true;
  for (let k = 1; k < bits.length && same; ++k)
    for (let i = 0; i < bits[0].length; ++i)
      if (bits[k][i] !== bits[0][i]) {
        same = false;
        break;
      }
  determinism.push({ name: `${M}x${N}x${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} beta=${beta}`, same });
}

process.stdout.write(JSON.stringify({ isa: addon.systemInfo().isa, cases, determinism }) + '\n');
