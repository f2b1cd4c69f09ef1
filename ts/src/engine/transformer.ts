// The model: create / load / save, translate and score. All work runs in native code;
// this class validates, packs, and converts native errors into RegurgitateErrors.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { isDevice, modelCtorFor, resolveDevice, DEVICES, type Device } from '../native/device.js';
import type { NativeGraphStats, NativeModel, NativeParamInfo } from '../native/types.js';
import {
  fromNative,
  toNative,
  validateDecodeOptions,
  validateModelConfig,
  type DecodeOptions,
  type ModelConfig,
  type ModelConfigInput,
  type PresetName,
} from './config.js';
import { describe, invalid, RegurgitateError, wrapNative } from '../common/errors.js';
import { packSources, toNativePairs, pairCount, type Ids, type Pair } from './pairs.js';
import { checkRange, SCORE_RANGES } from './ranges.js';
import type { NativePairs } from '../native/types.js';
import { checkSeed, isPlainObject } from '../common/validate.js';
import { fsReason, makeDirs } from '../common/dirs.js';

export interface CreateOptions {
  /** Seed of the initial weights (integer >= 0). Default 1. */
  seed?: number;
  /** Where the model lives and runs: 'cpu' (default), 'cuda' (GPU 0, bf16 GEMMs), 'cuda:tf32', 'cuda:fp32', or 'auto'. */
  device?: Device;
}

export interface LoadOptions {
  /** As CreateOptions.device. */
  device?: Device;
}

function checkDevice(where: string, v: unknown): Exclude<Device, 'auto'> {
  if (v !== undefined && !isDevice(v)) throw invalid(`${where}: device must be one of ${DEVICES.join(', ')} (got ${describe(v)})`);
  return resolveDevice(v as Device | undefined);
}

export interface Translation {
  /** Hypotheses, one per source, without BOS/EOS. */
  ids: number[][];
  /** Per sentence: sum of token log-probabilities, EOS included. */
  logprobs: number[];
}

function checkDir(dir: unknown, what: string): string {
  if (typeof dir !== 'string' || dir === '' || dir.includes('\0'))
    throw invalid(`${what}: dir must be a non-empty path string (got ${describe(dir)})`);
  return dir;
}

export class Transformer {
  readonly #native: NativeModel;
  readonly #config: ModelConfig;
  readonly #device: Exclude<Device, 'auto'>;
  #busy: string | undefined; // set while fit() runs
  #bufferLength: number | undefined;
  #inflight = 0; // queued or running decode/score calls
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(nativeModel: NativeModel, config: ModelConfig, device: Exclude<Device, 'auto'>) {
    this.#native = nativeModel;
    this.#config = Object.freeze({ ...config });
    this.#device = device;
  }

  /** Where this model runs ('auto' already resolved). */
  get device(): Exclude<Device, 'auto'> {
    return this.#device;
  }

  /**
   * A freshly initialised model. `config` is a preset name ('tiny', 'small', 'base') or a
   * partial config, e.g. `{ preset: 'tiny', vocabSize: 1000 }` or `{ vocabSize: 8000,
   * dModel: 512 }`; missing fields take the defaults of docs/model.md.
   */
  static create(config: ModelConfigInput | PresetName, options: CreateOptions = {}): Transformer {
    const cfg = validateModelConfig(config);
    if (!isPlainObject(options)) throw invalid(`create options must be an object (got ${describe(options)})`);
    const seed = options.seed === undefined ? 1 : checkSeed('create.seed', options.seed);
    for (const k of Object.keys(options)) if (k !== 'seed' && k !== 'device') throw invalid(`create.${k} is not a known option; known: seed, device`);
    const device = checkDevice('create', options.device);
    const Model = modelCtorFor(device);
    const m = wrapNative(() => new Model(JSON.stringify(toNative(cfg)), seed, device));
    return new Transformer(m, cfg, device);
  }

  /** Loads dir/config.json and dir/model.safetensors (as written by save()). */
  static load(dir: string, options: LoadOptions = {}): Transformer {
    checkDir(dir, 'Transformer.load');
    const abs = resolve(dir);
    if (!existsSync(abs)) throw new RegurgitateError('ENOENT', `Transformer.load: no such directory: ${abs}`);
    if (!statSync(abs).isDirectory()) throw new RegurgitateError('ENOENT', `Transformer.load: not a directory: ${abs}`);
    for (const f of ['config.json', 'model.safetensors'])
      if (!existsSync(join(abs, f))) throw new RegurgitateError('ENOENT', `Transformer.load: ${join(abs, f)} is missing (a model directory holds config.json and model.safetensors)`);
    if (!isPlainObject(options)) throw invalid(`Transformer.load options must be an object (got ${describe(options)})`);
    const device = checkDevice('Transformer.load', options.device);
    const Model = modelCtorFor(device);
    const m = wrapNative(() => Model.load(abs, device));
    const cfg = fromNative(wrapNative(() => m.config), join(abs, 'config.json'));
    return new Transformer(m, cfg, device);
  }

