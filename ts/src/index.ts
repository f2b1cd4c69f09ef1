// regurgitate: the public API.
export { Transformer, translate, score, type CreateOptions, type Translation } from './engine/transformer.js';
export { Trainer, fit, estimateStepsPerEpoch, type FitOptions, type TrainProgress, type TrainResult, type PairsInput } from './engine/trainer.js';
export {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_OPTIONS,
  DEFAULT_DECODE_OPTIONS,
  PRESETS,
  PRESET_NAMES,
  validateModelConfig,
  validateTrainOptions,
  validateDecodeOptions,
  toNative,
  fromNative,
  defaultWarmup,
  type ModelConfig,
  type ModelConfigInput,
  type PresetName,
  type Activation,
  type TrainOptions,
  type DecodeOptions,
  type DecodeMethod,
  type Schedule,
} from './engine/config.js';
export { packPairs, packSources, validatePackedPairs, toNativePairs, isPacked, type Pair, type Ids, type Vocab } from './engine/pairs.js';
export { RegurgitateError, RegurgitateNativeError, wrapNative, type ErrorCode } from './common/errors.js';
export { native, tryNative, packageRoot, packageVersion } from './native/load.js';
export type * from './native/types.js';
export * from './data/index.js';
export * from './experiments/index.js';
export { runExperiment, type RunOptions, type RunSummary, type RunEvent } from './experiments/run/runner.js';
export { buildReport, type BuiltReport } from './experiments/report.js';
export type { Generator, Generated, GenerateOptions } from './generators/types.js';
export { ModelGenerator, type ModelGeneratorOptions } from './generators/model.js';
export { ApertiumGenerator, apertiumModes, apertiumPackage, type ApertiumOptions } from './generators/apertium.js';
export { OpenAIGenerator, createOpenAIGenerator } from './generators/openai.js';
export type { OpenAIGeneratorOptions } from './generators/openai-options.js';
export { generateCached, cacheKey, type CachedResult } from './generators/cache.js';
export { openCorpus, readPart, type PreparedCorpus, type Sides } from './rundir/corpus.js';
export { ensureTokenizer, encodeText, encodePairs, type TokenizerSettings } from './rundir/tokenize.js';
export { trainRun, runFinished, type TrainRunOptions, type TrainRunResult, type RunProgress } from './rundir/train.js';
export { openRun, translateTexts, type OpenRun } from './rundir/open.js';
export { scoreCorpus, type Scores } from './rundir/score.js';
export { startServer } from './serve/server.js';
export type { Translator, TranslatedText } from './serve/types.js';
/** Metrics (sacreBLEU-exact BLEU, chrF, TER; diversity; paired bootstrap): `metrics.corpusBleu(...)`. */
export * as metrics from './metrics/index.js';
/** Analysis and report rendering: `report.analyze(...)`, `report.writeReport(...)`. */
export * as report from './report/index.js';

import { applyThreads } from './native/device.js';

/**
 * Sets the number of native worker threads (0 = one per hardware thread); returns the
 * count in effect. Safe while work runs: it applies from the next parallel region.
 */
export function setThreads(n: number): number {
  return applyThreads(n);
}
export { applyThreads };
