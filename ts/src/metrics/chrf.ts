// chrF (Popović 2015) and chrF++ (Popović 2017) exactly as sacreBLEU 2.6.0 computes them
// (sacrebleu/metrics/chrf.py, metrics/helpers.py).
import { RegurgitateError } from '../common/errors.js';
import type { StatsMetric } from './bleu.js';
import {
  charNgrams,
  checkCorpusArgs,
  checkSentenceArgs,
  codePoints,
  collectReferences,
  counterTotal,
  formatSignature,
  pyRemoveSpaces,
  pySplit,
  sumOfLists,
  wordNgrams,
  type Counter,
  type RefLine,
} from './helpers.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Recall weight (default 2). */
  beta?: number;
  /** Lowercase before extracting n-grams (default false). */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false: whitespace is removed). */
  whitespace?: boolean;
  /**
   * chrF++.py/NLTK/Moses-style epsilon smoothing (average of per-order F-scores). Default
   * false: sacreBLEU's default effective-order averaging of precision and recall
   * (signature `eff:yes`).
   */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 'chrF2' for chrF, 'chrF2++' for chrF++ (beta and one '+' per word order, as sacreBLEU). */
  name: string;
  /** In [0, 100], not rounded. */
  score: number;
  char_order: number;
  word_order: number;
  beta: number;
  signature: string;
}

/** string.punctuation, for chrF+'s punctuation stripper. */
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * Separates punctuation from the end (else the beginning) of each word, once, as
 * sacreBLEU's CHRF._remove_punctuation (adapted from m-popovic/chrF). '(hi)' becomes
 * '(hi' and ')' (sacreBLEU issue #124).
 */
export function removePunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    if (codePoints(w).length === 1) {
      out.push(w);
    } else if (PUNCTS.has(w[w.length - 1])) {
      out.push(w.slice(0, -1), w[w.length - 1]);
    } else if (PUNCTS.has(w[0])) {
      out.push(w[0], w.slice(1));
    } else {
      out.push(w);
    }
  }
  return out;
}

/** sacreBLEU's CHRF metric object. */
export class CHRF implements StatsMetric<ChrfScore> {
  readonly name: string;
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
  readonly lowercase: boolean;
  readonly whitespace: boolean;
  readonly epsSmoothing: boolean;
  readonly order: number;

