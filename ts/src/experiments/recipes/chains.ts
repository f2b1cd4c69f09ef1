// Training sets over generations (model collapse): the regimes of a chain. Generation 0
// trains on the chain's real sample S of pool B (sampleIndices: the same sources a
// student of that size and seed sees). Generation k >= 1:
//   replace     S with generation k-1's translations as targets;
//   accumulate  the real pairs of S plus every earlier generation's translations of S
//               (the set grows by |S| each generation);
//   fresh:P     a share P of real pairs new to the chain (the seed's shuffle of pool B
//               after S, where pool B allows; else a seeded resample), the rest S's
//               sources at the nested mask positions with generation k-1's targets.
import { invalid } from '../../common/errors.js';
import { generatedCount, generatedMask, sampleIndices, shufflePrefix } from '../grid/sampling.js';
import type { RecipePair } from './types.js';

export type Regime = { kind: 'replace' } | { kind: 'accumulate' } | { kind: 'fresh'; real: number };

export const REGIME_GRAMMAR = 'replace, accumulate or fresh:P with 0 < P < 1';

export function parseRegime(text: unknown): Regime {
  if (typeof text !== 'string') throw invalid(`a chain regime must be a string (${REGIME_GRAMMAR})`);
  const t = text.trim();
  if (t === 'replace' || t === 'accumulate') return { kind: t };
  const m = /^fresh:(\d+(\.\d+)?|\.\d+)$/.exec(t);
  if (m) {
    const p = Number(m[1]);
    if (!(p > 0 && p < 1)) throw invalid(`'${text}': the real share P must be a decimal number with 0 < P < 1 (fresh:0 is replace)`);
    return { kind: 'fresh', real: p };
  }
  throw invalid(`unknown chain regime '${text}' (${REGIME_GRAMMAR})`);
}

export function formatRegime(r: Regime): string {
  return r.kind === 'fresh' ? `fresh:${r.real}` : r.kind;
}

export interface GenerationContext {
  poolBSize: number;
  size: number;
  seed: number;
  /** 0..K. */
  generation: number;
}

/** The real pairs of a fresh:P generation k >= 1 (pool-B positions, in order). */
export function freshIndices(r: Extract<Regime, { kind: 'fresh' }>, c: GenerationContext): number[] {
  const m = c.size - generatedCount(c.size, 1 - r.real);
  const end = c.size + c.generation * m;
  if (end <= c.poolBSize) return Array.from(shufflePrefix(c.poolBSize, end, 'poolB', c.seed).subarray(end - m));
  return Array.from(shufflePrefix(c.poolBSize, Math.min(m, c.poolBSize), `chain-fresh/${c.generation}`, c.seed));
}


/** Generation (index into the chain) -> the pool-B positions it must have translated for generation `c.generation`. */
export function regimeNeeds(r: Regime, c: GenerationContext): Map<number, number[]> {
  const k = c.generation;
  if (k === 0) return new Map();
  const s = Array.from(sampleIndices(c.poolBSize, c.size, c.seed));
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  if (r.kind === 'replace') return new Map([[k - 1, sorted(s)]]);
  if (r.kind === 'accumulate') return new Map(Array.from({ length: k }, (_, j) => [j, sorted(s)]));
  const mask = generatedMask(c.size, 1 - r.real);
  return new Map([[k - 1, sorted(s.filter((_, j) => mask[j]))]]);
}

/** One training pair: from the real translation, or from generation `from`'s output. */
export type GenerationPair = Omit<RecipePair, 'target'> & { target: { real: true } | { generation: number } };

/** Generation c.generation's training set, in training order. `outputs(j)`: generation j's outputs. */
export function regimeSelect(r: Regime, c: GenerationContext): GenerationPair[] {
  const s = Array.from(sampleIndices(c.poolBSize, c.size, c.seed));
  const real = (index: number): GenerationPair => ({ index, target: { real: true } });
  const k = c.generation;
  if (k === 0) return s.map(real);
  if (r.kind === 'replace') return s.map((index) => ({ index, target: { generation: k - 1 } }));
  if (r.kind === 'accumulate') return [...s.map(real), ...Array.from({ length: k }, (_, j) => s.map((index) => ({ index, target: { generation: j } }))).flat()];
  const mask = generatedMask(c.size, 1 - r.real);
  const fresh = freshIndices(r, c);
  return [...fresh.map(real), ...s.filter((_, j) => mask[j]).map((index) => ({ index, target: { generation: k - 1 } }))];
}
