// The range of every numeric training and decoding option: one table, used by
// validateTrainOptions / validateDecodeOptions (and so by spec validation) and by
// Transformer.score. Native code reads and checks options with the same table
// (native/src/common/option_ranges.h, exported as optionRanges());
// tests/engine/option_ranges.test.ts holds the two equal. Why each bound is what it is:
// see the native table.
import type { NativeDecodeOptions, NativeTrainOptions } from '../native/types.js';
import { checkInt, checkNumber } from '../common/validate.js';

export interface OptionRange {
  min: number;
  max: number;
  integer: boolean;
  minOpen: boolean;
  maxOpen: boolean;
}

type NumericKeys<T> = { [K in keyof T]: T[K] extends number ? K : never }[keyof T];

const I32 = 2 ** 31 - 1;
const SAFE = Number.MAX_SAFE_INTEGER;
const int = (min: number, max: number): OptionRange => Object.freeze({ min, max, integer: true, minOpen: false, maxOpen: false });
const num = (min: number, max: number, minOpen = false, maxOpen = false): OptionRange =>
  Object.freeze({ min, max, integer: false, minOpen, maxOpen });

export const TRAIN_RANGES: Readonly<Record<NumericKeys<NativeTrainOptions>, OptionRange>> = Object.freeze({
  seed: int(0, SAFE),
  maxTokens: int(2, I32), // the smallest pair costs 2 batch tokens
  maxSentences: int(1, I32),
  maxSteps: int(0, I32),
  maxEpochs: int(0, I32),
  lr: num(0, 10, true),
  warmupSteps: int(0, I32),
  minLr: num(0, 10),
  beta1: num(0, 0.999999), // fp32 in the optimizer: closer to 1 rounds to 1
  beta2: num(0, 0.999999),
  adamEps: num(1e-30, 1),
  weightDecay: num(0, 1),
  clipNorm: num(0, Infinity),
  validEvery: int(0, I32),
  patience: int(0, I32),
  progressEvery: int(1, I32),
  checkpointEvery: int(0, I32),
  checkpointSeconds: num(0, 1e9),
  stopAfterSteps: int(0, I32),
});

export const DECODE_RANGES: Readonly<Record<NumericKeys<NativeDecodeOptions>, OptionRange>> = Object.freeze({
  beamSize: int(1, 256),
  lengthPenalty: num(0, 10),
  temperature: num(1e-6, 100), // fp32: smaller rounds towards 0
  topK: int(0, 2 ** 24), // the largest vocabulary
  topP: num(1e-9, 1),
  maxLenA: num(0, 1000),
  maxLenB: int(0, 2 ** 20),
  seed: int(0, SAFE),
  batchSize: int(1, 65536),
});

/** Transformer.score's options. */
export const SCORE_RANGES: Readonly<{ batchSize: OptionRange }> = Object.freeze({ batchSize: int(1, 65536) });

/** Beam search holds batchSize * beamSize rows at once. */
export const MAX_BEAM_ROWS = 2 ** 20;

/** Checks `v` against `r`; the error (EINVAL) names `field`. */
export function checkRange(field: string, v: unknown, r: OptionRange): number {
  return r.integer ? checkInt(field, v, r.min, r.max) : checkNumber(field, v, r);
}
