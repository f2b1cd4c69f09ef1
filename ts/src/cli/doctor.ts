// `regurgitate doctor`: what this machine and this build can do.
import { cpus, arch, platform } from 'node:os';
import { readFileSync } from 'node:fs';

import { packageVersion, tryNative } from '../native/load.js';
import { probeCuda, type CudaStatus } from '../native/cuda.js';
import { parseCommand, type CommandSpec } from './args.js';
import { out } from './util.js';

export const spec: CommandSpec = {
  name: 'doctor',
  summary: 'Report the Node.js runtime, the CPU and its features, the native addon and the available backends (CPU, CUDA).',
  flags: [{ name: 'json', type: 'boolean', description: 'print one JSON object instead of text' }],
  details: 'Exit status: 0 when the CPU backend works, 1 when the native addon cannot be loaded.',
};

export interface DoctorReport {
  version: string;
  node: string;
  platform: string;
  arch: string;
  cpu: { model: string; features: string[]; isa: string; threads: number; hardwareThreads: number };
  backends: { cpu: boolean; cuda: { built: boolean; loadable: boolean; reason: string; devices: unknown[] } };
  addon: { path: string | null; compiler?: string; napiVersion?: number; error?: string };
  cudaDriver: CudaStatus['driver'];
}

const FEATURE_FLAGS: Record<string, string> = {
  sse4_2: 'sse4.2',
  avx: 'avx',
  avx2: 'avx2',
  fma: 'fma',
  f16c: 'f16c',
  avx512f: 'avx512f',
  avx512bw: 'avx512bw',
  avx512dq: 'avx512dq',
  avx512vl: 'avx512vl',
  avx512_bf16: 'avx512bf16',
};

/** CPU facts without the addon (from /proc/cpuinfo), for when it can't be loaded. */
function cpuFallback(): DoctorReport['cpu'] {
  const c = cpus();
  let features: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1].split(/\s+/) ?? [];
    features = Object.entries(FEATURE_FLAGS)
      .filter(([k]) => flags.includes(k))
      .map(([, v]) => v);
  } catch {
    // not Linux
  }
  return { model: c[0]?.model ?? 'unknown', features, isa: 'unknown', threads: 0, hardwareThreads: c.length };
}

export function doctorReport(): DoctorReport {
  const loaded = tryNative();
  let cpu: DoctorReport['cpu'];
  let addon: DoctorReport['addon'];
  if (loaded.addon) {
    const s = loaded.addon.systemInfo();
    cpu = { model: s.cpuModel, features: [...s.cpuFeatures], isa: s.isa, threads: s.threads, hardwareThreads: s.hardwareThreads };
    addon = { path: loaded.path, compiler: s.compiler, napiVersion: s.napiVersion };
  } else {
    cpu = cpuFallback();
    addon = { path: null, error: loaded.error.message };
  }
  const cuda = probeCuda();
  return {
    version: packageVersion(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpu,
    backends: { cpu: Boolean(loaded.addon), cuda: { built: cuda.built, loadable: cuda.loadable, reason: cuda.reason, devices: cuda.devices } },
    addon,
    cudaDriver: cuda.driver,
  };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  const r = doctorReport();
  if (a.flags.json) out(JSON.stringify(r));
  else {
    const rows: [string, string][] = [
      ['regurgitate', r.version],
      ['node', `${r.node} (${r.platform} ${r.arch})`],
      ['cpu', `${r.cpu.model}; ${r.cpu.hardwareThreads} hardware threads; using ${r.cpu.threads || '?'}; kernels ${r.cpu.isa}`],
      ['features', r.cpu.features.join(' ') || '(none detected)'],
      ['addon', r.addon.path ? `${r.addon.path} (${r.addon.compiler ? 'gcc ' + r.addon.compiler + ', ' : ''}N-API ${r.addon.napiVersion})` : 'NOT LOADED'],
      ['backend cpu', r.backends.cpu ? 'yes' : 'no'],
      ['backend cuda', `${r.backends.cuda.loadable ? 'yes' : 'no'} (${r.backends.cuda.reason})`],
      ['nvidia driver', r.cudaDriver.libcuda ? `${r.cudaDriver.libcuda}${r.cudaDriver.kernelDriver ? '; ' + r.cudaDriver.kernelDriver : ''}` : 'not found'],
      ['gpu devices', r.cudaDriver.deviceNodes.join(' ') || 'none'],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) out(`${k.padEnd(w)}  ${v}`);
    if (r.addon.error) out(`\n${r.addon.error}`);
  }
  return r.backends.cpu ? 0 : 1;
}
