// `regurgitate demo --synthetic`: a one-minute engine check. Trains a tiny transformer to
// reverse random sequences, then decodes held-out sequences greedily and reports token
// accuracy and exact match. (Plain `regurgitate demo` runs the study: demo.ts.)
import { join } from 'node:path';

import { native, packageVersion } from '../native/load.js';
import { Transformer } from '../engine/transformer.js';
import { Trainer } from '../engine/trainer.js';
import type { Pair } from '../engine/pairs.js';
import type { TrainOptions } from '../engine/config.js';
import { parseCommand, type CommandSpec } from './args.js';
import { ProgressBar } from './progress.js';
import { err, mulberry32, out, randInt } from './util.js';
import { writeFileAtomic } from '../common/atomic.js';
import { checkWritableDir } from '../common/writable.js';
import { stopScope } from './signals.js';

export const spec: CommandSpec = {
  name: 'demo --synthetic',
  summary:
    'Train a tiny transformer (d 64, 2+2 layers) on CPU to reverse random sequences, decode held-out sequences greedily, and report token accuracy and exact match. Writes DIR/demo.json and the model to DIR/model.',
  flags: [
    { name: 'synthetic', type: 'boolean', description: 'this synthetic task instead of the study' },
    { name: 'out', type: 'string', value: 'DIR', default: 'runs/demo-synthetic', description: 'output directory' },
    { name: 'quick', type: 'boolean', description: 'a shorter run (fewer steps and examples)' },
    { name: 'steps', type: 'int', value: 'N', min: 1, max: 10_000_000, description: 'optimizer steps (default 1500, 800 with --quick)' },
    { name: 'seed', type: 'int', value: 'N', min: 0, default: 1, description: 'seed of data, weights and batching' },
    { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (0 = one per hardware thread)' },
    { name: 'json', type: 'boolean', description: 'print the summary as one JSON line on stdout' },
  ],
  details: 'DIR is created and checked for writing before any work. Exit status: 0 done, 1 an error, 2 a usage error; 130 after Ctrl-C (SIGINT), 143 after SIGTERM (nothing is written).',
};

export const DEMO_VOCAB = 20; // ids 0..2 are PAD, BOS, EOS; 3..19 are symbols

/** Random sequences of symbols [3, vocab) with lengths in [minLen, maxLen], and the task's targets. */
export function taskPairs(task: 'copy' | 'reverse', n: number, seed: number, minLen = 4, maxLen = 10, vocab = DEMO_VOCAB): Pair[] {
  const rng = mulberry32(seed);
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const len = randInt(rng, minLen, maxLen + 1);
    const src = Array.from({ length: len }, () => randInt(rng, 3, vocab));
    pairs.push({ src, tgt: task === 'copy' ? src.slice() : src.slice().reverse() });
  }
  return pairs;
}

/** Token accuracy (matches by position over the longer of hypothesis and reference) and exact match. */
export function accuracy(hyps: number[][], refs: ArrayLike<number>[]): { tokenAccuracy: number; exactMatch: number } {
  let correct = 0;
  let total = 0;
  let exact = 0;
  for (let i = 0; i < refs.length; i++) {
    const h = hyps[i] ?? [];
    const r = Array.from(refs[i]);
    let c = 0;
    for (let j = 0; j < Math.min(h.length, r.length); j++) if (h[j] === r[j]) c++;
    correct += c;
    total += Math.max(h.length, r.length);
    if (c === r.length && h.length === r.length) exact++;
  }
  return { tokenAccuracy: total ? correct / total : 0, exactMatch: refs.length ? exact / refs.length : 0 };
}

export const DEMO_MODEL = {
  vocabSize: DEMO_VOCAB,
  dModel: 64,
  nHeads: 4,
  dFF: 256,
  encoderLayers: 2,
  decoderLayers: 2,
  maxLen: 32,
  dropout: 0,
  labelSmoothing: 0,
} as const;

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  const quick = Boolean(a.flags.quick);
  const seed = a.flags.seed as number;
  const steps = (a.flags.steps as number | undefined) ?? (quick ? 800 : 1500);
  const dir = checkWritableDir(a.flags.out as string, '--out'); // before any work
  const addon = native();
  if (a.flags.threads !== undefined) addon.setThreads(a.flags.threads as number);
  const info = addon.systemInfo();
  const t0 = performance.now();

  const train = taskPairs('reverse', quick ? 2000 : 4000, seed);
  const test = taskPairs('reverse', 200, seed + 1_000_003);
  const model = Transformer.create(DEMO_MODEL, { seed });
  const options: Partial<TrainOptions> = {
    seed,
    maxSteps: steps,
    lr: 1e-3,
    warmupSteps: Math.min(100, Math.max(1, Math.round(steps / 10))),
    // Small batches: the batcher groups equal lengths, and many small updates learn this
    // task faster than few large ones.
    maxSentences: 32,
    maxTokens: 4096,
    progressEvery: 5,
  };
  err(`regurgitate demo: reverse random sequences (lengths 4-10, ${DEMO_VOCAB - 3} symbols); ${train.length} training pairs, ${model.numParams.toLocaleString('en-US')} parameters, ${info.isa}, ${info.threads} threads`);
  const bar = new ProgressBar({ total: steps, label: 'train' });
  const stop = stopScope({ message: 'stopping after this step (nothing is written)' });
  let result;
  try {
    result = await new Trainer(model, options).fit(train, null, {
      signal: stop.signal,
      onProgress: (p) => bar.update(p.step, { loss: p.loss, tokensPerSec: p.tokensPerSec }),
    });
  } finally {
    stop.close();
  }
  if (result.cancelled) {
    bar.done('stopped');
    return stop.status ?? 130;
  }
  bar.update(result.steps, { loss: result.lastLoss });
  bar.done();

  const tr = await model.translate(test.map((p) => p.src));
  const acc = accuracy(tr.ids, test.map((p) => p.tgt));
  model.save(join(dir, 'model'));
  const summary = {
    version: packageVersion(),
    task: 'reverse',
    seed,
    quick,
    model: model.config,
    params: model.numParams,
    train: { pairs: train.length, options, result },
    eval: { pairs: test.length, decoding: 'greedy', tokenAccuracy: acc.tokenAccuracy, exactMatch: acc.exactMatch },
    examples: test.slice(0, 5).map((p, i) => ({ src: p.src, ref: p.tgt, hyp: tr.ids[i] })),
    system: { isa: info.isa, threads: info.threads, cpu: info.cpuModel },
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileAtomic(join(dir, 'demo.json'), JSON.stringify(summary, null, 2) + '\n');
  if (a.flags.json) out(JSON.stringify(summary));
  else {
    out(`held-out: ${test.length} sequences, greedy decoding`);
    out(`token accuracy ${(acc.tokenAccuracy * 100).toFixed(2)}%, exact match ${(acc.exactMatch * 100).toFixed(1)}%`);
    for (const ex of summary.examples.slice(0, 3)) out(`  ${ex.src.join(' ')}  ->  ${ex.hyp.join(' ')}`);
    out(`wrote ${join(dir, 'demo.json')} and ${join(dir, 'model')}/ in ${summary.seconds.toFixed(1)} s`);
  }
  return 0;
}
