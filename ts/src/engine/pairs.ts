// Packing sentence pairs into the flat form native code takes (NativePairs), and
// validating it. Messages name the pair and position: `pairs[12].tgt[3] = 9001 is
// outside the vocabulary [0, 8000)`.
//
// A pair's sentences hold ordinary ids only. The source gets EOS appended (unless it
// already ends with one); the target must not contain EOS: the model adds BOS to its
// input and EOS to its labels (docs/model.md, "Data and loss").
import type { NativePairs } from '../native/types.js';
import { describe, invalid } from '../common/errors.js';
import type { ModelConfig } from './config.js';

export type Ids = ArrayLike<number>;

export interface Pair {
  src: number[] | Int32Array;
  tgt: number[] | Int32Array;
}

/** The part of the model config that governs ids and lengths. */
export type Vocab = Pick<ModelConfig, 'vocabSize' | 'padId' | 'bosId' | 'eosId' | 'maxLen'>;

/** Checks the vocabulary description passed alongside the data (usually model.config). */
export function checkVocab(v: unknown): asserts v is Vocab {
  if (typeof v !== 'object' || v === null) throw invalid(`vocab must be a model config with vocabSize, padId, bosId, eosId and maxLen (got ${describe(v)})`);
  const o = v as Record<string, unknown>;
  for (const k of ['vocabSize', 'padId', 'bosId', 'eosId', 'maxLen'] as const) {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 2 ** 31 - 1) throw invalid(`vocab.${k} must be a non-negative integer (got ${describe(x)})`);
  }
}

function isIds(x: unknown): x is Ids {
  return Array.isArray(x) || x instanceof Int32Array;
}

function specialName(v: Vocab, id: number): string | undefined {
  if (id === v.padId) return 'PAD';
  if (id === v.bosId) return 'BOS';
  if (id === v.eosId) return 'EOS';
  return undefined;
}

/**
 * Checks the ids of one sentence. `where` is e.g. `pairs[12].tgt`. `side` decides the
 * EOS rule: a source may end with EOS, a target may not contain it.
 */
function checkSentence(ids: Ids, v: Vocab, where: string, side: 'src' | 'tgt', from = 0, to = ids.length): void {
  const n = to - from;
  if (n === 0) throw invalid(`${where} is empty: every sentence needs at least one token`);
  const srcEndsWithEos = side === 'src' && ids[to - 1] === v.eosId;
  const content = srcEndsWithEos ? n - 1 : n;
  const limit = v.maxLen - 1;
  if (content > limit) {
    const why = side === 'src' ? 'minus 1 for EOS' : 'minus 1 for BOS/EOS';
    throw invalid(`${where} has ${content} tokens; the longest allowed is ${limit} (model.maxLen ${v.maxLen} ${why})`);
  }
  if (srcEndsWithEos && content === 0) throw invalid(`${where} is empty: it holds only EOS`);
  for (let i = from; i < to; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isInteger(id))
      throw invalid(`${where}[${i - from}] = ${describe(id)} is not an integer token id`);
    if (id < 0 || id >= v.vocabSize)
      throw invalid(`${where}[${i - from}] = ${id} is outside the vocabulary [0, ${v.vocabSize})`);
    const sp = specialName(v, id);
    if (sp !== undefined && !(srcEndsWithEos && i === to - 1)) {
      const rule =
        sp === 'EOS' && side === 'src'
          ? 'a source may hold EOS only as its last token'
          : 'sentences must not contain special ids; regurgitate adds BOS and EOS itself';
      throw invalid(`${where}[${i - from}] = ${id} is the ${sp} id: ${rule}`);
    }
  }
}

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Packs and validates pairs. `name` prefixes messages (default 'pairs'). */
export function packPairs(pairs: readonly Pair[], vocab: Vocab, name = 'pairs'): NativePairs {
  checkVocab(vocab);
  if (!Array.isArray(pairs)) throw invalid(`${name} must be an array of {src, tgt} pairs (got ${describe(pairs)})`);
  const n = pairs.length;
  if (n > 2 ** 31 - 2) throw invalid(`${name} has too many pairs (${n})`);
  let src = new Int32Array(Math.max(16, n * 16));
  let tgt = new Int32Array(Math.max(16, n * 16));
  const srcOffsets = new Int32Array(n + 1);
  const tgtOffsets = new Int32Array(n + 1);
  let s = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const p = pairs[i] as unknown;
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      throw invalid(`${name}[${i}] must be an object {src, tgt} (got ${describe(p)})`);
    const ps = (p as Record<string, unknown>).src;
    const pt = (p as Record<string, unknown>).tgt;
    if (!isIds(ps)) throw invalid(`${name}[${i}].src must be an array or Int32Array of token ids (got ${describe(ps)})`);
    if (!isIds(pt)) throw invalid(`${name}[${i}].tgt must be an array or Int32Array of token ids (got ${describe(pt)})`);
    checkSentence(ps, vocab, `${name}[${i}].src`, 'src');
    checkSentence(pt, vocab, `${name}[${i}].tgt`, 'tgt');
    const addEos = ps[ps.length - 1] !== vocab.eosId;
    const sl = ps.length + (addEos ? 1 : 0);
    if (s + sl > 2 ** 31 - 1 || t + pt.length > 2 ** 31 - 1) throw invalid(`${name} holds more than 2^31 - 1 tokens`);
    src = grow(src, s + sl);
    tgt = grow(tgt, t + pt.length);
    for (let j = 0; j < ps.length; j++) src[s + j] = ps[j];
    if (addEos) src[s + ps.length] = vocab.eosId;
    s += sl;
    tgt.set(pt, t);
    t += pt.length;
    srcOffsets[i + 1] = s;
    tgtOffsets[i + 1] = t;
  }
  return { src: src.slice(0, s), srcOffsets, tgt: tgt.slice(0, t), tgtOffsets };
}

