// Significance of each condition against real data of the same size: sacreBLEU's paired
// bootstrap (metrics/bootstrap.ts) per seed, the condition's run against the real run of
// the same size and seed, on BLEU and chrF. A row counts as significant only when every
// matched seed is, so one lucky seed cannot carry it.
//
// One correction to sacreBLEU's p-value: when the two systems score exactly the same (e.g.
// identical output) every resampled difference is equal, no resample "exceeds" it, and
// (0 + 1) / (n + 1) = 0.001 would call them significantly different. A zero observed
// difference gets p = 1: nothing at least as extreme as "no difference" is ever unlikely.
import type { StudentResult } from '../experiments/types.js';
import type { BleuOptions } from '../metrics/bleu.js';
import { bootstrapSide, pairedBootstrapSides, type BootstrapSide } from '../metrics/bootstrap.js';
import type { ChrfOptions } from '../metrics/chrf.js';
import { REAL, sortConditions } from './conditions.js';
import { groupRuns } from './curves.js';
import { formatInt } from './format.js';
import type { MetricComparison, SeedComparison, Significance, SignificanceRow } from './types.js';

export const ALPHA = 0.05;

export interface SignificanceOptions {
  refs: readonly string[];
  /** The run's test translations (already checked to align with refs). */
  hyps: (run: StudentResult) => readonly string[];
  samples: number;
  seed: number;
  bleu?: BleuOptions;
  chrf?: ChrfOptions;
}

// Each run's bootstrap side (its statistics and resampled scores) per metric, made once:
// a real-data run is the baseline of every condition at its size and seed.
type Sides = Map<StudentResult, Map<string, BootstrapSide>>;

function side(sides: Sides, run: StudentResult, metric: 'bleu' | 'chrf', o: SignificanceOptions): BootstrapSide {
  let m = sides.get(run);
  if (!m) sides.set(run, (m = new Map()));
  let s = m.get(metric);
  if (!s) {
    s = bootstrapSide(o.hyps(run), [o.refs], { metric, bleu: o.bleu, chrf: o.chrf, nSamples: o.samples, seed: o.seed });
    m.set(metric, s);
  }
  return s;
}

function compare(
  metric: 'bleu' | 'chrf',
  pairs: { seed: number; real: StudentResult; run: StudentResult }[],
  o: SignificanceOptions,
  sides: Sides,
): MetricComparison {
  let signature = '';
  const seeds: SeedComparison[] = pairs.map(({ seed, real, run }) => {
    const r = pairedBootstrapSides(side(sides, real, metric, o), side(sides, run, metric, o));
    signature = r.signature;
    const delta = r.difference.observed;
    return { seed, real: r.baseline.score, system: r.system.score, delta, pValue: delta === 0 ? 1 : r.system.pValue };
  });
  const meanDelta = seeds.reduce((s, x) => s + x.delta, 0) / seeds.length;
  return { meanDelta, seeds, significant: seeds.every((s) => s.pValue < ALPHA), signature };
}

export function significance(runs: readonly StudentResult[], o: SignificanceOptions): Significance {
  const groups = groupRuns(runs);
  const sides: Sides = new Map();
  const real = groups.get(REAL);
  const rows: SignificanceRow[] = [];
  for (const condition of sortConditions(groups.keys())) {
    if (condition === REAL) continue;
    const bySize = groups.get(condition)!;
    for (const size of [...bySize.keys()].sort((a, b) => a - b)) {
      const runsHere = [...bySize.get(size)!].sort((a, b) => a.seed - b.seed);
      const realHere = new Map((real?.get(size) ?? []).map((r) => [r.seed, r]));
      const pairs = runsHere.flatMap((run) => {
        const r = realHere.get(run.seed);
        return r ? [{ seed: run.seed, real: r, run }] : [];
      });
      const matchedSeeds = pairs.map((p) => p.seed);
      const unmatchedSeeds = runsHere.filter((r) => !realHere.has(r.seed)).map((r) => r.seed);
      let skipped: string | null = null;
      if (realHere.size === 0) skipped = `no real run at size ${formatInt(size)}`;
      else if (pairs.length === 0) skipped = `no real run with a matching seed (${unmatchedSeeds.join(', ')}) at size ${formatInt(size)}`;
      rows.push({
        condition,
        size,
        matchedSeeds,
        unmatchedSeeds,
        skipped,
        bleu: skipped ? null : compare('bleu', pairs, o, sides),
        chrf: skipped ? null : compare('chrf', pairs, o, sides),
      });
    }
  }
  return { samples: o.samples, seed: o.seed, alpha: ALPHA, rows };
}
