// analyze(): from the finished student runs of an experiment to the Analysis the report
// renders. Checks the records first, so a bad results.json fails with the run's id
// instead of a NaN in a table.
import { RegurgitateError, describe } from '../common/errors.js';
import type { GeneratorQuality, StudentResult } from '../experiments/types.js';
import type { BleuOptions } from '../metrics/bleu.js';
import type { ChrfOptions } from '../metrics/chrf.js';
import { compareStrings, sortConditions } from './conditions.js';
import { learningCurves } from './curves.js';
import { fractionOfReal } from './fraction.js';
import { significance } from './significance.js';
import type { Analysis } from './types.js';

export interface AnalyzeInput {
  runs: readonly StudentResult[];
  generators: readonly GeneratorQuality[];
  /** The test split's references, one per segment. */
  refs: readonly string[];
  /** A run's test translations, aligned with refs (e.g. read from run.hypotheses). */
  hyps: (run: StudentResult) => readonly string[];
  /** Paired bootstrap settings; sacreBLEU's defaults: 1000 samples, seed 12345. */
  bootstrap?: { samples?: number; seed?: number };
  /** Metric options for the bootstrap (default: sacreBLEU's BLEU 13a and chrF2). */
  metrics?: { bleu?: BleuOptions; chrf?: ChrfOptions };
}

function bad(message: string): RegurgitateError {
  return new RegurgitateError('EINVAL', message);
}

function checkRun(r: StudentResult, i: number): void {
  const where = `runs[${i}]${typeof r?.id === 'string' ? ` (${r.id})` : ''}`;
  if (typeof r !== 'object' || r === null) throw bad(`${where}: expected a StudentResult object, got ${describe(r)}`);
  if (typeof r.condition !== 'string' || r.condition === '') throw bad(`${where}: condition must be a non-empty string, got ${describe(r.condition)}`);
  if (!Number.isInteger(r.size) || r.size < 1) throw bad(`${where}: size must be a positive integer, got ${describe(r.size)}`);
  if (!Number.isInteger(r.seed)) throw bad(`${where}: seed must be an integer, got ${describe(r.seed)}`);
  for (const k of ['bleu', 'chrf', 'generatedFraction'] as const) {
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw bad(`${where}: ${k} must be a finite number, got ${describe(r[k])}`);
  }
  if (!Array.isArray(r.generators) || r.generators.some((g) => typeof g !== 'string')) throw bad(`${where}: generators must be an array of names, got ${describe(r.generators)}`);
  if (typeof r.factors !== 'object' || r.factors === null || Array.isArray(r.factors)) throw bad(`${where}: factors must be an object, got ${describe(r.factors)}`);
}

function checkCount(x: unknown, what: string, min: number): number {
  if (!Number.isInteger(x) || (x as number) < min) throw bad(`bootstrap.${what} must be an integer >= ${min}, got ${describe(x)}`);
  return x as number;
}

function distinct(xs: (string | undefined)[]): string[] {
  return [...new Set(xs.filter((x): x is string => typeof x === 'string'))].sort(compareStrings);
}

export function analyze(input: AnalyzeInput): Analysis {
  const { runs, refs } = input;
  if (!Array.isArray(runs)) throw bad(`runs must be an array, got ${describe(runs)}`);
  if (!Array.isArray(refs)) throw bad(`refs must be an array of strings, got ${describe(refs)}`);
  const seen = new Map<string, string>();
  runs.forEach((r, i) => {
    checkRun(r, i);
    const key = `${r.condition}\u0000${r.size}\u0000${r.seed}`;
    const other = seen.get(key);
    if (other !== undefined) throw bad(`runs ${other} and ${r.id}: two runs of ${r.condition} with size ${r.size} and seed ${r.seed}`);
    seen.set(key, String(r.id));
  });
  if (!Array.isArray(input.generators)) throw bad(`generators must be an array, got ${describe(input.generators)}`);
  input.generators.forEach((g, i) => {
    if (typeof g?.name !== 'string') throw bad(`generators[${i}]: name must be a string, got ${describe(g?.name)}`);
    for (const k of ['bleu', 'chrf'] as const) {
      if (typeof g[k] !== 'number' || !Number.isFinite(g[k])) throw bad(`generators[${i}] (${g.name}): ${k} must be a finite number, got ${describe(g[k])}`);
    }
  });
  const samples = checkCount(input.bootstrap?.samples ?? 1000, 'samples', 1);
  const seed = checkCount(input.bootstrap?.seed ?? 12345, 'seed', 0);

  // Each run's hypotheses are read once and checked against the references.
  const cache = new Map<StudentResult, readonly string[]>();
  const hyps = (run: StudentResult): readonly string[] => {
    let h = cache.get(run);
    if (!h) {
      h = input.hyps(run);
      if (!Array.isArray(h)) throw bad(`hypotheses of run ${run.id} (${run.hypotheses}): expected an array of strings, got ${describe(h)}`);
      if (h.length !== refs.length) {
        throw bad(`hypotheses of run ${run.id} (${run.hypotheses}) have ${h.length} lines, the references ${refs.length}`);
      }
      cache.set(run, h);
    }
    return h;
  };
  if (refs.length === 0 && runs.some((r) => r.condition !== 'real') && runs.some((r) => r.condition === 'real')) {
    throw bad('refs is empty: the paired bootstrap needs the test references');
  }

  const curves = learningCurves(runs);
  const generators = [...input.generators].sort((a, b) => b.bleu - a.bleu || compareStrings(a.name, b.name));
  return {
    conditions: sortConditions(runs.map((r) => r.condition)),
    sizes: [...new Set(runs.map((r) => r.size))].sort((a, b) => a - b),
    seeds: [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b),
    testSentences: refs.length,
    scoreSignatures: {
      bleu: distinct(runs.map((r) => r.signatures?.bleu)),
      chrf: distinct(runs.map((r) => r.signatures?.chrf)),
      ter: distinct(runs.map((r) => r.signatures?.ter)),
    },
    curves,
    significance: significance(runs, { refs, hyps, samples, seed, bleu: input.metrics?.bleu, chrf: input.metrics?.chrf }),
    fractionOfReal: fractionOfReal(
      curves,
      generators.map((g) => g.name),
    ),
    generators,
  };
}
