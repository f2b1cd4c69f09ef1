// The engine's option groups inside a spec: model architecture, training and decoding
// settings, checked by the engine's own validators (engine/config.ts) and reported at
// the spec field they came from.
import {
  DEFAULT_DECODE_OPTIONS,
  PRESET_NAMES,
  PRESETS,
  validateDecodeOptions,
  validateModelConfig,
  validateTrainOptions,
  type DecodeOptions,
  type ModelConfig,
  type PresetName,
} from '../../engine/config.js';
import { isPlainObject } from '../../common/validate.js';
import type { SpecPath, SpecSource } from './source.js';
import { DECODE_SETTING_KEYS, TRAIN_SETTING_KEYS, type DecodeSettings, type ModelArch, type TrainSettings } from './types.js';

const ARCH_KEYS = ['dModel', 'nHeads', 'dFF', 'encoderLayers', 'decoderLayers', 'maxLen', 'dropout', 'labelSmoothing', 'activation', 'lnEps'] as const;
const TOKENIZER_FIELDS = ['vocabSize', 'padId', 'bosId', 'eosId'];
const METHOD_FIELDS = ['beamSize', 'lengthPenalty', 'temperature', 'topK', 'topP'] as const;
const SAMPLING_FIELDS = ['temperature', 'topK', 'topP'] as const;
const RUNNER_TRAIN_FIELDS = ['seed', 'progressEvery', 'checkpointDir', 'checkpointEvery', 'resume', 'stopAfterSteps'];

function toArch(c: ModelConfig): ModelArch {
  const out = {} as Record<string, unknown>;
  for (const k of ARCH_KEYS) out[k] = c[k];
  return out as ModelArch;
}

/** A preset name or `{ preset?, dModel, ... }`, checked with the tokenizer's vocabulary size. */
export function readModel(src: SpecSource, path: SpecPath, v: unknown, vocabSize: number): ModelArch {
  if (typeof v === 'string') {
    src.oneOf(path, v, PRESET_NAMES);
    return toArch(validateModelConfig({ preset: v as PresetName, vocabSize }));
  }
  if (isPlainObject(v)) {
    for (const k of TOKENIZER_FIELDS)
      if (k in v) src.fail([...path, k], `is not set here: ${k === 'vocabSize' ? 'set tokenizer.vocabSize (the model uses the tokenizer\'s vocabulary)' : 'the tokenizer fixes the special token ids'}`, true);
  }
  const obj = src.object(path, v, ['preset', ...ARCH_KEYS], `a preset name (${PRESET_NAMES.join(', ')}) or a mapping of model fields`);
  if (obj.preset !== undefined) src.oneOf([...path, 'preset'], obj.preset, PRESET_NAMES);
  return toArch(src.engine(path, 'model', () => validateModelConfig({ ...obj, vocabSize } as never)));
}

/** The preset an architecture equals, if any. */
export function archPreset(a: ModelArch): PresetName | undefined {
  return PRESET_NAMES.find((p) => ARCH_KEYS.every((k) => toArch(validateModelConfig({ ...PRESETS[p], vocabSize: 8000 }))[k] === a[k]));
}

/** The shortest input form of an architecture: a preset name, or a preset and the fields that differ. */
export function archInput(a: ModelArch): string | Record<string, unknown> {
  const exact = archPreset(a);
  if (exact) return exact;
  let best: { preset: PresetName; diff: Record<string, unknown> } | undefined;
  for (const p of PRESET_NAMES) {
    const base = toArch(validateModelConfig({ ...PRESETS[p], vocabSize: 8000 }));
    const diff: Record<string, unknown> = {};
    for (const k of ARCH_KEYS) if (base[k] !== a[k]) diff[k] = a[k];
    if (!best || Object.keys(diff).length < Object.keys(best.diff).length) best = { preset: p, diff };
  }
  return { preset: best!.preset, ...best!.diff };
}

/** Training settings merged over `defaults`, checked as the engine will (dev data is always passed). */
export function readTrain(src: SpecSource, path: SpecPath, v: unknown, defaults: TrainSettings): TrainSettings {
  if (v === undefined || v === null) return { ...defaults };
  if (isPlainObject(v)) {
    for (const k of RUNNER_TRAIN_FIELDS)
      if (k in v)
        src.fail([...path, k], `is set by the runner, not the spec${k === 'seed' ? ' (student seeds come from seeds; a generator has its own seed field)' : ''}`, true);
  }
  const obj = src.object(path, v, TRAIN_SETTING_KEYS, 'a mapping of training options');
  const all: Record<string, unknown> = { ...defaults, ...obj };
  // Fields in a fixed order, so that the YAML a spec is written back as reads the same way.
  const merged = Object.fromEntries(TRAIN_SETTING_KEYS.filter((k) => all[k] !== undefined).map((k) => [k, all[k]])) as TrainSettings;
  src.engine(path, 'train', () => validateTrainOptions(merged, { hasValid: true }));
  return merged;
}

/** Decoding settings merged over `defaults`, all fields filled. */
export function readDecode(src: SpecSource, path: SpecPath, v: unknown, defaults: Partial<DecodeSettings>): DecodeSettings {
  if (isPlainObject(v) && 'seed' in v) src.fail([...path, 'seed'], 'is set by the runner (the run\'s seed)', true);
  const obj = v === undefined || v === null ? {} : src.object(path, v, DECODE_SETTING_KEYS, 'a mapping of decoding options');
  // A different method starts from its own defaults for the fields that depend on it.
  const base: Partial<DecodeSettings> = { ...defaults };
  if (obj.method !== undefined && obj.method !== base.method) for (const k of METHOD_FIELDS) delete base[k];
  const given: Record<string, unknown> = { ...obj };
  // Sampling fields at their defaults are no setting at all: a parsed spec written out as
  // JSON (all fields) reads back the same.
  const method = given.method ?? base.method;
  if (method !== undefined && method !== 'sample')
    for (const k of SAMPLING_FIELDS) if (given[k] === DEFAULT_DECODE_OPTIONS[k]) delete given[k];
  const full: Partial<DecodeOptions> = src.engine(path, 'decode', () => validateDecodeOptions({ ...base, ...given }));
  delete full.seed;
  return full as DecodeSettings;
}

/** The fields of decoding settings that differ from the defaults of their method. */
export function decodeInput(d: DecodeSettings): Record<string, unknown> {
  const base = validateDecodeOptions({ method: d.method }) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { method: d.method };
  for (const k of DECODE_SETTING_KEYS) if (d[k] !== base[k]) out[k] = d[k];
  return out;
}
