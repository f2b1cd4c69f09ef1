// Shared helpers for the sacreBLEU-compatible metrics: Python string semantics
// (str.split(), str.rstrip()), n-gram counting, the signature format, and numpy's
// pairwise summation (so that means match numpy bit for bit).
//
// We match sacreBLEU 2.6.0 (https://github.com/mjpost/sacrebleu). Every detail that can
// change a score is taken from its source; where a rule here looks odd, it is because
// sacreBLEU does it that way.
import { RegurgitateError } from '../common/errors.js';

/** The sacreBLEU version whose behaviour (scores and signatures) we reproduce. */
export const SACREBLEU_VERSION = '2.6.0';

/**
 * The characters Python's str.isspace() accepts (CPython 3, Unicode 15): what
 * str.split() with no argument splits on and str.strip()/rstrip() remove.
 * JavaScript's \s differs (it has U+FEFF, lacks U+001C..U+001F and U+0085).
 */
const PY_WS_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, 'g');
const PY_WS_TRAILING = new RegExp(`[${PY_WS_CLASS}]+$`);
const PY_WS_LEADING = new RegExp(`^[${PY_WS_CLASS}]+`);

/** Python's `s.split()`: split on runs of whitespace, no empty items. */
export function pySplit(s: string): string[] {
  if (s.length === 0) return [];
  const parts = s.split(PY_WS_RUN);
  // Leading/trailing whitespace gives an empty first/last item; drop them.
  let a = 0;
  let b = parts.length;
  if (parts[0] === '') a = 1;
  if (b > a && parts[b - 1] === '') b -= 1;
  return a === 0 && b === parts.length ? parts : parts.slice(a, b);
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_WS_TRAILING, '');
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_WS_TRAILING, '').replace(PY_WS_LEADING, '');
}

/** Python's `' '.join(s.split())`: collapse whitespace runs to one space, trim. */
export function pyNormalizeSpaces(s: string): string {
  return pySplit(s).join(' ');
}

/** Python's `''.join(s.split())`: remove all whitespace. */
export function pyRemoveSpaces(s: string): string {
  return pySplit(s).join('');
}

/** Unicode code points of `s` (Python indexes strings by code point). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** A multiset of strings (Python's collections.Counter for our needs). */
export type Counter = Map<string, number>;

export function count(items: Iterable<string>): Counter {
  const c: Counter = new Map();
  for (const it of items) c.set(it, (c.get(it) ?? 0) + 1);
  return c;
}

/** Sum of the counts (Python's `sum(counter.values())`). */
export function counterTotal(c: Counter): number {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
}

/** Word n-grams of order n, joined by a single space (sacreBLEU's extract_word_ngrams). */
export function wordNgrams(tokens: readonly string[], n: number): Counter {
  const c: Counter = new Map();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i] : tokens.slice(i, i + n).join(' ');
    c.set(key, (c.get(key) ?? 0) + 1);
  }
  return c;
}

/** Character (code point) n-grams of order n of an array of code points. */
export function charNgrams(chars: readonly string[], n: number): Counter {
  const c: Counter = new Map();
  for (let i = 0; i + n <= chars.length; i++) {
    let key = chars[i];
    for (let k = 1; k < n; k++) key += chars[i + k];
    c.set(key, (c.get(key) ?? 0) + 1);
  }
  return c;
}

/**
 * sacreBLEU's Signature.format(): the global keys in their fixed order (nrefs, bs, ar,
 * seed, test, lang, origlang, subset), then the metric's own keys, then `version` last.
 * Entries whose value is null/undefined are left out; booleans print as yes/no.
 */
