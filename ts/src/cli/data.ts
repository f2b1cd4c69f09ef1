// `regurgitate data prepare`: corpora to cleaned, split, hashed Moses-style files.
import { resolve } from 'node:path';

import { checkBible, parseBiblePair } from '../data/bible.js';
import type { CleanOptions } from '../data/clean.js';
import type { CorpusSource } from '../data/corpus.js';
import { DEFAULT_PARTS, prepareBible, prepareCorpus } from '../data/prepare.js';
import { parsePartsText, type CorpusMeta, type PartSpec } from '../data/split.js';
import { parseCommand, helpText, UsageError, type CommandSpec } from './args.js';
import { err, out } from './util.js';
import { stopScope } from './signals.js';
import { checkWritableDir } from '../common/writable.js';

export const spec: CommandSpec = {
  name: 'data',
  args: '<prepare>',
  summary: 'Corpora: `data prepare` reads, cleans and splits a parallel corpus (the built-in bible or your files).',
  flags: [],
  positionals: true,
  details: "See 'regurgitate data prepare --help'.",
};

export const prepareSpec: CommandSpec = {
  name: 'data prepare',
  args: '[bible]',
  summary:
    'Reads a parallel corpus, cleans it, splits it by seed into disjoint parts and writes DIR/<part>.<lang> (one sentence per line) and DIR/meta.json (counts, seed, cleaning report, SHA-256 of every file).',
  positionals: true,
  flags: [
    { name: 'out', type: 'string', value: 'DIR', description: 'output directory (required)' },
    { name: 'pair', type: 'string', value: 'SRC-TGT', description: "bible: language pair, es-en or en-es (default es-en)" },
    { name: 'src', type: 'string', value: 'FILE', description: 'source side of a Moses-style pair (with --tgt)' },
    { name: 'tgt', type: 'string', value: 'FILE', description: 'target side of a Moses-style pair (with --src)' },
    { name: 'tsv', type: 'string', value: 'FILE', description: 'one pair per line: source<TAB>target' },
    { name: 'jsonl', type: 'string', value: 'FILE', description: 'one {"src": ..., "tgt": ...} object per line' },
    { name: 'tmx', type: 'string', value: 'FILE', description: 'TMX translation memory (needs --langs)' },
    { name: 'langs', type: 'string', value: 'SRC,TGT', description: 'language codes, used as file extensions (default: from --src/--tgt file names, else src,tgt)' },
    { name: 'seed', type: 'int', value: 'N', min: 0, max: 4294967295, default: 1, description: 'seed of the split' },
    { name: 'dev', type: 'number', value: 'N', min: 0, description: 'dev set size: a count, or a fraction below 1 (default 1000)' },
    { name: 'test', type: 'number', value: 'N', min: 0, description: 'test set size: a count, or a fraction below 1 (default 2000)' },
    { name: 'parts', type: 'string', value: 'SPEC', description: 'named parts instead of train/dev/test, e.g. poolA=10000,poolB=15000,dev=1000,test=2000 (sizes: counts, fractions like 0.1, or rest)' },
    { name: 'min-length', type: 'int', value: 'N', min: 0, description: 'drop pairs with a side shorter than N (default 1)' },
    { name: 'max-length', type: 'int', value: 'N', min: 1, description: 'drop pairs with a side longer than N (default 250)' },
    { name: 'max-ratio', type: 'number', value: 'X', min: 1, description: 'drop pairs whose longer side is more than X times the shorter (default 9)' },
    { name: 'length-unit', type: 'string', value: 'UNIT', description: 'unit of the length limits: words or chars (default words)' },
    { name: 'keep-duplicates', type: 'boolean', description: 'keep exact duplicate pairs (default: drop them)' },
    { name: 'json', type: 'boolean', description: 'print meta.json to stdout instead of a summary' },
  ],
  details: [
    'Sources (exactly one):',
    '  bible                 built-in: World English Bible + Reina-Valera 1909 (public domain), aligned by verse;',
    '                        needs the Debian packages libsword-utils sword-text-web sword-text-sparv',
    '  --src FILE --tgt FILE Moses-style file pair, line i of one translating line i of the other',
    '  --tsv FILE | --jsonl FILE | --tmx FILE --langs es,en',
    '',
    'Parts: by default test (2000), dev (1000) and train (the rest), taken in that order from one seeded',
    'shuffle, so the test set depends only on --seed and --test. Each part file is in shuffled order.',
    '',
    'DIR is created and checked for writing before any reading: one that cannot be written fails at once.',
    'Exit status: 0 done, 1 an error (naming the file and line), 2 a usage error; 130 after Ctrl-C (SIGINT),',
    '143 after SIGTERM (temporary files are removed; nothing is left under a real name).',
    '',
    'Examples:',
    '  regurgitate data prepare bible --pair es-en --out data/bible-es-en',
    '  regurgitate data prepare --src europarl.de --tgt europarl.en --out data/ep --parts poolA=10000,poolB=15000,dev=1000,test=10000',
  ].join('\n'),
};

