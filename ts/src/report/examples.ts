// Picks a few test sentences with each condition's translation, for the report's examples:
// per condition the run of the largest size (lowest seed), and sentences evenly spaced
// through the test set, so the choice is deterministic and not cherry-picked.
import { RegurgitateError } from '../common/errors.js';
import type { StudentResult } from '../experiments/types.js';
import { sortConditions } from './conditions.js';
import type { ExampleTranslation } from './meta.js';

export interface SelectExamplesInput {
  sources: readonly string[];
  refs: readonly string[];
  runs: readonly StudentResult[];
  hyps: (run: StudentResult) => readonly string[];
  /** Number of sentences (default 3). */
  count?: number;
}

export function selectExamples(input: SelectExamplesInput): ExampleTranslation[] {
  const { sources, refs, runs } = input;
  if (sources.length !== refs.length) {
    throw new RegurgitateError('EINVAL', `selectExamples: ${sources.length} sources but ${refs.length} references`);
  }
  const count = Math.min(input.count ?? 3, refs.length);
  if (count <= 0) return [];
  const chosen = sortConditions(runs.map((r) => r.condition)).map((condition) => {
    const best = runs.filter((r) => r.condition === condition).sort((a, b) => b.size - a.size || a.seed - b.seed)[0];
    const h = input.hyps(best);
    if (h.length !== refs.length) {
      throw new RegurgitateError('EINVAL', `hypotheses of run ${best.id} (${best.hypotheses}) have ${h.length} lines, the references ${refs.length}`);
    }
    return { run: best, h };
  });
  const out: ExampleTranslation[] = [];
  for (let k = 0; k < count; k++) {
    const i = Math.floor(((k + 0.5) * refs.length) / count);
    out.push({
      index: i,
      source: sources[i],
      reference: refs[i],
      hypotheses: chosen.map(({ run, h }) => ({ condition: run.condition, size: run.size, seed: run.seed, text: h[i] })),
    });
  }
  return out;
}
