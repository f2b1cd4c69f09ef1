// What the caller tells the report about the experiment (none of it is in the runs).

/** One test sentence with each condition's translation of it. */
export interface ExampleTranslation {
  /** Line number in the test split (0-based), when known. */
  index?: number;
  source: string;
  reference: string;
  hypotheses: { condition: string; size?: number; seed?: number; text: string }[];
}

export interface ReportMeta {
  /** Default 'Regurgitative training report'. */
  title?: string;
  /** Name of the experiment. */
  experiment?: string;
  corpus?: string;
  /** Translation direction, e.g. 'de-en'. */
  direction?: string;
  /** Default: the sizes and seeds of the analysis. */
  sizes?: number[];
  seeds?: number[];
  /** Software versions, e.g. { regurgitate: '0.1.0', node: 'v20.19.0', sacrebleu: '2.6.0' }. */
  versions?: Record<string, string>;
  /** When the experiment ran (any text; the caller decides, so reports are reproducible). */
  date?: string;
  /** A paragraph shown under the title. */
  description?: string;
  /** Other metadata lines, shown as they are. */
  extra?: Record<string, string | number>;
  examples?: ExampleTranslation[];
}

export const DEFAULT_TITLE = 'Regurgitative training report';
