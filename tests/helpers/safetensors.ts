// A minimal safetensors reader and writer for tests (independent of the native one).
// Format: 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
// then the raw little-endian tensor data; offsets are relative to the data start.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';

export type SafeTensorArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: SafeTensorArray;
}

export interface SafeTensorsFile {
  /** Tensors in header order. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string> | null;
}

const DTYPES: Record<string, { size: number; make: (b: ArrayBuffer) => SafeTensorArray }> = {
  F64: { size: 8, make: (b) => new Float64Array(b) },
  F32: { size: 4, make: (b) => new Float32Array(b) },
  I64: { size: 8, make: (b) => new BigInt64Array(b) },
  I32: { size: 4, make: (b) => new Int32Array(b) },
  I16: { size: 2, make: (b) => new Int16Array(b) },
  I8: { size: 1, make: (b) => new Int8Array(b) },
  U8: { size: 1, make: (b) => new Uint8Array(b) },
};

function checkHost(): void {
  if (endianness() !== 'LE') throw new Error('safetensors helper: little-endian hosts only');
}

export function parseSafetensors(buf: Uint8Array, what = 'safetensors buffer'): SafeTensorsFile {
  checkHost();
  if (buf.length < 8) throw new Error(`${what}: ${buf.length} bytes, too short for a safetensors file`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = view.getBigUint64(0, true);
  if (hlen > BigInt(buf.length - 8)) throw new Error(`${what}: header length ${hlen} exceeds the file (${buf.length} bytes)`);
  const n = Number(hlen);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${what}: bad JSON header: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error(`${what}: header is not a JSON object`);
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = String(info.dtype);
    const spec = DTYPES[dtype];
    if (!spec) throw new Error(`${what}: tensor '${name}': unsupported dtype ${JSON.stringify(info.dtype)}`);
    if (!Array.isArray(info.shape) || !info.shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new Error(`${what}: tensor '${name}': bad shape ${JSON.stringify(info.shape)}`);
    }
    const shape = info.shape as number[];
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o))) {
      throw new Error(`${what}: tensor '${name}': bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as [number, number];
    const numel = shape.reduce((a, s) => a * s, 1);
    if (!(0 <= b && b <= e && e <= data.length) || e - b !== numel * spec.size) {
      throw new Error(`${what}: tensor '${name}': data_offsets [${b}, ${e}] do not fit ${dtype}[${shape.join(', ')}] in ${data.length} data bytes`);
    }
    const bytes = new Uint8Array(e - b); // a fresh, aligned copy
    bytes.set(data.subarray(b, e));
    tensors.set(name, { dtype, shape, data: spec.make(bytes.buffer) });
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): SafeTensorsFile {
  return parseSafetensors(readFileSync(file), file);
}

function dtypeOf(a: SafeTensorArray): string {
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof BigInt64Array) return 'I64';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Int16Array) return 'I16';
  if (a instanceof Int8Array) return 'I8';
  return 'U8';
}

/** Writes tensors (in iteration order) to `file` via a temporary name and a rename. */
export function writeSafetensors(
  file: string,
  tensors: Iterable<[string, { shape: number[]; data: SafeTensorArray }]>,
  metadata?: Record<string, string>,
): void {
  checkHost();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, s) => a * s, 1);
    if (numel !== t.data.length) throw new Error(`writeSafetensors: '${name}' has ${t.data.length} elements, shape says ${numel}`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([head, Buffer.from(json, 'utf8'), ...chunks]));
  renameSync(tmp, file);
}
