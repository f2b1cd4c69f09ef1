// One table of option ranges: native code's (optionRanges(), the constants it reads and
// checks options with) equals TypeScript's (engine/ranges.ts), and at every bound a value
// TypeScript accepts trains / decodes / scores natively, while one just outside gets
// TypeScript's EINVAL naming the field (native code refuses it too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { validateDecodeOptions, validateTrainOptions } from '../../ts/src/engine/config.js';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { DECODE_RANGES, MAX_BEAM_ROWS, SCORE_RANGES, TRAIN_RANGES, type OptionRange } from '../../ts/src/engine/ranges.js';
import { Transformer } from '../../ts/src/engine/transformer.js';
import { addon, pack, tinyConfig } from '../helpers/native.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** The next double above (step 1) or below (step -1) x, for x >= 0. */
function next(x: number, step: 1 | -1): number {
  if (x === 0) return step > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  i64[0] += BigInt(step);
  return f64[0];
}

/** The extreme values inside r, and values just outside it. */
function inside(r: OptionRange): number[] {
  const lo = r.minOpen ? (r.integer ? r.min + 1 : next(r.min, 1)) : r.min;
  const hi = r.max === Infinity ? 1e300 : r.maxOpen ? (r.integer ? r.max - 1 : next(r.max, -1)) : r.max;
  return [lo, hi];
}
function outside(r: OptionRange): number[] {
  const below = r.minOpen ? r.min : r.integer ? r.min - 1 : next(r.min, -1);
  const above = r.max === Infinity ? Infinity : r.maxOpen ? r.max : r.integer ? r.max + 1 : next(r.max, 1);
  const out = [below, above, NaN];
  if (r.integer) out.push(r.min + 0.5);
  return out;
}

/** Throws EINVAL naming `field`: a RegurgitateError from TypeScript, a coded Error from the raw addon. */
function einval(fn: () => unknown, field: string, cls: abstract new (...a: never[]) => Error = RegurgitateError): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${field} should be refused`).toBeInstanceOf(cls);
  expect((caught as RegurgitateError).code).toBe('EINVAL');
  expect((caught as Error).message.startsWith(`${field} must be `), (caught as Error).message).toBe(true);
}

const toTable = (t: Readonly<Record<string, OptionRange>>) => Object.fromEntries(Object.entries(t).map(([k, r]) => [k, { ...r }]));

describe('native and TypeScript share one table of option ranges', () => {
  const n = addon.optionRanges();
  it('every native range equals the TypeScript one, and neither has a field the other lacks', () => {
    expect(n.train).toEqual(toTable(TRAIN_RANGES));
    expect(n.decode).toEqual(toTable(DECODE_RANGES));
    expect(n.score).toEqual(toTable(SCORE_RANGES));
    expect(n.maxBeamRows).toBe(MAX_BEAM_ROWS);
  });
});

// A tiny model and two pairs that fit a batch of 2 tokens (one source id, an empty target).
const config = JSON.stringify(tinyConfig);
const data = pack([
  [[3], []],
  [[4], []],
]);
const srcOffsets = Int32Array.from([0, 1, 2]);
const src = Int32Array.from([3, 4]);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// What each bound needs from the other options to be valid with it.
function trainInput(k: keyof typeof TRAIN_RANGES, v: number): Record<string, unknown> {
  const o: Record<string, unknown> = { maxSteps: 1, maxEpochs: 0, schedule: 'constant', progressEvery: 1, [k]: v };
  if (k === 'maxSteps') Object.assign(o, v === 0 ? { maxEpochs: 1 } : { stopAfterSteps: 1 });
  if (k === 'minLr') o.lr = 10;
  if (k === 'patience') o.validEvery = 1;
  if (k === 'checkpointEvery' && v > 0) dirs.push((o.checkpointDir = mkdtempSync(join(tmpdir(), 'rg-ranges-'))) as string);
  return o;
}

describe('training options at their bounds', () => {
  for (const [k, r] of Object.entries(TRAIN_RANGES) as [keyof typeof TRAIN_RANGES, OptionRange][]) {
    it(`train.${k}: ${inside(r).join(' and ')} train natively; ${outside(r).join(', ')} are refused`, async () => {
      for (const v of inside(r)) {
        const opts = validateTrainOptions(trainInput(k, v) as never, { hasValid: true });
        expect(opts[k]).toBe(v);
        const m = new addon.Model(config, 1);
        await expect(m.train(data, data, opts, () => {}), `train.${k} = ${v}`).resolves.toMatchObject({ steps: 1 });
      }
      const ok = validateTrainOptions(trainInput(k, inside(r)[0]) as never, { hasValid: true });
      for (const v of outside(r)) {
        einval(() => validateTrainOptions({ ...trainInput(k, inside(r)[0]), [k]: v } as never, { hasValid: true }), `train.${k}`);
        einval(() => new addon.Model(config, 1).train(data, data, { ...ok, [k]: v }, () => {}), `options.${k}`, Error);
      }
    });
  }
});

function decodeInput(k: keyof typeof DECODE_RANGES, v: number): Record<string, unknown> {
  const method = k === 'beamSize' || k === 'lengthPenalty' ? 'beam' : ['temperature', 'topK', 'topP'].includes(k) ? 'sample' : 'greedy';
  const o: Record<string, unknown> = { method, [k]: v };
  if (k === 'beamSize') o.batchSize = 2;
  return o;
}

describe('decoding and scoring options at their bounds', () => {
  const m = new addon.Model(config, 1);
  for (const [k, r] of Object.entries(DECODE_RANGES) as [keyof typeof DECODE_RANGES, OptionRange][]) {
    it(`decode.${k}: ${inside(r).join(' and ')} decode natively; ${outside(r).join(', ')} are refused`, async () => {
      for (const v of inside(r)) {
        const opts = validateDecodeOptions(decodeInput(k, v) as never);
        expect(opts[k]).toBe(v);
        const out = await m.decode(src, srcOffsets, opts);
        expect(out.offsets.length, `decode.${k} = ${v}`).toBe(3);
      }
      const ok = validateDecodeOptions(decodeInput(k, inside(r)[0]) as never);
      for (const v of outside(r)) {
        einval(() => validateDecodeOptions(decodeInput(k, v) as never), `decode.${k}`);
        einval(() => m.decode(src, srcOffsets, { ...ok, [k]: v }), `options.${k}`, Error);
      }
    });
  }
  it('beam rows: batchSize * beamSize at most maxBeamRows on both sides', async () => {
    const edge = { method: 'beam' as const, beamSize: 256, batchSize: MAX_BEAM_ROWS / 256 };
    await expect(m.decode(src, srcOffsets, validateDecodeOptions(edge))).resolves.toBeTruthy();
    einval(() => validateDecodeOptions({ ...edge, batchSize: edge.batchSize + 1 }), 'decode.batchSize * decode.beamSize');
  });
  it('score.batchSize: the bounds score natively; outside is refused', async () => {
    const t = Transformer.create({ vocabSize: 24, dModel: 32, nHeads: 4, dFF: 64, encoderLayers: 1, decoderLayers: 1, maxLen: 32 });
    for (const v of inside(SCORE_RANGES.batchSize)) expect(await t.score([{ src: [3], tgt: [4] }], { batchSize: v })).toHaveLength(1);
    for (const v of outside(SCORE_RANGES.batchSize)) {
      await expect(t.score([{ src: [3], tgt: [4] }], { batchSize: v })).rejects.toThrow(/^score\.batchSize must be /);
      expect(() => m.score(data, v)).toThrow(/^batchSize must be /);
    }
  });
});
