// Training one model into a run directory:
//   RUN/run.json        what was trained on what, with which settings (written first)
//   RUN/tokenizer.json  the tokenizer the model's ids belong to
//   RUN/checkpoints/    the trainer's resumable checkpoints (latest, best), written every
//                       checkpointSeconds (default 20) of training and at the end
//   RUN/progress.jsonl  progress, one JSON object per report (train.jsonl before 0.2.0;
//                       a study's student run keeps its training set in train.jsonl); cut
//                       back to the checkpoint's step when training resumes
//   RUN/model/          the final weights: the best by dev loss when dev data is given
//   RUN/result.json     the training result (written last: its presence means done)
import { appendFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { validateModelConfig, type ModelConfigInput, type PresetName, type TrainOptions } from '../engine/config.js';
import { RegurgitateError } from '../common/errors.js';
import type { Pair } from '../engine/pairs.js';
import { estimateStepsPerEpoch, Trainer, type TrainProgress, type TrainResult } from '../engine/trainer.js';
import { toNativePairs } from '../engine/pairs.js';
import { Transformer } from '../engine/transformer.js';
import type { Tokenizer } from '../data/tokenizer/index.js';
import { packageVersion } from '../native/load.js';
import { writeFileAtomic } from '../common/atomic.js';
import { makeDirs } from '../common/dirs.js';
import type { Device } from '../native/device.js';
import { TRAIN_PRESETS } from './presets.js';

export interface RunProgress extends TrainProgress {
  /** Planned optimizer steps (estimated when training is bounded by epochs). */
  totalSteps: number;
}

export interface TrainRunOptions {
  out: string;
  tokenizer: Tokenizer;
  train: readonly Pair[];
  dev?: readonly Pair[] | null;
  /** A preset name or a config; vocabSize is the tokenizer's. */
  model: PresetName | ModelConfigInput;
  /** Training options over the preset's budget (TRAIN_PRESETS) when model names a preset. */
  trainOptions?: Partial<TrainOptions>;
  /** Seed of the weights and of training (default 1). */
  seed?: number;
  /** Start from these weights (a model directory) instead of random ones: fine-tuning. */
  init?: string;
  /** Continue from RUN/checkpoints when a checkpoint is there (default true). */
  resume?: boolean;
  /** Called before training when it continues from a checkpoint, with the checkpoint's step. */
  onResume?: (step: number) => void;
  /** Where to train: 'cpu' (default), 'cuda' (GPU, bf16 GEMMs), 'cuda:tf32', 'cuda:fp32' or 'auto'. */
  device?: Device;
  /** Recorded in run.json (where the data came from). */
  info?: Record<string, unknown>;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
}

export interface TrainRunResult {
  dir: string;
  result: TrainResult;
  totalSteps: number;
  /** Whether a finished run was found and nothing was trained. */
  reused: boolean;
}

export function runFinished(dir: string): boolean {
  return existsSync(join(dir, 'result.json')) && existsSync(join(dir, 'model', 'model.safetensors'));
}

/**
 * RUN/progress.jsonl, the training log. Run folders of 0.1.0 kept it as train.jsonl,
 * which now holds a student's training set: an old log is moved to the new name first.
 */
export function progressLog(dir: string): string {
  const log = join(dir, 'progress.jsonl');
  const old = join(dir, 'train.jsonl');
  if (!existsSync(log) && existsSync(old)) {
    let first: unknown = null;
    try {
      first = JSON.parse(readFileSync(old, 'utf8').split('\n', 1)[0]);
    } catch {
      first = null;
    }
    if (first !== null && typeof first === 'object' && 'step' in first && !('index' in first)) renameSync(old, log);
  }
  return log;
}

/**
 * Cuts the progress log back to the reports of steps up to `step`, where training goes on
 * from (0 when it starts over), and drops a line a kill left torn: after any number of
 * restarts, each step is in the log once.
 */
export function trimProgressLog(log: string, step: number): void {
  if (!existsSync(log)) return;
  const text = readFileSync(log, 'utf8');
  let out = '';
  for (const line of text.split('\n')) {
    let p: unknown = null;
    try {
      p = JSON.parse(line);
    } catch {
      continue;
    }
    const s = p !== null && typeof p === 'object' ? (p as { step?: unknown }).step : undefined;
    if (typeof s === 'number' && s <= step) out += line + '\n';
  }
  if (out !== text) writeFileAtomic(log, out);
}

/** The step of the checkpoint RUN/checkpoints/latest.json names (null when unreadable). */
function checkpointStep(latest: string): number | null {
  try {
    const s = (JSON.parse(readFileSync(latest, 'utf8')) as { step?: unknown }).step;
    return typeof s === 'number' && Number.isInteger(s) && s >= 0 ? s : null;
  } catch {
    return null;
  }
}

export async function trainRun(o: TrainRunOptions): Promise<TrainRunResult> {
  const dir = resolve(o.out);
  if (runFinished(dir)) {
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { result: TrainResult; totalSteps: number };
    return { dir, result: result.result, totalSteps: result.totalSteps, reused: true };
  }
  const presetName = typeof o.model === 'string' ? o.model : o.model.preset;
  const cfgInput: ModelConfigInput = typeof o.model === 'string' ? { preset: o.model } : { ...o.model };
  cfgInput.vocabSize = o.tokenizer.vocabSize;
  const config = validateModelConfig(cfgInput);
  const seed = o.seed ?? 1;
  const opts: Partial<TrainOptions> = {
    ...(presetName ? TRAIN_PRESETS[presetName] : {}),
    ...o.trainOptions,
    seed,
    checkpointDir: join(dir, 'checkpoints'),
    restoreBest: Boolean(o.dev && o.dev.length),
  };
  const ckpt = join(dir, 'checkpoints', 'latest.json');
  opts.resume = o.resume !== false && existsSync(ckpt);
  if (o.train.length === 0) throw new RegurgitateError('EINVAL', 'trainRun: no training pairs');

  let model: Transformer;
  if (o.init) {
    // A run directory's weights are in RUN/model; a model directory is taken as it is.
    const from = existsSync(join(o.init, 'model', 'model.safetensors')) ? join(o.init, 'model') : o.init;
    model = Transformer.load(from, { device: o.device });
    if (JSON.stringify(model.config) !== JSON.stringify(config))
      throw new RegurgitateError('EINVAL', `trainRun: the model to fine-tune (${o.init}) has another configuration than the one asked for`);
  } else model = Transformer.create(config, { seed, device: o.device });

  makeDirs(dir);
  const native = toNativePairs(o.train, model.config, 'train');
  const base = new Trainer(model, opts).options;
  const spe = estimateStepsPerEpoch(native, base.maxTokens, base.maxSentences);
  // A cosine schedule needs a step count: an epoch budget becomes its estimate.
  if (base.schedule === 'cosine' && base.maxSteps === 0) opts.maxSteps = base.maxEpochs * spe;
  const trainer = new Trainer(model, opts);
  const o2 = trainer.options;
  const totalSteps = o2.maxSteps > 0 ? (o2.maxEpochs > 0 ? Math.min(o2.maxSteps, o2.maxEpochs * spe) : o2.maxSteps) : o2.maxEpochs * spe;
  writeFileAtomic(join(dir, 'tokenizer.json'), o.tokenizer.toJSONString());
  writeFileAtomic(
    join(dir, 'run.json'),
    JSON.stringify(
      {
        format: 'regurgitate-run',
        version: 1,
        tool: `regurgitate ${packageVersion()}`,
        created: new Date().toISOString(),
        model: config,
        preset: presetName ?? null,
        params: model.numParams,
        device: model.device,
        train: { ...o2, checkpointDir: 'checkpoints' },
        init: o.init ?? null,
        data: { trainPairs: o.train.length, devPairs: o.dev?.length ?? 0, ...o.info },
      },
      null,
      2,
    ) + '\n',
  );
  const log = progressLog(dir);
  // Training goes on from the checkpoint's step (or starts over): later reports are redone.
  const from = opts.resume ? checkpointStep(ckpt) : 0;
  if (from !== null) trimProgressLog(log, from);
  if (opts.resume && from !== null) o.onResume?.(from);
  const result = await trainer.fit(native, o.dev && o.dev.length ? o.dev : null, {
    signal: o.signal,
    onProgress: (p) => {
      appendFileSync(log, JSON.stringify({ ...p, time: new Date().toISOString() }) + '\n');
      o.onProgress?.({ ...p, totalSteps });
    },
  });
  if (result.cancelled) return { dir, result, totalSteps, reused: false };
  model.save(join(dir, 'model'));
  writeFileAtomic(join(dir, 'result.json'), JSON.stringify({ result, totalSteps }, null, 2) + '\n');
  return { dir, result, totalSteps, reused: false };
}
