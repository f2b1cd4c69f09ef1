// BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.6.0 computes it
// (sacrebleu/metrics/bleu.py, metrics/base.py, metrics/helpers.py, utils.py).
import { RegurgitateError } from '../common/errors.js';
import {
  checkCorpusArgs,
  checkSentenceArgs,
  collectReferences,
  formatSignature,
  pyRstrip,
  pySplit,
  sumOfLists,
  type Counter,
  type RefLine,
} from './helpers.js';
import { getTokenizer, type Tokenizer, type TokenizerName } from './tokenizers.js';

/** The default maximum n-gram order. */
export const MAX_NGRAM_ORDER = 4;

export type SmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';

export const SMOOTH_METHODS: readonly SmoothMethod[] = ['exp', 'floor', 'add-k', 'none'];

/**
 * Default smoothing values (Chen and Cherry 2014, "A Systematic Comparison of Smoothing
 * Techniques for Sentence-Level BLEU"): floor 0.1, add-k 1; exp and none take none.
 */
export const SMOOTH_DEFAULTS: Readonly<Record<SmoothMethod, number | null>> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

export interface BleuOptions {
  /** Lowercase hypotheses and references before tokenizing. Default false. */
  lowercase?: boolean;
  /** Tokenizer: '13a' (default), 'intl', 'char' or 'none'. */
  tokenize?: TokenizerName;
  /** Smoothing: 'exp' (default), 'floor', 'add-k' or 'none'. */
  smoothMethod?: SmoothMethod;
  /** Value for 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number | null;
  /** Maximum n-gram order (default 4). */
  maxNgramOrder?: number;
  /**
   * Stop including n-gram orders for which there are no n-grams. Default false for corpus
   * BLEU (as sacreBLEU's BLEU class) and true for sentenceBleu() (as sacrebleu.sentence_bleu).
   */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  name: 'BLEU';
  /** BLEU in [0, 100], not rounded. */
  score: number;
  /** Matched n-grams per order (with add-k: including the added k for orders > 1, as sacreBLEU). */
  counts: number[];
  /** Hypothesis n-grams per order (with add-k: including k for orders > 1). */
  totals: number[];
  /** Precisions per order, in percent. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  sys_len: number;
  ref_len: number;
  signature: string;
}

/** Python's math.log, floored as sacreBLEU's my_log: log(0) is -9999999999. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from sufficient statistics (sacreBLEU's BLEU.compute_bleu). `correct` and `total`
 * are per n-gram order; with add-k they are modified in place, as in sacreBLEU.
 */
export function computeBleu(
  correct: number[],
  total: number[],
  sysLen: number,
  refLen: number,
  opts: { smoothMethod?: SmoothMethod; smoothValue?: number | null; effectiveOrder?: boolean; maxNgramOrder?: number } = {},
): Omit<BleuScore, 'signature'> {
  const smoothMethod = opts.smoothMethod ?? 'none';
  if (!Object.prototype.hasOwnProperty.call(SMOOTH_DEFAULTS, smoothMethod)) {
    throw new RegurgitateError('EINVAL', `smoothMethod: unknown smooth_method '${smoothMethod}' (choose one of: ${SMOOTH_METHODS.join(', ')})`);
  }
  const smoothValue = opts.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const effectiveOrder = opts.effectiveOrder ?? false;
  const maxOrder = opts.maxNgramOrder ?? MAX_NGRAM_ORDER;

  // Brevity penalty
  let bp: number;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  else bp = 1.0;

  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number) => ({
    name: 'BLEU' as const,
    score,
    counts: correct,
    totals: total,
    precisions,
    bp,
    sys_len: sysLen,
    ref_len: refLen,
  });

  // Early stop if there are no matches (sacreBLEU #141)
  if (!correct.some((c) => c !== 0)) return result(0.0);

  let smoothMteval = 1.0;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100.0 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100.0 * correct[n - 1]) / total[n - 1];
    }
  }

  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]);
  return result(bp * Math.exp(logSum / effOrder));
}

/** Word n-grams of orders 1..maxOrder keyed by order-prefixed string, plus the token count. */
function extractAllWordNgrams(line: string, maxOrder: number): { ngrams: Counter; len: number } {
  const tokens = pySplit(line);
  const ngrams: Counter = new Map();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // Tokens never contain a space (it is whitespace), so '<n> tok1 tok2 ...' is unique.
      const key = `${n} ${tokens.slice(i, i + n).join(' ')}`;
      ngrams.set(key, (ngrams.get(key) ?? 0) + 1);
    }
  }
  return { ngrams, len: tokens.length };
}

/** sacreBLEU's BLEU._get_closest_ref_len: closest length, ties to the shorter one. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

/** What every score object has. */
export interface MetricScore {
  name: string;
  score: number;
  signature: string;
}

/** A metric in sacreBLEU's mould: per-segment sufficient statistics and a score from their sum. */
export interface StatsMetric<S extends MetricScore = MetricScore> {
  readonly name: string;
  /** One vector of sufficient statistics per segment. */
  corpusStatistics(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>): { stats: number[][]; nrefs: number | 'var' };
  /** The score from summed statistics. */
  scoreFromStats(stats: readonly number[], nrefs: number | 'var'): S;
  signature(nrefs: number | 'var', extra?: { bs?: number; seed?: number | string }): string;
}

/** sacreBLEU's BLEU metric object. */
export class BLEU implements StatsMetric<BleuScore> {
  readonly name = 'BLEU';
  readonly lowercase: boolean;
  readonly smoothMethod: SmoothMethod;
  readonly smoothValue: number | null;
  readonly maxNgramOrder: number;
  readonly effectiveOrder: boolean;
  readonly tokenizer: Tokenizer;

