// The experiment specification (docs/experiments.md): parseSpec() reads YAML or JSON,
// fills every default and checks every field; an error names the file, the line and
// the field. The result is an ExperimentSpec with nothing left to guess.
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';

import { BIBLE_MODULES, parseBiblePair } from '../../data/bible.js';
import { langsFromFiles } from '../../data/prepare.js';
import { BYTE_OFFSET, MAX_VOCAB } from '../../data/tokenizer/index.js';
import { RegurgitateError } from '../../common/errors.js';
import { isPlainObject } from '../../common/validate.js';
import { formatCondition, parseCondition } from '../recipes/index.js';
import { readChains } from './chains.js';
import { readGenerators } from './generators.js';
import { readDecode, readModel, readTrain } from './options.js';
import { kindOf, SpecSource, type SpecPath } from './source.js';
import type { CorpusSpec, Direction, ExperimentSpec, PoolSize, SplitsSpec, StudentInit, StudentSpec, TrainSettings } from './types.js';

export * from './types.js';
export { SpecError, SpecSource, formatPath } from './source.js';

export const SPEC_FIELDS = ['name', 'corpus', 'direction', 'splits', 'tokenizer', 'generators', 'conditions', 'sizes', 'seeds', 'student', 'chains', 'device', 'threads'] as const;

/** Defaults, paper-like, sized for the bible corpus (30,910 pairs after cleaning). */
export const SPEC_DEFAULTS = Object.freeze({
  corpus: { kind: 'bible', pair: 'es-en' } as CorpusSpec,
  splits: { poolA: 12000, poolB: 'rest', dev: 1000, test: 2000, splitSeed: 1 } as SplitsSpec,
  vocabSize: 8000,
  sizes: [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000],
  seeds: [1, 2, 3],
  studentModel: 'base',
  // Train until the dev loss stops improving (at most 40 epochs), keep the best weights.
  studentTrain: { maxEpochs: 40, patience: 5, restoreBest: true } as TrainSettings,
  studentDecode: { method: 'beam' } as const,
});

const LANG = /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8})*$/;
const LANG_WHAT = "a language code such as 'de' or 'pt-BR'";

/** Parses a spec written in YAML or JSON; `file` names it in error messages. */
export function parseSpec(text: string, file: string): ExperimentSpec {
  const { source, value } = SpecSource.parse(text, file);
  return normalizeSpec(value, source, basename(file, extname(file)));
}

/** Reads and parses a spec file. */
export function loadSpec(path: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RegurgitateError(code === 'ENOENT' ? 'ENOENT' : 'EIO', `${path}: cannot read the spec (${(e as Error).message})`, { cause: e });
  }
  return parseSpec(text, path);
}

/**
 * The spec with its relative paths (corpus files, a fine-tuning checkpoint) resolved
 * against `baseDir`, the spec file's folder. Settings hashes use the paths as written,
 * so a study folder can move; files are read through this.
 */
export function resolveSpecPaths(spec: ExperimentSpec, baseDir: string): ExperimentSpec {
  const out = structuredClone(spec);
  const c = out.corpus;
  if (c.kind === 'moses') {
    c.srcFile = resolve(baseDir, c.srcFile);
    c.tgtFile = resolve(baseDir, c.tgtFile);
  } else if (c.kind !== 'bible') c.file = resolve(baseDir, c.file);
  const init = out.student.init;
  if (typeof init === 'object' && 'checkpoint' in init.finetune) init.finetune.checkpoint = resolve(baseDir, init.finetune.checkpoint);
  return out;
}

/** Checks a spec given as a value (presets, programmatic use); errors name `source.file`. */
export function normalizeSpec(value: unknown, source: SpecSource, defaultName = 'experiment'): ExperimentSpec {
  const src = source;
  if (value === null || value === undefined) src.fail([], 'the spec is empty: give at least a name and a corpus (see docs/experiments.md)');
  const top = src.object([], value, SPEC_FIELDS, 'a mapping of spec fields');
  const name = top.name === undefined ? defaultName : src.str(['name'], top.name, /^[^\n\r\t]{1,200}$/, 'a one-line name of at most 200 characters');
  const corpus = readCorpus(src, top.corpus);
  const direction = readDirection(src, top.direction, corpus);
  const splits = readSplits(src, top.splits);
  const tok = top.tokenizer === undefined ? {} : src.object(['tokenizer'], top.tokenizer, ['vocabSize']);
  const vocabSize = src.int(['tokenizer', 'vocabSize'], tok.vocabSize ?? SPEC_DEFAULTS.vocabSize, BYTE_OFFSET + 256, MAX_VOCAB);
  const student = readStudent(src, top.student, vocabSize, splits.poolA);
  const generators = readGenerators(src, ['generators'], top.generators, { direction, vocabSize, poolA: splits.poolA, student });
  const names = Object.keys(generators);
  // A study of chains alone may list no conditions.
  const conditions = top.chains !== undefined && Array.isArray(top.conditions) && top.conditions.length === 0 ? [] : readConditions(src, top.conditions, names);
  const sizes = readSizes(src, top.sizes, splits.poolB);
  const seeds = readSeeds(src, top.seeds);
  const chains = readChains(src, top.chains, { student, vocabSize, poolB: splits.poolB, sizes, seeds });
  const device = src.oneOf(['device'], top.device ?? 'auto', ['cpu', 'cuda', 'auto'] as const);
  const threads = src.int(['threads'], top.threads ?? 0, 0, 1024);
  return { name, corpus, direction, splits, tokenizer: { vocabSize }, generators, conditions, sizes, seeds, student, ...(chains ? { chains } : {}), device, threads };
}

