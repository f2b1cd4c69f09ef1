// Streaming readers for parallel corpora: Moses-style file pairs (train.de + train.en,
// one sentence per line), TSV (source<TAB>target), JSONL ({"src": ..., "tgt": ...}) and
// TMX (XML translation memory). Each yields one pair at a time, so a corpus of any size
// is read in bounded memory. Text is returned in Unicode NFC. Bad input is a
// CorpusError naming the file and line.
import { basename } from 'node:path';

import { RegurgitateError } from '../common/errors.js';
import { CorpusError } from '../common/file_errors.js';
import { LineReader, nfc, readLineBatches } from '../common/text.js';
import { readTmx } from './tmx.js';

export interface SentencePair {
  src: string;
  tgt: string;
  /** Line of the pair in its file (for TMX: the line of its <tu>). */
  line: number;
}

/** Where pairs come from. Languages are ISO codes such as 'es' and 'en'. */
export type CorpusSource =
  | { kind: 'moses'; src: string; tgt: string }
  | { kind: 'tsv'; file: string }
  | { kind: 'jsonl'; file: string }
  | { kind: 'tmx'; file: string; langs: readonly [string, string] };

/** A one-line description of a source, for meta.json and messages. */
export function describeSource(s: CorpusSource): string {
  switch (s.kind) {
    case 'moses':
      return `Moses file pair ${s.src} + ${s.tgt}`;
    case 'tsv':
      return `TSV file ${s.file}`;
    case 'jsonl':
      return `JSONL file ${s.file}`;
    case 'tmx':
      return `TMX file ${s.file} (${s.langs[0]} -> ${s.langs[1]})`;
  }
}

/** The pairs of a source, in file order. */
export function readCorpus(s: CorpusSource): AsyncGenerator<SentencePair> {
  switch (s.kind) {
    case 'moses':
      return readMoses(s.src, s.tgt);
    case 'tsv':
      return readTsv(s.file);
    case 'jsonl':
      return readJsonl(s.file);
    case 'tmx':
      return readTmx(s.file, s.langs);
  }
}

function emptyError(file: string): CorpusError {
  return new CorpusError('EFORMAT', file, undefined, 'the corpus is empty (no lines)');
}

/**
 * Two files with one sentence per line, line i of one translating line i of the other.
 * Different line counts are an error that names both files and both counts.
 */
export async function* readMoses(srcFile: string, tgtFile: string): AsyncGenerator<SentencePair> {
  const a = new LineReader(srcFile);
  const b = new LineReader(tgtFile);
  try {
    for (;;) {
      const [s, t] = await Promise.all([a.next(), b.next()]);
      if (s === undefined && t === undefined) break;
      if (s === undefined || t === undefined) {
        const na = s === undefined ? a.lineNo : await a.countAll();
        const nb = t === undefined ? b.lineNo : await b.countAll();
        throw new RegurgitateError(
          'EFORMAT',
          `line counts differ: ${srcFile} has ${na} line${na === 1 ? '' : 's'} but ${tgtFile} has ${nb} line${nb === 1 ? '' : 's'}; line i of one must translate line i of the other`,
        );
      }
      yield { src: nfc(s), tgt: nfc(t), line: a.lineNo };
    }
    if (a.lineNo === 0) throw new CorpusError('EFORMAT', srcFile, undefined, `the corpus is empty (${basename(srcFile)} and ${basename(tgtFile)} have no lines)`);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** One pair per line: source, a TAB, target. Exactly one TAB per line. */
export async function* readTsv(file: string): AsyncGenerator<SentencePair> {
  let n = 0;
  for await (const batch of readLineBatches(file)) {
    for (const line of batch) {
      n++;
      const tab = line.indexOf('\t');
      if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
        const fields = line.split('\t').length;
        throw new CorpusError('EFORMAT', file, n, `expected 2 tab-separated fields (source<TAB>target), found ${fields}`);
      }
      yield { src: nfc(line.slice(0, tab)), tgt: nfc(line.slice(tab + 1)), line: n };
    }
  }
  if (n === 0) throw emptyError(file);
}

/**
 * One JSON object per line with string fields "src" and "tgt" (other fields are
 * ignored). Lines holding only whitespace are skipped.
 */
export async function* readJsonl(file: string): AsyncGenerator<SentencePair> {
  let n = 0;
  let pairs = 0;
  for await (const batch of readLineBatches(file)) {
    for (const line of batch) {
      n++;
      if (line.trim() === '') continue;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch (e) {
        throw new CorpusError('EFORMAT', file, n, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new CorpusError('EFORMAT', file, n, 'expected a JSON object {"src": "...", "tgt": "..."}');
      const r = o as Record<string, unknown>;
      for (const k of ['src', 'tgt'] as const) {
        if (!(k in r)) throw new CorpusError('EFORMAT', file, n, `the object has no "${k}" field (expected {"src": "...", "tgt": "..."})`);
        if (typeof r[k] !== 'string') throw new CorpusError('EFORMAT', file, n, `field "${k}" must be a string (got ${r[k] === null ? 'null' : typeof r[k]})`);
      }
      pairs++;
      yield { src: nfc(r.src as string), tgt: nfc(r.tgt as string), line: n };
    }
  }
  if (pairs === 0) throw emptyError(file);
}