  /** Writes dir/config.json and dir/model.safetensors atomically (creates dir). */
  save(dir: string): void {
    checkDir(dir, 'save');
    this.#checkIdle('save');
    const abs = resolve(dir);
    try {
      makeDirs(abs);
    } catch (e) {
      throw new RegurgitateError('EIO', `save: cannot create ${abs}: ${fsReason(e)}`, { cause: e });
    }
    wrapNative(() => this.#native.save(abs));
  }

  get config(): ModelConfig {
    return this.#config;
  }

  /** The number of parameters (alignment padding not counted). */
  get numParams(): number {
    return wrapNative(() => this.#native.numParams());
  }

  /** How training passes ran so far: as CUDA graphs or op by op (call while idle). */
  graphStats(): NativeGraphStats {
    return wrapNative(() => this.#native.graphStats());
  }

  /** Names, shapes and offsets of the parameter tensors in the flat buffer. */
  paramInfo(): NativeParamInfo[] {
    return wrapNative(() => this.#native.paramInfo());
  }

  /**
   * A copy of all parameters: one flat fp32 buffer, tensors at paramInfo() offsets (each
   * aligned to 16 floats, so the length can exceed numParams).
   */
  parameters(): Float32Array {
    this.#checkIdle('parameters');
    return wrapNative(() => this.#native.getParams());
  }

  /** Replaces all parameters (same length and layout as parameters()). */
  setParameters(p: Float32Array): void {
    this.#checkIdle('setParameters');
    if (this.#inflight > 0) throw new RegurgitateError('EBUSY', 'setParameters: translate/score calls are running; await them first');
    if (!(p instanceof Float32Array)) throw invalid(`setParameters: p must be a Float32Array (got ${describe(p)})`);
    this.#bufferLength ??= wrapNative(() => this.#native.getParams().length);
    const n = this.#bufferLength;
    if (p.length !== n)
      throw invalid(`setParameters: p has ${p.length} values; the parameter buffer has ${n} (as returned by parameters(), alignment padding included)`);
    wrapNative(() => this.#native.setParams(p));
  }

  /** The native model object (for tests and advanced use). */
  get native(): NativeModel {
    return this.#native;
  }

  /** Translates token-id sentences (EOS is appended to each source unless present). */
  async translate(sources: readonly Ids[], options?: Partial<DecodeOptions>): Promise<Translation> {
    const opts = validateDecodeOptions(options);
    const { src, srcOffsets } = packSources(sources, this.#config);
    const n = srcOffsets.length - 1;
    if (n === 0) return { ids: [], logprobs: [] };
    this.#checkIdle('translate');
    const r = await this.#serial(() => wrapNative(() => this.#native.decode(src, srcOffsets, opts)));
    const ids: number[][] = new Array(n);
    for (let i = 0; i < n; i++) ids[i] = Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]));
    return { ids, logprobs: Array.from(r.logprobs) };
  }

  /** Forced decoding: per pair, the sum of target log-probabilities (EOS included). */
  async score(pairs: readonly Pair[] | NativePairs, options: { batchSize?: number } = {}): Promise<number[]> {
    if (!isPlainObject(options)) throw invalid(`score options must be an object (got ${describe(options)})`);
    for (const k of Object.keys(options)) if (k !== 'batchSize') throw invalid(`score.${k} is not a known option; known: batchSize`);
    const bs = checkRange('score.batchSize', options.batchSize ?? 64, SCORE_RANGES.batchSize);
    const data = toNativePairs(pairs, this.#config);
    if (pairCount(data) === 0) return [];
    this.#checkIdle('score');
    const r = await this.#serial(() => wrapNative(() => this.#native.score(data, bs)));
    return Array.from(r);
  }

  #checkIdle(what: string): void {
    if (this.#busy !== undefined)
      throw new RegurgitateError('EBUSY', `${what}: the model is busy (${this.#busy}); wait for it to finish`);
  }

  /** Runs native decode/score calls one after another (they share the model's buffers). */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    this.#inflight++;
    const run = this.#queue.then(work, work);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#inflight--;
    });
  }

  /** @internal Marks the model busy for the duration of `work` (used by Trainer). */
  async _exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.#checkIdle(what);
    if (this.#inflight > 0) throw new RegurgitateError('EBUSY', `${what}: translate/score calls are running; await them first`);
    this.#busy = what;
    try {
      return await work();
    } finally {
      this.#busy = undefined;
    }
  }
}

/** Translates with `model` (same as model.translate). */
export function translate(model: Transformer, sources: readonly Ids[], options?: Partial<DecodeOptions>): Promise<Translation> {
  if (!(model instanceof Transformer)) return Promise.reject(invalid(`translate: model must be a Transformer (got ${describe(model)})`));
  return model.translate(sources, options);
}

/** Scores pairs with `model` (same as model.score). */
export function score(model: Transformer, pairs: readonly Pair[] | NativePairs, options?: { batchSize?: number }): Promise<number[]> {
  if (!(model instanceof Transformer)) return Promise.reject(invalid(`score: model must be a Transformer (got ${describe(model)})`));
  return model.score(pairs, options);
}
