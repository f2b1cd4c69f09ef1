// Learning curves: per condition and training size, the mean, sample std and Student-t
// 95% CI over seeds of BLEU and chrF.
import type { StudentResult } from '../experiments/types.js';
import { sortConditions } from './conditions.js';
import { summarize } from './stats.js';
import type { LearningCurve } from './types.js';

/** Runs grouped by condition, then size (both maps in insertion order; callers sort). */
export function groupRuns(runs: readonly StudentResult[]): Map<string, Map<number, StudentResult[]>> {
  const out = new Map<string, Map<number, StudentResult[]>>();
  for (const r of runs) {
    let bySize = out.get(r.condition);
    if (!bySize) out.set(r.condition, (bySize = new Map()));
    let list = bySize.get(r.size);
    if (!list) bySize.set(r.size, (list = []));
    list.push(r);
  }
  return out;
}

export function learningCurves(runs: readonly StudentResult[]): LearningCurve[] {
  const groups = groupRuns(runs);
  return sortConditions(groups.keys()).map((condition) => {
    const bySize = groups.get(condition)!;
    const first = [...bySize.values()][0][0];
    const points = [...bySize.keys()]
      .sort((a, b) => a - b)
      .map((size) => {
        const rs = [...bySize.get(size)!].sort((a, b) => a.seed - b.seed);
        return {
          size,
          seeds: rs.map((r) => r.seed),
          bleu: summarize(rs.map((r) => r.bleu)),
          chrf: summarize(rs.map((r) => r.chrf)),
        };
      });
    return { condition, generator: first.generator, generatedFraction: first.generatedFraction, generators: first.generators, factors: first.factors, points };
  });
}
