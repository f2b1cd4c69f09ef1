// Lexical diversity, compatible with the Python package lexicalrichness (LSYS/LexicalRichness,
// lexicalrichness/lexicalrichness.py): the same tokenisation and the same formulas, so a
// corpus scores the same here as with `LexicalRichness(text)` there. Plus distinct-n, the
// vocabulary size and the hapax ratio, which lexicalrichness does not have.
//
// Yule's K, Yule's I, Herdan's Vm and Simpson's D follow the formulas lexicalrichness
// documents (docs/assets/eqn-tex.txt in its repository); see docs/metrics.md.
import { RegurgitateError } from '../common/errors.js';
import { count, numpySum, pySplit } from './helpers.js';

/** Python's string.punctuation, !"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ : all ASCII punctuation and symbols. */
const PUNCT_RE = /[!-\/:-@\[-`{-~]/g;

/**
 * lexicalrichness.preprocess: lowercase, remove ASCII digits, remove en dashes, em dashes
 * and hyphens.
 */
export function lexicalPreprocess(text: string): string {
  text = text.toLowerCase().replace(/[0-9]+/g, '');
  return text.replaceAll('\u2013', '').replaceAll('\u2014', '').replaceAll('-', '');
}

/**
 * lexicalrichness.tokenize: preprocess, replace every ASCII punctuation character
 * (Python's string.punctuation) with a space, split on whitespace.
 */
export function lexicalTokenize(text: string): string[] {
  return pySplit(lexicalPreprocess(text).replace(PUNCT_RE, ' '));
}

/** The measures of lexicalrichness.LexicalRichness over a list of words. */
export class LexicalRichness {
  readonly wordlist: readonly string[];
  /** Number of words (w). */
  readonly words: number;
  /** Number of distinct words (t). */
  readonly terms: number;

  /** From raw text (tokenized with lexicalTokenize) or from a list of tokens. */
  constructor(text: string | readonly string[]) {
    this.wordlist = typeof text === 'string' ? lexicalTokenize(text) : text.slice();
    this.words = this.wordlist.length;
    this.terms = new Set(this.wordlist).size;
  }

  /** t / w */
  get ttr(): number {
    return this.terms / this.words;
  }

  /** t / sqrt(w) (Guiraud's R) */
  get rttr(): number {
    return this.terms / Math.sqrt(this.words);
  }

  /** t / sqrt(2w) (Carroll) */
  get cttr(): number {
    return this.terms / Math.sqrt(2 * this.words);
  }

  /** log t / log w (Herdan's C) */
  get herdan(): number {
    return Math.log(this.terms) / Math.log(this.words);
  }

  /** log log t / log log w */
  get summer(): number {
    return Math.log(Math.log(this.terms)) / Math.log(Math.log(this.words));
  }

  /** (log w)^2 / (log w - log t); lexicalrichness raises when w == t. */
  get dugast(): number {
    if (this.words === this.terms) throw new RegurgitateError('ERANGE', 'dugast: Word count and term counts are the same.');
    return Math.log(this.words) ** 2 / (Math.log(this.words) - Math.log(this.terms));
  }

  /** (log w - log t) / (log w)^2 */
  get maas(): number {
    return (Math.log(this.words) - Math.log(this.terms)) / Math.log(this.words) ** 2;
  }

  /** The frequency spectrum: [i, f(i, w)] (how many terms occur exactly i times), by i ascending. */
  spectrum(): Array<[number, number]> {
    const freqOfFreq = count([...count(this.wordlist).values()].map(String));
    return [...freqOfFreq.entries()].map(([i, v]) => [Number(i), v] as [number, number]).sort((a, b) => a[0] - b[0]);
  }

  /** sum_i f(i,w) (i/w)^2, summed as pandas/numpy would. */
  private sumSquaredRelFreq(): number {
    const w = this.words;
    return numpySum(this.spectrum().map(([i, f]) => f * ((i / w) * (i / w))));
  }

  /** Yule's K: 10^4 * (sum_i f(i,w) (i/w)^2 - 1/w) */
  get yulek(): number {
    return 10 ** 4 * (this.sumSquaredRelFreq() - 1 / this.words);
  }

  /** Yule's I: t^2 / (sum_i i^2 f(i,w) - t) */
  get yulei(): number {
    let m2 = 0;
    for (const [i, f] of this.spectrum()) m2 += f * i * i;
    return (this.terms * this.terms) / (m2 - this.terms);
  }

  /** Herdan's Vm: sqrt(sum_i f(i,w) (i/w)^2 - 1/w) */
  get herdanvm(): number {
    return Math.sqrt(this.sumSquaredRelFreq() - 1 / this.words);
  }

  /** Simpson's D: sum_i f(i,w) (i/w) ((i-1)/(w-1)) */
  get simpsond(): number {
    const w = this.words;
    return numpySum(this.spectrum().map(([i, f]) => f * (i / w) * ((i - 1) / (w - 1))));
  }

  /**
   * Mean segmental TTR: TTR of consecutive segments of `segmentWindow` words, averaged.
   * With `discard` (default), the last segment is dropped -- always, even when it is
   * complete, exactly as lexicalrichness does.
   */
  msttr(segmentWindow = 100, discard = true): number {
    if (segmentWindow >= this.words) {
      throw new RegurgitateError('ERANGE', `msttr: segmentWindow (${segmentWindow}) must be smaller than the text size of ${this.words}. Try a smaller segment_window size.`);
    }
    if (!Number.isInteger(segmentWindow) || segmentWindow < 1) throw new RegurgitateError('EINVAL', `msttr: segmentWindow must be a positive integer (got ${segmentWindow})`);
    const scores: number[] = [];
    for (let i = 0; i < this.words; i += segmentWindow) {
      const seg = this.wordlist.slice(i, i + segmentWindow);
      scores.push(new Set(seg).size / seg.length);
    }
    if (discard) scores.pop();
    let s = 0;
    for (const x of scores) s += x;
    return s / scores.length;
  }

  /** Moving-average TTR over all windows of `windowSize` consecutive words. */
  mattr(windowSize = 100): number {
    if (windowSize > this.words) {
      throw new RegurgitateError('ERANGE', `mattr: windowSize (${windowSize}) must not be greater than the text size of ${this.words}. Try a smaller window size.`);
    }
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new RegurgitateError('EINVAL', `mattr: windowSize must be a positive integer (got ${windowSize})`);
    const counts = new Map<string, number>();
    const add = (w: string) => counts.set(w, (counts.get(w) ?? 0) + 1);
    const remove = (w: string) => {
      const c = counts.get(w)! - 1;
      if (c === 0) counts.delete(w);
      else counts.set(w, c);
    };
    for (let i = 0; i < windowSize; i++) add(this.wordlist[i]);
    let s = counts.size / windowSize;
    let n = 1;
    for (let i = windowSize; i < this.words; i++) {
      remove(this.wordlist[i - windowSize]);
      add(this.wordlist[i]);
      s += counts.size / windowSize;
      n += 1;
    }
    return s / n;
  }

  private subMtld(threshold: number, reverse: boolean): number {
    const list = reverse ? this.wordlist.slice().reverse() : this.wordlist;
    let terms = new Set<string>();
    let wordCounter = 0;
    let factorCount = 0;
    let ttr = NaN;
    for (const word of list) {
      wordCounter += 1;
      terms.add(word);
      ttr = terms.size / wordCounter;
      if (ttr <= threshold) {
        wordCounter = 0;
        terms = new Set();
        factorCount += 1;
      }
    }
    // partial factor for the last segment: how far its TTR is from 1, relative to the threshold
    if (wordCounter > 0) factorCount += (1 - ttr) / (1 - threshold);
    // TTR never drops below the threshold by the end of the text
    if (factorCount === 0) {
      ttr = this.terms / this.words;
      if (ttr === 1) factorCount += 1;
      else factorCount += (1 - ttr) / (1 - threshold);
    }
    return this.wordlist.length / factorCount;
  }

  /** MTLD: mean of the forward and backward measures. */
  mtld(threshold = 0.72): number {
    if (this.words === 0) throw new RegurgitateError('ERANGE', 'mtld: MTLD of an empty text is undefined.');
    return (this.subMtld(threshold, false) + this.subMtld(threshold, true)) / 2;
  }

  /**
   * HD-D: sum over terms of P(term drawn at least once in `draws` draws without
   * replacement) / draws, with the hypergeometric P(X = 0) = C(w - f, n) / C(w, n).
   */
  hdd(draws = 42): number {
    if (this.words < draws) {
      const suggestion = this.terms < 42 ? Math.floor(this.words / 2) : 42;
      throw new RegurgitateError('ERANGE', 
        `hdd: draws: Number of draws should be less than the total sample size of ${this.words}. Try a draw value smaller than ${this.words}, e.g. hdd(draws=${suggestion}.)`,
      );
    }
    if (!Number.isInteger(draws) || draws < 1) throw new RegurgitateError('EINVAL', `hdd: draws must be a positive integer (got ${draws})`);
    let total = 0;
    for (const freq of count(this.wordlist).values()) {
      total += (1 - hypergeomPmf0(this.words, freq, draws)) / draws;
    }
    return total;
  }
}

/** P(X = 0) for X ~ Hypergeometric(population N, K successes, n draws) = C(N-K, n) / C(N, n). */
export function hypergeomPmf0(N: number, K: number, n: number): number {
  if (N - K < n) return 0;
  let p = 1;
  for (let i = 0; i < n; i++) p *= (N - K - i) / (N - i);
  return p;
}

export interface DiversityOptions {
  /** MSTTR segment size (default 100). */
  msttrWindow?: number;
  /** MATTR window size (default 100). */
  mattrWindow?: number;
  /** MTLD factor threshold (default 0.72). */
  mtldThreshold?: number;
  /** HD-D sample size (default 42). */
  hddDraws?: number;
}

/**
 * Every diversity measure of a corpus. A measure that is undefined for the corpus (too
 * few words for the window, a zero denominator, ...) is null, where lexicalrichness would
 * raise an error.
 */
export interface DiversityResult {
  ttr: number | null;
  rttr: number | null;
  cttr: number | null;
  herdan: number | null;
  summer: number | null;
  dugast: number | null;
  maas: number | null;
  yulek: number | null;
  yulei: number | null;
  herdanvm: number | null;
  simpsond: number | null;
  msttr: number | null;
  mattr: number | null;
  mtld: number | null;
  hdd: number | null;
  /** Distinct n-grams / all n-grams, n-grams taken within lines. */
  distinct_1: number | null;
  distinct_2: number | null;
  distinct_3: number | null;
  /** Number of distinct words (= terms). */
  vocab_size: number;
  /** Words occurring exactly once / distinct words. */
  hapax_ratio: number | null;
  /** Number of words (w). */
  words: number;
  /** Number of distinct words (t). */
  terms: number;
}

function defined(f: () => number): number | null {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch (e) {
    // ERANGE: the text is too short for the measure; a bad argument (EINVAL) is thrown.
    if (e instanceof RegurgitateError && e.code === 'ERANGE') return null;
    throw e;
  }
}

/** distinct-n over lines: distinct n-grams / all n-grams, n-grams never crossing a line. */
export function distinctN(tokenizedLines: ReadonlyArray<readonly string[]>, n: number): number | null {
  const seen = new Set<string>();
  let total = 0;
  for (const toks of tokenizedLines) {
    for (let i = 0; i + n <= toks.length; i++) {
      seen.add(toks.slice(i, i + n).join(' '));
      total += 1;
    }
  }
  return total === 0 ? null : seen.size / total;
}

/**
 * Lexical diversity of a corpus given as lines. Words are the lexicalrichness tokens of
 * each line, concatenated in order (the same as tokenizing the lines joined by newlines).
 */
export function diversity(lines: readonly string[], opts: DiversityOptions = {}): DiversityResult {
  const tokenized = lines.map(lexicalTokenize);
  const lex = new LexicalRichness(tokenized.flat());
  const freqs = count(lex.wordlist);
  let hapax = 0;
  for (const c of freqs.values()) if (c === 1) hapax += 1;
  return {
    ttr: defined(() => lex.ttr),
    rttr: defined(() => lex.rttr),
    cttr: defined(() => lex.cttr),
    herdan: defined(() => lex.herdan),
    summer: defined(() => lex.summer),
    dugast: defined(() => lex.dugast),
    maas: defined(() => lex.maas),
    yulek: defined(() => lex.yulek),
    yulei: defined(() => lex.yulei),
    herdanvm: defined(() => lex.herdanvm),
    simpsond: defined(() => lex.simpsond),
    msttr: defined(() => lex.msttr(opts.msttrWindow ?? 100)),
    mattr: defined(() => lex.mattr(opts.mattrWindow ?? 100)),
    mtld: defined(() => lex.mtld(opts.mtldThreshold ?? 0.72)),
    hdd: defined(() => lex.hdd(opts.hddDraws ?? 42)),
    distinct_1: distinctN(tokenized, 1),
    distinct_2: distinctN(tokenized, 2),
    distinct_3: distinctN(tokenized, 3),
    vocab_size: lex.terms,
    hapax_ratio: lex.terms === 0 ? null : hapax / lex.terms,
    words: lex.words,
    terms: lex.terms,
  };
}

/** Word counts of some lines (lexicalTokenize), most frequent first (ties by word). */
export function wordCounts(lines: readonly string[]): [string, number][] {
  const c = new Map<string, number>();
  for (const l of lines) for (const w of lexicalTokenize(l)) c.set(w, (c.get(w) ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Tail coverage: of the word types that occur at most `maxCount` times in the reference
 * lines (the tail of the real distribution), the share that also occur in `lines`.
 * Model-collapse work finds the tails vanish first. Null when the references have no tail.
 */
export function tailCoverage(references: readonly string[], lines: readonly string[], maxCount = 2): number | null {
  if (!Number.isInteger(maxCount) || maxCount < 1) throw new RegurgitateError('EINVAL', `tailCoverage: maxCount must be an integer >= 1 (got ${String(maxCount)})`);
  const tail = wordCounts(references).filter(([, n]) => n <= maxCount).map(([w]) => w);
  if (tail.length === 0) return null;
  const seen = new Set(lines.flatMap(lexicalTokenize));
  return tail.filter((w) => seen.has(w)).length / tail.length;
}
