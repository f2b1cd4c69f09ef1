// The experiment specification after parsing: every field present, every default filled
// (docs/experiments.md). What users write is looser (presets by name, short forms,
// omitted fields); parseSpec() turns it into this.
import type { DecodeOptions, ModelConfig, TrainOptions } from '../../engine/config.js';
import type { Condition } from '../types.js';

export type Device = 'cpu' | 'cuda' | 'auto';

/** A split size: a number of pairs, or 'rest' (what the other parts leave; at most one). */
export type PoolSize = number | 'rest';

export type CorpusSpec =
  /** The built-in Spanish-English bible (docs/data.md). */
  | { kind: 'bible'; pair: string }
  /** Two files, one sentence a line; src and tgt are their languages. */
  | { kind: 'moses'; srcFile: string; tgtFile: string; src: string; tgt: string }
  /** One file of pairs; src is the language of the first column / "src" field / TMX language. */
  | { kind: 'tsv' | 'jsonl' | 'tmx'; file: string; src: string; tgt: string };

export interface Direction {
  src: string;
  tgt: string;
}

export interface SplitsSpec {
  /** Trains the generators (and a fine-tuning base). */
  poolA: PoolSize;
  /** The students' sources; their targets are real or generated. */
  poolB: PoolSize;
  dev: PoolSize;
  test: PoolSize;
  splitSeed: number;
}

/** A model architecture: ModelConfig without the tokenizer's fields. */
export type ModelArch = Omit<ModelConfig, 'vocabSize' | 'padId' | 'bosId' | 'eosId'>;

/**
 * Training options a spec may set; the runner sets seed, the checkpoint folder and
 * progress. checkpointSeconds (how often a checkpoint is written) does not change what is
 * trained: it is left out of settings hashes (hashedTrain).
 */
export const TRAIN_SETTING_KEYS = [
  'maxTokens',
  'maxSentences',
  'maxSteps',
  'maxEpochs',
  'lr',
  'warmupSteps',
  'schedule',
  'minLr',
  'beta1',
  'beta2',
  'adamEps',
  'weightDecay',
  'clipNorm',
  'validEvery',
  'patience',
  'restoreBest',
  'checkpointSeconds',
] as const satisfies readonly (keyof TrainOptions)[];

/** Only the fields given (engine defaults such as warm-up depend on the data: fit() fills them). */
export type TrainSettings = Partial<Pick<TrainOptions, (typeof TRAIN_SETTING_KEYS)[number]>>;

/** Training settings as hashed: without those that change how training runs, not what it gives. */
export function hashedTrain(t: TrainSettings): TrainSettings {
  const { checkpointSeconds: _c, ...rest } = t;
  return rest;
}

/** Decoding options a spec may set; the seed of sampling is the run's seed. */
export const DECODE_SETTING_KEYS = ['method', 'beamSize', 'lengthPenalty', 'temperature', 'topK', 'topP', 'maxLenA', 'maxLenB', 'batchSize'] as const satisfies readonly (keyof DecodeOptions)[];

/** All decoding fields, validated. */
export type DecodeSettings = Omit<DecodeOptions, 'seed'>;

export interface ModelGeneratorSpec {
  kind: 'model';
  model: ModelArch;
  train: TrainSettings;
  /** Pairs of pool A it trains on (a seeded sample), or all of them. */
  trainPairs: number | 'all';
  decode: DecodeSettings;
  /** Seed of its sample, weights and batching. */
  seed: number;
}

/** A model with the students' architecture; train and decode default to the students'. */
export interface SelfGeneratorSpec {
  kind: 'self';
  trainPairs: number | 'all';
  train?: TrainSettings;
  decode?: DecodeSettings;
  seed: number;
}

export interface ApertiumGeneratorSpec {
  kind: 'apertium';
  /** Apertium mode, e.g. 'spa-eng'. */
  mode: string;
}

export interface OpenAIGeneratorSpec {
  kind: 'openai';
  /** Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  model: string;
  /** Name of the environment variable holding the API key (never the key); null: no key. */
  apiKeyEnv: string | null;
  /** User message; {source}, {src_lang} and {tgt_lang} are replaced. */
  prompt: string;
  concurrency: number;
  retries: number;
  timeoutMs: number;
  /** 0: no limit. */
  requestsPerMinute: number;
  temperature: number;
  maxTokens: number;
}

export type GeneratorSpec = ModelGeneratorSpec | SelfGeneratorSpec | ApertiumGeneratorSpec | OpenAIGeneratorSpec;

export type StudentInit = 'scratch' | { finetune: { pairs: number } } | { finetune: { checkpoint: string } };

export interface StudentSpec {
  model: ModelArch;
  /** Defaults merged with the fields given. */
  train: TrainSettings;
  /** Decoding of the test split. */
  decode: DecodeSettings;
  init: StudentInit;
}

/** A collapse chain: generation k+1 trains on what generation k wrote (recipes/chains.ts). */
export interface ChainSpec {
  /** Canonical: 'replace', 'accumulate' or 'fresh:P'. */
  regime: string;
  /** K: generations 0..K run (1 to 20). */
  generations: number;
  /** Training pairs per generation (accumulate: per source of data). */
  size: number;
  seeds: number[];
  model: ModelArch;
  train: TrainSettings;
  decode: DecodeSettings;
}

export interface ExperimentSpec {
  name: string;
  corpus: CorpusSpec;
  direction: Direction;
  splits: SplitsSpec;
  tokenizer: { vocabSize: number };
  generators: Record<string, GeneratorSpec>;
  /** Canonical forms: 'real', 'generated:NAME', 'mix:NAME:P'. */
  conditions: Condition[];
  /** Training sizes, ascending. */
  sizes: number[];
  seeds: number[];
  student: StudentSpec;
  device: Device;
  /** Worker threads; 0: one per hardware thread. */
  threads: number;
  /** Collapse chains (absent when the spec has none, so older specs hash as before). */
  chains?: ChainSpec[];
}
