import { describe, expect, it } from 'vitest';

import {
  DEFAULT_MODEL_CONFIG,
  PRESETS,
  defaultWarmup,
  fromNative,
  toNative,
  validateDecodeOptions,
  validateModelConfig,
  validateTrainOptions,
} from '../../ts/src/engine/config.js';
import { RegurgitateError } from '../../ts/src/common/errors.js';

function fails(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(RegurgitateError);
  expect((caught as RegurgitateError).code).toBe('EINVAL');
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

describe('validateModelConfig', () => {
  it('fills the defaults of docs/model.md', () => {
    const c = validateModelConfig({ vocabSize: 8000 });
    expect(c).toEqual({ vocabSize: 8000, ...DEFAULT_MODEL_CONFIG });
    expect(c).toMatchObject({ dModel: 256, nHeads: 4, dFF: 1024, encoderLayers: 3, decoderLayers: 3, maxLen: 256, dropout: 0.1, labelSmoothing: 0.1, activation: 'relu', lnEps: 1e-5, padId: 0, bosId: 1, eosId: 2 });
  });

  it('has the presets', () => {
    expect(validateModelConfig('tiny')).toMatchObject({ dModel: 64, encoderLayers: 2, decoderLayers: 2, nHeads: 4, dFF: 256 });
    expect(validateModelConfig('small')).toMatchObject({ dModel: 256, encoderLayers: 3, decoderLayers: 3, nHeads: 4, dFF: 1024, vocabSize: 8000 });
    expect(validateModelConfig('base')).toMatchObject({ dModel: 512, encoderLayers: 6, decoderLayers: 6, nHeads: 8, dFF: 2048 });
    expect(validateModelConfig({ preset: 'tiny', vocabSize: 100, dropout: 0 })).toMatchObject({ dModel: 64, vocabSize: 100, dropout: 0 });
    expect(Object.isFrozen(PRESETS.tiny)).toBe(true);
  });

  it('names the field, the expectation and the value', () => {
    fails(() => validateModelConfig({ vocabSize: 8000, dModel: 250 }), 'model.dModel must be a positive integer divisible by nHeads (got 250 with nHeads 4)');
    fails(() => validateModelConfig({}), /^model\.vocabSize is required/);
    fails(() => validateModelConfig({ vocabSize: 3 }), 'model.vocabSize must be an integer in [4, 16777216] (got 3)');
    fails(() => validateModelConfig({ vocabSize: 8000.5 }), 'model.vocabSize must be an integer in [4, 16777216] (got 8000.5)');
    fails(() => validateModelConfig({ vocabSize: NaN }), 'model.vocabSize must be an integer in [4, 16777216] (got NaN)');
    fails(() => validateModelConfig({ vocabSize: '8000' as unknown as number }), 'model.vocabSize must be an integer in [4, 16777216] (got string "8000")');
    fails(() => validateModelConfig({ vocabSize: 100, nHeads: 3, dModel: 6 * 3 + 3 }), 'model.dModel must be even: positions are encoded as sin/cos pairs (got 21)');
    fails(() => validateModelConfig({ vocabSize: 100, dropout: 1 }), 'model.dropout must be a finite number in [0, 1) (got 1)');
    fails(() => validateModelConfig({ vocabSize: 100, dropout: Infinity }), 'model.dropout must be a finite number in [0, 1) (got Infinity)');
    fails(() => validateModelConfig({ vocabSize: 100, lnEps: 0 }), 'model.lnEps must be a finite number in (0, 1) (got 0)');
    fails(() => validateModelConfig({ vocabSize: 100, activation: 'tanh' as 'relu' }), "model.activation must be one of 'relu', 'gelu' (got string \"tanh\")");
    fails(() => validateModelConfig({ vocabSize: 100, eosId: 100 }), 'model.eosId must be an integer in [0, vocabSize) = [0, 100) (got 100)');
    fails(() => validateModelConfig({ vocabSize: 100, padId: 1 }), 'model.padId must differ from bosId and eosId (got padId 1, bosId 1, eosId 2)');
    fails(() => validateModelConfig({ vocabSize: 100, encoderLayers: 0 }), 'model.encoderLayers must be an integer in [1, 64] (got 0)');
    fails(() => validateModelConfig({ vocabSize: 100, maxLen: 1 }), 'model.maxLen must be an integer in [2, 8192] (got 1)');
    fails(() => validateModelConfig({ vocabSize: 100, preset: 'huge' as 'tiny' }), "model.preset must be one of 'tiny', 'small', 'base' (got string \"huge\")");
    fails(() => validateModelConfig(null as never), 'model must be an object (got null)');
    fails(() => validateModelConfig([] as never), 'model must be an object (got an array of length 0)');
  });

  it('rejects unknown keys with a suggestion', () => {
    fails(() => validateModelConfig({ vocabSize: 100, d_model: 64 } as never), /^model\.d_model is not a known option \(did you mean model\.dModel\?\)/);
    fails(() => validateModelConfig({ vocabSize: 100, dmodle: 64 } as never), /^model\.dmodle is not a known option/);
  });

  it('converts to and from the snake_case config.json form', () => {
    const c = validateModelConfig({ preset: 'tiny', vocabSize: 123, activation: 'gelu' });
    const n = toNative(c);
    expect(n).toEqual({ vocab_size: 123, d_model: 64, n_heads: 4, d_ff: 256, encoder_layers: 2, decoder_layers: 2, max_len: 256, dropout: 0.1, label_smoothing: 0.1, activation: 'gelu', ln_eps: 1e-5, pad_id: 0, bos_id: 1, eos_id: 2 });
    expect(fromNative(JSON.parse(JSON.stringify(n)))).toEqual(c);
    expect(fromNative({ vocab_size: 50 })).toEqual(validateModelConfig({ vocabSize: 50 }));
    fails(() => fromNative({ vocab_size: 50, dModel: 64 }), /^config\.json: unknown field 'dModel'/);
    fails(() => fromNative({ vocab_size: 50, d_model: 250 }), 'config.json: d_model must be a positive integer divisible by nHeads (got 250 with nHeads 4)');
    fails(() => fromNative('x'), 'config.json must be a JSON object (got string "x")');
  });
});

describe('validateTrainOptions', () => {
  it('has sensible defaults', () => {
    const o = validateTrainOptions({});
    expect(o).toMatchObject({ lr: 5e-4, schedule: 'inverse_sqrt', beta1: 0.9, beta2: 0.98, adamEps: 1e-9, weightDecay: 0.01, clipNorm: 1, maxTokens: 4096, maxSentences: 256, progressEvery: 10, maxEpochs: 10, maxSteps: 0, warmupSteps: 4000, checkpointDir: '', resume: false, stopAfterSteps: 0 });
  });

  it('scales warm-up and dev evaluation to the plan when not given', () => {
    expect(validateTrainOptions({ maxSteps: 1000 }).warmupSteps).toBe(100);
    expect(validateTrainOptions({ maxSteps: 1000, warmupSteps: 7 }).warmupSteps).toBe(7);
    expect(validateTrainOptions({ maxSteps: 1e6 }).warmupSteps).toBe(4000);
    expect(validateTrainOptions({ maxEpochs: 5 }, { stepsPerEpoch: 40 }).warmupSteps).toBe(20);
    expect(validateTrainOptions({ maxEpochs: 5 }, { stepsPerEpoch: 40, hasValid: true }).validEvery).toBe(40);
    expect(validateTrainOptions({ maxEpochs: 5 }, { stepsPerEpoch: 40, hasValid: false }).validEvery).toBe(0);
    expect(defaultWarmup(5)).toBe(1);
  });

  it('names the field', () => {
    fails(() => validateTrainOptions({ lr: 0 }), 'train.lr must be a finite number in (0, 10] (got 0)');
    fails(() => validateTrainOptions({ lr: NaN }), 'train.lr must be a finite number in (0, 10] (got NaN)');
    fails(() => validateTrainOptions({ maxTokens: 1.5 }), 'train.maxTokens must be an integer in [2, 2147483647] (got 1.5)');
    fails(() => validateTrainOptions({ maxTokens: 1 }), 'train.maxTokens must be an integer in [2, 2147483647] (got 1)');
    fails(() => validateTrainOptions({ maxSteps: -1 }), 'train.maxSteps must be an integer in [0, 2147483647] (got -1)');
    fails(() => validateTrainOptions({ maxSteps: 0, maxEpochs: 0 }), 'train.maxSteps and train.maxEpochs are both 0: set at least one (training would never stop)');
    fails(() => validateTrainOptions({ schedule: 'linear' as 'cosine' }), "train.schedule must be one of 'inverse_sqrt', 'cosine', 'constant' (got string \"linear\")");
    fails(() => validateTrainOptions({ beta2: 1 }), 'train.beta2 must be a finite number in [0, 0.999999] (got 1)');
    fails(() => validateTrainOptions({ weightDecay: 1.5 }), 'train.weightDecay must be a finite number in [0, 1] (got 1.5)');
    fails(() => validateTrainOptions({ resume: 'yes' as never }), 'train.resume must be true or false (got string "yes")');
    fails(() => validateTrainOptions({ resume: true }), 'train.resume needs train.checkpointDir (where to resume from)');
    fails(() => validateTrainOptions({ minLr: 1, lr: 0.1 }), 'train.minLr must be <= train.lr (got minLr 1, lr 0.1)');
    fails(() => validateTrainOptions({ seed: -3 }), 'train.seed must be an integer >= 0 (got -3)');
    fails(() => validateTrainOptions({ progressEvery: 0 }), 'train.progressEvery must be an integer in [1, 2147483647] (got 0)');
    fails(() => validateTrainOptions({ learningRate: 1 } as never), /^train\.learningRate is not a known option/);
    fails(() => validateTrainOptions({ patience: 3 }, { hasValid: false }), 'train.patience = 3 needs dev data (fit(train, valid)) to measure improvement');
  });
});

describe('validateDecodeOptions', () => {
  it('is greedy by default, beam 4 with length penalty 0.6 for beam', () => {
    expect(validateDecodeOptions(undefined)).toMatchObject({ method: 'greedy', beamSize: 1, lengthPenalty: 0 });
    expect(validateDecodeOptions({ method: 'beam' })).toMatchObject({ method: 'beam', beamSize: 4, lengthPenalty: 0.6 });
    expect(validateDecodeOptions({ beamSize: 8 })).toMatchObject({ method: 'beam', beamSize: 8, lengthPenalty: 0.6 });
    expect(validateDecodeOptions({ topK: 10 })).toMatchObject({ method: 'sample', topK: 10, topP: 1, temperature: 1 });
    expect(validateDecodeOptions({ method: 'sample', temperature: 0.7, topP: 0.9 })).toMatchObject({ method: 'sample', temperature: 0.7, topP: 0.9 });
  });

  it('names the field', () => {
    fails(() => validateDecodeOptions({ method: 'nucleus' as 'sample' }), "decode.method must be one of 'greedy', 'beam', 'sample' (got string \"nucleus\")");
    fails(() => validateDecodeOptions({ beamSize: 0 }), 'decode.beamSize must be an integer in [1, 256] (got 0)');
    fails(() => validateDecodeOptions({ method: 'greedy', beamSize: 4 }), "decode.beamSize = 4 needs decode.method 'beam' (got 'greedy')");
    fails(() => validateDecodeOptions({ method: 'beam', topK: 5 }), "decode.topK applies only to decode.method 'sample' (got 'beam')");
    fails(() => validateDecodeOptions({ temperature: 0 }), 'decode.temperature must be a finite number in [0.000001, 100] (got 0)');
    fails(() => validateDecodeOptions({ topP: 1.5 }), 'decode.topP must be a finite number in [1e-9, 1] (got 1.5)');
    fails(() => validateDecodeOptions({ beamSize: 256, batchSize: 8192 }), 'decode.batchSize * decode.beamSize must be at most 1048576 rows (got 8192 * 256)');
    fails(() => validateDecodeOptions({ maxLenA: 0, maxLenB: 0 }), 'decode.maxLenA and decode.maxLenB are both 0: outputs could not have any token');
    fails(() => validateDecodeOptions({ beam: 4 } as never), /^decode\.beam is not a known option \(did you mean decode\.beamSize\?\)/);
    fails(() => validateDecodeOptions('beam' as never), 'decode must be an object (got string "beam")');
  });
});
