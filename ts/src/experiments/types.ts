// Records exchanged between the runner, the results store and the report.

import type { Factors } from './grid/cells.js';

/** A student run's condition: 'real', 'generated:NAME' or 'mix:NAME:P' (P = generated fraction). */
export type Condition = string;

/** Corpus scores of a model's translations of the real test split (sacreBLEU-exact), 0..100. */
export interface TestScores {
  bleu: number;
  chrf: number;
  ter: number;
  /** Signatures of the three scores, in sacreBLEU's format. */
  signatures: { bleu: string; chrf: string; ter: string };
}

/** One finished student run (one object of results.json). */
export interface StudentResult extends TestScores {
  /** Stable id of the grid cell, e.g. 'real__n1000__seed1' (grid.ts). */
  id: string;
  condition: Condition;
  /** The generator of the generated part, null for 'real' (and for several generators: see `generators`). */
  generator: string | null;
  /** Fraction of generated training pairs: 0 for real, 1 for generated:G, P for mix:G:P (the factor 'fraction'). */
  generatedFraction: number;
  /** Every generator whose targets the student trained on. */
  generators: string[];
  /** Named factors the analysis groups by: 'family' (the recipe: real, generated, mix, ...), 'fraction', ... */
  factors: Factors;
  /** Number of training pairs. */
  size: number;
  seed: number;
  /** Student translations of the test split, one per line (path relative to the experiment folder). */
  hypotheses: string;
  /** The training set, one JSON line per pair (path relative to the experiment folder; absent for runs made before 0.2.0). */
  trainingSet?: string;
  /** Lexical diversity of the student's training targets (mtld, distinct_2). */
  trainDiversity?: { mtld: number; distinct_2: number };
  steps: number;
  trainSeconds: number;
}

/** One finished generation of a collapse chain (one object of results.json, beside the students'). */
export interface ChainResult extends TestScores {
  id: string;
  /** The regime as the spec writes it: 'replace', 'accumulate', 'fresh:0.5'. */
  chain: string;
  /** 0..K. */
  generation: number;
  size: number;
  seed: number;
  /** Perplexity of the real test references under the generation's model. */
  perplexity: number | null;
  /** Diversity of its test outputs: MTLD, distinct-2, vocabulary size, tail coverage (run/generation.ts). */
  mtld: number | null;
  distinct_2: number | null;
  vocab_size: number | null;
  tail_coverage: number | null;
  /** Mean words per test output and its ratio to the references'. */
  mean_length: number | null;
  length_ratio: number | null;
  /** 10th, 50th and 90th percentiles of the test outputs' lengths in words. */
  length_p10: number | null;
  length_p50: number | null;
  length_p90: number | null;
  /** BLEU of the generated targets it trained on against the real references (null for generation 0). */
  data_bleu: number | null;
  hypotheses: string;
  trainingSet: string;
  steps: number;
  trainSeconds: number;
}

/** Quality of a generator's output on the student pool (pool B) against its real references. */
export interface GeneratorQuality {
  name: string;
  kind: string;
  sentences: number;
  bleu: number;
  chrf: number;
  ter: number;
  signatures: { bleu: string; chrf: string; ter: string };
  /** Lexical diversity of the generated text, next to the real text's. */
  diversity: { mtld: number; distinct_2: number; ttr: number };
  seconds: number;
}
