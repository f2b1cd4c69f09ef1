// Options of the engine, camelCase, with defaults and validation that names the field:
// ModelConfig (docs/model.md), TrainOptions and DecodeOptions. Native code receives the
// snake_case config.json form (toNative) and the camelCase option objects as they are.
import { describe, invalid } from '../common/errors.js';
import type { NativeDecodeOptions, NativeModelConfig, NativeTrainOptions } from '../native/types.js';
import { checkRange, DECODE_RANGES, MAX_BEAM_ROWS, TRAIN_RANGES } from './ranges.js';
import {
  checkBool,
  checkEnum,
  checkInt,
  checkKeys,
  checkNumber,
  checkString,
  isPlainObject,
  requireObject,
} from '../common/validate.js';

// ---------------------------------------------------------------------------------------
// Model

export type Activation = 'relu' | 'gelu';

export interface ModelConfig {
  vocabSize: number;
  dModel: number;
  nHeads: number;
  dFF: number;
  encoderLayers: number;
  decoderLayers: number;
  /** Longest sequence, source or target, including BOS/EOS. */
  maxLen: number;
  dropout: number;
  labelSmoothing: number;
  activation: Activation;
  lnEps: number;
  padId: number;
  bosId: number;
  eosId: number;
}

/** Defaults from docs/model.md (vocabSize has none: it is the tokenizer's). */
export const DEFAULT_MODEL_CONFIG: Readonly<Omit<ModelConfig, 'vocabSize'>> = Object.freeze({
  dModel: 256,
  nHeads: 4,
  dFF: 1024,
  encoderLayers: 3,
  decoderLayers: 3,
  maxLen: 256,
  dropout: 0.1,
  labelSmoothing: 0.1,
  activation: 'relu',
  lnEps: 1e-5,
  padId: 0,
  bosId: 1,
  eosId: 2,
});

export type PresetName = 'tiny' | 'small' | 'base';

/**
 * Model sizes. Each carries vocabSize 8000 (the benchmark's) as a default; set
 * vocabSize to your tokenizer's. `small` is the benchmark reference model.
 */
export const PRESETS: Readonly<Record<PresetName, Readonly<Partial<ModelConfig>>>> = Object.freeze({
  tiny: Object.freeze({ vocabSize: 8000, dModel: 64, nHeads: 4, dFF: 256, encoderLayers: 2, decoderLayers: 2 }),
  small: Object.freeze({ vocabSize: 8000, dModel: 256, nHeads: 4, dFF: 1024, encoderLayers: 3, decoderLayers: 3 }),
  base: Object.freeze({ vocabSize: 8000, dModel: 512, nHeads: 8, dFF: 2048, encoderLayers: 6, decoderLayers: 6 }),
});

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

const MODEL_KEYS = ['vocabSize', ...Object.keys(DEFAULT_MODEL_CONFIG)] as (keyof ModelConfig)[];

/** A partial config, optionally starting from a preset: `{ preset: 'tiny', vocabSize: 100 }`. */
export type ModelConfigInput = Partial<ModelConfig> & { preset?: PresetName };

/**
 * Fills defaults (from the preset, if named, then docs/model.md) and checks every field.
 * Throws RegurgitateError EINVAL naming the first bad field.
 */
