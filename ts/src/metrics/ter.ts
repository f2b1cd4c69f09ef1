// Translation edit rate (TER, Snover et al. 2006) exactly as sacreBLEU 2.6.0 computes it
// (sacrebleu/metrics/ter.py and metrics/lib_ter.py): a near-exact reimplementation of
// Tercom with shifts, a beam-limited edit distance around the (length-ratio) diagonal,
// and Tercom's limits (shift size 10, shift distance 50, beam width 25, at most 1000
// shift candidates per sentence).
import { RegurgitateError } from '../common/errors.js';
import type { StatsMetric } from './bleu.js';
import { checkCorpusArgs, checkSentenceArgs, collectReferences, formatSignature, pyRstrip, pySplit, sumOfLists, type RefLine } from './helpers.js';
import { tercomTokenizer, type Tokenizer } from './tokenizers.js';

const COST_INS = 1;
const COST_DEL = 1;
const COST_SUB = 1;

// Tercom-inspired limits
const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;

// sacreBLEU's own limits
const MAX_CACHE_SIZE = 10000;
const MAX_SHIFT_CANDIDATES = 1000;
const INT_INFINITY = 1e16;

// Edit operations (sacreBLEU uses ' ', 's', 'i', 'd', 'x')
const OP_NOP = 0;
const OP_SUB = 1;
const OP_INS = 2;
const OP_DEL = 3;
const OP_UNDEF = 4;

/** One row of the edit distance matrix: costs and the operation that reached each cell. */
interface Row {
  cost: Float64Array;
  op: Uint8Array;
}

interface CacheNode {
  children: Map<string, { node: CacheNode; row: Row }>;
}

/**
 * sacreBLEU's BeamEditDistance: edit distance to a fixed reference with a prefix cache of
 * matrix rows (hypotheses that share a prefix share rows), a beam around the
 * pseudo-diagonal, and the trace of edit operations.
 */
class BeamEditDistance {
  private readonly ref: readonly string[];
  private readonly nRef: number;
  private readonly initialRow: Row;
  private readonly cache: CacheNode = { children: new Map() };
  private cacheSize = 0;

  constructor(wordsRef: readonly string[]) {
    this.ref = wordsRef;
    this.nRef = wordsRef.length;
    const cost = new Float64Array(this.nRef + 1);
    const op = new Uint8Array(this.nRef + 1);
    for (let i = 0; i <= this.nRef; i++) {
      cost[i] = i * COST_INS;
      op[i] = OP_INS;
    }
    this.initialRow = { cost, op };
  }

  /** Edit distance and trace (ops rewriting the hypothesis into the reference). */
  distance(wordsHyp: readonly string[]): { dist: number; trace: Uint8Array } {
    const { start, rows } = this.findCache(wordsHyp);
    const { dist, newRows, trace } = this.editDistance(wordsHyp, start, rows);
    this.addCache(wordsHyp, newRows);
    return { dist, trace };
  }

  private editDistance(wordsH: readonly string[], startH: number, cached: Row[]): { dist: number; newRows: Row[]; trace: Uint8Array } {
    const nH = wordsH.length;
    const nRef = this.nRef;
    const dist: Row[] = cached.slice();
    for (let i = startH; i < nH; i++) {
      const cost = new Float64Array(nRef + 1).fill(INT_INFINITY);
      const op = new Uint8Array(nRef + 1).fill(OP_UNDEF);
      dist.push({ cost, op });
    }
    const lengthRatio = nH > 0 ? nRef / nH : 1;
    // in some crazy sentences, the difference in length is so large that we may end up
    // with zero overlap with the previous row
    const beamWidth = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;

    for (let i = startH + 1; i <= nH; i++) {
      const pseudoDiag = Math.floor(i * lengthRatio);
      const minJ = Math.max(0, pseudoDiag - beamWidth);
      let maxJ = Math.min(nRef + 1, pseudoDiag + beamWidth);
      if (i === nH) maxJ = nRef + 1;
      const prev = dist[i - 1];
      const cur = dist[i];
      const word = wordsH[i - 1];
      for (let j = minJ; j < maxJ; j++) {
        if (j === 0) {
          cur.cost[0] = prev.cost[0] + COST_DEL;
          cur.op[0] = OP_DEL;
        } else {
          let costSub: number;
          let opSub: number;
          if (word === this.ref[j - 1]) {
            costSub = 0;
            opSub = OP_NOP;
          } else {
            costSub = COST_SUB;
            opSub = OP_SUB;
          }
          // Tercom prefers no-op/sub, then insertion, then deletion. Since the trace is
          // flipped and the alignment computed from the inverse, insertion and deletion
          // swap places in the preference.
          let c = prev.cost[j - 1] + costSub;
          if (cur.cost[j] > c) {
            cur.cost[j] = c;
            cur.op[j] = opSub;
          }
          c = prev.cost[j] + COST_DEL;
          if (cur.cost[j] > c) {
            cur.cost[j] = c;
            cur.op[j] = OP_DEL;
          }
          c = cur.cost[j - 1] + COST_INS;
          if (cur.cost[j] > c) {
            cur.cost[j] = c;
            cur.op[j] = OP_INS;
          }
        }
      }
    }

    // get the trace
    const ops: number[] = [];
    let i = nH;
    let j = nRef;
    while (i > 0 || j > 0) {
      const o = dist[i].op[j];
      ops.push(o);
      if (o === OP_SUB || o === OP_NOP) {
        i -= 1;
        j -= 1;
      } else if (o === OP_INS) {
        j -= 1;
      } else if (o === OP_DEL) {
        i -= 1;
      } else {
        throw new RegurgitateError('EINTERNAL', `TER: unknown operation 'x' in the edit distance trace (beam too narrow)`);
      }
    }
    ops.reverse();
    return { dist: dist[nH].cost[nRef], newRows: dist.slice(cached.length), trace: Uint8Array.from(ops) };
  }

