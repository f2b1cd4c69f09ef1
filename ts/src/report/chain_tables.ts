// The chains' tables (rendered by html.ts and markdown.ts) and which measures get a figure.
import { CHAIN_MEASURES, type ChainMeasure } from './chains.js';
import { formatDelta, formatP, formatScore } from './format.js';
import type { Summary } from './stats.js';
import type { Table } from './tables.js';
import type { Analysis } from './types.js';

/** Measures drawn over generations: [field, axis label, the scale's ends]. */
export const CHAIN_FIGURES: readonly [ChainMeasure, string, [number, number]][] = [
  ['bleu', 'BLEU', [0, 100]],
  ['chrf', 'chrF', [0, 100]],
  ['ter', 'TER', [0, Infinity]],
  ['perplexity', 'Perplexity of the real references', [0, Infinity]],
  ['mtld', 'MTLD of the outputs', [0, Infinity]],
  ['distinct_2', 'distinct-2 of the outputs', [0, 1]],
  ['vocab_size', 'Vocabulary of the outputs', [0, Infinity]],
  ['tail_coverage', 'Tail coverage', [0, 1]],
  ['length_ratio', 'Output length / reference length', [0, Infinity]],
  ['length_p50', 'Median output length (words)', [0, Infinity]],
  ['data_bleu', 'BLEU of the generated training data', [0, 100]],
];

const DASH = '–';

function cell(s: Summary | undefined, digits = 2): string {
  if (!s) return DASH;
  const f = (x: number) => (Math.abs(x) >= 100 ? formatScore(x) : x.toFixed(digits));
  return s.ci95 === null ? `${f(s.mean)} (n=1)` : `${f(s.mean)} ± ${f(s.ci95)} (n=${s.n})`;
}

/** Whether the report shows the students' sections (a study of chains alone has none). */
export function showStudents(a: Analysis): boolean {
  return a.curves.length > 0 || !a.chains || a.chains.curves.length === 0;
}

export const CHAIN_NOTE =
  'Generation 0 trains on real pool-B pairs; generation k+1 on what generation k wrote (replace), on the real pairs plus every earlier generation\'s output (accumulate), or on a share P of new real pairs and generation k\'s output for the rest (fresh:P). Every measure is on the real test split; mean over seeds ± half-width of the 95% Student-t interval.';

export function chainTestNote(a: Analysis): string {
  return `Paired bootstrap resampling (sacreBLEU's paired-bs, ${a.significance.samples} resamples, seed ${a.significance.seed}) of each regime's last generation against its generation 0, seed by seed, on BLEU; significant = every seed has p < ${a.significance.alpha}.`;
}

/** One row per regime and measure, one column per generation. */
export function chainTable(a: Analysis): Table {
  const c = a.chains!;
  const gens = [...new Set(c.curves.flatMap((k) => k.points.map((p) => p.generation)))].sort((x, y) => x - y);
  const rows: string[][] = [];
  for (const k of c.curves) {
    for (const [m, label] of CHAIN_MEASURES) {
      if (!k.points.some((p) => p.values[m])) continue;
      rows.push([k.chain, label, ...gens.map((g) => cell(k.points.find((p) => p.generation === g)?.values[m], m === 'tail_coverage' || m === 'distinct_2' || m === 'length_ratio' ? 3 : 2))]);
    }
  }
  return { header: ['regime', 'measure', ...gens.map((g) => `gen ${g}`)], rows, numeric: gens.map((_, i) => i + 2) };
}

/** Per regime: is the last generation significantly worse (or better) than generation 0? */
export function chainTestTable(a: Analysis): Table {
  const rows = a.chains!.tests.map((t) => [
    t.chain,
    t.skipped ? DASH : `${t.last}`,
    t.meanDelta === null ? DASH : formatDelta(t.meanDelta),
    t.seeds.length ? t.seeds.map((s) => `${s.seed}: ${formatP(s.pValue)}`).join(', ') : DASH,
    t.skipped ?? (t.significant ? (t.meanDelta! < 0 ? 'yes, worse' : 'yes, better') : 'no'),
  ]);
  return { header: ['regime', 'last generation', 'Δ BLEU (last − gen 0)', 'p per seed', 'significant'], rows, numeric: [1, 2] };
}
