// On `cuda`, the linear layers read bf16 copies of their inputs (x16, written by the op
// that made the activation) and of their weights (W16, a slice of the copy the optimizer
// writes) instead of rounding the fp32 values again. A copy that is stale (an activation
// changed after it was copied, weights written without a refresh) or foreign (another
// tensor's) would silently change the GPU's results. The checking CPU backend
// (testModelWithBf16Copies) compares every copy a linear op is handed with bf16 of its
// source at that moment and throws EINTERNAL on the first difference, so these tests run
// the model's real code paths (training with dropout, validation, restore-best, every
// decoding method, and the same with recorded passes replayed) and fail on any such copy.
import { afterEach, describe, expect, it } from 'vitest';

import type { NativeModel } from '../../ts/src/native/types.js';
import { addon, tinyConfig, tinyData, tinyTrainOptions, tinyValid } from '../helpers/native.js';

const hooks = addon as unknown as {
  testModelWithBf16Copies(configJson: string, seed: number): NativeModel;
  testBf16CopyChecks(): { x16: number; w16: number };
};

const data = tinyData();
const valid = tinyValid();
const opts = { ...tinyTrainOptions, maxSteps: 30, validEvery: 10, restoreBest: true, checkpointDir: '', checkpointEvery: 0 };
const src = Int32Array.from([3, 4, 5, 6, 7, 8, 9, 10, 11]);
const offsets = Int32Array.from([0, 4, 9]);
const decodeBase = { beamSize: 1, lengthPenalty: 0, temperature: 1, topK: 0, topP: 1, maxLenA: 1, maxLenB: 5, seed: 1, batchSize: 8 };
const methods = [
  { ...decodeBase, method: 'greedy' },
  { ...decodeBase, method: 'beam', beamSize: 3, lengthPenalty: 1 },
  { ...decodeBase, method: 'sample', topK: 5, topP: 0.9, temperature: 0.8 },
] as const;

function withCopies(seed: number, graphs?: string): NativeModel {
  const old = process.env.REGURGITATE_TEST_GRAPHS;
  if (graphs === undefined) delete process.env.REGURGITATE_TEST_GRAPHS;
  else process.env.REGURGITATE_TEST_GRAPHS = graphs;
  try {
    return hooks.testModelWithBf16Copies(JSON.stringify(tinyConfig), seed);
  } finally {
    if (old === undefined) delete process.env.REGURGITATE_TEST_GRAPHS;
    else process.env.REGURGITATE_TEST_GRAPHS = old;
  }
}

/** Runs f and returns how many x16 and W16 copies it had checked. */
async function checked(f: () => Promise<unknown>): Promise<{ x16: number; w16: number }> {
  const a = hooks.testBf16CopyChecks();
  await f();
  const b = hooks.testBf16CopyChecks();
  return { x16: b.x16 - a.x16, w16: b.w16 - a.w16 };
}

afterEach(() => {
  delete process.env.REGURGITATE_TEST_GRAPHS;
});

describe.each([
  ['ops issued directly', undefined],
  ['passes and decoding steps recorded and replayed', '8'],
])('every bf16 copy a linear layer reads is bf16 of its source (%s)', (_name, graphs) => {
  it('in training with dropout, validation and restore-best', async () => {
    const m = withCopies(7, graphs);
    const plain = new addon.Model(JSON.stringify(tinyConfig), 7);
    const n = await checked(() => m.train(data, valid, opts, () => {}));
    // Every linear layer reads both copies in its forward and its backward.
    expect(n.x16).toBeGreaterThan(30 * 20);
    expect(n.w16).toBeGreaterThan(30 * 20);
    // Checking changes nothing: the CPU computes in fp32 either way.
    const r = await plain.train(data, valid, opts, () => {});
    expect(Buffer.from(m.getParams().buffer).equals(Buffer.from(plain.getParams().buffer))).toBe(true);
    expect(r.steps).toBe(30);
  });

  it.each(methods.map((o) => [o.method, o] as const))('in %s decoding after setParams', async (_m, o) => {
    const m = withCopies(8, graphs);
    await m.train(data, null, { ...opts, maxSteps: 12, validEvery: 0, restoreBest: false }, () => {});
    const before = await checked(() => m.decode(src, offsets, o));
    expect(before.w16).toBeGreaterThan(0);
    // New weights from the host: the next decoding must not read the old copy.
    m.setParams(m.getParams().map((x, i) => (i % 3 ? x : -x)));
    const after = await checked(() => m.decode(src, offsets, o));
    expect(after.w16).toBeGreaterThan(0);
  });
});