  constructor(opts: ChrfOptions = {}) {
    this.charOrder = opts.charOrder ?? 6;
    this.wordOrder = opts.wordOrder ?? 0;
    this.beta = opts.beta ?? 2;
    this.lowercase = opts.lowercase ?? false;
    this.whitespace = opts.whitespace ?? false;
    this.epsSmoothing = opts.epsSmoothing ?? false;
    for (const [k, v] of [
      ['charOrder', this.charOrder],
      ['wordOrder', this.wordOrder],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RegurgitateError('EINVAL', `chrF: ${k} must be a non-negative integer (got ${v})`);
    }
    if (this.charOrder + this.wordOrder === 0) throw new RegurgitateError('EINVAL', `chrF: charOrder + wordOrder must be positive (got ${this.charOrder} + ${this.wordOrder})`);
    if (!(this.beta >= 0) || !Number.isFinite(this.beta)) throw new RegurgitateError('EINVAL', `chrF: beta must be a non-negative number (got ${this.beta})`);
    this.order = this.charOrder + this.wordOrder;
    this.name = `chrF${this.beta}` + '+'.repeat(this.wordOrder);
  }

  /** `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0` */
  signature(nrefs: number | 'var', extra: { bs?: number; seed?: number | string } = {}): string {
    return formatSignature(
      nrefs,
      [
        ['case', this.lowercase ? 'lc' : 'mixed'],
        ['eff', this.epsSmoothing ? 'no' : 'yes'],
        ['nc', this.charOrder],
        ['nw', this.wordOrder],
        ['space', this.whitespace ? 'yes' : 'no'],
      ],
      extra,
    );
  }

  private preprocess(sent: string): string {
    return this.lowercase ? sent.toLowerCase() : sent;
  }

  /** Character n-grams of orders 1..charOrder, then word n-grams of orders 1..wordOrder. */
  private ngrams(sent: string): Counter[] {
    const line = this.whitespace ? sent : pyRemoveSpaces(sent);
    const chars = codePoints(line);
    const out: Counter[] = [];
    for (let n = 1; n <= this.charOrder; n++) out.push(charNgrams(chars, n));
    if (this.wordOrder > 0) {
      const words = removePunctuation(sent);
      for (let n = 1; n <= this.wordOrder; n++) out.push(wordNgrams(words, n));
    }
    return out;
  }

  /** The chrF score in [0, 100] from flattened [hyp, ref, match] triples per order. */
  computeFScore(statistics: readonly number[]): number {
    const eps = 1e-16;
    let score = 0.0;
    let effectiveOrder = 0;
    const factor = this.beta ** 2;
    let avgPrec = 0.0;
    let avgRec = 0.0;
    for (let i = 0; i < this.order; i++) {
      const nHyp = statistics[3 * i];
      const nRef = statistics[3 * i + 1];
      const nMatch = statistics[3 * i + 2];
      // chrF++.py style EPS smoothing (also used by Moses and NLTK)
      const prec = nHyp > 0 ? nMatch / nHyp : eps;
      const rec = nRef > 0 ? nMatch / nRef : eps;
      const denom = factor * prec + rec;
      score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
      // sacreBLEU < 2.0.0 style effective order smoothing
      if (nHyp > 0 && nRef > 0) {
        avgPrec += prec;
        avgRec += rec;
        effectiveOrder += 1;
      }
    }
    if (this.epsSmoothing) return (100 * score) / this.order;
    if (effectiveOrder === 0) {
      avgPrec = 0.0;
      avgRec = 0.0;
    } else {
      avgPrec /= effectiveOrder;
      avgRec /= effectiveOrder;
    }
    if (avgPrec + avgRec) {
      score = (1 + factor) * avgPrec * avgRec;
      score /= factor * avgPrec + avgRec;
      return 100 * score;
    }
    return 0.0;
  }

  /** Per segment: [hyp, ref, match] for each order, from the reference with the best F. */
  corpusStatistics(
    hyps: readonly string[],
    refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  ): { stats: number[][]; nrefs: number | 'var' } {
    checkCorpusArgs('CHRF', hyps, refs);
    const { perSegment, nrefs } = collectReferences('CHRF', refs, hyps.length);
    const stats: number[][] = [];
    for (let s = 0; s < hyps.length; s++) {
      const hypNgrams = this.ngrams(this.preprocess(hyps[s]));
      let best: number[] = [];
      let bestF = -1.0;
      for (const ref of perSegment[s]) {
        const refNgrams = this.ngrams(this.preprocess(ref));
        const st: number[] = [];
        for (let k = 0; k < hypNgrams.length; k++) {
          const h = hypNgrams[k];
          const r = refNgrams[k];
          let match = 0;
          let hypCount = 0;
          for (const [g, c] of h) {
            hypCount += c;
            const rc = r.get(g);
            if (rc !== undefined) match += Math.min(c, rc);
          }
          // Don't count hypothesis n-grams if no reference n-gram of that order exists
          st.push(r.size > 0 ? hypCount : 0, counterTotal(r), match);
        }
        const f = this.computeFScore(st);
        if (f > bestF) {
          bestF = f;
          best = st;
        }
      }
      stats.push(best);
    }
    return { stats, nrefs };
  }

  scoreFromStats(stats: readonly number[], nrefs: number | 'var'): ChrfScore {
    return {
      name: this.name,
      score: this.computeFScore(stats),
      char_order: this.charOrder,
      word_order: this.wordOrder,
      beta: this.beta,
      signature: this.signature(nrefs),
    };
  }

  corpusScore(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>): ChrfScore {
    const { stats, nrefs } = this.corpusStatistics(hyps, refs);
    return this.scoreFromStats(sumOfLists(stats), nrefs);
  }

  sentenceScore(hyp: string, refs: readonly RefLine[]): ChrfScore {
    checkSentenceArgs('CHRF', hyp, refs);
    return this.corpusScore([hyp], refs.map((r) => [r]));
  }
}

/** Corpus chrF (chrF++ with `wordOrder: 2`): `refs[k][i]` is the k-th reference of segment i. */
export function corpusChrf(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>, opts: ChrfOptions = {}): ChrfScore {
  return new CHRF(opts).corpusScore(hyps, refs);
}

/** Sentence chrF of one hypothesis against one or more references. */
export function sentenceChrf(hyp: string, refs: readonly RefLine[], opts: ChrfOptions = {}): ChrfScore {
  return new CHRF(opts).sentenceScore(hyp, refs);
}
