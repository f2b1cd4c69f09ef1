// Records exchanged between the runner, the results store and the report.

import type { Factors } from './grid/cells.js';

/** A student run's condition: 'real', 'generated:NAME' or 'mix:NAME:P' (P = generated fraction). */
export type Condition = string;

/** One finished student run (one object of results.json). */
export interface StudentResult {
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
  /** Corpus scores on the test split (sacreBLEU-exact), 0..100. */
  bleu: number;
  chrf: number;
  ter: number;
  /** Signatures of the three scores, in sacreBLEU's format. */
  signatures: { bleu: string; chrf: string; ter: string };
  /** Student translations of the test split, one per line (path relative to the experiment folder). */
  hypotheses: string;
  /** The training set, one JSON line per pair (path relative to the experiment folder; absent for runs made before 0.2.0). */
  trainingSet?: string;
  /** Lexical diversity of the student's training targets (mtld, distinct_2). */
  trainDiversity?: { mtld: number; distinct_2: number };
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
