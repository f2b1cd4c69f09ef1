// Paired bootstrap resampling. tests/fixtures/metrics/paired-bs.json was produced by
// gen_paired_bs.py, which replays sacreBLEU 2.x's _paired_bs_test / _bootstrap_resample /
// estimate_ci / _compute_p_value with numpy 1.24 on a synthetic corpus. Resample indices,
// summed statistics (integers, so float32 sums are exact) and the p-value are identical;
// resample scores agree to ~1e-14 (V8's Math.log/Math.exp and the C library's log/exp
// may differ in the last bit), so means and CIs are compared to 1e-12.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootstrapIndices, bootstrapSide, estimateCi, pairedBootstrap, pairedBootstrapSides } from '../../ts/src/metrics/bootstrap.js';
import { corpusBleu } from '../../ts/src/metrics/bleu.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/metrics/paired-bs.json', import.meta.url), 'utf8')) as {
  refs: string[];
  baseline: string[];
  system: string[];
  baseline_score: number;
  system_score: number;
  baseline_mean: number;
  baseline_ci: number;
  system_mean: number;
  system_ci: number;
  p_value: number;
};

describe('paired bootstrap (BLEU, 1000 resamples, seed 12345)', () => {
  const r = pairedBootstrap(fx.baseline, fx.system, [fx.refs], { metric: 'bleu', bleu: { tokenize: 'none' } });

  it('full-corpus scores equal corpus BLEU and the replayed sacreBLEU values', () => {
    expect(r.baseline.score).toBe(corpusBleu(fx.baseline, [fx.refs], { tokenize: 'none' }).score);
    expect(r.baseline.score).toBe(fx.baseline_score);
    expect(r.system.score).toBe(fx.system_score);
  });
  it('bootstrap means and 95% CI half-widths equal the replayed sacreBLEU values', () => {
    expect(Math.abs(r.baseline.mean - fx.baseline_mean)).toBeLessThan(1e-12);
    expect(Math.abs(r.baseline.ci - fx.baseline_ci)).toBeLessThan(1e-12);
    expect(Math.abs(r.system.mean - fx.system_mean)).toBeLessThan(1e-12);
    expect(Math.abs(r.system.ci - fx.system_ci)).toBeLessThan(1e-12);
    // the values themselves (sacreBLEU prints them as 33.7 (33.7 ± 4.5) and 37.6 (37.4 ± 4.4))
    expect(r.baseline.mean.toFixed(4)).toBe('33.6534');
    expect(r.system.ci.toFixed(4)).toBe('4.4363');
  });
  it('p-value is identical: (c + 1) / (1000 + 1)', () => {
    expect(r.system.pValue).toBe(fx.p_value);
    expect(r.system.pValue * 1001).toBeCloseTo(Math.round(fx.p_value * 1001), 9);
  });
  it('reports the signature with bs and seed, as sacreBLEU', () => {
    expect(r.metric).toBe('BLEU');
    expect(r.signature).toBe('nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0');
    expect(r.nSamples).toBe(1000);
    expect(r.seed).toBe(12345);
  });
  it('the difference summary is consistent', () => {
    expect(r.difference.observed).toBeCloseTo(fx.system_score - fx.baseline_score, 12);
    expect(r.difference.interval[0]).toBeLessThan(r.difference.mean);
    expect(r.difference.interval[1]).toBeGreaterThan(r.difference.mean);
    expect(r.system.interval[1] - r.system.interval[0]).toBeCloseTo(2 * r.system.ci, 12);
  });
});

describe('sides computed once (how a report compares one real run with many)', () => {
  it('pairedBootstrapSides(side(a), side(b)) equals pairedBootstrap(a, b) exactly, for BLEU and chrF, and a side can be reused', () => {
    for (const metric of ['bleu', 'chrf'] as const) {
      const o = { metric, bleu: { tokenize: 'none' as const } };
      const bl = bootstrapSide(fx.baseline, [fx.refs], o);
      const sy = bootstrapSide(fx.system, [fx.refs], o);
      expect(pairedBootstrapSides(bl, sy)).toEqual(pairedBootstrap(fx.baseline, fx.system, [fx.refs], o));
      // The same baseline side against a third system, and the pair reversed.
      const third = fx.system.map((h, i) => (i % 3 ? h : fx.baseline[i]));
      expect(pairedBootstrapSides(bl, bootstrapSide(third, [fx.refs], o))).toEqual(pairedBootstrap(fx.baseline, third, [fx.refs], o));
      expect(pairedBootstrapSides(sy, bl)).toEqual(pairedBootstrap(fx.system, fx.baseline, [fx.refs], o));
    }
  });
  it('sides made with different settings are refused', () => {
    const a = bootstrapSide(fx.baseline, [fx.refs], { metric: 'bleu' });
    expect(() => pairedBootstrapSides(a, bootstrapSide(fx.system, [fx.refs], { metric: 'bleu', seed: 7 }))).toThrow(/differ in seed/);
    expect(() => pairedBootstrapSides(a, bootstrapSide(fx.system, [fx.refs], { metric: 'chrf' }))).toThrow(/differ in metric/);
  });
});

describe('determinism and seeds', () => {
  it('same inputs and seed give the same result; another seed gives other resamples', () => {
    const a = pairedBootstrap(fx.baseline, fx.system, [fx.refs], { nSamples: 200 });
    const b = pairedBootstrap(fx.baseline, fx.system, [fx.refs], { nSamples: 200 });
    const c = pairedBootstrap(fx.baseline, fx.system, [fx.refs], { nSamples: 200, seed: 1 });
    expect(b).toEqual(a);
    expect(c.system.mean).not.toBe(a.system.mean);
    expect(c.system.score).toBe(a.system.score);
    expect(c.signature).toContain('|seed:1|');
  });
  it('a system compared with itself: zero difference and, as in sacreBLEU, p = 1 / (n + 1)', () => {
    // every centred difference is 0 and 0 > 0 is false, so c = 0 (multeval's "the != is important")
    const r = pairedBootstrap(fx.system, fx.system, [fx.refs], { nSamples: 100 });
    expect(r.difference.observed).toBe(0);
    expect(r.system.pValue).toBe(1 / 101);
  });
  it('works for chrF, chrF++ and TER', () => {
    for (const metric of ['chrf', 'chrf++', 'ter'] as const) {
      const r = pairedBootstrap(fx.baseline, fx.system, [fx.refs], { metric, nSamples: 50 });
      expect(r.system.pValue).toBeGreaterThan(0);
      expect(r.system.pValue).toBeLessThanOrEqual(1);
      expect(r.metric).toBe({ chrf: 'chrF2', 'chrf++': 'chrF2++', ter: 'TER' }[metric]);
    }
  });
  it('legacy RandomState resamples can be asked for', () => {
    expect(Array.from(bootstrapIndices(10, 1, 12345, 'numpy-legacy'))).toEqual([2, 5, 1, 4, 9, 5, 2, 1, 6, 1]);
  });
  it('rejects mismatched systems', () => {
    expect(() => pairedBootstrap(['a'], ['a', 'b'], [['a']])).toThrow(/baselineHyps has 1 segments, systemHyps has 2/);
  });
});

describe('estimateCi (significance.estimate_ci)', () => {
  it('uses the 25th and 975th of 1000 sorted scores', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000); // a permutation of 0..999
    const e = estimateCi(scores);
    expect(e.interval).toEqual([25, 974]);
    expect(e.ci).toBe(474.5);
    expect(e.mean).toBe(499.5);
  });
});