export function formatSignature(
  nrefs: number | 'var',
  metricInfo: ReadonlyArray<readonly [string, string | number | boolean]>,
  extra: { bs?: number; ar?: number; seed?: number | string } = {},
): string {
  const pairs: string[] = [`nrefs:${nrefs}`];
  if (extra.bs !== undefined) pairs.push(`bs:${extra.bs}`);
  if (extra.ar !== undefined) pairs.push(`ar:${extra.ar}`);
  if (extra.seed !== undefined) pairs.push(`seed:${String(extra.seed).toLowerCase()}`);
  for (const [k, v] of metricInfo) {
    pairs.push(`${k}:${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  }
  pairs.push(`version:${SACREBLEU_VERSION}`);
  return pairs.join('|');
}

/**
 * numpy's pairwise summation of float64 (numpy/core/src/umath/loops_utils.h.src,
 * pairwise_sum_DOUBLE with PW_BLOCKSIZE 128), used by ndarray.sum()/mean() on a
 * contiguous array. Reproducing it makes our bootstrap means equal numpy's to the bit.
 */
export function numpySum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    }
    // prettier-ignore
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, start, n2) + numpySum(a, start + n2, n - n2);
}

/** numpy's `arr.mean()` for a float64 vector. */
export function numpyMean(a: ArrayLike<number>): number {
  return numpySum(a) / a.length;
}

/** Element-wise sum of equally long number vectors (sacreBLEU's sum_of_lists). */
export function sumOfLists(stats: ReadonlyArray<ReadonlyArray<number>>): number[] {
  if (stats.length === 0) return [];
  const out = stats[0].slice();
  for (let i = 1; i < stats.length; i++) {
    const s = stats[i];
    for (let k = 0; k < out.length; k++) out[k] += s[k];
  }
  return out;
}

/** Input checks shared by all metrics, modelled on sacreBLEU's Metric._check_*_args. */
export function checkCorpusArgs(name: string, hyps: unknown, refs: unknown): void {
  if (!Array.isArray(hyps)) throw new RegurgitateError('EINVAL', `${name}: \`hyps\` should be a sequence of strings.`);
  if (hyps.length === 0) throw new RegurgitateError('EINVAL', `${name}: \`hyps\` should not be empty.`);
  for (const h of hyps) {
    if (h === null || h === undefined) throw new RegurgitateError('EINVAL', `${name}: Undefined line in hypotheses stream!`);
    if (typeof h !== 'string') throw new RegurgitateError('EINVAL', `${name}: Each element of \`hyps\` should be a string.`);
  }
  if (!Array.isArray(refs)) throw new RegurgitateError('EINVAL', `${name}: \`refs\` should be a sequence of sequence of strings.`);
  if (refs.length === 0) throw new RegurgitateError('EINVAL', `${name}: \`refs\` should not be empty.`);
  for (const stream of refs) {
    if (!Array.isArray(stream)) throw new RegurgitateError('EINVAL', `${name}: Each element of \`refs\` should be a sequence of strings.`);
    for (const r of stream) {
      if (r !== null && r !== undefined && typeof r !== 'string') {
        throw new RegurgitateError('EINVAL', `${name}: \`refs\` should be a sequence of sequence of strings.`);
      }
    }
    if (stream.length !== hyps.length) {
      throw new RegurgitateError('EINVAL', 
        `${name}: each reference stream must have the same length as \`hyps\` (${hyps.length}), got ${stream.length}.`,
      );
    }
  }
}

export function checkSentenceArgs(name: string, hyp: unknown, refs: unknown): void {
  if (typeof hyp !== 'string') throw new RegurgitateError('EINVAL', `${name}: The argument \`hyp\` should be a string.`);
  if (!Array.isArray(refs)) throw new RegurgitateError('EINVAL', `${name}: The argument \`refs\` should be a sequence of strings.`);
  if (refs.length === 0) throw new RegurgitateError('EINVAL', `${name}: The argument \`refs\` should not be empty.`);
  for (const r of refs) {
    if (r !== null && r !== undefined && typeof r !== 'string') {
      throw new RegurgitateError('EINVAL', `${name}: Each element of \`refs\` should be a string.`);
    }
  }
}

/** A reference stream element: sacreBLEU allows `None` (here null/undefined) and '' for "no reference". */
export type RefLine = string | null | undefined;

/**
 * sacreBLEU's Metric._cache_references(): per segment, drop undefined and empty
 * references (a segment may have fewer references than others), fail if none is left,
 * and work out the number of references for the signature ('var' if it varies).
 */
export function collectReferences(
  name: string,
  refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  nSegments: number,
): { perSegment: string[][]; nrefs: number | 'var' } {
  const perSegment: string[][] = [];
  const counts = new Set<number>();
  for (let i = 0; i < nSegments; i++) {
    const lines: string[] = [];
    for (const stream of refs) {
      const r = stream[i];
      if (r !== null && r !== undefined && r !== '') lines.push(r);
    }
    if (lines.length === 0) {
      throw new RegurgitateError('EINVAL', `${name}: refs: Empty or \`None\` reference sentence found (segment ${i + 1}).`);
    }
    counts.add(lines.length);
    perSegment.push(lines);
  }
  const nrefs = counts.size === 1 ? [...counts][0] : counts.size === 0 ? refs.length : 'var';
  return { perSegment, nrefs };
}
