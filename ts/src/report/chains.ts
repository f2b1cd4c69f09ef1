// The collapse chains' part of the report: per regime and generation, the mean and 95%
// CI over seeds of every measure; per regime, the last generation against generation 0
// (sacreBLEU's paired bootstrap per seed on BLEU, significant only when every seed is);
// and the word rank-frequency of the real references against generations 0, 1 and K.
import type { ChainResult } from '../experiments/types.js';
import { bootstrapSide, pairedBootstrapSides } from '../metrics/bootstrap.js';
import { wordCounts } from '../metrics/diversity.js';
import { compareStrings } from './conditions.js';
import { ALPHA } from './significance.js';
import { summarize, type Summary } from './stats.js';
import type { SeedComparison } from './types.js';

/** The measures each generation has, in report order: [field, label]. */
export const CHAIN_MEASURES = [
  ['bleu', 'BLEU'],
  ['chrf', 'chrF'],
  ['ter', 'TER'],
  ['perplexity', 'Perplexity of the real references'],
  ['mtld', 'MTLD of the outputs'],
  ['distinct_2', 'distinct-2 of the outputs'],
  ['vocab_size', 'Vocabulary of the outputs'],
  ['tail_coverage', 'Tail coverage (real types seen at most twice)'],
  ['length_ratio', 'Output length / reference length'],
  ['length_p10', 'Output length, 10th percentile (words)'],
  ['length_p50', 'Output length, median (words)'],
  ['length_p90', 'Output length, 90th percentile (words)'],
  ['data_bleu', 'BLEU of the generated training data'],
] as const;
export type ChainMeasure = (typeof CHAIN_MEASURES)[number][0];

export interface ChainPoint {
  generation: number;
  seeds: number[];
  values: Partial<Record<ChainMeasure, Summary>>;
}

export interface ChainCurve {
  chain: string;
  size: number;
  points: ChainPoint[];
}

export interface ChainTest {
  chain: string;
  /** The last generation compared with generation 0. */
  last: number;
  seeds: SeedComparison[];
  meanDelta: number | null;
  significant: boolean;
  /** Why it was not compared; null when compared. */
  skipped: string | null;
}

export interface ChainAnalysis {
  curves: ChainCurve[];
  tests: ChainTest[];
  /** Per regime (its first seed): word counts by rank of the references and of generations 0, 1 and K. */
  rankFrequency: { chain: string; seed: number; series: { name: string; counts: number[] }[] }[];
  signature: string;
}

export interface ChainInput {
  results: readonly ChainResult[];
  refs: readonly string[];
  hyps: (r: ChainResult) => readonly string[];
  samples: number;
  seed: number;
}

const RANKS = 2000;

function byChain(results: readonly ChainResult[]): Map<string, ChainResult[]> {
  const m = new Map<string, ChainResult[]>();
  for (const r of results) {
    let l = m.get(r.chain);
    if (!l) m.set(r.chain, (l = []));
    l.push(r);
  }
  return new Map([...m].sort((a, b) => compareStrings(a[0], b[0])));
}

export function analyzeChains(input: ChainInput): ChainAnalysis {
  const curves: ChainCurve[] = [];
  const tests: ChainTest[] = [];
  const rankFrequency: ChainAnalysis['rankFrequency'] = [];
  let signature = '';
  for (const [chain, rs] of byChain(input.results)) {
    const gens = [...new Set(rs.map((r) => r.generation))].sort((a, b) => a - b);
    const points = gens.map((g) => {
      const here = rs.filter((r) => r.generation === g).sort((a, b) => a.seed - b.seed);
      const values: ChainPoint['values'] = {};
      for (const [m] of CHAIN_MEASURES) {
        const xs = here.map((r) => r[m]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
        if (xs.length) values[m] = summarize(xs);
      }
      return { generation: g, seeds: here.map((r) => r.seed), values };
    });
    curves.push({ chain, size: rs[0].size, points });
    const last = gens[gens.length - 1];
    const at = (g: number) => new Map(rs.filter((r) => r.generation === g).map((r) => [r.seed, r]));
    const g0 = at(0);
    const gl = at(last);
    const pairs = [...gl.keys()].filter((s) => g0.has(s)).sort((a, b) => a - b);
    let skipped: string | null = null;
    if (last === 0) skipped = 'only generation 0 has run';
    else if (pairs.length === 0) skipped = `no seed has both generation 0 and generation ${last}`;
    const seeds: SeedComparison[] = skipped
      ? []
      : pairs.map((s) => {
          const o = { metric: 'bleu' as const, nSamples: input.samples, seed: input.seed };
          const r = pairedBootstrapSides(bootstrapSide(input.hyps(g0.get(s)!), [input.refs], o), bootstrapSide(input.hyps(gl.get(s)!), [input.refs], o));
          signature = r.signature;
          const delta = r.difference.observed;
          return { seed: s, real: r.baseline.score, system: r.system.score, delta, pValue: delta === 0 ? 1 : r.system.pValue };
        });
    tests.push({
      chain,
      last,
      seeds,
      meanDelta: seeds.length ? seeds.reduce((a, x) => a + x.delta, 0) / seeds.length : null,
      significant: seeds.length > 0 && seeds.every((x) => x.pValue < ALPHA),
      skipped,
    });
    const seed = Math.min(...rs.map((r) => r.seed));
    const shown = [...new Set([0, 1, last])].filter((g) => gens.includes(g));
    const counts = (lines: readonly string[]) => wordCounts(lines).slice(0, RANKS).map(([, n]) => n);
    rankFrequency.push({
      chain,
      seed,
      series: [
        { name: 'real references', counts: counts(input.refs) },
        ...shown.flatMap((g) => {
          const r = rs.find((x) => x.generation === g && x.seed === seed);
          return r ? [{ name: `generation ${g}`, counts: counts(input.hyps(r)) }] : [];
        }),
      ],
    });
  }
  return { curves, tests, rankFrequency, signature };
}
