// The model's bf16 copy of its parameters (kept where the backend rounds GEMM operands to
// bf16, read by every linear layer instead of rounding the weights again) must never be
// stale when a pass or a decoding step reads it: the optimizer writes it with each update,
// and every other write (init, setParams, restore-best, resume) marks it for a refresh.
// Checked on a CPU backend that asks for the copies (testModelWithBf16Copies; the CPU never
// reads them, so its numbers must not change either); tests/cuda/model.test.ts checks the
// GPU's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { NativeModel } from '../../ts/src/native/types.js';
import { bf16Bits } from '../helpers.js';
import { addon, tinyConfig, tinyData, tinyTrainOptions, tinyValid } from '../helpers/native.js';

interface Params16 {
  bits: Uint16Array;
  stale: boolean;
}
const hooks = addon as unknown as {
  testModelWithBf16Copies(configJson: string, seed: number): NativeModel;
  testModelParams16(m: NativeModel): Params16 | null;
};

const cfg = tinyConfig;
const data = tinyData();
const valid = tinyValid();
// No validation or checkpoints unless a test asks for them.
const opts = { ...tinyTrainOptions, maxSteps: 25, validEvery: 0, checkpointDir: '', checkpointEvery: 0 };
const decodeOpts = {
  method: 'greedy', beamSize: 1, lengthPenalty: 0, temperature: 1, topK: 0, topP: 1, maxLenA: 1, maxLenB: 5,
  seed: 1, batchSize: 8,
} as const;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const bytes = (a: Float32Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const withCopies = (seed: number) => hooks.testModelWithBf16Copies(JSON.stringify(cfg), seed);
function copyOf(m: NativeModel): Params16 {
  const c = hooks.testModelParams16(m);
  if (!c) throw new Error('the model keeps no bf16 copy');
  return c;
}
/** The copy is fresh and equals bf16 of the current weights, bit for bit. */
function expectFresh(m: NativeModel, where: string): void {
  const c = copyOf(m);
  expect(c.stale, `${where}: stale`).toBe(false);
  expect(bytes(c.bits).equals(bytes(bf16Bits(m.getParams()))), `${where}: copy != bf16(weights)`).toBe(true);
}
const pass = (m: NativeModel) => m.lossAndGrads(valid, { dropoutSeed: 1, step: 1, train: false });

describe("the weights' bf16 copy", () => {
  it('exists only where the backend asks for it', () => {
    expect(hooks.testModelParams16(new addon.Model(JSON.stringify(cfg), 1))).toBeNull();
    expect(hooks.testModelParams16(withCopies(1))).not.toBeNull();
  });

  it('is made by the first pass, and remade after setParams before the next pass or decode reads it', async () => {
    const m = withCopies(2);
    expect(copyOf(m).stale).toBe(true); // initialised weights: not converted yet
    pass(m);
    expectFresh(m, 'after the first pass');
    const p = m.getParams();
    for (let i = 0; i < p.length; i += 7) p[i] *= -1.5;
    m.setParams(p);
    expect(copyOf(m).stale).toBe(true);
    pass(m);
    expectFresh(m, 'pass after setParams');
    m.setParams(p.map((x) => x * 0.5));
    const src = Int32Array.from([3, 4, 5, 6, 7, 8]);
    await m.decode(src, Int32Array.from([0, 3, 6]), decodeOpts);
    expectFresh(m, 'decode after setParams');
  });

  it('is kept by the optimizer through training, and the CPU trains to the same weights with or without it', async () => {
    const plain = new addon.Model(JSON.stringify(cfg), 3);
    const m = withCopies(3);
    const a = await plain.train(data, null, opts, () => {});
    const b = await m.train(data, null, opts, () => {});
    expect(b.steps).toBe(25);
    // The last update came after the last pass: only the optimizer can have written it.
    expectFresh(m, 'after 25 steps');
    expect(b.lastLoss).toBe(a.lastLoss);
    expect(bytes(m.getParams()).equals(bytes(plain.getParams()))).toBe(true);
  });

  it('is remade after restore-best and after resuming from a checkpoint', async () => {
    const m = withCopies(4);
    await m.train(data, valid, { ...opts, validEvery: 5, restoreBest: true }, () => {});
    expect(copyOf(m).stale).toBe(true); // the best weights came back from the host
    pass(m);
    expectFresh(m, 'after restore-best');

    const dir = mkdtempSync(join(tmpdir(), 'rg-params16-'));
    dirs.push(dir);
    const full = new addon.Model(JSON.stringify(cfg), 5);
    await full.train(data, null, opts, () => {});
    const killed = withCopies(5);
    const k = await killed.train(data, null, { ...opts, checkpointDir: dir, checkpointEvery: 10, stopAfterSteps: 17 }, () => {});
    expect(k.interrupted).toBe(true);
    const resumed = withCopies(999); // every weight must come from the checkpoint
    pass(resumed);
    // Resuming at the checkpoint's own step: loaded, no update yet.
    const r0 = await resumed.train(data, null, { ...opts, checkpointDir: dir, checkpointEvery: 10, resume: true, maxSteps: 10 }, () => {});
    expect(r0.steps).toBe(10);
    expect(copyOf(resumed).stale).toBe(true);
    pass(resumed);
    expectFresh(resumed, 'after loading the checkpoint');
    await resumed.train(data, null, { ...opts, checkpointDir: dir, checkpointEvery: 10, resume: true }, () => {});
    expectFresh(resumed, 'after resuming');
    expect(bytes(resumed.getParams()).equals(bytes(full.getParams()))).toBe(true);
  });
});