export function validateModelConfig(input: ModelConfigInput | PresetName | undefined): ModelConfig {
  let partial: Record<string, unknown>;
  if (typeof input === 'string') partial = { preset: input };
  else partial = requireObject(input, 'model');
  checkKeys(partial, ['preset', ...MODEL_KEYS], 'model');
  let base: Partial<ModelConfig> = {};
  if (partial.preset !== undefined) base = PRESETS[checkEnum('model.preset', partial.preset, PRESET_NAMES)];
  const c: Record<string, unknown> = { ...DEFAULT_MODEL_CONFIG, ...base };
  for (const k of MODEL_KEYS) if (partial[k] !== undefined) c[k] = partial[k];
  if (c.vocabSize === undefined)
    throw invalid("model.vocabSize is required (the tokenizer's vocabulary size, an integer in [4, 16777216])");
  const vocabSize = checkInt('model.vocabSize', c.vocabSize, 4, 1 << 24);
  const nHeads = checkInt('model.nHeads', c.nHeads, 1, 1024);
  if (typeof c.dModel !== 'number' || !Number.isInteger(c.dModel) || c.dModel < 1 || c.dModel % nHeads !== 0)
    throw invalid(`model.dModel must be a positive integer divisible by nHeads (got ${describe(c.dModel)} with nHeads ${nHeads})`);
  const dModel = checkInt('model.dModel', c.dModel, 2, 16384);
  if (dModel % 2 !== 0) throw invalid(`model.dModel must be even: positions are encoded as sin/cos pairs (got ${dModel})`);
  const cfg: ModelConfig = {
    vocabSize,
    dModel,
    nHeads,
    dFF: checkInt('model.dFF', c.dFF, 1, 65536),
    encoderLayers: checkInt('model.encoderLayers', c.encoderLayers, 1, 64),
    decoderLayers: checkInt('model.decoderLayers', c.decoderLayers, 1, 64),
    maxLen: checkInt('model.maxLen', c.maxLen, 2, 8192),
    dropout: checkNumber('model.dropout', c.dropout, { min: 0, max: 1, maxOpen: true }),
    labelSmoothing: checkNumber('model.labelSmoothing', c.labelSmoothing, { min: 0, max: 1, maxOpen: true }),
    activation: checkEnum('model.activation', c.activation, ['relu', 'gelu'] as const),
    lnEps: checkNumber('model.lnEps', c.lnEps, { min: 0, max: 1, minOpen: true, maxOpen: true }),
    padId: 0,
    bosId: 0,
    eosId: 0,
  };
  for (const k of ['padId', 'bosId', 'eosId'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocabSize)
      throw invalid(`model.${k} must be an integer in [0, vocabSize) = [0, ${vocabSize}) (got ${describe(v)})`);
    cfg[k] = v;
  }
  if (cfg.padId === cfg.bosId || cfg.padId === cfg.eosId)
    throw invalid(`model.padId must differ from bosId and eosId (got padId ${cfg.padId}, bosId ${cfg.bosId}, eosId ${cfg.eosId})`);
  return cfg;
}

/** The snake_case form stored in config.json and passed to native code. */
export function toNative(c: ModelConfig): NativeModelConfig {
  return {
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    n_heads: c.nHeads,
    d_ff: c.dFF,
    encoder_layers: c.encoderLayers,
    decoder_layers: c.decoderLayers,
    max_len: c.maxLen,
    dropout: c.dropout,
    label_smoothing: c.labelSmoothing,
    activation: c.activation,
    ln_eps: c.lnEps,
    pad_id: c.padId,
    bos_id: c.bosId,
    eos_id: c.eosId,
  };
}

const SNAKE: Record<keyof NativeModelConfig, keyof ModelConfig> = {
  vocab_size: 'vocabSize',
  d_model: 'dModel',
  n_heads: 'nHeads',
  d_ff: 'dFF',
  encoder_layers: 'encoderLayers',
  decoder_layers: 'decoderLayers',
  max_len: 'maxLen',
  dropout: 'dropout',
  label_smoothing: 'labelSmoothing',
  activation: 'activation',
  ln_eps: 'lnEps',
  pad_id: 'padId',
  bos_id: 'bosId',
  eos_id: 'eosId',
};

/**
 * Reads the snake_case form (config.json); missing fields take the defaults of
 * docs/model.md, unknown fields are rejected. `what` prefixes error messages.
 */
