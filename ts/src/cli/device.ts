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
