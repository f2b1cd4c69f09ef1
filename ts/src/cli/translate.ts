// `regurgitate translate`: translates a text file (one sentence per line) with a trained
// run; greedy by default, beam or sampling on request. Output keeps line alignment.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { DecodeOptions } from '../engine/config.js';
import { native } from '../native/load.js';
import { openRun } from '../rundir/open.js';
import { parseCommand, UsageError, type CommandSpec, type Parsed } from './args.js';
import { ProgressBar } from './progress.js';
import { writeFileAtomic } from '../common/atomic.js';
import { deviceFlag, parseDevice } from './device.js';
import { stopScope } from './signals.js';
import { checkWritableFile } from '../common/writable.js';

export const decodeFlags: CommandSpec['flags'] = [
  { name: 'beam', type: 'int', value: 'K', min: 1, max: 256, description: 'beam search with K hypotheses (default: greedy)' },
  { name: 'length-penalty', type: 'number', value: 'X', min: 0, max: 10, description: 'beam length penalty (default 0.6)' },
  { name: 'sample', type: 'boolean', description: 'sample instead of searching (with --temperature, --top-k, --top-p)' },
  { name: 'temperature', type: 'number', value: 'T', min: 0, description: 'sampling temperature (default 1)' },
  { name: 'top-k', type: 'int', value: 'K', min: 0, description: 'sample among the K most likely tokens (0 = all)' },
  { name: 'top-p', type: 'number', value: 'P', min: 0, max: 1, description: 'nucleus sampling mass (default 1)' },
  { name: 'decode-seed', type: 'int', value: 'N', min: 0, description: 'seed of sampling (default 1)' },
  { name: 'batch-size', type: 'int', value: 'N', min: 1, max: 65536, description: 'sentences decoded together (default 64)' },
  { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (0 = one per hardware thread)' },
  deviceFlag,
];

/** Decoding options from the shared decoding flags. */
export function decodeOptions(cmd: string, f: Parsed['flags']): Partial<DecodeOptions> {
  const o: Partial<DecodeOptions> = {};
  const sampling = f.temperature !== undefined || f['top-k'] !== undefined || f['top-p'] !== undefined || f['decode-seed'] !== undefined;
  if (f.beam !== undefined && (f.sample || sampling)) throw new UsageError(cmd, '--beam and sampling (--sample, --temperature, --top-k, --top-p) exclude each other');
  if (f['length-penalty'] !== undefined && f.beam === undefined) throw new UsageError(cmd, '--length-penalty needs --beam K');
  if (sampling && !f.sample) throw new UsageError(cmd, '--temperature, --top-k, --top-p and --decode-seed need --sample');
  if (f.beam !== undefined) {
    o.method = 'beam';
    o.beamSize = f.beam as number;
    if (f['length-penalty'] !== undefined) o.lengthPenalty = f['length-penalty'] as number;
  } else if (f.sample) {
    o.method = 'sample';
    if (f.temperature !== undefined) o.temperature = f.temperature as number;
    if (f['top-k'] !== undefined) o.topK = f['top-k'] as number;
    if (f['top-p'] !== undefined) o.topP = f['top-p'] as number;
    if (f['decode-seed'] !== undefined) o.seed = f['decode-seed'] as number;
  }
  if (f['batch-size'] !== undefined) o.batchSize = f['batch-size'] as number;
  if (f.threads !== undefined) native().setThreads(f.threads as number);
  return o;
}

export const spec: CommandSpec = {
  name: 'translate',
  summary: 'Translates a text file, one sentence per line, with a trained run (greedy by default). Writes one translation per input line.',
  flags: [
    { name: 'run', type: 'string', value: 'RUN', description: 'run directory made by regurgitate train (required)' },
    { name: 'input', type: 'string', value: 'FILE', description: "source sentences, one per line ('-' = stdin) (required)" },
    { name: 'output', type: 'string', value: 'FILE', description: 'where to write the translations (default stdout); checked for writing before any work' },
    ...decodeFlags,
  ],
  details: 'Exit status: 0 done, 1 an error, 2 a usage error; 130 after Ctrl-C (SIGINT), 143 after SIGTERM (nothing is written).',
};

export function readLines(file: string): string[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file === '-' ? 0 : resolve(file)));
  if (text === '') return [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  if (a.flags.run === undefined) throw new UsageError(spec.name, '--run RUN is required');
  if (a.flags.input === undefined) throw new UsageError(spec.name, '--input FILE is required');
  const dec = decodeOptions(spec.name, a.flags);
  const device = parseDevice(spec.name, a.flags.device);
  // Before loading the model: an --output that cannot be written fails now, naming it.
  const output = a.flags.output === undefined ? undefined : checkWritableFile(a.flags.output as string, '--output');
  const r = openRun(a.flags.run as string, { device });
  let lines: string[];
  try {
    lines = readLines(a.flags.input as string);
  } catch (e) {
    throw new UsageError(spec.name, `cannot read --input ${a.flags.input as string}: ${(e as Error).message}`);
  }
  const bar = new ProgressBar({ total: lines.length, label: 'translate' });
  const stop = stopScope({ message: 'stopping after this batch (nothing is written)' });
  let hyps;
  try {
    hyps = await r.translate(lines, dec, { onProgress: (d) => bar.update(d), signal: stop.signal });
  } finally {
    stop.close();
  }
  bar.done();
  const text = hyps.map((h) => h.text).join('\n') + (hyps.length ? '\n' : '');
  if (output !== undefined) writeFileAtomic(output, text);
  else process.stdout.write(text);
  return 0;
}