const CORPUS_KINDS = ['bible', 'moses', 'tsv', 'jsonl', 'tmx'] as const;

function readCorpus(src: SpecSource, v: unknown): CorpusSpec {
  const p = ['corpus'];
  if (v === undefined) return { ...SPEC_DEFAULTS.corpus };
  if (v === 'bible') v = { kind: 'bible' };
  if (!isPlainObject(v)) src.fail(p, `must be 'bible' or a mapping with kind ${CORPUS_KINDS.join(', ')} (got ${kindOf(v)})`);
  const kind = src.oneOf([...p, 'kind'], v.kind, CORPUS_KINDS);
  if (kind === 'bible') {
    src.object(p, v, ['kind', 'pair']);
    const pair = v.pair ?? 'es-en';
    try {
      parseBiblePair(pair as string);
    } catch {
      src.fail([...p, 'pair'], `must be two different languages of ${Object.keys(BIBLE_MODULES).join(', ')} joined by '-', e.g. es-en (got ${kindOf(pair)})`);
    }
    return { kind, pair: pair as string };
  }
  const lang = (k: 'src' | 'tgt', fallback?: string) => {
    if (v[k] === undefined && fallback === undefined) src.fail(p, `needs ${k}: the language of the ${k === 'src' ? 'first' : 'second'} side (${LANG_WHAT})`);
    return src.str([...p, k], v[k] ?? fallback, LANG, LANG_WHAT);
  };
  let c: CorpusSpec;
  if (kind === 'moses') {
    src.object(p, v, ['kind', 'srcFile', 'tgtFile', 'src', 'tgt']);
    const srcFile = src.str([...p, 'srcFile'], v.srcFile, undefined, 'the source-side file');
    const tgtFile = src.str([...p, 'tgtFile'], v.tgtFile, undefined, 'the target-side file');
    const fromExt = langsFromFiles(srcFile, tgtFile);
    c = { kind, srcFile, tgtFile, src: lang('src', fromExt?.[0]), tgt: lang('tgt', fromExt?.[1]) };
  } else {
    src.object(p, v, ['kind', 'file', 'src', 'tgt']);
    c = { kind, file: src.str([...p, 'file'], v.file, undefined, 'the corpus file'), src: lang('src'), tgt: lang('tgt') };
  }
  if (c.src === c.tgt) src.fail([...p, 'tgt'], `must differ from src (both are '${c.src}')`);
  return c;
}

/** The corpus's two languages, in its order. */
export function corpusLangs(c: CorpusSpec): [string, string] {
  return c.kind === 'bible' ? parseBiblePair(c.pair) : [c.src, c.tgt];
}

function readDirection(src: SpecSource, v: unknown, corpus: CorpusSpec): Direction {
  const langs = corpusLangs(corpus);
  if (v === undefined) return { src: langs[0], tgt: langs[1] };
  const p = ['direction'];
  let d: Direction;
  if (typeof v === 'string') {
    const parts = v.includes('->') ? v.split('->') : v.split('-');
    if (parts.length !== 2) src.fail(p, `must be SRC-TGT or SRC->TGT, e.g. ${langs[0]}-${langs[1]} (got ${kindOf(v)})`);
    d = { src: parts[0].trim(), tgt: parts[1].trim() };
  } else {
    const o = src.object(p, v, ['src', 'tgt'], "'SRC-TGT' or a mapping { src, tgt }");
    d = { src: src.str([...p, 'src'], o.src), tgt: src.str([...p, 'tgt'], o.tgt) };
  }
  const ok = (l: string) => langs.includes(l);
  if (!ok(d.src) || !ok(d.tgt) || d.src === d.tgt)
    src.fail(p, `must go between the corpus's languages ${langs[0]} and ${langs[1]} (got ${d.src} -> ${d.tgt})`);
  return d;
}

const SPLIT_PARTS = ['poolA', 'poolB', 'dev', 'test'] as const;

function readSplits(src: SpecSource, v: unknown): SplitsSpec {
  const o = v === undefined ? {} : src.object(['splits'], v, [...SPLIT_PARTS, 'splitSeed']);
  const d = SPEC_DEFAULTS.splits;
  const size = (k: (typeof SPLIT_PARTS)[number]): PoolSize => {
    const x = o[k] ?? d[k];
    if (x === 'rest') return 'rest';
    if (typeof x !== 'number') src.fail(['splits', k], `must be a number of pairs or 'rest' (got ${kindOf(x)})`);
    return src.int(['splits', k], x, 1);
  };
  const s: SplitsSpec = { poolA: size('poolA'), poolB: size('poolB'), dev: size('dev'), test: size('test'), splitSeed: src.int(['splits', 'splitSeed'], o.splitSeed ?? d.splitSeed, 0) };
  const rest = SPLIT_PARTS.filter((k) => s[k] === 'rest');
  if (rest.length > 1) src.fail(['splits', rest[1]], `only one part can be 'rest' (${rest.join(' and ')} are)`);
  return s;
}