  private addCache(wordsHyp: readonly string[], mat: Row[]): void {
    if (this.cacheSize >= MAX_CACHE_SIZE) return;
    let node = this.cache;
    const skip = wordsHyp.length - mat.length;
    for (let i = 0; i < skip; i++) node = node.children.get(wordsHyp[i])!.node;
    for (let k = 0; k < mat.length; k++) {
      const word = wordsHyp[skip + k];
      let entry = node.children.get(word);
      if (entry === undefined) {
        entry = { node: { children: new Map() }, row: mat[k] };
        node.children.set(word, entry);
        this.cacheSize += 1;
      }
      node = entry.node;
    }
  }

  private findCache(wordsHyp: readonly string[]): { start: number; rows: Row[] } {
    let node = this.cache;
    let start = 0;
    const rows: Row[] = [this.initialRow];
    for (const word of wordsHyp) {
      const entry = node.children.get(word);
      if (entry === undefined) break;
      start += 1;
      node = entry.node;
      rows.push(entry.row);
    }
    return { start, rows };
  }
}

/** Flip insertions and deletions: a recipe for rewriting the reference into the hypothesis. */
function flipTrace(trace: Uint8Array): Uint8Array {
  const out = new Uint8Array(trace.length);
  for (let k = 0; k < trace.length; k++) {
    const o = trace[k];
    out[k] = o === OP_INS ? OP_DEL : o === OP_DEL ? OP_INS : o;
  }
  return out;
}

/** Alignment (ref position -> hyp position) and error flags, from a flipped trace. */
function traceToAlignment(trace: Uint8Array): { align: number[]; refErr: number[]; hypErr: number[] } {
  let posHyp = -1;
  let posRef = -1;
  const hypErr: number[] = [];
  const refErr: number[] = [];
  const align: number[] = [];
  for (const op of trace) {
    if (op === OP_NOP) {
      posHyp += 1;
      posRef += 1;
      align[posRef] = posHyp;
      hypErr.push(0);
      refErr.push(0);
    } else if (op === OP_SUB) {
      posHyp += 1;
      posRef += 1;
      align[posRef] = posHyp;
      hypErr.push(1);
      refErr.push(1);
    } else if (op === OP_INS) {
      posHyp += 1;
      hypErr.push(1);
    } else if (op === OP_DEL) {
      posRef += 1;
      align[posRef] = posHyp;
      refErr.push(1);
    } else {
      throw new RegurgitateError('EINTERNAL', `TER: unknown operation ${op}`);
    }
  }
  return { align, refErr, hypErr };
}

function sumRange(a: readonly number[], from: number, to: number): number {
  let s = 0;
  const end = Math.min(to, a.length);
  for (let k = from; k < end; k++) s += a[k];
  return s;
}