export function fromNative(n: unknown, what = 'config.json'): ModelConfig {
  if (!isPlainObject(n)) throw invalid(`${what} must be a JSON object (got ${describe(n)})`);
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) {
    const camel = SNAKE[k as keyof NativeModelConfig];
    if (!camel) throw invalid(`${what}: unknown field '${k}'; known: ${Object.keys(SNAKE).join(', ')}`);
    if (v !== null && v !== undefined) partial[camel] = v;
  }
  try {
    return validateModelConfig(partial as ModelConfigInput);
  } catch (e) {
    // Rename the field to the file's spelling: model.dModel -> config.json d_model.
    const err = e as Error;
    err.message = `${what}: ${err.message.replace(/model\.(\w+)/g, (_, f: string) => {
      const snake = Object.entries(SNAKE).find(([, c]) => c === f)?.[0];
      return snake ?? f;
    })}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Training

export type Schedule = NativeTrainOptions['schedule'];

/** Training options (the native option object, camelCase already, all fields set). */
export type TrainOptions = NativeTrainOptions;

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = Object.freeze({
  seed: 1,
  maxTokens: 4096,
  maxSentences: 256,
  maxSteps: 0,
  maxEpochs: 0, // when neither maxSteps nor maxEpochs is given: 10 epochs
  lr: 5e-4,
  warmupSteps: 4000, // when not given: 10% of the planned steps, at most 4000
  schedule: 'inverse_sqrt',
  minLr: 0,
  beta1: 0.9,
  beta2: 0.98,
  adamEps: 1e-9,
  weightDecay: 0.01,
  clipNorm: 1,
  validEvery: 0, // when not given and dev data is passed: once per epoch
  patience: 0,
  progressEvery: 10,
  checkpointDir: '',
  checkpointEvery: 0,
  checkpointSeconds: 20, // with checkpointDir: a checkpoint at least every 20 s of training
  resume: false,
  restoreBest: false,
  stopAfterSteps: 0,
});

const TRAIN_KEYS = Object.keys(DEFAULT_TRAIN_OPTIONS) as (keyof TrainOptions)[];

/** What fit() knows about the data, used to scale defaults. */
export interface TrainPlan {
  /** Estimated optimizer steps per epoch. */
  stepsPerEpoch?: number;
  /** Whether dev data is given. */
  hasValid?: boolean;
}

/** Warm-up when none is given: 10% of the planned steps, at least 1, at most 4000. */
export function defaultWarmup(totalSteps: number): number {
  if (!(totalSteps > 0)) return DEFAULT_TRAIN_OPTIONS.warmupSteps;
  return Math.max(1, Math.min(4000, Math.round(totalSteps / 10)));
}

/**
 * Fills defaults and checks every field of the training options. With `plan`, the
 * defaults that depend on the data (warm-up, dev evaluation interval) are scaled to it.
 */
export function validateTrainOptions(input: Partial<TrainOptions> | undefined, plan: TrainPlan = {}): TrainOptions {
  const p = requireObject(input, 'train');
  checkKeys(p, TRAIN_KEYS, 'train');
  const given = (k: keyof TrainOptions) => p[k] !== undefined;
  const v = (k: keyof TrainOptions) => (given(k) ? p[k] : DEFAULT_TRAIN_OPTIONS[k]);
  const n = (k: keyof typeof TRAIN_RANGES) => checkRange(`train.${k}`, v(k), TRAIN_RANGES[k]);
  const o: TrainOptions = {
    seed: n('seed'),
    maxTokens: n('maxTokens'),
    maxSentences: n('maxSentences'),
    maxSteps: n('maxSteps'),
    maxEpochs: n('maxEpochs'),
    lr: n('lr'),
    warmupSteps: n('warmupSteps'),
    schedule: checkEnum('train.schedule', v('schedule'), ['inverse_sqrt', 'cosine', 'constant'] as const),
    minLr: n('minLr'),
    beta1: n('beta1'),
    beta2: n('beta2'),
    adamEps: n('adamEps'),
    weightDecay: n('weightDecay'),
    clipNorm: n('clipNorm'),
    validEvery: n('validEvery'),
    patience: n('patience'),
    progressEvery: n('progressEvery'),
    checkpointDir: checkString('train.checkpointDir', v('checkpointDir')),
    checkpointEvery: n('checkpointEvery'),
    checkpointSeconds: n('checkpointSeconds'),
    resume: checkBool('train.resume', v('resume')),
    restoreBest: checkBool('train.restoreBest', v('restoreBest')),
    stopAfterSteps: n('stopAfterSteps'),
  };
  if (!given('maxSteps') && !given('maxEpochs')) o.maxEpochs = 10;
  if (o.maxSteps === 0 && o.maxEpochs === 0)
    throw invalid('train.maxSteps and train.maxEpochs are both 0: set at least one (training would never stop)');
  if (o.minLr > o.lr) throw invalid(`train.minLr must be <= train.lr (got minLr ${o.minLr}, lr ${o.lr})`);
  if (o.resume && o.checkpointDir === '') throw invalid('train.resume needs train.checkpointDir (where to resume from)');
  if (o.checkpointEvery > 0 && o.checkpointDir === '')
    throw invalid(`train.checkpointEvery = ${o.checkpointEvery} needs train.checkpointDir`);
  const spe = plan.stepsPerEpoch && plan.stepsPerEpoch > 0 ? Math.ceil(plan.stepsPerEpoch) : 0;
  if (!given('warmupSteps')) {
    const total = o.maxSteps > 0 ? (spe > 0 && o.maxEpochs > 0 ? Math.min(o.maxSteps, o.maxEpochs * spe) : o.maxSteps) : o.maxEpochs * spe;
    o.warmupSteps = defaultWarmup(total);
  }
  if (plan.hasValid && !given('validEvery')) o.validEvery = spe > 0 ? spe : 1000;
  if (plan.hasValid === false && o.restoreBest)
    throw invalid('train.restoreBest needs dev data (fit(train, valid)) to know which parameters were best');
  if (plan.hasValid === false && o.patience > 0)
    throw invalid(`train.patience = ${o.patience} needs dev data (fit(train, valid)) to measure improvement`);
  if (o.patience > 0 && o.validEvery === 0 && plan.hasValid !== undefined)
    throw invalid(`train.patience = ${o.patience} needs train.validEvery > 0`);
  return o;
}

// ---------------------------------------------------------------------------------------
// Decoding

export type DecodeMethod = NativeDecodeOptions['method'];
export type DecodeOptions = NativeDecodeOptions;

export const DEFAULT_DECODE_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
  method: 'greedy',
  beamSize: 1, // 4 for beam search
  lengthPenalty: 0, // 0.6 for beam search
  temperature: 1,
  topK: 0,
  topP: 1,
  maxLenA: 2,
  maxLenB: 10,
  seed: 1,
  batchSize: 64,
});

const DECODE_KEYS = Object.keys(DEFAULT_DECODE_OPTIONS) as (keyof DecodeOptions)[];
const SAMPLING_KEYS = ['temperature', 'topK', 'topP'] as const;

/**
 * Greedy by default; `{ method: 'beam' }` gives beam 4 with length penalty 0.6;
 * `{ method: 'sample', temperature, topK, topP }` samples. When method is not given it
 * follows from the options: beamSize > 1 means beam, a sampling option means sample.
 */
export function validateDecodeOptions(input: Partial<DecodeOptions> | undefined): DecodeOptions {
  const p = requireObject(input, 'decode');
  checkKeys(p, DECODE_KEYS, 'decode');
  const given = (k: keyof DecodeOptions) => p[k] !== undefined;
  let method: DecodeMethod;
  if (given('method')) method = checkEnum('decode.method', p.method, ['greedy', 'beam', 'sample'] as const);
  else if (given('beamSize') && typeof p.beamSize === 'number' && p.beamSize > 1) method = 'beam';
  else if (SAMPLING_KEYS.some(given)) method = 'sample';
  else method = 'greedy';
  const v = (k: keyof DecodeOptions) => (given(k) ? p[k] : DEFAULT_DECODE_OPTIONS[k]);
  const n = (k: keyof typeof DECODE_RANGES) => checkRange(`decode.${k}`, v(k), DECODE_RANGES[k]);
  const o: DecodeOptions = {
    method,
    beamSize: given('beamSize') ? n('beamSize') : method === 'beam' ? 4 : 1,
    lengthPenalty: given('lengthPenalty') ? n('lengthPenalty') : method === 'beam' ? 0.6 : 0,
    temperature: n('temperature'),
    topK: n('topK'),
    topP: n('topP'),
    maxLenA: n('maxLenA'),
    maxLenB: n('maxLenB'),
    seed: n('seed'),
    batchSize: n('batchSize'),
  };
  if (method !== 'beam' && o.beamSize > 1)
    throw invalid(`decode.beamSize = ${o.beamSize} needs decode.method 'beam' (got '${method}')`);
  if (method !== 'sample') {
    const k = SAMPLING_KEYS.find(given);
    if (k) throw invalid(`decode.${k} applies only to decode.method 'sample' (got '${method}')`);
  }
  if (method === 'beam' && o.batchSize * o.beamSize > MAX_BEAM_ROWS)
    throw invalid(`decode.batchSize * decode.beamSize must be at most ${MAX_BEAM_ROWS} rows (got ${o.batchSize} * ${o.beamSize})`);
  if (o.maxLenA === 0 && o.maxLenB === 0) throw invalid('decode.maxLenA and decode.maxLenB are both 0: outputs could not have any token');
  return o;
}

/**
 * The fields of full decoding settings that apply to their method (sampling fields only
 * for 'sample', beam fields only for 'beam'), as validateDecodeOptions accepts them.
 */
export function decodeInput(o: Partial<DecodeOptions>): Partial<DecodeOptions> {
  const method = o.method ?? (o.beamSize !== undefined && o.beamSize > 1 ? 'beam' : 'greedy');
  const out: Partial<DecodeOptions> = { ...o, method };
  if (method !== 'sample') for (const k of SAMPLING_KEYS) delete out[k];
  if (method !== 'beam') {
    delete out.beamSize;
    delete out.lengthPenalty;
  }
  return out;
}
