// What a student and a chain generation both do with their training set: write it to
// RUN/train.jsonl for audit, train on it, translate the real test split (RUN/test.hyp).
import { join, relative } from 'node:path';

import { writeFileAtomic } from '../../common/atomic.js';
import { decodeInput, DEFAULT_MODEL_CONFIG } from '../../engine/config.js';
import { openRun, type OpenRun } from '../../rundir/open.js';
import { encodePairs } from '../../rundir/tokenize.js';
import { progressLog, trainRun } from '../../rundir/train.js';
import type { CellContext } from '../kinds/types.js';
import type { DecodeSettings, ModelArch, TrainSettings } from '../spec/types.js';

/** One line of RUN/train.jsonl. */
export interface TrainingRow {
  /** Its pool-B position. */
  index: number;
  source: string;
  target: string;
  /** 'real', or the id of the cell that wrote the target. */
  from: string;
  /** The generated target's per-pair scores (absent for real targets and generators without any). */
  scores?: Record<string, number>;
}

export interface TrainedModel {
  run: OpenRun;
  /** Its translations of the test split, one per reference. */
  hyps: string[];
  steps: number;
  trainSeconds: number;
  translateSeconds: number;
  /** Paths relative to the study folder. */
  hypotheses: string;
  trainingSet: string;
  /** Pairs left out (empty target, or too long for the model). */
  dropped: number;
}

export interface TrainOn {
  /** The run folder (absolute). */
  dir: string;
  rows: readonly TrainingRow[];
  model: ModelArch;
  train: TrainSettings;
  decode: DecodeSettings;
  seed: number;
  /** A model to start from. */
  init?: string;
  /** Recorded in run.json. */
  info: Record<string, unknown>;
}

/** Trains on `o.rows` and translates the test split; null when stopped by the signal (the checkpoint stays). */
export async function trainOnRows(o: TrainOn, ctx: CellContext): Promise<TrainedModel | null> {
  const { ws } = ctx;
  progressLog(o.dir); // a 0.1.0 run's log moves out of train.jsonl before the training set goes in
  const setFile = join(o.dir, 'train.jsonl');
  writeFileAtomic(setFile, o.rows.map((r) => JSON.stringify(r)).join('\n') + (o.rows.length ? '\n' : ''));
  const maxLen = o.model.maxLen ?? DEFAULT_MODEL_CONFIG.maxLen;
  const enc = encodePairs(ws.tokenizer, { src: o.rows.map((r) => r.source), tgt: o.rows.map((r) => r.target) }, maxLen);
  const t0 = performance.now();
  const r = await trainRun({
    out: o.dir,
    tokenizer: ws.tokenizer,
    train: enc.pairs,
    dev: ws.devPairs(maxLen),
    model: { ...o.model },
    trainOptions: { ...o.train },
    seed: o.seed,
    init: o.init,
    info: { ...o.info, dropped: enc.dropped },
    device: ctx.device,
    signal: ctx.signal,
    onProgress: ctx.onTrain,
  });
  if (r.result.cancelled) return null;
  const trainSeconds = r.reused ? r.result.seconds : (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const run = openRun(o.dir, { device: ctx.device });
  const hyps = (await run.translate(ws.test.src, decodeInput({ ...o.decode, seed: o.seed }), { signal: ctx.signal })).map((h) => h.text);
  const translateSeconds = (performance.now() - t1) / 1000;
  const hypFile = join(o.dir, 'test.hyp');
  writeFileAtomic(hypFile, hyps.join('\n') + '\n');
  return { run, hyps, steps: r.result.steps, trainSeconds, translateSeconds, hypotheses: relative(ws.dir, hypFile), trainingSet: relative(ws.dir, setFile), dropped: enc.dropped };
}
