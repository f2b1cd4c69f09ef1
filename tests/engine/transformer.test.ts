// The Transformer facade over the native Model: create, parameters, save/load, translate, score.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { Transformer, translate, score, RegurgitateError, validateModelConfig } from '../../ts/src/index.js';

const CONFIG = { vocabSize: 30, dModel: 32, nHeads: 4, dFF: 64, encoderLayers: 2, decoderLayers: 1, maxLen: 24 };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rg-tf-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function expectedParams(c: ReturnType<typeof validateModelConfig>): number {
  const d = c.dModel;
  const f = c.dFF;
  const ln = 2 * d;
  const lin = (o: number, i: number) => o * i + o;
  const enc = ln + lin(3 * d, d) + lin(d, d) + ln + lin(f, d) + lin(d, f);
  const dec = ln + lin(3 * d, d) + lin(d, d) + ln + lin(d, d) + lin(2 * d, d) + lin(d, d) + ln + lin(f, d) + lin(d, f);
  return c.vocabSize * d + c.encoderLayers * enc + ln + c.decoderLayers * dec + ln;
}

describe('Transformer (validation without native code)', () => {
  it('rejects bad configs before touching native code', () => {
    expect(() => Transformer.create({ vocabSize: 30, dModel: 30 })).toThrow('model.dModel must be a positive integer divisible by nHeads (got 30 with nHeads 4)');
    expect(() => Transformer.create(CONFIG, { seed: -1 })).toThrow('create.seed must be an integer >= 0 (got -1)');
    expect(() => Transformer.create(CONFIG, { sed: 1 } as never)).toThrow('create.sed is not a known option; known: seed');
  });

  it('explains a missing model directory', () => {
    const d = tmp();
    expect(() => Transformer.load(join(d, 'nope'))).toThrow(/^Transformer\.load: no such directory: /);
    try {
      Transformer.load(d);
    } catch (e) {
      expect(e).toBeInstanceOf(RegurgitateError);
      expect((e as RegurgitateError).code).toBe('ENOENT');
      expect((e as Error).message).toBe(`Transformer.load: ${join(d, 'config.json')} is missing (a model directory holds config.json and model.safetensors)`);
    }
    expect(() => Transformer.load('')).toThrow('Transformer.load: dir must be a non-empty path string (got string "")');
  });

  it('top-level translate/score reject non-models', async () => {
    await expect(translate({} as never, [[3]])).rejects.toThrow('translate: model must be a Transformer (got an object (Object))');
    await expect(score(null as never, [])).rejects.toThrow('score: model must be a Transformer (got null)');
  });
});

