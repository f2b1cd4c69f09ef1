// Records exchanged between the runner, the results store and the report.

/** A student run's condition: 'real', 'generated:NAME' or 'mix:NAME:P' (P = generated fraction). */
export type Condition = string;

/** One finished student run (one object of results.json). */
export interface StudentResult {
  /** Stable id of the grid cell, e.g. 'real__n1000__seed1' (grid.ts). */
  id: string;
  condition: Condition;
  /** The generator of the generated part, null for 'real'. */
  generator: string | null;
  /** Fraction of generated training pairs: 0 for real, 1 for generated:G, P for mix:G:P. */
  generatedFraction: number;
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
