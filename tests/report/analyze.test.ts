// analyze() on synthetic experiments whose hypotheses are real text scored with the
// project's metrics, so the paired bootstrap runs for real.
import { describe, expect, it } from 'vitest';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { pairedBootstrap } from '../../ts/src/metrics/bootstrap.js';
import { analyze } from '../../ts/src/report/analyze.js';
import { corrupt, experiment, generatorQuality, grid, makeRefs, type RunSpec } from './fixture.js';

const refs = makeRefs(40);
const T975_DF2 = 4.302653;

describe('learning curves', () => {
  const q = (c: string, s: number) => (c === 'real' ? 0.6 : c === 'generated:low' ? 0.35 : 0.45) + 0.1 * Math.log2(s / 1000);
  const ex = grid(['mix:low:0.5', 'generated:low', 'real'], [2000, 1000], [3, 1, 2], q, refs);
  const a = analyze({ runs: ex.runs, generators: [], refs, hyps: ex.hyps, bootstrap: { samples: 200 } });

  it('has one curve per condition in report order, points ascending by size, three seeds each', () => {
    expect(a.conditions).toEqual(['real', 'generated:low', 'mix:low:0.5']);
    expect(a.curves.map((c) => c.condition)).toEqual(a.conditions);
    expect(a.sizes).toEqual([1000, 2000]);
    expect(a.seeds).toEqual([1, 2, 3]);
    for (const c of a.curves) {
      expect(c.points.map((p) => p.size)).toEqual([1000, 2000]);
      for (const p of c.points) expect(p.seeds).toEqual([1, 2, 3]);
    }
    expect(a.curves[2].generator).toBe('low');
    expect(a.curves[2].generatedFraction).toBe(0.5);
    expect(a.curves[2]).toMatchObject({ generators: ['low'], factors: { family: 'mix', fraction: 0.5 } });
  });

  it('mean, sample std and the t interval (df 2) agree with the runs', () => {
    for (const c of a.curves) {
      for (const p of c.points) {
        for (const metric of ['bleu', 'chrf'] as const) {
          const xs = ex.runs.filter((r) => r.condition === c.condition && r.size === p.size).map((r) => r[metric]);
          const m = (xs[0] + xs[1] + xs[2]) / 3;
          const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
          const s = p[metric];
          expect(s.n).toBe(3);
          expect(s.mean).toBeCloseTo(m, 10);
          expect(s.std!).toBeCloseTo(sd, 10);
          expect(s.low!).toBeCloseTo(m - (T975_DF2 * sd) / Math.sqrt(3), 4);
          expect(s.high!).toBeCloseTo(m + (T975_DF2 * sd) / Math.sqrt(3), 4);
        }
      }
    }
    // the synthetic quality grows with size and real is best: the curves must show it
    const real = a.curves[0];
    expect(real.points[1].bleu.mean).toBeGreaterThan(real.points[0].bleu.mean);
    expect(real.points[1].bleu.mean).toBeGreaterThan(a.curves[1].points[1].bleu.mean);
  });

  it('is deterministic, independent of the order of the runs, and survives JSON', () => {
    const shuffled = [...ex.runs].reverse();
    const b = analyze({ runs: shuffled, generators: [], refs, hyps: ex.hyps, bootstrap: { samples: 200 } });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('a single seed gives a mean with null std and CI', () => {
    const one = experiment([{ condition: 'real', size: 1000, seed: 1, keep: 0.5 }], refs);
    const b = analyze({ runs: one.runs, generators: [], refs, hyps: one.hyps });
    expect(b.curves[0].points[0].bleu).toMatchObject({ n: 1, std: null, low: null, high: null });
    expect(b.curves[0].points[0].bleu.mean).toBe(one.runs[0].bleu);
  });
});

describe('significance against real', () => {
  const realHyps = [corrupt(refs, 0.9, 'r1'), corrupt(refs, 0.9, 'r2')];
  const specs: RunSpec[] = [
    { condition: 'real', size: 1000, seed: 1, keep: 0, hyps: realHyps[0] },
    { condition: 'real', size: 1000, seed: 2, keep: 0, hyps: realHyps[1] },
    // clearly worse
    { condition: 'generated:bad', size: 1000, seed: 1, keep: 0.2 },
    { condition: 'generated:bad', size: 1000, seed: 2, keep: 0.2 },
    // identical output to real
    { condition: 'generated:same', size: 1000, seed: 1, keep: 0, hyps: realHyps[0] },
    { condition: 'generated:same', size: 1000, seed: 2, keep: 0, hyps: realHyps[1] },
    // one extra seed without a real partner
    { condition: 'generated:bad', size: 1000, seed: 3, keep: 0.2 },
    // no real run at this size
    { condition: 'generated:bad', size: 4000, seed: 1, keep: 0.2 },
    // real at this size, but not this seed
    { condition: 'real', size: 2000, seed: 1, keep: 0.9 },
    { condition: 'generated:bad', size: 2000, seed: 7, keep: 0.2 },
  ];
  const ex = experiment(specs, refs);
  const a = analyze({ runs: ex.runs, generators: [], refs, hyps: ex.hyps });
  const row = (c: string, size: number) => a.significance.rows.find((r) => r.condition === c && r.size === size)!;

  it("uses sacreBLEU's defaults and the metrics' paired bootstrap", () => {
    expect(a.significance).toMatchObject({ samples: 1000, seed: 12345, alpha: 0.05 });
    const r = row('generated:bad', 1000);
    const direct = pairedBootstrap(realHyps[0], ex.files.get(ex.runs[2].hypotheses)!, [refs], { metric: 'bleu' });
    expect(r.bleu!.seeds[0]).toEqual({ seed: 1, real: direct.baseline.score, system: direct.system.score, delta: direct.difference.observed, pValue: direct.system.pValue });
    expect(r.bleu!.signature).toBe(direct.signature);
    expect(r.bleu!.signature).toContain('bs:1000|seed:12345');
  });

  it('a clearly worse system is significant on BLEU and chrF, with a negative mean delta', () => {
    const r = row('generated:bad', 1000);
    expect(r.skipped).toBeNull();
    expect(r.matchedSeeds).toEqual([1, 2]);
    expect(r.unmatchedSeeds).toEqual([3]);
    for (const m of [r.bleu!, r.chrf!]) {
      expect(m.significant).toBe(true);
      expect(m.meanDelta).toBeLessThan(-10);
      expect(m.meanDelta).toBeCloseTo((m.seeds[0].delta + m.seeds[1].delta) / 2, 12);
      for (const s of m.seeds) expect(s.pValue).toBeLessThan(0.05);
    }
    // the deltas are the runs' own score differences
    const run1 = ex.runs.find((x) => x.condition === 'generated:bad' && x.seed === 1 && x.size === 1000)!;
    expect(r.bleu!.seeds[0].delta).toBeCloseTo(run1.bleu - ex.runs[0].bleu, 9);
  });

  it('identical systems are not significant (delta 0, p = 1)', () => {
    const r = row('generated:same', 1000);
    for (const m of [r.bleu!, r.chrf!]) {
      expect(m.significant).toBe(false);
      expect(m.meanDelta).toBe(0);
      expect(m.seeds.map((s) => s.pValue)).toEqual([1, 1]);
    }
  });

  it('significant needs every matched seed: one clearly worse seed and one identical seed is not', () => {
    const e2 = experiment(
      [
        { condition: 'real', size: 1000, seed: 1, keep: 0, hyps: realHyps[0] },
        { condition: 'real', size: 1000, seed: 2, keep: 0, hyps: realHyps[1] },
        { condition: 'generated:mixed', size: 1000, seed: 1, keep: 0.2 },
        { condition: 'generated:mixed', size: 1000, seed: 2, keep: 0, hyps: realHyps[1] },
      ],
      refs,
    );
    const m = analyze({ runs: e2.runs, generators: [], refs, hyps: e2.hyps, bootstrap: { samples: 200 } }).significance.rows[0].bleu!;
    expect(m.seeds[0].pValue).toBeLessThan(0.05);
    expect(m.seeds[1].pValue).toBe(1);
    expect(m.significant).toBe(false);
  });

  it('a system differing by one sentence is not significant', () => {
    const h = [...realHyps[0]];
    h[5] = 'completely different words here';
    const e2 = experiment(
      [
        { condition: 'real', size: 1000, seed: 1, keep: 0, hyps: realHyps[0] },
        { condition: 'generated:near', size: 1000, seed: 1, keep: 0, hyps: h },
      ],
      refs,
    );
    const b = analyze({ runs: e2.runs, generators: [], refs, hyps: e2.hyps });
    expect(b.significance.rows[0].bleu!.seeds[0].pValue).toBeGreaterThan(0.05);
    expect(b.significance.rows[0].bleu!.significant).toBe(false);
  });

  it('skips a size without real runs, and one where no seed matches, with reasons', () => {
    expect(row('generated:bad', 4000)).toMatchObject({ skipped: 'no real run at size 4,000', bleu: null, chrf: null, matchedSeeds: [] });
    expect(row('generated:bad', 2000)).toMatchObject({ skipped: 'no real run with a matching seed (7) at size 2,000', unmatchedSeeds: [7] });
    expect(a.significance.rows.map((r) => `${r.condition}@${r.size}`)).toEqual([
      'generated:bad@1000',
      'generated:bad@2000',
      'generated:bad@4000',
      'generated:same@1000',
    ]);
  });

  it('honours bootstrap samples and seed', () => {
    const sub = ex.runs.slice(0, 4);
    const b = analyze({ runs: sub, generators: [], refs, hyps: ex.hyps, bootstrap: { samples: 50, seed: 3 } });
    expect(b.significance).toMatchObject({ samples: 50, seed: 3 });
    expect(b.significance.rows[0].bleu!.signature).toContain('bs:50|seed:3');
    const direct = pairedBootstrap(realHyps[1], ex.files.get(sub[3].hypotheses)!, [refs], { metric: 'chrf', nSamples: 50, seed: 3 });
    expect(b.significance.rows[0].chrf!.seeds[1].pValue).toBe(direct.system.pValue);
  });
});

describe('input checks and pass-through', () => {
  const ex = experiment(
    [
      { condition: 'real', size: 1000, seed: 1, keep: 0.8 },
      { condition: 'generated:x', size: 1000, seed: 1, keep: 0.5 },
    ],
    refs,
  );

  it('sorts the generator quality table by BLEU, best first', () => {
    const gens = [generatorQuality('b', 10, 40), generatorQuality('a', 30, 55), generatorQuality('c', 20, 50)];
    const a = analyze({ runs: ex.runs, generators: gens, refs, hyps: ex.hyps, bootstrap: { samples: 20 } });
    expect(a.generators.map((g) => g.name)).toEqual(['a', 'c', 'b']);
    expect(a.generators[0]).toEqual(gens[1]);
    expect(gens.map((g) => g.name)).toEqual(['b', 'a', 'c']); // input untouched
  });

  const expectInvalid = (f: () => unknown, re: RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegurgitateError);
    expect((err as RegurgitateError).code).toBe('EINVAL');
    expect((err as Error).message).toMatch(re);
  };

  it('rejects hypotheses that do not align with the references, naming the run and file', () => {
    expectInvalid(() => analyze({ runs: ex.runs, generators: [], refs, hyps: () => ['one line'] }), /real-s1000-seed1 \(students\/real-s1000-seed1\/test\.hyp\) have 1 lines, the references 40/);
  });

  it('rejects duplicate runs, bad numbers and bad bootstrap settings', () => {
    expectInvalid(() => analyze({ runs: [ex.runs[0], { ...ex.runs[0], id: 'dup' }], generators: [], refs, hyps: ex.hyps }), /two runs of real with size 1000 and seed 1/);
    expectInvalid(() => analyze({ runs: [{ ...ex.runs[0], bleu: NaN }], generators: [], refs, hyps: ex.hyps }), /runs\[0\] \(real-s1000-seed1\): bleu must be a finite number, got NaN/);
    expectInvalid(() => analyze({ runs: [{ ...ex.runs[0], size: 0 }], generators: [], refs, hyps: ex.hyps }), /size must be a positive integer/);
    expectInvalid(() => analyze({ runs: [{ ...ex.runs[0], generators: 'low' as unknown as string[] }], generators: [], refs, hyps: ex.hyps }), /generators must be an array of names, got/);
    expectInvalid(() => analyze({ runs: [{ ...ex.runs[0], factors: null as unknown as Record<string, number> }], generators: [], refs, hyps: ex.hyps }), /factors must be an object, got null/);
    expectInvalid(() => analyze({ runs: ex.runs, generators: [], refs, hyps: ex.hyps, bootstrap: { samples: 0 } }), /bootstrap\.samples/);
    expectInvalid(() => analyze({ runs: ex.runs, generators: [{ ...generatorQuality('g', 1, 2), bleu: Infinity }], refs, hyps: ex.hyps }), /generators\[0\] \(g\): bleu/);
  });
});
