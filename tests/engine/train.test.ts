// Training through the public API (needs the native Model): a small model learns to copy
// and to reverse random sequences; AbortSignal cancels; callback errors surface.
import { describe, expect, it } from 'vitest';

import { Trainer, Transformer, RegurgitateError } from '../../ts/src/index.js';
import { accuracy, DEMO_MODEL, taskPairs } from '../../ts/src/cli/demo_synthetic.js';

// A config that converges reliably: small batches (the native batcher groups sentences of
// equal length, so big batches make few, correlated updates on this task).
// The synthetic demo's model: vocabulary 20, d 64, 2+2 layers, no dropout or smoothing.
const CONFIG = { ...DEMO_MODEL };
const OPTIONS = { seed: 11, maxSteps: 1500, lr: 1e-3, warmupSteps: 100, maxSentences: 32, maxTokens: 4096, progressEvery: 50 };
const STEPS = { copy: 1200, reverse: 2000 };

describe('training', () => {
  for (const task of ['copy', 'reverse'] as const) {
    it(`learns to ${task} random sequences to >= 99% token accuracy`, { timeout: 180_000 }, async () => {
      const train = taskPairs(task, 4000, 1);
      const test = taskPairs(task, 200, 2);
      const model = Transformer.create(CONFIG, { seed: 5 });
      const losses: number[] = [];
      const result = await new Trainer(model, { ...OPTIONS, maxSteps: STEPS[task] }).fit(train, null, { onProgress: (p) => losses.push(p.loss) });
      expect(result.steps).toBe(STEPS[task]);
      expect(result.cancelled).toBe(false);
      expect(losses.length).toBeGreaterThan(3);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      const out = await model.translate(test.map((p) => p.src));
      const acc = accuracy(out.ids, test.map((p) => p.tgt));
      expect(acc.tokenAccuracy, JSON.stringify({ acc, loss: result.lastLoss })).toBeGreaterThanOrEqual(0.99);
      expect(out.logprobs.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
    });
  }

  it('cancels through an AbortSignal and resolves with cancelled: true', async () => {
    const model = Transformer.create(CONFIG, { seed: 1 });
    const ac = new AbortController();
    let reports = 0;
    const result = await new Trainer(model, { ...OPTIONS, maxSteps: 1_000_000, progressEvery: 1 }).fit(taskPairs('copy', 500, 3), null, {
      signal: ac.signal,
      onProgress: () => {
        if (++reports === 3) ac.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    expect(result.steps).toBeGreaterThanOrEqual(3);
    expect(result.steps).toBeLessThan(1_000_000);
    // The model is usable again afterwards.
    const t = await model.translate([[3, 4, 5]]);
    expect(t.ids.length).toBe(1);
  });

  it('an already aborted signal trains nothing', async () => {
    const model = Transformer.create(CONFIG, { seed: 1 });
    const before = model.parameters();
    const result = await new Trainer(model, OPTIONS).fit(taskPairs('copy', 50, 3), null, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ cancelled: true, steps: 0 });
    expect(Buffer.from(model.parameters().buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });

  it('an error thrown by onProgress stops training and rejects fit()', async () => {
    const model = Transformer.create(CONFIG, { seed: 1 });
    const boom = new Error('stop here');
    await expect(
      new Trainer(model, { ...OPTIONS, maxSteps: 1_000_000, progressEvery: 1 }).fit(taskPairs('copy', 200, 3), null, {
        onProgress: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    // and the model is free again
    await expect(model.translate([[3, 4]])).resolves.toBeDefined();
  });

  it('refuses other work on the model while it trains (EBUSY)', async () => {
    const model = Transformer.create(CONFIG, { seed: 1 });
    const ac = new AbortController();
    const fit = new Trainer(model, { ...OPTIONS, maxSteps: 1_000_000, progressEvery: 1 }).fit(taskPairs('copy', 200, 3), null, { signal: ac.signal });
    await expect(model.translate([[3, 4]])).rejects.toMatchObject({ code: 'EBUSY' });
    expect(() => model.save('/tmp/never')).toThrow(RegurgitateError);
    await expect(new Trainer(model, OPTIONS).fit(taskPairs('copy', 10, 3))).rejects.toMatchObject({ code: 'EBUSY' });
    ac.abort();
    expect((await fit).cancelled).toBe(true);
  });

  it('validates the data before training, naming the pair', async () => {
    const model = Transformer.create(CONFIG, { seed: 1 });
    await expect(new Trainer(model, OPTIONS).fit([{ src: [3, 4], tgt: [3, 25] }])).rejects.toThrow('train[0].tgt[1] = 25 is outside the vocabulary [0, 20)');
    await expect(new Trainer(model, OPTIONS).fit([])).rejects.toThrow('train has no pairs: fit() needs at least one');
    await expect(new Trainer(model, { ...OPTIONS, maxTokens: 5 }).fit([{ src: [3, 4, 5], tgt: [3, 4] }])).rejects.toThrow(
      'train[0] needs 7 tokens (source incl. EOS + target incl. BOS) but train.maxTokens is 5: raise maxTokens or drop the pair',
    );
    await expect(new Trainer(model, { ...OPTIONS, patience: 2 }).fit([{ src: [3], tgt: [3] }])).rejects.toThrow(/needs dev data/);
  });
});
