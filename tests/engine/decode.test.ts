// Batched decoding (greedy, beam, sampling) over the KV-cache step API, checked against
// forced decoding (Model.score), which runs the full forward pass.
import { beforeAll, describe, expect, it } from 'vitest';
import type { NativeDecodeOptions, NativeDecodeResult, NativeModel } from '../../ts/src/native/types.js';
import { addon, pack, synthetic } from '../helpers/native.js';

const V = 40;
const cfg = {
  vocab_size: V, d_model: 32, n_heads: 4, d_ff: 64, encoder_layers: 2, decoder_layers: 2,
  max_len: 32, dropout: 0, label_smoothing: 0.1,
};
const EOS = 2;
const sources = synthetic(23, V, 1, 14, 21).map(([s]) => s);
const srcIds = Int32Array.from(sources.flat());
const srcOff = Int32Array.from([0, ...sources.map((_, i) => sources.slice(0, i + 1).flat().length)]);

const defaults: NativeDecodeOptions = {
  method: 'greedy', beamSize: 4, lengthPenalty: 0.6, temperature: 1, topK: 0, topP: 1,
  maxLenA: 1.2, maxLenB: 6, seed: 0, batchSize: 5,
};
const opts = (o: Partial<NativeDecodeOptions> = {}): NativeDecodeOptions => ({ ...defaults, ...o });

const hyps = (r: NativeDecodeResult): number[][] =>
  Array.from({ length: r.offsets.length - 1 }, (_, i) => Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1])));
const limit = (o: NativeDecodeOptions, srcLen: number) =>
  Math.min(Math.floor(o.maxLenA * srcLen + o.maxLenB + 1e-9), cfg.max_len - 1);
const lp = (len: number, alpha: number) => (alpha === 0 ? 1 : Math.pow((5 + len) / 6, alpha));
const relClose = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

let model: NativeModel;
const score = (hs: number[][]) => model.score(pack(sources.map((s, i) => [s, hs[i]])), 6);

beforeAll(() => {
  model = new addon.Model(JSON.stringify(cfg), 7);
  // A random model almost never ends a sentence; a larger EOS embedding row (tied with
  // the output projection) gives hypotheses of varied lengths, so finished rows occur.
  const p = model.getParams();
  const embed = model.paramInfo().find((t) => t.name === 'embed.weight')!;
  const d = cfg.d_model;
  for (let j = 0; j < d; j++) p[embed.offset + EOS * d + j] *= 1.5;
  model.setParams(p);
});

