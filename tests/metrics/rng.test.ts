// numpy-identical random numbers: SeedSequence, PCG64 (np.random.default_rng, what
// sacreBLEU 2.x's bootstrap uses) and legacy MT19937 (np.random.RandomState). Expected
// values were generated once with numpy 1.24.2 by tests/fixtures/metrics/gen_numpy_rng.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MT19937, PCG64, boundedIntegers, numpyDefaultRngChoice, numpyLegacyChoice, seedSequenceState } from '../../ts/src/metrics/rng.js';
import { bootstrapIndices } from '../../ts/src/metrics/bootstrap.js';
import { numpyMean } from '../../ts/src/metrics/helpers.js';

interface ChoiceCase {
  seed: number;
  n: number;
  rows: number;
  indices: number[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/metrics/numpy-rng.json', import.meta.url), 'utf8')) as {
  seedsequence_12345_uint32_8: number[];
  seedsequence_0_uint32_8: number[];
  seedsequence_2pow40_uint32_8: number[];
  pcg64_12345_next64_hex: string[];
  default_rng_12345_integers_uint32_hex: string[];
  default_rng_choice: ChoiceCase[];
  random_state_choice: ChoiceCase[];
  mt19937_legacy_12345_uint32: number[];
  mt19937_init_by_array_123_uint32: number[];
  numpy_mean: { values: number[]; mean_hex: string }[];
};

const hex64 = ([hi, lo]: [number, number]) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

describe('SeedSequence', () => {
  it('generate_state matches numpy for seeds 12345, 0 and 2^40+7', () => {
    expect(Array.from(seedSequenceState(12345, 8))).toEqual(fx.seedsequence_12345_uint32_8);
    expect(Array.from(seedSequenceState(0, 8))).toEqual(fx.seedsequence_0_uint32_8);
    expect(Array.from(seedSequenceState(2 ** 40 + 7, 8))).toEqual(fx.seedsequence_2pow40_uint32_8);
  });
  it('the uint64 seed words for 12345 are the known PCG64 seed material', () => {
    const w = seedSequenceState(12345, 8);
    // np.random.SeedSequence(12345).generate_state(4, np.uint64)[0] == 0xb5ae6482a03d837c
    expect(hex64([w[1], w[0]])).toBe('b5ae6482a03d837c');
  });
});

describe('PCG64', () => {
  it('random_raw matches numpy', () => {
    const g = PCG64.fromSeed(12345);
    expect(fx.pcg64_12345_next64_hex.map(() => hex64(g.next64()))).toEqual(fx.pcg64_12345_next64_hex);
  });
  it('32-bit draws use both halves of each 64-bit output (low first)', () => {
    const got = boundedIntegers(PCG64.fromSeed(12345), 2 ** 32, 6, false);
    expect(Array.from(got, (x) => x.toString(16).padStart(8, '0'))).toEqual(fx.default_rng_12345_integers_uint32_hex);
  });
  it.each(fx.default_rng_choice.map((c) => [c.seed, c.n, c.rows, c] as const))(
    'default_rng(%i).choice(%i, size=(%i, n)) is index-identical to numpy',
    (seed, n, rows, c) => {
      expect(Array.from(numpyDefaultRngChoice(seed, n, n * rows))).toEqual(c.indices);
    },
  );
  it('bootstrapIndices defaults to sacreBLEU: default_rng(12345)', () => {
    const c = fx.default_rng_choice.find((x) => x.seed === 12345 && x.n === 10 && x.rows === 1000)!;
    expect(Array.from(bootstrapIndices(10, 1000))).toEqual(c.indices);
    // the first resample, spelled out
    expect(c.indices.slice(0, 10)).toEqual([6, 2, 7, 3, 2, 7, 6, 6, 9, 3]);
  });
});

describe('MT19937 (RandomState, legacy seeding)', () => {
  it('init_genrand(12345) raw outputs match numpy', () => {
    const mt = MT19937.fromSeed(12345);
    expect(fx.mt19937_legacy_12345_uint32.map(() => mt.nextUint32())).toEqual(fx.mt19937_legacy_12345_uint32);
  });
  it('init_by_array([1, 2, 3]) raw outputs match numpy', () => {
    const mt = MT19937.fromArray([1, 2, 3]);
    expect(fx.mt19937_init_by_array_123_uint32.map(() => mt.nextUint32())).toEqual(fx.mt19937_init_by_array_123_uint32);
  });
  it('the reference MT19937 output for init_genrand(5489) (first value 3499211612)', () => {
    expect(MT19937.fromSeed(5489).nextUint32()).toBe(3499211612);
  });
  it.each(fx.random_state_choice.map((c) => [c.seed, c.n, c.rows, c] as const))(
    'RandomState(%i).choice(%i, size=(%i, n)) is index-identical to numpy',
    (seed, n, rows, c) => {
      expect(Array.from(numpyLegacyChoice(seed, n, n * rows))).toEqual(c.indices);
    },
  );
});

describe('numpy pairwise mean', () => {
  it.each(fx.numpy_mean.map((m) => [m.values.length, m] as const))('mean of %i values equals numpy to the bit', (_n, m) => {
    const got = numpyMean(m.values);
    expect(got).toBe(floatFromHex(m.mean_hex));
  });
});

/** Python float.hex() -> number. */
function floatFromHex(h: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]+)p([+-]\d+)$/.exec(h);
  if (!m) throw new Error(`bad hex float ${h}`);
  const mant = Number.parseInt(m[2], 10) + Number.parseInt(m[3], 16) / 16 ** m[3].length;
  return (m[1] ? -1 : 1) * mant * 2 ** Number.parseInt(m[4], 10);
}
