// `regurgitate train`: a prepared corpus -> tokenizer (trained if absent) -> a model in a
// run directory, keeping the best checkpoint by dev loss. A checkpoint is written every
// --checkpoint-seconds (default 20) of training and on Ctrl-C; the same command resumes.
import { resolve } from 'node:path';

import { PRESET_NAMES, validateModelConfig, type PresetName, type TrainOptions } from '../engine/config.js';
import { native } from '../native/load.js';
import { openCorpus, readPart } from '../rundir/corpus.js';
import { encodePairs, ensureTokenizer } from '../rundir/tokenize.js';
import { runFinished, trainRun } from '../rundir/train.js';
import { TRAIN_PRESETS } from '../rundir/presets.js';
import { parseCommand, UsageError, type CommandSpec } from './args.js';
import { ProgressBar } from './progress.js';
import { err, out } from './util.js';
import { cudaAddonOrThrow, resolveDevice } from '../native/device.js';
import { deviceFlag, parseDevice } from './device.js';
import { stopScope } from './signals.js';
import { checkWritableDir } from '../common/writable.js';

export const spec: CommandSpec = {
  name: 'train',
  summary:
    'Trains a translation model on a prepared corpus (regurgitate data prepare): trains DATA/tokenizer.json if absent, shows progress with loss and ETA, evaluates on the dev part every epoch and keeps the best weights by dev loss in RUN/model. Interrupted runs resume from RUN/checkpoints.',
  flags: [
    { name: 'data', type: 'string', value: 'DIR', description: 'prepared corpus directory (required)' },
    { name: 'out', type: 'string', value: 'RUN', description: 'run directory (required)' },
    { name: 'model', type: 'string', value: 'PRESET', default: 'tiny', description: `model size: ${PRESET_NAMES.join(', ')}` },
    { name: 'train-part', type: 'string', value: 'PART', default: 'train', description: 'corpus part to train on' },
    { name: 'dev-part', type: 'string', value: 'PART', default: 'dev', description: "corpus part for dev loss and best checkpoint ('none' to train without)" },
    { name: 'vocab-size', type: 'int', value: 'N', min: 260, max: 1 << 20, default: 8000, description: 'tokenizer vocabulary size (when it is trained)' },
    { name: 'epochs', type: 'int', value: 'N', min: 1, description: 'training epochs (default: the preset\'s)' },
    { name: 'steps', type: 'int', value: 'N', min: 1, description: 'optimizer steps (instead of epochs)' },
    { name: 'lr', type: 'number', value: 'X', min: 0, description: "peak learning rate (default: the preset's)" },
    { name: 'max-tokens', type: 'int', value: 'N', min: 1, description: "tokens per batch, source + target (default: the preset's)" },
    { name: 'patience', type: 'int', value: 'N', min: 0, description: 'stop after N dev evaluations without improvement (0 = never)' },
    { name: 'checkpoint-seconds', type: 'number', value: 'S', min: 0, max: 1e9, default: 20, description: 'write a checkpoint every S seconds of training, to resume from after a crash or kill (0 = only at the end and on Ctrl-C)' },
    { name: 'checkpoint-every', type: 'int', value: 'N', min: 0, description: 'also write a checkpoint every N steps (0 = off)' },
    { name: 'seed', type: 'int', value: 'N', min: 0, default: 1, description: 'seed of weights, batches and dropout' },
    { name: 'init', type: 'string', value: 'RUN', description: 'start from the weights of another run (fine-tuning)' },
    { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (0 = one per hardware thread)' },
    deviceFlag,
    { name: 'json', type: 'boolean', description: 'print the result as one JSON line on stdout' },
  ],
  details: [
    'Files: RUN/run.json (settings), RUN/tokenizer.json, RUN/checkpoints/, RUN/progress.jsonl (progress),',
    'RUN/model/ (final weights), RUN/result.json (written last). A finished run is not trained again.',
    'RUN is created and checked for writing first: one that cannot be written fails at once, naming it.',
    '',
    'Exit status: 0 trained (or already trained), 1 an error, 2 a usage error; 130 after Ctrl-C (SIGINT) and',
    '143 after SIGTERM: training stops after the current step keeping a checkpoint, and the same command resumes.',
    '',
    'Checkpoints: every --checkpoint-seconds of training (default 20; written in the background, the',
    'two newest kept, each complete or not there), at the end and on Ctrl-C or SIGTERM. After a crash',
    'or SIGKILL the same command resumes from the newest one and ends with the same weights as a run',
    'that was never stopped.',
    '',
    'Example: regurgitate data prepare bible --pair es-en --out data/bible && regurgitate train --data data/bible --out runs/tiny',
  ].join('\n'),
};

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  const f = a.flags;
  if (f.data === undefined) throw new UsageError(spec.name, '--data DIR is required (a corpus made by regurgitate data prepare)');
  if (f.out === undefined) throw new UsageError(spec.name, '--out RUN is required (the run directory)');
  const preset = f.model as string;
  if (!PRESET_NAMES.includes(preset as PresetName)) throw new UsageError(spec.name, `--model must be one of ${PRESET_NAMES.join(', ')} (got '${preset}')`);
  // Before any data work: a bad --device, or cuda without a GPU, fails at once.
  const device = resolveDevice(parseDevice(spec.name, f.device));
  if (device !== 'cpu') cudaAddonOrThrow();
  if (f.threads !== undefined) native().setThreads(f.threads as number);

  const corpus = openCorpus(f.data as string);
  // Before the tokenizer and the encoding: an output folder that cannot be written fails
  // now (a finished run, which is not trained again, may sit in a read-only place).
  const outDir = resolve(f.out as string);
  if (!runFinished(outDir)) checkWritableDir(outDir, '--out');
  const { tokenizer } = await ensureTokenizer(corpus, { part: f['train-part'] as string, vocabSize: f['vocab-size'] as number }, err);
  const maxLen = validateModelConfig({ preset: preset as PresetName, vocabSize: tokenizer.vocabSize }).maxLen;
  const trainSides = readPart(corpus, f['train-part'] as string);
  const train = encodePairs(tokenizer, trainSides, maxLen);
  const devPart = f['dev-part'] as string;
  const dev = devPart === 'none' ? null : encodePairs(tokenizer, readPart(corpus, devPart), maxLen);
  if (train.dropped) err(`left out ${train.dropped} training pairs longer than ${maxLen - 1} tokens`);

  const opts: Partial<TrainOptions> = {};
  if (f.epochs !== undefined) opts.maxEpochs = f.epochs as number;
  if (f.steps !== undefined) {
    opts.maxSteps = f.steps as number;
    if (f.epochs === undefined) opts.maxEpochs = 0;
  }
  if (f.lr !== undefined) opts.lr = f.lr as number;
  if (f['max-tokens'] !== undefined) opts.maxTokens = f['max-tokens'] as number;
  if (f.patience !== undefined) opts.patience = f.patience as number;
  opts.checkpointSeconds = f['checkpoint-seconds'] as number;
  if (f['checkpoint-every'] !== undefined) opts.checkpointEvery = f['checkpoint-every'] as number;

  const stop = stopScope({ message: 'stopping after this step (a checkpoint is kept; run the same command to resume; Ctrl-C again to quit now)' });
  err(`train: ${train.pairs.length} pairs (${corpus.src}->${corpus.tgt}) from ${corpus.dir}, dev ${dev?.pairs.length ?? 0}, model ${preset}, vocabulary ${tokenizer.vocabSize}, ${native().systemInfo().threads} threads -> ${outDir}`);
  let bar: ProgressBar | undefined;
  let best = NaN;
  try {
    const r = await trainRun({
      out: outDir,
      tokenizer,
      train: train.pairs,
      dev: dev?.pairs ?? null,
      model: preset as PresetName,
      trainOptions: opts,
      seed: f.seed as number,
      init: f.init as string | undefined,
      device,
      info: { corpus: corpus.dir, pair: `${corpus.src}-${corpus.tgt}`, trainPart: f['train-part'], devPart, droppedLong: train.dropped, presetBudget: TRAIN_PRESETS[preset as PresetName] },
      signal: stop.signal,
      onResume: (step) => err(`resuming from the checkpoint at step ${step} (${outDir}/checkpoints)`),
      onProgress: (p) => {
        bar ??= new ProgressBar({ total: p.totalSteps, label: 'train' });
        if (p.bestValidLoss !== undefined) best = p.bestValidLoss;
        bar.update(p.step, { loss: p.loss || undefined, tokensPerSec: p.tokensPerSec || undefined, note: Number.isFinite(best) ? `dev ${best.toFixed(4)}` : undefined });
      },
    });
    bar?.done();
    if (r.reused) err(`${outDir} is already trained (result.json); nothing to do. Use another --out to train again.`);
    if (r.result.cancelled) {
      err(`stopped at step ${r.result.steps}; resume with the same command`);
      return stop.status ?? 130;
    }
    const res = r.result;
    if (f.json) out(JSON.stringify({ run: outDir, ...res, totalSteps: r.totalSteps }));
    else {
      out(`trained ${res.steps} steps (${res.epochs.toFixed(2)} epochs) in ${res.seconds.toFixed(1)} s; last train loss ${res.lastLoss.toFixed(4)}` +
        (res.bestValidLoss !== null ? `; best dev loss ${res.bestValidLoss.toFixed(4)} at step ${res.bestStep}` : ''));
      out(`wrote ${outDir}/model (evaluate with: regurgitate eval --run ${f.out as string})`);
    }
    return 0;
  } finally {
    stop.close();
  }
}
