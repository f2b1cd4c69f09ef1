// Shared by tests/cuda/*: loads the CUDA module if built, finds out whether a GPU is there
// (and why not), and the comparison helpers every kernel test uses.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

import { Transformer } from '../../ts/src/engine/transformer.js';
import { cudaModulePath } from '../../ts/src/native/cuda.js';
import { rng } from '../helpers.js';

const require = createRequire(import.meta.url);

/** The CPU addon: the reference every CUDA kernel is compared with. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const cpu: any = require('node-gyp-build')(process.cwd());

export const CUDA_PATH = cudaModulePath();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export let cuda: any = null;
export let loadError = '';
if (existsSync(CUDA_PATH)) {
  try {
    cuda = require(CUDA_PATH);
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
  }
}

export let deviceReason = '';
export let devices: { index: number; name: string; computeCapability: string; memoryBytes: number; smCount: number }[] = [];
if (!cuda) deviceReason = existsSync(CUDA_PATH) ? `module does not load: ${loadError}` : `module not built (${CUDA_PATH})`;
else {
  try {
    devices = cuda.devices();
    if (devices.length === 0) deviceReason = 'devices() returned no devices';
  } catch (e) {
    deviceReason = e instanceof Error ? e.message : String(e);
  }
}
export const HAS_DEVICE = devices.length > 0;
/** A test title that says why it is skipped when no GPU is present. */
export const gpuTitle = (title: string): string =>
  HAS_DEVICE ? title : `${title} (skipped: no CUDA device: ${deviceReason})`;

/** n uniform values in [lo, hi) from a seeded generator. */
export function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; ++i) a[i] = lo + (hi - lo) * r();
  return a;
}

/** max |a - b| / max(|b|, rms(b)); NaN anywhere (or a length mismatch) gives NaN, which fails `< tol`. */
export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return NaN;
  let ss = 0;
  for (const x of b) ss += x * x;
  const floor = Math.max(Math.sqrt(ss / Math.max(1, b.length)), 1e-30);
  let worst = 0;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(d <= worst)) worst = d; // NaN sticks
  }
  return worst;
}

/** Same bits (NaN payloads and -0 included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; ++i) if (x[i] !== y[i]) return false;
  return true;
}

export function nanCount(a: Float32Array): number {
  let k = 0;
  for (const x of a) if (Number.isNaN(x)) ++k;
  return k;
}

/** Tolerances of issue 4: relative error under these, per precision. */
export const TOL = { fp32: 1e-5, tf32: 1e-3, bf16: 1e-2 } as const;

/**
 * A CPU model and a cuda:fp32 model with the same weights, for decoding comparisons: the
 * embeddings of pad, bos and eos are scaled up (3, 3, 1.5) so the search must skip pad
 * and bos in its top candidates and eos is likely.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function skewedTwins(config: any, seed: number): { cpuModel: Transformer; gpuModel: Transformer } {
  const cpuModel = Transformer.create(config, { seed });
  const p = cpuModel.parameters();
  const e = cpuModel.paramInfo().find((t) => t.name === 'embed.weight')!;
  const d = config.dModel as number;
  for (const [tok, s] of [[0, 3], [1, 3], [2, 1.5]]) for (let j = 0; j < d; j++) p[e.offset + tok * d + j] *= s;
  cpuModel.setParameters(p);
  const gpuModel = Transformer.create(config, { seed, device: 'cuda:fp32' });
  gpuModel.setParameters(p);
  return { cpuModel, gpuModel };
}
