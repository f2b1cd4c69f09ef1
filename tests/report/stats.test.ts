import { describe, expect, it } from 'vitest';
import { inverseLerp, lerp, mean, normalCdf, normalQuantile, sampleStd, summarize, tCdf, tQuantile } from '../../ts/src/report/stats.js';
import { RegurgitateError } from '../../ts/src/common/errors.js';

// Two-sided 95% critical values t(0.975, df) from standard tables (R: qt(0.975, df)).
const T975: [number, number][] = [
  [1, 12.706205], [2, 4.302653], [3, 3.182446], [4, 2.776445], [5, 2.570582], [6, 2.446912],
  [7, 2.364624], [8, 2.306004], [9, 2.262157], [10, 2.228139], [15, 2.131450], [20, 2.085963],
  [25, 2.059539], [29, 2.045230], [30, 2.042272], [40, 2.021075], [60, 2.000298], [120, 1.979930],
];

describe('Student t quantiles', () => {
  it.each(T975)('t(0.975, df=%i) = %f', (df, t) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(t, 6);
  });

  it('matches the closed forms for df 1 and 2 to 1e-12 relative', () => {
    for (const p of [0.6, 0.75, 0.9, 0.95, 0.99, 0.999]) {
      const t1 = Math.tan(Math.PI * (p - 0.5));
      const t2 = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      expect(Math.abs(tQuantile(p, 1) - t1) / t1).toBeLessThan(1e-12);
      expect(Math.abs(tQuantile(p, 2) - t2) / t2).toBeLessThan(1e-12);
    }
  });

  it('is symmetric, inverts the CDF and tends to the normal quantile', () => {
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 12);
    expect(tCdf(tQuantile(0.9, 13), 13)).toBeCloseTo(0.9, 12);
    expect(tQuantile(0.995, 4)).toBeCloseTo(4.604095, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 6);
    expect(tQuantile(0.975, Infinity)).toBe(normalQuantile(0.975));
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 5);
    expect(normalCdf(-1.959963985)).toBeCloseTo(0.025, 9);
    expect(normalCdf(5)).toBeCloseTo(1 - 2.866515718791939e-7, 12);
  });

  it('rejects a probability outside (0, 1) and a bad df', () => {
    expect(() => tQuantile(1, 3)).toThrow(RegurgitateError);
    expect(() => tQuantile(0.5, 0)).toThrow(/degrees of freedom/);
  });
});

describe('mean, std, CI', () => {
  it('computes the sample std with n - 1 and the t interval of the mean', () => {
    const xs = [10, 12, 14, 11, 13];
    expect(mean(xs)).toBe(12);
    expect(sampleStd(xs)).toBeCloseTo(Math.sqrt(2.5), 12);
    const s = summarize(xs);
    const half = (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5);
    expect(s.ci95!).toBeCloseTo(half, 5);
    expect(s.low!).toBeCloseTo(12 - half, 5);
    expect(s.high!).toBeCloseTo(12 + half, 5);
    expect(s.n).toBe(5);
  });

  it('two seeds use t with df 1', () => {
    const s = summarize([20, 22]);
    expect(s.ci95!).toBeCloseTo((12.706205 * Math.SQRT2) / Math.SQRT2, 5);
  });

  it('one seed has a mean but no std or interval (null, not NaN, for JSON)', () => {
    const s = summarize([7.5]);
    expect(s).toEqual({ n: 1, mean: 7.5, std: null, ci95: null, low: null, high: null });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('refuses empty and non-finite input', () => {
    expect(() => mean([])).toThrow(/no values/);
    expect(() => summarize([1, NaN])).toThrow(RegurgitateError);
  });

  it('interpolates linearly both ways', () => {
    expect(lerp(1000, 10, 2000, 20, 1500)).toBe(15);
    expect(inverseLerp(1000, 10, 2000, 20, 12.5)).toBe(1250);
    expect(inverseLerp(1000, 10, 2000, 10, 10)).toBe(1000);
  });
});