/** Move words[start:start+length] to position `target` (sacreBLEU's _perform_shift). */
function performShift(words: readonly string[], start: number, length: number, target: number): string[] {
  if (target < start) {
    // shift before previous position
    return [...words.slice(0, target), ...words.slice(start, start + length), ...words.slice(target, start), ...words.slice(start + length)];
  } else if (target > start + length) {
    // shift after previous position
    return [...words.slice(0, start), ...words.slice(start + length, target), ...words.slice(start, start + length), ...words.slice(target)];
  }
  // shift within the shifted string
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...words.slice(start, start + length),
    ...words.slice(length + target),
  ];
}

/** Matching sub-sequences (h_start, r_start, length), in sacreBLEU's order. */
function* findShiftedPairs(wordsH: readonly string[], wordsR: readonly string[]): Generator<[number, number, number]> {
  const nH = wordsH.length;
  const nR = wordsR.length;
  for (let startH = 0; startH < nH; startH++) {
    for (let startR = 0; startR < nR; startR++) {
      // slightly different from what tercom does but should only matter in degenerate cases
      if (Math.abs(startR - startH) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (wordsH[startH + length] === wordsR[startR + length] && length < MAX_SHIFT_SIZE) {
        length += 1;
        yield [startH, startR, length];
        // If one sequence is consumed, stop processing
        if (nH === startH + length || nR === startR + length) break;
      }
    }
  }
}

/** The best shift (sacreBLEU's _shift): the one that reduces the edit distance the most. */
function bestShift(
  wordsH: readonly string[],
  wordsR: readonly string[],
  ed: BeamEditDistance,
  checkedCandidates: number,
): { delta: number; words: readonly string[]; checked: number } {
  const { dist: preScore, trace: invTrace } = ed.distance(wordsH);
  // to get the alignment, pretend we rewrite the reference into the hypothesis
  const { align, refErr, hypErr } = traceToAlignment(flipTrace(invTrace));

  // candidate ranking as Tercom: highest gain, then longest, earliest start, earliest target
  let best: { score: number; length: number; negStart: number; negIdx: number; words: string[] } | null = null;

  for (const [startH, startR, length] of findShiftedPairs(wordsH, wordsR)) {
    // don't shift unless the hypothesis was wrong there and the reference doesn't match
    // the hypothesis at the target position
    if (sumRange(hypErr, startH, startH + length) === 0) continue;
    if (sumRange(refErr, startR, startR + length) === 0) continue;
    // don't try to shift within the subsequence
    if (startH <= align[startR] && align[startR] < startH + length) continue;

    let prevIdx = -1;
    for (let offset = -1; offset < length; offset++) {
      let idx: number;
      if (startR + offset === -1) {
        idx = 0; // insert before the beginning
      } else if (startR + offset < align.length && align[startR + offset] !== undefined) {
        // Unlike Tercom, which inserts *after* the index, insert *before* it
        idx = align[startR + offset] + 1;
      } else {
        break; // aims past the reference
      }
      if (idx === prevIdx) continue; // already tried
      prevIdx = idx;

      const shifted = performShift(wordsH, startH, length, idx);
      const score = preScore - ed.distance(shifted).dist;
      checkedCandidates += 1;
      const negStart = -startH;
      const negIdx = -idx;
      if (
        best === null ||
        score > best.score ||
        (score === best.score &&
          (length > best.length ||
            (length === best.length && (negStart > best.negStart || (negStart === best.negStart && negIdx > best.negIdx)))))
      ) {
        best = { score, length, negStart, negIdx, words: shifted };
      }
    }
    if (checkedCandidates >= MAX_SHIFT_CANDIDATES) break;
  }

  if (best === null) return { delta: 0, words: wordsH, checked: checkedCandidates };
  return { delta: best.score, words: best.words, checked: checkedCandidates };
}

/**
 * Number of edits (shifts + insertions, deletions, substitutions) and the reference
 * length for tokenized words (sacreBLEU's lib_ter.translation_edit_rate).
 */
export function translationEditRate(wordsHyp: readonly string[], wordsRef: readonly string[]): { edits: number; refLength: number } {
  const nRef = wordsRef.length;
  if (nRef === 0) return { edits: wordsHyp.length, refLength: 0 }; // special treatment of empty refs

  const ed = new BeamEditDistance(wordsRef);
  let shifts = 0;
  let input: readonly string[] = wordsHyp;
  let checked = 0;
  for (;;) {
    // do shifts until they stop reducing the edit distance
    const r = bestShift(input, wordsRef, ed, checked);
    checked = r.checked;
    if (checked >= MAX_SHIFT_CANDIDATES) break;
    if (r.delta <= 0) break;
    shifts += 1;
    input = r.words;
  }
  const { dist } = ed.distance(input);
  return { edits: shifts + dist, refLength: nRef };
}

export interface TerOptions {
  /** Normalize (tercom -N): XML entities, punctuation tokenization. Default false. */
  normalized?: boolean;
  /** Remove punctuation. Default false. */
  noPunct?: boolean;
  /** Asian (CJK) support, effective with normalized and/or noPunct. Default false. */
  asianSupport?: boolean;
  /** Case-sensitive. Default false (TER lowercases). */
  caseSensitive?: boolean;
}

export interface TerScore {
  name: 'TER';
  /** 100 * edits / average reference length, not rounded. */
  score: number;
  num_edits: number;
  ref_length: number;
  signature: string;
}

/** sacreBLEU's TER metric object. */
export class TER implements StatsMetric<TerScore> {
  readonly name = 'TER';
  readonly normalized: boolean;
  readonly noPunct: boolean;
  readonly asianSupport: boolean;
  readonly caseSensitive: boolean;
  readonly tokenizer: Tokenizer;

  constructor(opts: TerOptions = {}) {
    this.normalized = opts.normalized ?? false;
    this.noPunct = opts.noPunct ?? false;
    this.asianSupport = opts.asianSupport ?? false;
    this.caseSensitive = opts.caseSensitive ?? false;
    this.tokenizer = tercomTokenizer(opts);
  }

  /** `nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0` */
  signature(nrefs: number | 'var', extra: { bs?: number; seed?: number | string } = {}): string {
    return formatSignature(
      nrefs,
      [
        ['case', this.caseSensitive ? 'mixed' : 'lc'],
        ['tok', this.tokenizer.signature],
        ['norm', this.normalized],
        ['punct', !this.noPunct],
        ['asian', this.asianSupport],
      ],
      extra,
    );
  }

  preprocess(sent: string): string {
    return this.tokenizer(pyRstrip(sent));
  }

  /** Per segment: [fewest edits over the references, average reference length]. */
  corpusStatistics(
    hyps: readonly string[],
    refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  ): { stats: number[][]; nrefs: number | 'var' } {
    checkCorpusArgs('TER', hyps, refs);
    const { perSegment, nrefs } = collectReferences('TER', refs, hyps.length);
    const stats: number[][] = [];
    for (let s = 0; s < hyps.length; s++) {
      const refWords = perSegment[s].map((r) => pySplit(this.preprocess(r)));
      const wordsHyp = pySplit(this.preprocess(hyps[s]));
      let refLengths = 0;
      let best = INT_INFINITY;
      for (const wordsRef of refWords) {
        const { edits, refLength } = translationEditRate(wordsHyp, wordsRef);
        refLengths += refLength;
        if (edits < best) best = edits;
      }
      stats.push([best, refLengths / refWords.length]);
    }
    return { stats, nrefs };
  }

  scoreFromStats(stats: readonly number[], nrefs: number | 'var'): TerScore {
    const totalEdits = stats[0];
    const sumRefLengths = stats[1];
    let score: number;
    if (sumRefLengths > 0) score = totalEdits / sumRefLengths;
    else if (totalEdits > 0) score = 1.0; // empty reference(s) and non-empty hypothesis
    else score = 0.0; // both empty
    return { name: 'TER', score: 100 * score, num_edits: Math.trunc(totalEdits), ref_length: sumRefLengths, signature: this.signature(nrefs) };
  }

  corpusScore(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>): TerScore {
    const { stats, nrefs } = this.corpusStatistics(hyps, refs);
    return this.scoreFromStats(sumOfLists(stats), nrefs);
  }

  sentenceScore(hyp: string, refs: readonly RefLine[]): TerScore {
    checkSentenceArgs('TER', hyp, refs);
    return this.corpusScore([hyp], refs.map((r) => [r]));
  }
}

/** Corpus TER: `refs[k][i]` is the k-th reference of segment i. */
export function corpusTer(hyps: readonly string[], refs: ReadonlyArray<ReadonlyArray<RefLine>>, opts: TerOptions = {}): TerScore {
  return new TER(opts).corpusScore(hyps, refs);
}

/** Sentence TER of one hypothesis against one or more references. */
export function sentenceTer(hyp: string, refs: readonly RefLine[], opts: TerOptions = {}): TerScore {
  return new TER(opts).sentenceScore(hyp, refs);
}