function sizeOf(flag: string, v: number): number {
  if (!Number.isInteger(v) && !(v > 0 && v < 1)) throw new UsageError('data prepare', `--${flag} expects a count (integer) or a fraction below 1 (got ${v})`);
  return v;
}

function parts(flags: Record<string, unknown>): PartSpec[] {
  if (flags.parts !== undefined) {
    if (flags.dev !== undefined || flags.test !== undefined) throw new UsageError('data prepare', '--parts replaces --dev and --test: give one or the other');
    try {
      return parsePartsText(flags.parts as string);
    } catch (e) {
      throw new UsageError('data prepare', (e as Error).message);
    }
  }
  const test = flags.test === undefined ? 2000 : sizeOf('test', flags.test as number);
  const dev = flags.dev === undefined ? 1000 : sizeOf('dev', flags.dev as number);
  return DEFAULT_PARTS.map((p) => (p.name === 'test' ? { ...p, size: test } : p.name === 'dev' ? { ...p, size: dev } : p)).filter((p) => p.size !== 0);
}

function cleanOptions(flags: Record<string, unknown>): CleanOptions {
  const unit = flags['length-unit'];
  if (unit !== undefined && unit !== 'words' && unit !== 'chars') throw new UsageError('data prepare', `--length-unit must be words or chars (got '${String(unit)}')`);
  return {
    minLength: flags['min-length'] as number | undefined,
    maxLength: flags['max-length'] as number | undefined,
    maxRatio: flags['max-ratio'] as number | undefined,
    lengthUnit: unit as 'words' | 'chars' | undefined,
    dedupe: flags['keep-duplicates'] ? false : undefined,
  };
}