/** Packs source sentences for decoding (EOS appended as for training). */
export function packSources(sources: readonly Ids[], vocab: Vocab, name = 'sources'): { src: Int32Array; srcOffsets: Int32Array } {
  checkVocab(vocab);
  if (!Array.isArray(sources)) throw invalid(`${name} must be an array of token-id arrays (got ${describe(sources)})`);
  const n = sources.length;
  const srcOffsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ps = sources[i] as unknown;
    if (!isIds(ps)) throw invalid(`${name}[${i}] must be an array or Int32Array of token ids (got ${describe(ps)})`);
    checkSentence(ps, vocab, `${name}[${i}]`, 'src');
    total += ps.length + (ps[ps.length - 1] === vocab.eosId ? 0 : 1);
    if (total > 2 ** 31 - 1) throw invalid(`${name} holds more than 2^31 - 1 tokens`);
    srcOffsets[i + 1] = total;
  }
  const src = new Int32Array(total);
  for (let i = 0; i < n; i++) {
    const ps = sources[i];
    const o = srcOffsets[i];
    for (let j = 0; j < ps.length; j++) src[o + j] = ps[j];
    if (srcOffsets[i + 1] - o > ps.length) src[o + ps.length] = vocab.eosId;
  }
  return { src, srcOffsets };
}

function checkOffsets(data: Int32Array, offsets: unknown, name: string, field: string, n: number): asserts offsets is Int32Array {
  if (!(offsets instanceof Int32Array)) throw invalid(`${name}.${field} must be an Int32Array (got ${describe(offsets)})`);
  if (offsets.length !== n + 1)
    throw invalid(`${name}.${field} must have ${n + 1} entries (one more than the number of pairs, ${n}) (got ${offsets.length})`);
  if (offsets[0] !== 0) throw invalid(`${name}.${field}[0] must be 0 (got ${offsets[0]})`);
  for (let i = 1; i <= n; i++) {
    if (offsets[i] < offsets[i - 1])
      throw invalid(`${name}.${field}[${i}] = ${offsets[i]} is less than ${field}[${i - 1}] = ${offsets[i - 1]} (offsets must be non-decreasing)`);
  }
  const dataField = field === 'srcOffsets' ? 'src' : 'tgt';
  if (offsets[n] !== data.length)
    throw invalid(`${name}.${field}[${n}] = ${offsets[n]} must equal ${name}.${dataField}.length = ${data.length}`);
}

/**
 * Validates already-packed pairs (used as given: sources are not extended with EOS).
 * Returns the number of pairs.
 */
export function validatePackedPairs(p: NativePairs, vocab: Vocab, name = 'pairs'): number {
  checkVocab(vocab);
  if (typeof p !== 'object' || p === null) throw invalid(`${name} must be packed pairs {src, srcOffsets, tgt, tgtOffsets} (got ${describe(p)})`);
  for (const f of ['src', 'srcOffsets', 'tgt', 'tgtOffsets'] as const) {
    if (!((p as unknown as Record<string, unknown>)[f] instanceof Int32Array))
      throw invalid(`${name}.${f} must be an Int32Array (got ${describe((p as unknown as Record<string, unknown>)[f])})`);
  }
  const n = p.srcOffsets.length - 1;
  if (n < 0) throw invalid(`${name}.srcOffsets must have at least one entry (0)`);
  checkOffsets(p.src, p.srcOffsets, name, 'srcOffsets', n);
  checkOffsets(p.tgt, p.tgtOffsets, name, 'tgtOffsets', n);
  for (let i = 0; i < n; i++) {
    checkSentence(p.src, vocab, `${name}[${i}].src`, 'src', p.srcOffsets[i], p.srcOffsets[i + 1]);
    checkSentence(p.tgt, vocab, `${name}[${i}].tgt`, 'tgt', p.tgtOffsets[i], p.tgtOffsets[i + 1]);
  }
  return n;
}

/** True for the packed form (typed arrays + offsets) rather than an array of pairs. */
export function isPacked(x: unknown): x is NativePairs {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'srcOffsets' in x;
}

/** Packs an array of pairs or validates a packed one. */
export function toNativePairs(x: readonly Pair[] | NativePairs, vocab: Vocab, name = 'pairs'): NativePairs {
  if (isPacked(x)) {
    validatePackedPairs(x, vocab, name);
    return x;
  }
  return packPairs(x as readonly Pair[], vocab, name);
}

/** Number of pairs in packed data. */
export function pairCount(p: NativePairs): number {
  return p.srcOffsets.length - 1;
}
