// Training: validates options and data, hands everything to the native loop once, and
// relays progress. An AbortSignal cancels through the native cancel(); the promise then
// resolves with `cancelled: true`.
import type { NativePairs, NativeTrainProgress, NativeTrainResult } from '../native/types.js';
import { validateTrainOptions, type TrainOptions } from './config.js';
import { describe, invalid, wrapNative } from '../common/errors.js';
import { pairCount, toNativePairs, type Pair } from './pairs.js';
import { Transformer } from './transformer.js';
import { isPlainObject } from '../common/validate.js';

export type TrainProgress = NativeTrainProgress;
export type TrainResult = NativeTrainResult;
export type PairsInput = readonly Pair[] | NativePairs;

export interface FitOptions {
  /** Called on the main thread every `progressEvery` steps and on dev evaluations. */
  onProgress?: (p: TrainProgress) => void;
  /** Aborting cancels training; fit() then resolves with `cancelled: true`. */
  signal?: AbortSignal;
}

/** Estimated optimizer steps per epoch under the batch limits (for default scaling). */
export function estimateStepsPerEpoch(data: NativePairs, maxTokens: number, maxSentences: number): number {
  const n = pairCount(data);
  if (n === 0) return 0;
  const tokens = data.src.length + data.tgt.length + n; // + BOS per target
  return Math.max(Math.ceil(n / maxSentences), Math.ceil((tokens * 1.1) / maxTokens));
}

function checkFitsInBatch(data: NativePairs, name: string, maxTokens: number): void {
  const n = pairCount(data);
  for (let i = 0; i < n; i++) {
    const need = data.srcOffsets[i + 1] - data.srcOffsets[i] + (data.tgtOffsets[i + 1] - data.tgtOffsets[i]) + 1;
    if (need > maxTokens)
      throw invalid(`${name}[${i}] needs ${need} tokens (source incl. EOS + target incl. BOS) but train.maxTokens is ${maxTokens}: raise maxTokens or drop the pair`);
  }
}

export class Trainer {
  readonly model: Transformer;
  readonly #input: Partial<TrainOptions>;
  /** Options as validated at construction (data-dependent defaults are set by fit()). */
  readonly options: Readonly<TrainOptions>;

  constructor(model: Transformer, options: Partial<TrainOptions> = {}) {
    if (!(model instanceof Transformer)) throw invalid(`Trainer: model must be a Transformer (got ${describe(model)})`);
    this.model = model;
    this.options = Object.freeze(validateTrainOptions(options));
    this.#input = { ...options };
  }

  /** Trains on `train` (pairs or packed pairs), evaluating on `valid` if given. */
  async fit(train: PairsInput, valid?: PairsInput | null, fitOptions: FitOptions = {}): Promise<TrainResult> {
    if (!isPlainObject(fitOptions)) throw invalid(`fit options must be an object (got ${describe(fitOptions)})`);
    for (const k of Object.keys(fitOptions))
      if (k !== 'onProgress' && k !== 'signal') throw invalid(`fit.${k} is not a known option; known: onProgress, signal`);
    const { onProgress, signal } = fitOptions;
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalid(`fit.onProgress must be a function (got ${describe(onProgress)})`);
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw invalid(`fit.signal must be an AbortSignal (got ${describe(signal)})`);

    const cfg = this.model.config;
    const trainData = toNativePairs(train, cfg, 'train');
    if (pairCount(trainData) === 0) throw invalid('train has no pairs: fit() needs at least one');
    const validData = valid === undefined || valid === null ? null : toNativePairs(valid, cfg, 'valid');
    if (validData && pairCount(validData) === 0) throw invalid('valid has no pairs: pass null to train without dev data');

    const base = this.options;
    const opts = validateTrainOptions(this.#input, {
      stepsPerEpoch: estimateStepsPerEpoch(trainData, base.maxTokens, base.maxSentences),
      hasValid: validData !== null,
    });
    checkFitsInBatch(trainData, 'train', opts.maxTokens);
    if (validData) checkFitsInBatch(validData, 'valid', opts.maxTokens);

    if (signal?.aborted) {
      return { steps: 0, epochs: 0, lastLoss: NaN, bestValidLoss: null, bestStep: null, stoppedEarly: false, cancelled: true, interrupted: false, seconds: 0 };
    }

    const nm = this.model.native;
    return this.model._exclusive('training', async () => {
      let callbackError: unknown;
      let failed = false;
      const progress = (p: NativeTrainProgress) => {
        if (failed || !onProgress) return;
        try {
          onProgress(p);
        } catch (e) {
          failed = true;
          callbackError = e;
          try {
            nm.cancel();
          } catch {
            // already finishing
          }
        }
      };
      const onAbort = () => {
        try {
          nm.cancel();
        } catch {
          // already finishing
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await wrapNative(() => nm.train(trainData, validData, opts, progress));
        if (failed) throw callbackError;
        return result;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }
}

/** Trains `model` in one call: `await fit(model, pairs, { maxSteps: 1000 })`. */
export function fit(
  model: Transformer,
  train: PairsInput,
  options: Partial<TrainOptions> = {},
  valid?: PairsInput | null,
  fitOptions?: FitOptions,
): Promise<TrainResult> {
  try {
    return new Trainer(model, options).fit(train, valid, fitOptions);
  } catch (e) {
    return Promise.reject(e);
  }
}
