// The analysis of one experiment: plain JSON data (no NaN, no undefined), so that
// analysis.json round-trips and the HTML and markdown renderers need nothing else.
import type { Factors } from '../experiments/grid/cells.js';
import type { GeneratorQuality } from '../experiments/types.js';
import type { ChainAnalysis } from './chains.js';
import type { Summary } from './stats.js';

export type { Summary } from './stats.js';

/** One point of a learning curve: the seeds of one condition at one training size. */
export interface CurvePoint {
  size: number;
  /** The seeds averaged, ascending. */
  seeds: number[];
  bleu: Summary;
  chrf: Summary;
}

export interface LearningCurve {
  condition: string;
  /** The generator of the generated part, null for 'real'. */
  generator: string | null;
  generatedFraction: number;
  /** The generators of the condition's targets, and its factors (family, fraction, ...): for grouping curves. */
  generators: string[];
  factors: Factors;
  /** Ascending by size. */
  points: CurvePoint[];
}

/** One seed's paired bootstrap of a condition against the real run with the same size and seed. */
export interface SeedComparison {
  seed: number;
  /** Corpus scores on the full test set, as recomputed by the bootstrap. */
  real: number;
  system: number;
  /** system - real. */
  delta: number;
  /** sacreBLEU's paired-bs p-value. */
  pValue: number;
}

export interface MetricComparison {
  /** Mean of the seeds' deltas (condition - real). */
  meanDelta: number;
  seeds: SeedComparison[];
  /** Every matched seed has p < alpha. */
  significant: boolean;
  /** The bootstrap's sacreBLEU signature. */
  signature: string;
}

export interface SignificanceRow {
  condition: string;
  size: number;
  /** Seeds with a real run of the same size and seed, ascending. */
  matchedSeeds: number[];
  /** Seeds of the condition without such a real run. */
  unmatchedSeeds: number[];
  /** Why the row was not compared (no real run at this size or seed); null when compared. */
  skipped: string | null;
  bleu: MetricComparison | null;
  chrf: MetricComparison | null;
}

export interface Significance {
  /** Bootstrap resamples (sacreBLEU's default 1000) and RNG seed (default 12345). */
  samples: number;
  seed: number;
  alpha: number;
  rows: SignificanceRow[];
}

/**
 * reached: a real size reaches the best generated BLEU, above the smallest real size;
 * smallest-real-reaches: already the smallest real size does; never-reached: no real size
 * does; no-real: there are no real runs; no-generated: there are no generated:G runs.
 */
export type FractionStatus = 'reached' | 'smallest-real-reaches' | 'never-reached' | 'no-real' | 'no-generated';

/** "A fraction of real data is enough": generated:G's best mean BLEU against the real curve. */
export interface FractionOfReal {
  generator: string;
  condition: string;
  status: FractionStatus;
  /** Best mean BLEU of generated:G over sizes (the smallest size on ties). */
  best: { bleu: number; size: number } | null;
  /** Largest training size of generated:G. */
  largestGeneratedSize: number | null;
  /** Smallest real size whose mean BLEU >= best.bleu, and that mean. */
  realSize: number | null;
  realBleu: number | null;
  /** Where the straight line between the two real sizes bracketing best.bleu reaches it. */
  interpolatedSize: number | null;
  /** realSize / largestGeneratedSize. */
  fractionOfLargest: number | null;
  /** Best mean BLEU of real over sizes. */
  bestReal: { bleu: number; size: number } | null;
  /** One English sentence. */
  statement: string;
}

export interface Analysis {
  /** Conditions in report order: real, generated:* by name, mix:* by name and fraction, others. */
  conditions: string[];
  sizes: number[];
  seeds: number[];
  /** Number of test segments (references). */
  testSentences: number;
  /** The distinct sacreBLEU signatures of the runs' scores (normally one each). */
  scoreSignatures: { bleu: string[]; chrf: string[]; ter: string[] };
  curves: LearningCurve[];
  significance: Significance;
  /** Collapse chains (chains.ts); absent when the study has none. */
  chains?: ChainAnalysis;
  fractionOfReal: FractionOfReal[];
  /** Generator quality on the student pool, best BLEU first. */
  generators: GeneratorQuality[];
}
