// Which native module runs a model: the CPU addon (regurgitate.node) for 'cpu', the CUDA
// module (regurgitate_cuda.node, the same engine plus the CUDA backend) for 'cuda'. The
// CUDA module is loaded only here, only when a GPU is asked for ('cuda', or 'auto' with a
// usable GPU), so a missing driver or toolkit never affects CPU use.
import { createRequire } from 'node:module';

import { RegurgitateError, wrapNative } from '../common/errors.js';
import { checkInt } from '../common/validate.js';
import { probeCuda, type CudaStatus } from './cuda.js';
import { native, nativeExport } from './load.js';
import type { NativeAddon, NativeModelCtor } from './types.js';

const require = createRequire(import.meta.url);

/** What a caller may ask for. The ':precision' forms choose how CUDA GEMMs multiply. */
export type Device = 'cpu' | 'cuda' | 'auto' | 'cuda:bf16' | 'cuda:tf32' | 'cuda:fp32';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'auto', 'cuda:bf16', 'cuda:tf32', 'cuda:fp32'];

let status: CudaStatus | undefined;
let cudaAddon: NativeAddon | undefined;
let threads: number | undefined;

/** The CUDA probe, once per process. */
export function cudaStatus(): CudaStatus {
  status ??= probeCuda();
  return status;
}

export function isDevice(v: unknown): v is Device {
  return typeof v === 'string' && (DEVICES as readonly string[]).includes(v);
}

/** 'auto' becomes 'cuda' when a GPU is usable, else 'cpu'; others are checked and kept. */
export function resolveDevice(device: Device | undefined): Exclude<Device, 'auto'> {
  const d = device ?? 'cpu';
  if (!isDevice(d)) throw new RegurgitateError('EINVAL', `unknown device '${String(d)}' (known: ${DEVICES.join(', ')})`);
  if (d === 'auto') return cudaStatus().loadable ? 'cuda' : 'cpu';
  return d;
}

/** The CUDA module, or EBACKEND saying why it cannot be used. */
export function cudaAddonOrThrow(): NativeAddon {
  if (cudaAddon) return cudaAddon;
  const st = cudaStatus();
  if (!st.loadable)
    throw new RegurgitateError('EBACKEND', `device 'cuda' was asked for, but CUDA is unavailable: ${st.reason} (run \`regurgitate doctor\`; use device 'cpu' to train on the CPU)`);
  const mod = require(st.path) as NativeAddon;
  if (typeof mod.Model !== 'function')
    throw new RegurgitateError('EBACKEND', `the CUDA module at ${st.path} has no Model (built from older sources): rebuild it with \`bash scripts/build-cuda.sh\``);
  if (threads !== undefined) wrapNative(() => mod.setThreads(threads!));
  cudaAddon = mod;
  return mod;
}

/**
 * Sets the engine's worker threads (0 = REGURGITATE_THREADS, else one per hardware
 * thread) in every native module, the CUDA one too when it is loaded now or later (each
 * has its own pool); returns the count in effect. Safe while training or translation
 * runs: the change applies from the next parallel region, and no result depends on it.
 */
export function applyThreads(n: number): number {
  checkInt('threads', n, 0, 1024);
  const count = wrapNative(() => native().setThreads(n));
  threads = n;
  if (cudaAddon) wrapNative(() => cudaAddon!.setThreads(n));
  return count;
}

/** The Model constructor that runs on `device` (already resolved, never 'auto'). */
export function modelCtorFor(device: Exclude<Device, 'auto'>): NativeModelCtor {
  return device === 'cpu' ? nativeExport('Model') : cudaAddonOrThrow().Model;
}
