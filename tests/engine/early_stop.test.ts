// Validation every N steps, early stopping on dev loss, and restoring the best weights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addon, pack, prng, synthetic } from '../helpers/native.js';

const cfg = {
  vocab_size: 24, d_model: 32, n_heads: 4, d_ff: 64, encoder_layers: 1, decoder_layers: 1,
  max_len: 32, dropout: 0, label_smoothing: 0,
};
const base = {
  seed: 2, maxTokens: 800, maxSentences: 64, maxSteps: 300, maxEpochs: 0, lr: 3e-3, warmupSteps: 5,
  schedule: 'constant' as const, minLr: 0, beta1: 0.9, beta2: 0.98, adamEps: 1e-9, weightDecay: 0, clipNorm: 1,
  validEvery: 5, patience: 3, progressEvery: 5, checkpointDir: '', checkpointEvery: 0, checkpointSeconds: 0, resume: false,
  restoreBest: true, stopAfterSteps: 0,
};
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const bytes = (p: Float32Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength);

describe('validation and early stopping', () => {
  it('stops when dev loss stops improving and restores the best weights', async () => {
    // Train on random targets (memorisable), validate on other random targets (not
    // learnable): dev loss rises once the model overfits.
    const r = prng(5);
    const noise = (s: number[]) => s.map(() => 3 + Math.floor(r() * 21));
    const train = pack(synthetic(60, 24, 4, 8, 1, noise));
    const valid = pack(synthetic(60, 24, 4, 8, 2, noise));
    const dir = mkdtempSync(join(tmpdir(), 'rg-es-'));
    dirs.push(dir);
    const m = new addon.Model(JSON.stringify(cfg), 1);
    const seen: Array<{ step: number; validLoss?: number; bestValidLoss?: number }> = [];
    const res = await m.train(train, valid, { ...base, checkpointDir: dir }, (p) => seen.push(p));
    expect(res.stoppedEarly).toBe(true);
    expect(res.steps).toBeLessThan(300);
    const evals = seen.filter((p) => p.validLoss !== undefined);
    expect(evals.length).toBeGreaterThanOrEqual(4);
    const best = Math.min(...evals.map((p) => p.validLoss!));
    expect(res.bestValidLoss).toBeCloseTo(best, 12);
    // patience 3: exactly three evaluations after the best one, none better.
    const bestIdx = evals.findIndex((p) => p.validLoss === best);
    expect(evals.length - 1 - bestIdx).toBe(3);
    expect(evals[bestIdx].step).toBe(res.bestStep);
    // restoreBest: the weights in memory are the best ones, also saved under best/.
    const saved = addon.Model.load(join(dir, 'best'));
    expect(bytes(m.getParams()).equals(bytes(saved.getParams()))).toBe(true);
    // The dev loss of the restored model is the best dev loss.
    const check = await m.train(train, valid, { ...base, maxSteps: 1, lr: 1e-12, validEvery: 1, patience: 0, restoreBest: false, checkpointDir: '' }, () => {});
    expect(check.bestValidLoss!).toBeLessThan(best + 1e-3);
  });

  it('cancel() stops a run between steps and resolves with cancelled: true', async () => {
    const m = new addon.Model(JSON.stringify(cfg), 1);
    const data = pack(synthetic(400, 24, 4, 8, 3));
    let steps = 0;
    const p = m.train(data, null, { ...base, maxSteps: 100000, validEvery: 0, progressEvery: 1 }, (pr) => {
      steps = pr.step;
      if (pr.step === 3) m.cancel();
    });
    expect(() => m.getParams()).toThrow(/busy/); // the model is in use while training runs
    const res = await p;
    expect(res.cancelled).toBe(true);
    // The training thread runs ahead of the JS callback by however many steps the event
    // loop lags (load-dependent), so the bound is loose; 100000 steps were asked for.
    expect(res.steps).toBeLessThan(500);
    expect(steps).toBeGreaterThanOrEqual(3);
    expect(m.getParams().length).toBeGreaterThan(0); // usable again
  });

  it('a progress callback that throws rejects the run with that error', async () => {
    const m = new addon.Model(JSON.stringify(cfg), 1);
    const data = pack(synthetic(400, 24, 4, 8, 3));
    await expect(
      m.train(data, null, { ...base, maxSteps: 100000, validEvery: 0, progressEvery: 1 }, () => {
        throw new Error('boom from callback');
      }),
    ).rejects.toThrow('boom from callback');
  });
});
