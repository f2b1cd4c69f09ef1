// `regurgitate tokenizer train|encode|decode`: byte-level BPE in Hugging Face's
// tokenizer.json format.
import { createInterface } from 'node:readline';

import { Tokenizer } from '../data/tokenizer/index.js';
import { parseCommand, helpText, UsageError, type CommandSpec } from './args.js';
import { err, out } from './util.js';
import { writeFileAtomic } from '../common/atomic.js';
import { checkWritableFile } from '../common/writable.js';
import { stdoutClosed } from './stdio.js';

export const spec: CommandSpec = {
  name: 'tokenizer',
  args: '<train|encode|decode>',
  summary: 'Byte-level BPE tokenizer (GPT-2 style, Hugging Face tokenizer.json): train on text files, encode or decode stdin.',
  flags: [],
  positionals: true,
  details: "See 'regurgitate tokenizer train --help', 'tokenizer encode --help', 'tokenizer decode --help'.",
};

export const trainSpec: CommandSpec = {
  name: 'tokenizer train',
  summary:
    'Trains a byte-level BPE tokenizer on text files (one sentence per line; give the training text of both languages) and writes tokenizer.json. Ids: <pad>=0, <s>=1, </s>=2, <unk>=3 (never produced), bytes 4..259, then merges. Deterministic.',
  flags: [
    { name: 'input', type: 'string', value: 'FILE[,FILE]', description: 'training text files, comma-separated (required)' },
    { name: 'vocab-size', type: 'int', value: 'N', min: 260, max: 1 << 20, default: 8000, description: 'vocabulary size including 4 specials and 256 bytes' },
    { name: 'min-frequency', type: 'int', value: 'N', min: 1, default: 2, description: 'do not merge pairs seen fewer times' },
    { name: 'out', type: 'string', value: 'FILE', default: 'tokenizer.json', description: 'output file (its folder is created and checked for writing before training)' },
    { name: 'json', type: 'boolean', description: 'print the training statistics as JSON' },
  ],
  details: 'Example: regurgitate tokenizer train --input data/bible/train.es,data/bible/train.en --vocab-size 8000 --out data/bible/tokenizer.json',
};

export const encodeSpec: CommandSpec = {
  name: 'tokenizer encode',
  summary: 'Encodes stdin line by line: prints the tokens (byte-level strings) or, with --ids, the ids, space-separated, one line per input line.',
  flags: [
    { name: 'tokenizer', type: 'string', value: 'FILE', description: 'tokenizer.json (required)' },
    { name: 'ids', type: 'boolean', description: 'print ids instead of token strings' },
    { name: 'bos', type: 'boolean', description: 'add <s> at the start of each line' },
    { name: 'eos', type: 'boolean', description: 'add </s> at the end of each line' },
  ],
};

export const decodeSpec: CommandSpec = {
  name: 'tokenizer decode',
  summary: 'Decodes stdin: each line holds space-separated token ids; prints one line of text per line.',
  flags: [
    { name: 'tokenizer', type: 'string', value: 'FILE', description: 'tokenizer.json (required)' },
    { name: 'skip-special', type: 'boolean', description: 'leave out <pad>, <s>, </s>, <unk>' },
  ],
};

async function train(argv: string[]): Promise<number> {
  const a = parseCommand(trainSpec, argv);
  if (!a) return 0;
  if (a.flags.input === undefined) throw new UsageError(trainSpec.name, '--input FILE[,FILE] is required');
  const files = (a.flags.input as string).split(',').filter((f) => f !== '');
  if (files.length === 0) throw new UsageError(trainSpec.name, '--input needs at least one file');
  // Before training: an --out that cannot be written fails now, naming it.
  const outFile = checkWritableFile(a.flags.out as string, '--out');
  const tok = await Tokenizer.trainFiles(files, { vocabSize: a.flags['vocab-size'] as number, minFrequency: a.flags['min-frequency'] as number });
  writeFileAtomic(outFile, tok.toJSONString());
  const s = tok.trainStats!;
  if (a.flags.json) out(JSON.stringify({ ...s, out: outFile }));
  else {
    out(`read ${s.lines} lines, ${s.words} words (${s.distinctWords} distinct) from ${files.join(', ')}`);
    out(`learned ${s.merges} merges: vocabulary ${s.vocabSize} tokens${s.vocabSize < (a.flags['vocab-size'] as number) ? ` (fewer than ${a.flags['vocab-size']}: no pair left with count >= ${a.flags['min-frequency']})` : ''}, ${s.seconds.toFixed(2)} s`);
    out(`wrote ${outFile}`);
  }
  return 0;
}

function load(cmd: string, flags: Record<string, unknown>): Tokenizer {
  if (flags.tokenizer === undefined) throw new UsageError(cmd, '--tokenizer FILE is required');
  return Tokenizer.load(flags.tokenizer as string);
}

async function encode(argv: string[]): Promise<number> {
  const a = parseCommand(encodeSpec, argv);
  if (!a) return 0;
  const tok = load(encodeSpec.name, a.flags);
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const o = { addBos: Boolean(a.flags.bos), addEos: Boolean(a.flags.eos) };
  let buf: string[] = [];
  for await (const line of rl) {
    if (stdoutClosed()) break; // the reader has gone (| head): stop quietly
    const ids = tok.encode(line, o);
    buf.push(a.flags.ids ? ids.join(' ') : ids.map((i) => tok.tokens[i]).join(' '));
    if (buf.length >= 1024) {
      process.stdout.write(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) process.stdout.write(buf.join('\n') + '\n');
  return 0;
}

async function decode(argv: string[]): Promise<number> {
  const a = parseCommand(decodeSpec, argv);
  if (!a) return 0;
  const tok = load(decodeSpec.name, a.flags);
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    if (stdoutClosed()) break; // the reader has gone (| head): stop quietly
    n++;
    const t = line.trim();
    const ids = t === '' ? [] : t.split(/\s+/).map(Number);
    const bad = ids.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= tok.vocabSize);
    if (bad >= 0) {
      err(`regurgitate tokenizer decode: stdin:${n}: '${t.split(/\s+/)[bad]}' is not a token id in [0, ${tok.vocabSize})`);
      return 1;
    }
    out(tok.decode(ids, { skipSpecial: Boolean(a.flags['skip-special']) }));
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return train(rest);
  if (sub === 'encode') return encode(rest);
  if (sub === 'decode') return decode(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(helpText(spec));
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError('tokenizer', `unknown subcommand '${sub}' (known: train, encode, decode)`);
}
