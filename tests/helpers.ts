// Shared test helpers.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { mulberry32 } from '../ts/src/data/split.js';
import { tryNative } from '../ts/src/native/load.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Compiles ts/src to dist/ when dist is missing or older than the sources (npm test builds first). */
export function ensureBuilt(): void {
  const marker = join(ROOT, 'dist', 'index.js');
  if (existsSync(marker) && existsSync(CLI) && statSync(marker).mtimeMs >= newest(join(ROOT, 'ts', 'src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
}

const loaded = tryNative();
/** The addon loads (build/Release/regurgitate.node exists and matches this Node). */
export const HAS_ADDON = Boolean(loaded.addon);
/** This build of the addon has the model (native/src/napi/model_napi.cc implemented). */
export const HAS_MODEL = typeof loaded.addon?.Model === 'function';
/** This build has the GEMM entry points. */
export const HAS_GEMM = typeof loaded.addon?.benchGemm === 'function' && typeof loaded.addon?.gemm === 'function';

/** A seeded PRNG (mulberry32, the package's own). */
export const rng = mulberry32;

/** Random pairs of 1..maxLen ids in [3, V) (0-2: pad, bos, eos), target = the reversed source. */
export function reversalPairs(n: number, seed: number, maxLen: number, V: number): { src: Int32Array; tgt: Int32Array }[] {
  const r = rng(seed);
  const out: { src: Int32Array; tgt: Int32Array }[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(r() * maxLen);
    const src = Int32Array.from({ length: len }, () => 3 + Math.floor(r() * (V - 3)));
    out.push({ src, tgt: Int32Array.from(src).reverse() });
  }
  return out;
}

// bf16 as the GPU rounds (__float2bfloat16_rn: nearest, ties to even), for finite values.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The bf16 bits of one value. */
export function bf16BitsOf(x: number): number {
  f32[0] = x;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) / 65536) & 0xffff;
}
/** The bf16 bits of each value. */
export const bf16Bits = (a: ArrayLike<number>): Uint16Array => Uint16Array.from(a as ArrayLike<number>, bf16BitsOf);
/** Each value rounded to bf16 (a new array). */
export const roundBf16 = (a: Float32Array): Float32Array =>
  a.map((x) => {
    u32[0] = (bf16BitsOf(x) << 16) >>> 0;
    return f32[0];
  });
