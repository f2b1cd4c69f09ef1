#!/usr/bin/env node
// The regurgitate command line: `regurgitate <command> [flags]`. One file per command.
import { RegurgitateError } from '../common/errors.js';
import { UsageError, usageMessage } from './args.js';
import * as bench from './bench.js';
import * as data from './data.js';
import * as demo from './demo.js';
import * as diversity from './diversity.js';
import * as doctor from './doctor.js';
import * as score from './score.js';
import * as tokenizer from './tokenizer.js';
import * as train from './train.js';
import * as translate from './translate.js';
import * as evaluate from './eval.js';
import * as experiment from './experiment.js';
import * as serve from './serve.js';
import * as version from './version.js';
import * as worker from './worker.js';
import { receivedSignal, signalStatus } from './signals.js';
import { installOutputHandlers, outputFailure } from './stdio.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  doctor: { run: doctor.run, summary: 'report runtime, CPU features, native addon and backends (--json)' },
  bench: { run: bench.run, summary: 'benchmarks: `bench gemm` (GFLOP/s per size), `bench train` (tokens/s)' },
  demo: { run: demo.run, summary: 'the whole study on the bible corpus at laptop size, with its report (--synthetic: a one-minute engine check)' },
  experiment: { run: experiment.run, summary: 'the study from a spec: `experiment init|run|status|report` (docs/experiments.md)' },
  score: { run: score.run, summary: 'BLEU, chrF, chrF++, TER exactly as sacreBLEU 2.6.0 (--json, --sentence, --baseline for paired bootstrap)' },
  diversity: { run: diversity.run, summary: 'lexical diversity of a text file, lexicalrichness-compatible (--json)' },
  data: { run: data.run, summary: 'corpora: `data prepare` cleans and splits the built-in bible or your files (Moses, TSV, JSONL, TMX)' },
  train: { run: train.run, summary: 'train a translation model on a prepared corpus (best checkpoint by dev loss, resumable)' },
  translate: { run: translate.run, summary: 'translate a text file with a trained run (greedy, --beam K or --sample)' },
  eval: { run: evaluate.run, summary: 'BLEU, chrF and TER of a run (or of Apertium) on the test split, with signatures' },
  serve: { run: serve.run, summary: 'serve a trained run over an OpenAI-compatible chat-completions API' },
  tokenizer: { run: tokenizer.run, summary: 'byte-level BPE: `tokenizer train|encode|decode` (Hugging Face tokenizer.json)' },
  worker: { run: worker.run, summary: 'run the jobs of studies queued with `experiment run --queue URL` (several machines)' },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: regurgitate <command> [flags]',
    '',
    'Measure and mitigate regurgitative training of translation models.',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'flags:',
    '  --version, -V  print the version',
    '  --help, -h     show this help (also: regurgitate <command> --help)',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  installOutputHandlers();
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') return version.run();
  if (cmd === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (rest[0] && COMMANDS[rest[0]]) return COMMANDS[rest[0]].run(['--help']);
    process.stdout.write(usage());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    const what = cmd.startsWith('-') ? `unknown flag ${cmd}` : `unknown command '${cmd}'`;
    process.stderr.write(`regurgitate: ${what} (commands: ${Object.keys(COMMANDS).join(', ')}; see regurgitate --help)\n`);
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    // Work stopped by SIGINT / SIGTERM (signals.ts) ends with that signal's status.
    const stopped = signalStatus();
    if (stopped !== null) {
      const why = e instanceof RegurgitateError && e.code === 'ECANCELED' ? '' : ` (${e instanceof Error ? e.message : String(e)})`;
      process.stderr.write(`regurgitate ${cmd}: stopped by ${receivedSignal()}${why}\n`);
      return stopped;
    }
    if (e instanceof UsageError) {
      process.stderr.write(usageMessage(e));
      return 2;
    }
    if (e instanceof RegurgitateError) {
      process.stderr.write(`regurgitate ${cmd}: error ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Output that could not be written (other than to a closed pipe) is a failure.
    process.exitCode = code === 0 && outputFailure() !== null ? 1 : code;
  },
  (e: unknown) => {
    process.stderr.write(`regurgitate: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
