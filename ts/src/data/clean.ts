// Cleaning a parallel corpus as it streams by. Each side is first tidied: line and
// paragraph separators, tabs and other control whitespace become spaces, and leading
// and trailing whitespace is removed (so every sentence fits on one line of a Moses
// file). Then the rules below run in this order; a pair is dropped by the first rule
// it fails, and the report counts each rule:
//
//   1. empty       either side is empty
//   2. tooShort    a side is shorter than minLength
//   3. tooLong     a side is longer than maxLength
//   4. ratio       the longer side is more than maxRatio times the shorter
//   5. duplicate   the same (source, target) pair was kept before (when dedupe is on)
//
// Lengths are counted in words (runs of non-space characters) or in characters
// (Unicode code points), as `lengthUnit` says.
import * as crypto from 'node:crypto';

import { describe, invalid } from '../common/errors.js';

export interface CleanOptions {
  /** Shortest side kept (default 1). */
  minLength?: number;
  /** Longest side kept (default 250). */
  maxLength?: number;
  /** Largest ratio between the lengths of the longer and the shorter side (default 9; Infinity turns the rule off). */
  maxRatio?: number;
  /** Unit of the three limits above (default 'words'). */
  lengthUnit?: 'words' | 'chars';
  /** Drop exact duplicate pairs, keeping the first (default true). */
  dedupe?: boolean;
}

export type ResolvedCleanOptions = Required<CleanOptions>;

export const DEFAULT_CLEAN_OPTIONS: ResolvedCleanOptions = { minLength: 1, maxLength: 250, maxRatio: 9, lengthUnit: 'words', dedupe: true };

export interface CleanReport {
  /** Pairs read. */
  input: number;
  /** Pairs kept. */
  kept: number;
  /** Pairs dropped, by the first rule they failed. */
  dropped: { emptySource: number; emptyTarget: number; tooShort: number; tooLong: number; ratio: number; duplicate: number };
  /** Kept pairs whose whitespace was tidied (tabs, line separators, leading or trailing spaces). */
  whitespaceFixed: number;
  options: ResolvedCleanOptions;
}

export function resolveCleanOptions(o: CleanOptions = {}): ResolvedCleanOptions {
  const r = { ...DEFAULT_CLEAN_OPTIONS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as ResolvedCleanOptions;
  const int = (k: 'minLength' | 'maxLength') => {
    if (!Number.isSafeInteger(r[k]) || r[k] < 0) throw invalid(`clean.${k} must be an integer >= 0 (got ${describe(r[k])})`);
  };
  int('minLength');
  if (r.maxLength !== Infinity) int('maxLength');
  if (r.maxLength < r.minLength) throw invalid(`clean.maxLength (${r.maxLength}) is below clean.minLength (${r.minLength})`);
  if (typeof r.maxRatio !== 'number' || Number.isNaN(r.maxRatio) || r.maxRatio < 1) throw invalid(`clean.maxRatio must be a number >= 1 (got ${describe(r.maxRatio)})`);
  if (r.lengthUnit !== 'words' && r.lengthUnit !== 'chars') throw invalid(`clean.lengthUnit must be 'words' or 'chars' (got ${describe(r.lengthUnit)})`);
  if (typeof r.dedupe !== 'boolean') throw invalid(`clean.dedupe must be a boolean (got ${describe(r.dedupe)})`);
  return r;
}

// Whitespace that would break a line-per-sentence file or that other tools treat as a
// line end (Python's str.splitlines): TAB, LF, VT, FF, CR, FS, GS, RS, NEL, LS, PS.
// eslint-disable-next-line no-control-regex
const BAD_SPACE = /[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]/g;
const EDGE_SPACE = /^\s|\s$/;

/** A side with control whitespace turned into spaces and trimmed. */
export function tidy(s: string): string {
  BAD_SPACE.lastIndex = 0;
  const t = BAD_SPACE.test(s) ? s.replace(BAD_SPACE, ' ') : s;
  return EDGE_SPACE.test(t) ? t.trim() : t;
}

// crypto.hash (one call, no Hash object) exists from Node 20.12; createHash before.
const md5: (s: string) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (s) => crypto.hash('md5', s, 'buffer') as Buffer
    : (s) => crypto.createHash('md5').update(s).digest();

function words(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000 || c === 0x202f || c === 0x205f || c === 0x1680;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

function chars(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--; // low surrogate: same code point as the one before
  }
  return n;
}

/**
 * A set of 64-bit keys (open addressing over a Uint32Array): exact duplicate detection
 * over MD5 digests at 8 bytes per pair, so millions of pairs fit in tens of MB.
 */
class Key64Set {
  private table = new Uint32Array(2 * 1024);
  private size = 0;

  /** Adds (hi, lo); returns false when it was already there. (0, 0) is mapped to (0, 1). */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    if ((this.size + 1) * 2 > this.table.length / 2) this.grow();
    const slots = this.table.length / 2;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & (slots - 1);
    for (;;) {
      const h = this.table[2 * i];
      const l = this.table[2 * i + 1];
      if (h === 0 && l === 0) {
        this.table[2 * i] = hi;
        this.table[2 * i + 1] = lo;
        this.size++;
        return true;
      }
      if (h === hi && l === lo) return false;
      i = (i + 1) & (slots - 1);
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i], old[i + 1]);
  }
}

/** A streaming cleaner: feed pairs one by one, read the report at the end. */
export class Cleaner {
  readonly options: ResolvedCleanOptions;
  private readonly seen = new Key64Set();
  private readonly r: CleanReport;

  constructor(options: CleanOptions = {}) {
    this.options = resolveCleanOptions(options);
    this.r = {
      input: 0,
      kept: 0,
      dropped: { emptySource: 0, emptyTarget: 0, tooShort: 0, tooLong: 0, ratio: 0, duplicate: 0 },
      whitespaceFixed: 0,
      options: this.options,
    };
  }

  /** The tidied pair, or undefined when a rule drops it. */
  add(src: string, tgt: string): { src: string; tgt: string } | undefined {
    const o = this.options;
    const d = this.r.dropped;
    this.r.input++;
    const s = tidy(src);
    const t = tidy(tgt);
    if (s === '') {
      d.emptySource++;
      return undefined;
    }
    if (t === '') {
      d.emptyTarget++;
      return undefined;
    }
    const len = o.lengthUnit === 'words' ? words : chars;
    const ls = len(s);
    const lt = len(t);
    if (ls < o.minLength || lt < o.minLength) {
      d.tooShort++;
      return undefined;
    }
    if (ls > o.maxLength || lt > o.maxLength) {
      d.tooLong++;
      return undefined;
    }
    if (Math.max(ls, lt) > o.maxRatio * Math.max(1, Math.min(ls, lt))) {
      d.ratio++;
      return undefined;
    }
    if (o.dedupe) {
      const h = md5(s + '\u0000' + t);
      if (!this.seen.add(h.readUInt32LE(0), h.readUInt32LE(4))) {
        d.duplicate++;
        return undefined;
      }
    }
    if (s !== src || t !== tgt) this.r.whitespaceFixed++;
    this.r.kept++;
    return { src: s, tgt: t };
  }

  report(): CleanReport {
    return { ...this.r, dropped: { ...this.r.dropped } };
  }
}
