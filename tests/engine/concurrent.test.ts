// Several models working at once (other Node tools drive the engine this way; each model's
// native work runs on its own thread): each must give exactly the bits it gives alone, so
// no state of the engine (thread pool, kernel buffers, backend scratch) leaks between
// models. tests/cuda/graphs.test.ts checks the same on the GPU.
import { describe, expect, it } from 'vitest';

import { Trainer } from '../../ts/src/engine/trainer.js';
import { Transformer } from '../../ts/src/engine/transformer.js';
import type { Pair } from '../../ts/src/engine/pairs.js';
import { reversalPairs } from '../helpers.js';

const A = { vocabSize: 40, dModel: 32, nHeads: 4, dFF: 64, encoderLayers: 2, decoderLayers: 2, maxLen: 32, dropout: 0.1, labelSmoothing: 0.1 };
const STEPS = 40;
const B = { vocabSize: 60, dModel: 48, nHeads: 2, dFF: 96, encoderLayers: 1, decoderLayers: 2, maxLen: 32, dropout: 0.2, labelSmoothing: 0 };

async function fit(cfg: typeof A, seed: number): Promise<{ bits: Uint32Array; losses: number[]; span: [number, number] }> {
  const m = Transformer.create(cfg, { seed });
  const t0 = performance.now();
  const data: Pair[] = reversalPairs(200, seed, 12, cfg.vocabSize);
  const losses: number[] = [];
  await new Trainer(m, { seed, maxSteps: STEPS, maxTokens: 300, lr: 2e-3, warmupSteps: 5, progressEvery: 1, validEvery: 0 }).fit(data, null, {
    onProgress: (p) => losses.push(p.loss),
  });
  return { bits: new Uint32Array(m.parameters().slice().buffer), losses, span: [t0, performance.now()] };
}

async function translateMany(seed: number) {
  const m = Transformer.create(A, { seed });
  const src = reversalPairs(40, seed + 1, 10, A.vocabSize).map((p) => Array.from(p.src));
  const greedy = await m.translate(src);
  const beam = await m.translate(src, { beamSize: 4 });
  return { greedy, beam };
}

describe('models working at once', () => {
  it('two models training at once each end with the weights and losses they reach alone, and decoding beside them is unchanged', async () => {
    const aloneA = await fit(A, 3);
    const aloneB = await fit(B, 4);
    const aloneT = await translateMany(5);
    const [a, b, t] = await Promise.all([fit(A, 3), fit(B, 4), translateMany(5)]);
    expect(a.losses).toEqual(aloneA.losses);
    expect(b.losses).toEqual(aloneB.losses);
    expect(Buffer.from(a.bits.buffer).equals(Buffer.from(aloneA.bits.buffer))).toBe(true);
    expect(Buffer.from(b.bits.buffer).equals(Buffer.from(aloneB.bits.buffer))).toBe(true);
    expect(t).toEqual(aloneT);
    expect(a.losses.length).toBe(STEPS);
    // The two trainings really ran at the same time.
    expect(Math.max(a.span[0], b.span[0])).toBeLessThan(Math.min(a.span[1], b.span[1]));
  }, 60_000);
});
