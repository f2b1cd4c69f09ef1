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
export { RegurgitateError, RegurgitateNativeError, wrapNative, type ErrorCode } from './engine/errors.js';
export { native, tryNative, packageRoot, packageVersion } from './native/load.js';
export type * from './native/types.js';
export * from './data/index.js';
export * from './experiments/index.js';

import { native } from './native/load.js';
import { checkInt } from './engine/validate.js';
import { wrapNative } from './engine/errors.js';

/** Sets the number of native worker threads (0 = one per hardware thread); returns the count in effect. */
export function setThreads(n: number): number {
  checkInt('threads', n, 0, 1024);
  return wrapNative(() => native().setThreads(n));
}