  constructor(opts: BleuOptions = {}) {
    this.lowercase = opts.lowercase ?? false;
    this.smoothMethod = opts.smoothMethod ?? 'exp';
    if (!Object.prototype.hasOwnProperty.call(SMOOTH_DEFAULTS, this.smoothMethod)) {
      throw new RegurgitateError('EINVAL', `BLEU: smoothMethod: unknown smooth_method '${this.smoothMethod}' (choose one of: ${SMOOTH_METHODS.join(', ')})`);
    }
    this.smoothValue = opts.smoothValue ?? null;
    this.maxNgramOrder = opts.maxNgramOrder ?? MAX_NGRAM_ORDER;
    if (!Number.isInteger(this.maxNgramOrder) || this.maxNgramOrder < 1) {
      throw new RegurgitateError('EINVAL', `BLEU: maxNgramOrder must be a positive integer (got ${this.maxNgramOrder})`);
    }
    this.effectiveOrder = opts.effectiveOrder ?? false;
    this.tokenizer = getTokenizer(opts.tokenize ?? '13a');
  }

  /** Lowercase (optionally), then tokenize the right-stripped line (BLEU._preprocess_segment). */
  preprocess(sent: string): string {
    if (this.lowercase) sent = sent.toLowerCase();
    return this.tokenizer(pyRstrip(sent));
  }

  /** The signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature(nrefs: number | 'var', extra: { bs?: number; seed?: number | string } = {}): string {
    let smooth: string = this.smoothMethod;
    const def = SMOOTH_DEFAULTS[this.smoothMethod];
    if (def !== null) smooth += `[${(this.smoothValue ?? def).toFixed(2)}]`;
    return formatSignature(
      nrefs,
      [
        ['case', this.lowercase ? 'lc' : 'mixed'],
        ['eff', this.effectiveOrder ? 'yes' : 'no'],
        ['tok', this.tokenizer.signature],
        ['smooth', smooth],
      ],
      extra,
    );
  }

  /**
   * Per segment: [hyp_len, ref_len, correct_1..N, total_1..N] (sacreBLEU's layout).
   */
  corpusStatistics(
    hyps: readonly string[],
    refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  ): { stats: number[][]; nrefs: number | 'var' } {
    checkCorpusArgs('BLEU', hyps, refs);
    const { perSegment, nrefs } = collectReferences('BLEU', refs, hyps.length);
    const N = this.maxNgramOrder;
    const stats: number[][] = [];
    for (let s = 0; s < hyps.length; s++) {
      // reference n-grams: max count over references; and all reference lengths
      let refNgrams: Counter | null = null;
      const refLens: number[] = [];
      for (const ref of perSegment[s]) {
        const { ngrams, len } = extractAllWordNgrams(this.preprocess(ref), N);
        refLens.push(len);
        if (refNgrams === null) refNgrams = ngrams;
        else for (const [g, c] of ngrams) refNgrams.set(g, Math.max(refNgrams.get(g) ?? 0, c));
      }
      const { ngrams: hypNgrams, len: hypLen } = extractAllWordNgrams(this.preprocess(hyps[s]), N);
      const refLen = closestRefLen(hypLen, refLens);
      const correct = new Array<number>(N).fill(0);
      const total = new Array<number>(N).fill(0);
      for (const [g, c] of hypNgrams) {
        const n = Number.parseInt(g, 10) - 1;
        total[n] += c;
        const rc = refNgrams!.get(g);
        if (rc !== undefined) correct[n] += Math.min(c, rc);
      }
      stats.push([hypLen, refLen, ...correct, ...total]);
    }
    return { stats, nrefs };
  }

  scoreFromStats(stats: readonly number[], nrefs: number | 'var'): BleuScore {
    const N = this.maxNgramOrder;
    const r = computeBleu(stats.slice(2, 2 + N), stats.slice(2 + N, 2 + 2 * N), Math.trunc(stats[0]), Math.trunc(stats[1]), {
      smoothMethod: this.smoothMethod,
      smoothValue: this.smoothValue,
      effectiveOrder: this.effectiveOrder,
      maxNgramOrder: N,
    });
    return { ...r, signature: this.signature(nrefs) };
  }

  /** Corpus BLEU. `refs` is a list of reference streams, each as long as `hyps`. */
  corpusScore(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>): BleuScore {
    const { stats, nrefs } = this.corpusStatistics(hyps, refs);
    return this.scoreFromStats(sumOfLists(stats), nrefs);
  }

  /** Sentence BLEU of one hypothesis against one or more references. */
  sentenceScore(hyp: string, refs: readonly RefLine[]): BleuScore {
    checkSentenceArgs('BLEU', hyp, refs);
    return this.corpusScore([hyp], refs.map((r) => [r]));
  }
}

/** Corpus BLEU (sacrebleu.corpus_bleu): `refs[k][i]` is the k-th reference of segment i. */
export function corpusBleu(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>, opts: BleuOptions = {}): BleuScore {
  return new BLEU(opts).corpusScore(hyps, refs);
}

/**
 * Sentence BLEU (sacrebleu.sentence_bleu): effective order is on unless
 * `effectiveOrder: false` is given.
 */
export function sentenceBleu(hyp: string, refs: readonly RefLine[], opts: BleuOptions = {}): BleuScore {
  return new BLEU({ ...opts, effectiveOrder: opts.effectiveOrder ?? true }).sentenceScore(hyp, refs);
}
