// "A fraction of real data is enough": the rule and its sentence, on curves with chosen
// BLEU values (every run has the same hypotheses; only the recorded BLEU differs).
import { describe, expect, it } from 'vitest';
import { analyze } from '../../ts/src/report/analyze.js';
import type { FractionOfReal } from '../../ts/src/report/types.js';
import { experiment, generatorQuality, makeRefs, type RunSpec } from './fixture.js';

const refs = makeRefs(12);
const same = refs.map((r) => r.split(' ').slice(1).join(' '));

/** Runs of `condition` with two seeds at each size, BLEU = mean ± 1. */
function curve(condition: string, means: Record<number, number>): RunSpec[] {
  return Object.entries(means).flatMap(([size, m]) => [
    { condition, size: Number(size), seed: 1, keep: 0, hyps: same, bleu: m - 1 },
    { condition, size: Number(size), seed: 2, keep: 0, hyps: same, bleu: m + 1 },
  ]);
}

function fractions(specs: RunSpec[], generators: string[] = []): FractionOfReal[] {
  const ex = experiment(specs, refs);
  return analyze({ runs: ex.runs, generators: generators.map((g) => generatorQuality(g, 10, 30)), refs, hyps: ex.hyps, bootstrap: { samples: 10 } }).fractionOfReal;
}

describe('fraction of real data', () => {
  it('finds the smallest real size reaching the best generated BLEU and interpolates between the bracketing sizes', () => {
    const [f] = fractions([...curve('real', { 1000: 10, 2000: 14, 3000: 18, 4000: 20 }), ...curve('generated:low', { 1000: 8, 2000: 12.5, 3000: 12.5 })]);
    expect(f).toMatchObject({
      generator: 'low',
      condition: 'generated:low',
      status: 'reached',
      best: { bleu: 12.5, size: 2000 }, // a tie goes to the smaller size
      largestGeneratedSize: 3000,
      realSize: 2000,
      realBleu: 14,
      bestReal: { bleu: 20, size: 4000 },
    });
    expect(f.interpolatedSize).toBeCloseTo(1000 + (1000 * (12.5 - 10)) / (14 - 10), 9);
    expect(f.fractionOfLargest).toBeCloseTo(2000 / 3000, 12);
    expect(f.statement).toBe(
      'Training on 2,000 real pairs (67% of the largest generated set) already matches the best BLEU of generated:low (12.5 at 2,000 pairs); by linear interpolation about 1,625 pairs of real data would suffice.',
    );
  });

  it('a real mean exactly equal to the target reaches it', () => {
    const [f] = fractions([...curve('real', { 1000: 10, 5000: 30 }), ...curve('generated:g', { 5000: 30 })]);
    expect(f).toMatchObject({ status: 'reached', realSize: 5000, fractionOfLargest: 1 });
    expect(f.interpolatedSize).toBeCloseTo(5000, 9);
    expect(f.statement).toMatch(/^Training on 5,000 real pairs \(100% of the largest generated set\) already matches the best BLEU of generated:g \(30\.0 at 5,000 pairs\)/);
  });

  it('real data needing more pairs than the largest generated set drops "already"', () => {
    const [f] = fractions([...curve('real', { 1000: 5, 2000: 9, 4000: 16 }), ...curve('generated:g', { 1000: 6, 2000: 12 })]);
    expect(f).toMatchObject({ status: 'reached', realSize: 4000, fractionOfLargest: 2 });
    expect(f.statement).toMatch(/^Training on 4,000 real pairs \(200% of the largest generated set\) matches/);
  });

  it('edge case: the smallest real size already exceeds it', () => {
    const [f] = fractions([...curve('real', { 500: 15, 1000: 20 }), ...curve('generated:low', { 1000: 8, 4000: 12 })]);
    expect(f).toMatchObject({ status: 'smallest-real-reaches', realSize: 500, realBleu: 15, interpolatedSize: null, fractionOfLargest: 0.125 });
    expect(f.statement).toBe(
      'Even the smallest real training set, 500 pairs (13% of the largest generated set), reaches the best BLEU of generated:low (12.0 at 4,000 pairs) with 15.0.',
    );
  });

  it('edge case: real never reaches it', () => {
    const [f] = fractions([...curve('real', { 1000: 5, 2000: 7 }), ...curve('generated:high', { 1000: 9, 2000: 11 })]);
    expect(f).toMatchObject({ status: 'never-reached', realSize: null, realBleu: null, interpolatedSize: null, fractionOfLargest: null, bestReal: { bleu: 7, size: 2000 } });
    expect(f.statement).toBe(
      'No real training size up to 2,000 pairs reaches the best BLEU of generated:high (11.0 at 2,000 pairs); the best real BLEU is 7.0 at 2,000 pairs.',
    );
  });

  it('edge case: no real runs', () => {
    const [f] = fractions(curve('generated:low', { 1000: 9 }));
    expect(f).toMatchObject({ status: 'no-real', best: { bleu: 9, size: 1000 }, bestReal: null, realSize: null });
    expect(f.statement).toBe('There are no real runs, so the best BLEU of generated:low (9.0 at 1,000 pairs) cannot be compared with real data.');
  });

  it('edge case: a generator without generated runs (only a mix), and no generators at all', () => {
    const fs = fractions([...curve('real', { 1000: 10 }), ...curve('mix:only:0.5', { 1000: 9 })], ['only']);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ generator: 'only', status: 'no-generated', best: null, largestGeneratedSize: null });
    expect(fs[0].statement).toBe('There are no generated:only runs, so generated:only cannot be compared with real data.');
    expect(fractions(curve('real', { 1000: 10 }))).toEqual([]);
  });

  it('covers generators from the quality records and from generated:G runs, sorted by name', () => {
    const fs = fractions([...curve('real', { 1000: 10 }), ...curve('generated:zeta', { 1000: 5 })], ['alpha']);
    expect(fs.map((f) => [f.generator, f.status])).toEqual([
      ['alpha', 'no-generated'],
      ['zeta', 'smallest-real-reaches'],
    ]);
  });
});