function readStudent(src: SpecSource, v: unknown, vocabSize: number, poolA: PoolSize): StudentSpec {
  const p = ['student'];
  const o = v === undefined ? {} : src.object(p, v, ['model', 'train', 'decode', 'init']);
  return {
    model: readModel(src, [...p, 'model'], o.model ?? SPEC_DEFAULTS.studentModel, vocabSize),
    train: readTrain(src, [...p, 'train'], o.train, SPEC_DEFAULTS.studentTrain),
    decode: readDecode(src, [...p, 'decode'], o.decode, SPEC_DEFAULTS.studentDecode),
    init: readInit(src, [...p, 'init'], o.init, poolA),
  };
}

function readInit(src: SpecSource, p: SpecPath, v: unknown, poolA: PoolSize): StudentInit {
  if (v === undefined || v === 'scratch') return 'scratch';
  const what = "'scratch' or { finetune: { pairs: N } } or { finetune: { checkpoint: DIR } }";
  const o = src.object(p, v, ['finetune'], what);
  const f = src.object([...p, 'finetune'], o.finetune, ['pairs', 'checkpoint'], '{ pairs: N } (train a base on N real pool-A pairs) or { checkpoint: DIR }');
  if ((f.pairs === undefined) === (f.checkpoint === undefined)) src.fail([...p, 'finetune'], 'give exactly one of pairs and checkpoint');
  if (f.checkpoint !== undefined) return { finetune: { checkpoint: src.str([...p, 'finetune', 'checkpoint'], f.checkpoint, undefined, 'a model folder') } };
  const n = src.int([...p, 'finetune', 'pairs'], f.pairs, 1);
  if (typeof poolA === 'number' && n > poolA) src.fail([...p, 'finetune', 'pairs'], `${n} is more than pool A holds (splits.poolA = ${poolA})`);
  return { finetune: { pairs: n } };
}

function readConditions(src: SpecSource, v: unknown, generators: string[]): string[] {
  if (v === undefined) return ['real', ...generators.map((g) => `generated:${g}`)];
  const list = src.list(['conditions'], v, 'conditions (real, generated:NAME, mix:NAME:P)');
  const out: string[] = [];
  list.forEach((c, i) => {
    let text: string;
    try {
      text = formatCondition(parseCondition(c, generators));
    } catch (e) {
      if (!(e instanceof RegurgitateError)) throw e;
      src.fail(['conditions', i], e.message);
    }
    if (out.includes(text)) src.fail(['conditions', i], `'${text}' is listed twice`);
    out.push(text);
  });
  return out;
}

function readSizes(src: SpecSource, v: unknown, poolB: PoolSize): number[] {
  let sizes: number[];
  if (v === undefined) sizes = [...SPEC_DEFAULTS.sizes];
  else if (isPlainObject(v)) {
    // { from: 1000, to: 10000, step: 1000 }: the paper's learning curve in one line.
    const o = src.object(['sizes'], v, ['from', 'to', 'step']);
    const from = src.int(['sizes', 'from'], o.from, 1);
    const to = src.int(['sizes', 'to'], o.to, from);
    const step = src.int(['sizes', 'step'], o.step ?? from, 1);
    if ((to - from) / step >= 10_000) src.fail(['sizes'], `gives ${Math.floor((to - from) / step) + 1} sizes; at most 10,000`);
    sizes = [];
    for (let n = from; n <= to; n += step) sizes.push(n);
  } else {
    sizes = src.list(['sizes'], v, 'training sizes (numbers of pairs)').map((x, i) => src.int(['sizes', i], x, 1));
    sizes.forEach((n, i) => {
      if (i > 0 && n <= sizes[i - 1]) src.fail(['sizes', i], `sizes must be ascending without repeats (${n} after ${sizes[i - 1]})`);
    });
  }
  if (typeof poolB === 'number') {
    const i = sizes.findIndex((n) => n > poolB);
    if (i >= 0) src.fail(Array.isArray(v) ? ['sizes', i] : ['sizes'], `${sizes[i]} is more than pool B holds (splits.poolB = ${poolB})`);
  }
  return sizes;
}

function readSeeds(src: SpecSource, v: unknown): number[] {
  if (v === undefined) return [...SPEC_DEFAULTS.seeds];
  const seeds = src.list(['seeds'], v, 'integer seeds').map((x, i) => src.int(['seeds', i], x, 0));
  seeds.forEach((s, i) => {
    if (seeds.indexOf(s) !== i) src.fail(['seeds', i], `seed ${s} is listed twice`);
  });
  return seeds;
}
