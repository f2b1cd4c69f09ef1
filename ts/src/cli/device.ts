// The --device flag of the commands that run a model (train, translate, eval, serve).
import { DEVICES, isDevice, type Device } from '../native/device.js';
import { UsageError } from './args.js';

export const deviceFlag = {
  name: 'device',
  type: 'string' as const,
  value: 'DEV',
  default: 'cpu',
  description: 'cpu, cuda (GPU, bf16 GEMMs), cuda:tf32, cuda:fp32 or auto (the GPU when one is usable)',
};

export function parseDevice(cmd: string, v: unknown): Device {
  if (!isDevice(v)) throw new UsageError(cmd, `--device must be one of ${DEVICES.join(', ')} (got '${String(v)}')`);
  return v;
}

/** The devices an experiment spec names (its `device` field): no precision suffixes. */
export function parseSpecDevice(cmd: string, v: unknown): 'cpu' | 'cuda' | 'auto' {
  if (v !== 'cpu' && v !== 'cuda' && v !== 'auto') throw new UsageError(cmd, `--device must be cpu, cuda or auto (got '${String(v)}')`);
  return v;
}