function parseLangs(v: unknown): [string, string] | undefined {
  if (v === undefined) return undefined;
  const m = /^([A-Za-z0-9][A-Za-z0-9_-]*),([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(String(v));
  if (!m || m[1] === m[2]) throw new UsageError('data prepare', `--langs expects two different language codes, e.g. es,en (got '${String(v)}')`);
  return [m[1], m[2]];
}

function summary(meta: CorpusMeta, dir: string): void {
  const c = meta.clean;
  const d = c.dropped;
  out(`${String(meta.source.description ?? meta.source.kind)}`);
  out(
    `read ${c.input} pairs, kept ${c.kept}; dropped: ${d.emptySource} empty source, ${d.emptyTarget} empty target, ${d.tooShort} too short, ${d.tooLong} too long, ${d.ratio} length ratio, ${d.duplicate} duplicates`,
  );
  for (const [name, p] of Object.entries(meta.parts)) out(`  ${name.padEnd(8)} ${String(p.count).padStart(8)}  ${Object.values(p.files).map((f) => f.file).join(' ')}`);
  if (meta.unused > 0) out(`  (${meta.unused} pairs in no part)`);
  out(`wrote ${dir}/meta.json (seed ${meta.seed})`);
}

async function prepare(argv: string[]): Promise<number> {
  const a = parseCommand(prepareSpec, argv);
  if (!a) return 0;
  const f = a.flags;
  const cmd = 'data prepare';
  if (a.positionals.length > 1 || (a.positionals.length === 1 && a.positionals[0] !== 'bible'))
    throw new UsageError(cmd, `unknown corpus '${a.positionals.join(' ')}' (built-in: bible; for your files use --src/--tgt, --tsv, --jsonl or --tmx)`);
  if (f.out === undefined) throw new UsageError(cmd, '--out DIR is required');
  const bible = a.positionals[0] === 'bible';
  const given = ['tsv', 'jsonl', 'tmx'].filter((k) => f[k] !== undefined);
  if (f.src !== undefined || f.tgt !== undefined) given.push('src/--tgt');
  if (bible && given.length > 0) throw new UsageError(cmd, `the bible corpus takes no input files (got --${given[0]})`);
  if (!bible && given.length !== 1)
    throw new UsageError(cmd, given.length === 0 ? 'give a corpus: bible, --src FILE --tgt FILE, --tsv FILE, --jsonl FILE or --tmx FILE --langs SRC,TGT' : `give one corpus, not ${given.map((g) => '--' + g).join(' and ')}`);
  if (!bible && f.pair !== undefined) throw new UsageError(cmd, '--pair is for the bible corpus; use --langs for your files');
  const dir = resolve(f.out as string);
  const common = { out: dir, seed: f.seed as number, parts: parts(f), clean: cleanOptions(f) };
  let work: (signal: AbortSignal) => Promise<CorpusMeta>;
  if (bible) {
    if (f.langs !== undefined) throw new UsageError(cmd, 'the bible corpus takes --pair, not --langs');
    const pair = (f.pair as string | undefined) ?? 'es-en';
    let langs: [string, string];
    try {
      langs = parseBiblePair(pair);
    } catch (e) {
      throw new UsageError(cmd, (e as Error).message);
    }
    const check = checkBible(langs);
    if (check.missing.length > 0) {
      err(`regurgitate data prepare: the bible corpus needs Debian packages that are not installed: ${check.missing.join(' ')}`);
      err('install them with:');
      err(`  ${check.install}`);
      err('(regurgitate installs nothing itself; bash scripts/setup.sh also installs them)');
      return 1;
    }
    work = (signal) => prepareBible(pair, { ...common, signal });
  } else {
    let source: CorpusSource;
    const langs = parseLangs(f.langs);
    if (f.src !== undefined || f.tgt !== undefined) {
      if (f.src === undefined || f.tgt === undefined) throw new UsageError(cmd, '--src and --tgt go together');
      source = { kind: 'moses', src: f.src as string, tgt: f.tgt as string };
    } else if (f.tsv !== undefined) source = { kind: 'tsv', file: f.tsv as string };
    else if (f.jsonl !== undefined) source = { kind: 'jsonl', file: f.jsonl as string };
    else {
      if (!langs) throw new UsageError(cmd, '--tmx needs --langs SRC,TGT (the xml:lang codes to pair, e.g. es,en)');
      source = { kind: 'tmx', file: f.tmx as string, langs };
    }
    work = (signal) => prepareCorpus(source, { ...common, langs, signal });
  }
  // Before reading anything: an output folder that cannot be written fails now, naming it.
  checkWritableDir(dir, '--out');
  const stop = stopScope({ message: 'stopping: temporary files are removed and nothing is written under a real name' });
  let meta: CorpusMeta;
  try {
    meta = await work(stop.signal);
  } finally {
    stop.close();
  }
  if (f.json) out(JSON.stringify(meta, null, 2));
  else summary(meta, dir);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'prepare') return prepare(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(helpText(spec));
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError('data', `unknown subcommand '${sub}' (known: prepare)`);
}
