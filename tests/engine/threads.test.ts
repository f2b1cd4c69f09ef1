// The engine's thread count changed while native work runs (applyThreads / setThreads):
// a running parallel region finishes on the old workers and the next starts on the new,
// so training and decoding go on and end with exactly the bits they give without the
// change (no kernel's result depends on the count). When idle the change is immediate.
// runExperiment applies spec.threads.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import { Trainer } from '../../ts/src/engine/trainer.js';
import { Transformer } from '../../ts/src/engine/transformer.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import { runExperiment } from '../../ts/src/experiments/run/runner.js';
import { setThreads } from '../../ts/src/index.js';
import { applyThreads } from '../../ts/src/native/device.js';
import { native } from '../../ts/src/native/load.js';
import { reversalPairs } from '../helpers.js';

const A = { vocabSize: 40, dModel: 32, nHeads: 4, dFF: 64, encoderLayers: 2, decoderLayers: 2, maxLen: 32, dropout: 0.1, labelSmoothing: 0.1 };
const threads = () => native().systemInfo().threads;
const osThreads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

/** The process's thread count once threads of earlier work (a checkpoint writer, libuv's pool) have come and gone. */
async function settledThreads(): Promise<number> {
  let last = osThreads();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = osThreads();
    if (now === last) return now;
    last = now;
  }
  return last;
}

afterAll(() => applyThreads(0));

async function fit(onStep: (step: number) => void = () => {}, steps = 30) {
  const m = Transformer.create(A, { seed: 3 });
  const losses: number[] = [];
  const elapsed: number[] = [];
  const at: number[] = [];
  const opts = { seed: 3, maxSteps: steps, maxTokens: 300, lr: 2e-3, warmupSteps: 5, progressEvery: 1, validEvery: 0 };
  const r = await new Trainer(m, opts).fit(reversalPairs(200, 3, 12, A.vocabSize), null, {
    onProgress: (p) => (losses.push(p.loss), elapsed.push(p.elapsedSec), at.push(p.step), onStep(p.step)),
  });
  const src = reversalPairs(30, 4, 10, A.vocabSize).map((p) => Array.from(p.src));
  return { bits: Buffer.from(m.parameters().slice().buffer), losses, elapsed, at, steps: r.steps, beam: await m.translate(src, { beamSize: 4 }) };
}

describe('applyThreads while work runs', () => {
  it('training and translation end with the same bits when the count changes under them', async () => {
    applyThreads(1);
    const alone = await fit();
    // Between steps (progress callbacks) and at any moment of a step (a 1 ms timer).
    const asked: number[] = [];
    const returned: number[] = [];
    let flips = 0;
    const timer = setInterval(() => applyThreads(1 + (flips++ % 3)), 1);
    const changed = await fit((step) => {
      asked.push(step % 2 ? 2 : 3);
      returned.push(applyThreads(asked[asked.length - 1]));
    });
    clearInterval(timer);
    expect(flips).toBeGreaterThan(0);
    expect(returned).toEqual(asked); // the count asked for is in effect from the next region
    expect(changed.steps).toBe(30);
    expect(changed.losses).toEqual(alone.losses);
    expect(changed.bits.equals(alone.bits)).toBe(true);
    expect(changed.beam).toEqual(alone.beam);
  });

  it('a burst of changes from the main thread while a training runs on its own', async () => {
    applyThreads(1);
    const alone = await fit(undefined, 150);
    let started = false;
    const run = fit(() => (started = true), 150);
    while (!started) await new Promise((r) => setTimeout(r, 1)); // native work is under way
    const t0 = performance.now();
    let flips = 0;
    // Blocks the main thread: nothing but the flips and the training thread run meanwhile.
    while (performance.now() - t0 < 300) applyThreads(1 + (flips++ % 3));
    const changed = await run;
    expect(flips).toBeGreaterThan(100);
    // Steps ran under the burst: their native times fall within its 300 ms.
    const first = changed.elapsed[0];
    expect(changed.elapsed.filter((e) => e > first + 0.05 && e < first + 0.25).length).toBeGreaterThan(3);
    // Progress reports may be dropped while the main thread is blocked; those that came match.
    expect(changed.steps).toBe(150);
    expect(changed.losses).toEqual(changed.at.map((step) => alone.losses[step - 1]));
    expect(changed.bits.equals(alone.bits)).toBe(true);
    expect(changed.beam).toEqual(alone.beam);
  });

  it('when idle the workers change at once; the public setThreads is the same function', async () => {
    applyThreads(1);
    const one = await settledThreads();
    expect(setThreads(3)).toBe(3);
    expect(threads()).toBe(3);
    expect(osThreads()).toBe(one + 2);
    applyThreads(1);
    expect(osThreads()).toBe(one);
  });

  it('refuses a bad count with EINVAL naming it', () => {
    for (const n of [-1, 1.5, 1025, NaN]) {
      expect(() => applyThreads(n)).toThrow(RegurgitateError);
      expect(() => applyThreads(n)).toThrow(/^threads must be an integer in \[0, 1024\]/);
    }
  });

  it('runExperiment applies spec.threads first', async () => {
    applyThreads(2);
    // maxRuns 0 is refused right after, so nothing else runs.
    await expect(runExperiment({ ...presetSpec('demo'), threads: 1 }, tmpdir(), { maxRuns: 0 })).rejects.toThrow(/maxRuns/);
    expect(threads()).toBe(1);
  });
});
