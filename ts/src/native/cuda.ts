// Probing the optional CUDA module (build/Release/regurgitate_cuda.node, built from
// native/cuda by cmake-js in scripts/build-cuda.sh; docs/cuda.md). It is loaded only when
// it exists, so a missing driver or toolkit can never break CPU use (node-llama-cpp's
// rule). The module links the CUDA runtime statically and opens libcuda.so.1 lazily, so
// it loads without a driver; its devices() then throws "CUDA unavailable: <cuda error>",
// which becomes the reason here (and in `regurgitate doctor`).
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from './load.js';

const require = createRequire(import.meta.url);

export interface CudaDriver {
  /** Where libcuda.so.1 was found (null if not). */
  libcuda: string | null;
  /** Kernel driver version from /proc/driver/nvidia/version (null if absent). */
  kernelDriver: string | null;
  /** /dev/nvidia<N> device nodes. */
  deviceNodes: string[];
}

export interface CudaStatus {
  built: boolean;
  loadable: boolean;
  reason: string;
  path: string;
  driver: CudaDriver;
  devices: unknown[];
}

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
  '/usr/local/nvidia/lib64',
  '/usr/local/nvidia/lib',
  '/usr/lib/wsl/lib',
];

/** Looks for the NVIDIA user-space driver (libcuda.so.1), the kernel driver and device nodes. */
export function probeDriver(): CudaDriver {
  let libcuda: string | null = null;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  for (const d of dirs) {
    const p = join(d, 'libcuda.so.1');
    if (existsSync(p)) {
      libcuda = p;
      break;
    }
  }
  if (!libcuda) {
    // The dynamic linker's cache names every library ldconfig knows.
    try {
      const cache = readFileSync('/etc/ld.so.cache').toString('latin1');
      const m = /\/[\x21-\x7e]*\/libcuda\.so\.1(?![\x21-\x7e])/.exec(cache);
      if (m) libcuda = m[0];
      else if (cache.includes('libcuda.so.1')) libcuda = 'libcuda.so.1 (ld.so.cache)';
    } catch {
      // no cache
    }
  }
  let kernelDriver: string | null = null;
  try {
    kernelDriver = readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0].trim() || null;
  } catch {
    // no kernel driver
  }
  let deviceNodes: string[] = [];
  try {
    deviceNodes = readdirSync('/dev')
      .filter((n) => /^nvidia\d+$/.test(n))
      .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))
      .map((n) => `/dev/${n}`);
  } catch {
    // no /dev
  }
  return { libcuda, kernelDriver, deviceNodes };
}

export function cudaModulePath(): string {
  return join(packageRoot(), 'build', 'Release', 'regurgitate_cuda.node');
}

function driverProblem(d: CudaDriver): string | null {
  if (!d.libcuda) return 'no NVIDIA driver: libcuda.so.1 not found (searched LD_LIBRARY_PATH, common library directories and /etc/ld.so.cache)';
  if (d.deviceNodes.length === 0) return 'no NVIDIA device: /dev/nvidia0 is absent (no GPU, or the container was started without GPU access)';
  return null;
}

/**
 * Whether the CUDA backend is built and loadable, with the reason when not. Loads the
 * module only if it was built; when it exports devices() the result is listed.
 */
export function probeCuda(): CudaStatus {
  const path = cudaModulePath();
  const driver = probeDriver();
  const built = existsSync(path);
  const problem = driverProblem(driver);
  if (!built) {
    const drv = problem ? `; also ${problem}` : `; an NVIDIA driver is present (${driver.libcuda}, ${driver.deviceNodes.length} device node(s))`;
    return { built, loadable: false, reason: `not built: ${path} does not exist (the CUDA module is built by a separate step)${drv}`, path, driver, devices: [] };
  }
  let mod: Record<string, unknown>;
  try {
    mod = require(path) as Record<string, unknown>;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { built, loadable: false, reason: `${problem ?? 'load failed'}: ${msg}`, path, driver, devices: [] };
  }
  let devices: unknown[] = [];
  const list = mod.devices; // native/cuda/module.cc exports devices()
  if (typeof list === 'function') {
    try {
      const r = (list as () => unknown)();
      devices = Array.isArray(r) ? r : [r];
    } catch (e) {
      // The module throws "CUDA unavailable: <cuda error>" when the runtime cannot start
      // (no driver, no device); say what the driver probe found as well.
      const msg = e instanceof Error ? e.message : String(e);
      const lead = msg.startsWith('CUDA unavailable') ? msg : `loaded, but listing devices failed: ${msg}`;
      return { built, loadable: false, reason: problem ? `${lead}; ${problem}` : lead, path, driver, devices: [] };
    }
  }
  if (problem && devices.length === 0) return { built, loadable: false, reason: problem, path, driver, devices };
  return { built, loadable: true, reason: devices.length ? `ok: ${devices.length} device(s)` : 'ok', path, driver, devices };
}