describe('Transformer', () => {
  it('creates a model with the documented parameter count and layout', () => {
    const m = Transformer.create(CONFIG, { seed: 1 });
    const c = validateModelConfig(CONFIG);
    expect(m.config).toEqual(c);
    expect(Object.isFrozen(m.config)).toBe(true);
    expect(m.numParams).toBe(expectedParams(c));
    const info = m.paramInfo();
    expect(info[0]).toMatchObject({ name: 'embed.weight', shape: [30, 32], offset: 0 });
    expect(info[info.length - 1].name).toBe('decoder.norm.bias');
    expect(info.every((t) => t.offset % 16 === 0)).toBe(true);
    const p = m.parameters();
    expect(p.length).toBeGreaterThanOrEqual(m.numParams);
    expect(Transformer.create('tiny').config.dModel).toBe(64);
  });

  it('same seed, same weights; other seed, other weights', () => {
    const a = Transformer.create(CONFIG, { seed: 7 }).parameters();
    const b = Transformer.create(CONFIG, { seed: 7 }).parameters();
    const c = Transformer.create(CONFIG, { seed: 8 }).parameters();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('setParameters round-trips and checks the length', () => {
    const m = Transformer.create(CONFIG, { seed: 1 });
    const p = m.parameters();
    p[0] = 0.125;
    m.setParameters(p);
    expect(m.parameters()[0]).toBe(0.125);
    expect(() => m.setParameters(new Float32Array(3))).toThrow(/^setParameters: p has 3 values; the parameter buffer has \d+/);
    expect(() => m.setParameters([1, 2] as never)).toThrow('setParameters: p must be a Float32Array (got an array of length 2)');
  });

  it('saves and loads: same config, same weights, same translations', async () => {
    const m = Transformer.create({ ...CONFIG, activation: 'gelu' }, { seed: 3 });
    const dir = join(tmp(), 'nested', 'model');
    m.save(dir);
    const l = Transformer.load(dir);
    expect(l.config).toEqual(m.config);
    expect(Buffer.from(l.parameters().buffer).equals(Buffer.from(m.parameters().buffer))).toBe(true);
    const src = [[3, 4, 5], [6, 7, 8, 9, 10]];
    expect(await l.translate(src)).toEqual(await m.translate(src));
  });

  it('reports corrupt model files as errors with a code', () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), '{"vocab_size": ');
    writeFileSync(join(d, 'model.safetensors'), 'garbage');
    expect(() => Transformer.load(d)).toThrow(RegurgitateError);
    const d2 = tmp();
    mkdirSync(d2, { recursive: true });
    Transformer.create(CONFIG).save(d2);
    writeFileSync(join(d2, 'model.safetensors'), 'garbage');
    try {
      Transformer.load(d2);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RegurgitateError);
      expect(typeof (e as RegurgitateError).code).toBe('string');
    }
  });

  it('translates with greedy, beam and sampling decoding', async () => {
    const m = Transformer.create(CONFIG, { seed: 2 });
    const src = [[3, 4, 5], [6, 7, 8, 9], [10]];
    for (const opts of [undefined, { method: 'beam' as const }, { method: 'sample' as const, topK: 5, seed: 3 }, { beamSize: 2, maxLenA: 0, maxLenB: 3 }]) {
      const r = await m.translate(src, opts);
      expect(r.ids.length).toBe(3);
      expect(r.logprobs.length).toBe(3);
      for (const h of r.ids) for (const id of h) expect(id >= 3 && id < 30).toBe(true);
    }
    const short = await m.translate(src, { maxLenA: 0, maxLenB: 2 });
    expect(short.ids.every((h) => h.length <= 2)).toBe(true);
    const s1 = await m.translate(src, { method: 'sample', seed: 9 });
    const s2 = await m.translate(src, { method: 'sample', seed: 9 });
    expect(s1).toEqual(s2);
    expect(await m.translate([])).toEqual({ ids: [], logprobs: [] });
    await expect(m.translate([[3, 31]])).rejects.toThrow('sources[0][1] = 31 is outside the vocabulary [0, 30)');
    await expect(m.translate([[3]], { beamSize: 0 })).rejects.toThrow('decode.beamSize must be an integer in [1, 256] (got 0)');
  });

  it('runs concurrent translate calls one after another', async () => {
    const m = Transformer.create(CONFIG, { seed: 2 });
    const src = [[3, 4, 5]];
    const [a, b, c] = await Promise.all([m.translate(src), m.translate(src), m.translate(src)]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('scores pairs: one finite log-probability per pair, consistent with greedy output', async () => {
    const m = Transformer.create(CONFIG, { seed: 2 });
    const pairs = [
      { src: [3, 4], tgt: [5, 6] },
      { src: [7], tgt: [8, 9, 10] },
    ];
    const s = await m.score(pairs);
    expect(s.length).toBe(2);
    expect(s.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    expect(await score(m, pairs, { batchSize: 1 })).toEqual(s.map((x) => expect.closeTo(x, 4)) as never);
    // The greedy hypothesis's own log-probability equals its forced-decoding score.
    const t = await m.translate([[3, 4]]);
    if (t.ids[0].length > 0) {
      const [g] = await m.score([{ src: [3, 4], tgt: t.ids[0] }]);
      expect(g).toBeCloseTo(t.logprobs[0], 3);
    }
    expect(await m.score([])).toEqual([]);
    await expect(m.score([{ src: [3], tgt: [2] }])).rejects.toThrow('pairs[0].tgt[0] = 2 is the EOS id: sentences must not contain special ids; regurgitate adds BOS and EOS itself');
  });
});