describe('decode', () => {
  it('incremental decoding matches the full forward pass (greedy, beam, sample logprob = score)', async () => {
    const lens = new Set<number>();
    for (const o of [opts(), opts({ method: 'beam' }), opts({ method: 'sample', seed: 3, temperature: 1.5 })]) {
      const r = await model.decode(srcIds, srcOff, o);
      const hs = hyps(r);
      expect(r.logprobs.length).toBe(sources.length);
      const sc = await score(hs);
      for (let i = 0; i < hs.length; i++) {
        expect(hs[i].every((t) => t > EOS && t < V)).toBe(true); // never pad/bos/eos inside
        expect(relClose(r.logprobs[i], sc[i], 1e-4)).toBe(true);
        lens.add(hs[i].length);
      }
    }
    expect(lens.size).toBeGreaterThan(3); // varied lengths: early EOS and length limits both occur
  });

  it('beam 1 equals greedy exactly, for any length penalty', async () => {
    const g = await model.decode(srcIds, srcOff, opts());
    for (const lengthPenalty of [0, 0.6, 1.5]) {
      const b = await model.decode(srcIds, srcOff, opts({ method: 'beam', beamSize: 1, lengthPenalty }));
      expect(Array.from(b.ids)).toEqual(Array.from(g.ids));
      expect(Array.from(b.offsets)).toEqual(Array.from(g.offsets));
      expect(Array.from(b.logprobs)).toEqual(Array.from(g.logprobs));
    }
  });

  it('beam 4 finds better length-penalised scores than greedy', async () => {
    // Beam search is not monotone in the beam size: a sentence's greedy prefix can be
    // pruned by better prefixes that then end worse (seen with forced EOS at the length
    // limit). So: better on average and on most sentences, and never below greedy by much.
    for (const alpha of [0, 0.6]) {
      const g = hyps(await model.decode(srcIds, srcOff, opts({ lengthPenalty: alpha })));
      const b = hyps(await model.decode(srcIds, srcOff, opts({ method: 'beam', beamSize: 4, lengthPenalty: alpha })));
      const [sg, sb] = [await score(g), await score(b)];
      let atLeast = 0, meanG = 0, meanB = 0;
      for (let i = 0; i < g.length; i++) {
        const x = sg[i] / lp(g[i].length + 1, alpha), y = sb[i] / lp(b[i].length + 1, alpha);
        if (y >= x - 1e-5) atLeast++;
        meanG += x / g.length;
        meanB += y / g.length;
      }
      expect(meanB).toBeGreaterThan(meanG);
      expect(atLeast).toBeGreaterThanOrEqual(Math.ceil(0.8 * g.length));
    }
  });

  it('sampling: topK 1 is greedy; seeds repeat and differ; independent of batch size', async () => {
    const g = await model.decode(srcIds, srcOff, opts());
    const k1 = await model.decode(srcIds, srcOff, opts({ method: 'sample', topK: 1, temperature: 3, seed: 9 }));
    expect(Array.from(k1.ids)).toEqual(Array.from(g.ids));
    expect(Array.from(k1.logprobs)).toEqual(Array.from(g.logprobs));

    const hot = (o: Partial<NativeDecodeOptions>) => opts({ method: 'sample', temperature: 2, topP: 0.95, topK: 30, ...o });
    const a = await model.decode(srcIds, srcOff, hot({ seed: 1 }));
    const a2 = await model.decode(srcIds, srcOff, hot({ seed: 1 }));
    const c = await model.decode(srcIds, srcOff, hot({ seed: 2 }));
    expect(Array.from(a2.ids)).toEqual(Array.from(a.ids));
    expect(Array.from(a2.logprobs)).toEqual(Array.from(a.logprobs));
    const ha = hyps(a), hc = hyps(c);
    expect(ha.filter((h, i) => JSON.stringify(h) !== JSON.stringify(hc[i])).length).toBeGreaterThan(sources.length / 2);

    for (const method of ['greedy', 'beam', 'sample'] as const) {
      const one = await model.decode(srcIds, srcOff, hot({ method, seed: 1, batchSize: 1 }));
      const seven = await model.decode(srcIds, srcOff, hot({ method, seed: 1, batchSize: 7 }));
      expect(Array.from(seven.ids)).toEqual(Array.from(one.ids));
      expect(Array.from(seven.offsets)).toEqual(Array.from(one.offsets));
      for (let i = 0; i < sources.length; i++) expect(relClose(seven.logprobs[i], one.logprobs[i], 1e-5)).toBe(true);
    }
  });

  it('does not depend on the thread count', async () => {
    const o = opts({ method: 'sample', seed: 5, temperature: 1.5 });
    const before = addon.systemInfo().threads;
    addon.setThreads(1);
    try {
      const one = [await model.decode(srcIds, srcOff, o), await model.decode(srcIds, srcOff, opts({ method: 'beam' }))];
      addon.setThreads(2);
      const two = [await model.decode(srcIds, srcOff, o), await model.decode(srcIds, srcOff, opts({ method: 'beam' }))];
      for (let k = 0; k < 2; k++) {
        expect(Array.from(two[k].ids)).toEqual(Array.from(one[k].ids));
        expect(Array.from(two[k].logprobs)).toEqual(Array.from(one[k].logprobs));
      }
    } finally {
      addon.setThreads(before);
    }
  });

  it('respects the output length limit', async () => {
    for (const method of ['greedy', 'beam', 'sample'] as const) {
      for (const [maxLenA, maxLenB] of [[0.5, 2], [0.7, 0], [0, 1000]]) {
        const o = opts({ method, maxLenA, maxLenB, seed: 4, temperature: 2 });
        const hs = hyps(await model.decode(srcIds, srcOff, o));
        const lims = sources.map((s) => limit(o, s.length));
        hs.forEach((h, i) => expect(h.length).toBeLessThanOrEqual(lims[i]));
        // Greedy and sampling reach the limit somewhere (beam search prefers the
        // boosted EOS on this model).
        if (method !== 'beam') expect(hs.some((h, i) => h.length === lims[i]), `${method} ${maxLenA} ${maxLenB}`).toBe(true);
      }
    }
    // Limit 0: EOS at once, with its log-probability.
    const r = await model.decode(srcIds, srcOff, opts({ maxLenA: 0, maxLenB: 0 }));
    expect(r.ids.length).toBe(0);
    const sc = await score(sources.map(() => []));
    for (let i = 0; i < sources.length; i++) expect(relClose(r.logprobs[i], sc[i], 1e-5)).toBe(true);
  });

  it('results come back in the original order', async () => {
    const r = hyps(await model.decode(srcIds, srcOff, opts({ method: 'beam', batchSize: 4 })));
    for (const i of [0, 5, 22]) {
      const one = await model.decode(Int32Array.from(sources[i]), Int32Array.from([0, sources[i].length]),
        opts({ method: 'beam', batchSize: 4 }));
      expect(Array.from(one.ids)).toEqual(r[i]);
    }
  });

  it('cancel() stops decoding and scoring with ECANCELED; the model stays usable', async () => {
    const d = model.decode(srcIds, srcOff, opts({ method: 'beam', batchSize: 1 }));
    model.cancel();
    await expect(d).rejects.toMatchObject({ code: 'ECANCELED' });
    const s = model.score(pack(sources.map((x) => [x, x])), 1);
    model.cancel();
    await expect(s).rejects.toMatchObject({ code: 'ECANCELED' });
    const r = await model.decode(srcIds, srcOff, opts());
    expect(r.offsets.length).toBe(sources.length + 1);
  });

  it('rejects invalid options with EINVAL', async () => {
    const bad: Array<Partial<NativeDecodeOptions>> = [
      { method: 'nucleus' as never }, { beamSize: 0 }, { beamSize: 2.5 }, { lengthPenalty: -1 },
      { lengthPenalty: NaN }, { temperature: 0 }, { temperature: -1 }, { topK: -1 }, { topP: 0 },
      { topP: 1.5 }, { maxLenA: -1 }, { maxLenB: -1 }, { batchSize: 0 }, { seed: -1 },
    ];
    for (const b of bad) {
      await expect((async () => model.decode(srcIds, srcOff, opts(b)))(), JSON.stringify(b)).rejects.toMatchObject({
        code: 'EINVAL',
      });
    }
    // The model stays usable.
    const r = await model.decode(srcIds, srcOff, opts());
    expect(r.offsets.length).toBe(sources.length + 1);
  });
});
