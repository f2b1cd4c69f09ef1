// The report's tables as plain text cells, built once and rendered by html.ts and
// markdown.ts, so both formats always show the same numbers.
import { formatDelta, formatInt, formatP, formatPercent, formatScore } from './format.js';
import type { ReportMeta } from './meta.js';
import type { Summary } from './stats.js';
import type { Analysis, MetricComparison } from './types.js';

export interface Table {
  header: string[];
  rows: string[][];
  /** Columns holding numbers (right-aligned). */
  numeric?: number[];
}

const DASH = '–';

function cell(s: Summary | undefined): string {
  if (!s) return DASH;
  if (s.ci95 === null) return `${formatScore(s.mean)} (n=1)`;
  return `${formatScore(s.mean)} ± ${formatScore(s.ci95)} (n=${s.n})`;
}

/** Rows: conditions; columns: sizes; cells: mean ± CI half-width (n seeds). */
export function curveTable(a: Analysis, metric: 'bleu' | 'chrf'): Table {
  return {
    header: ['Condition', ...a.sizes.map((s) => formatInt(s))],
    rows: a.curves.map((c) => [c.condition, ...a.sizes.map((size) => cell(c.points.find((p) => p.size === size)?.[metric]))]),
    numeric: a.sizes.map((_, i) => i + 1),
  };
}

function cmpCells(m: MetricComparison | null): string[] {
  if (!m) return [DASH, DASH, DASH];
  return [formatDelta(m.meanDelta, 2), m.seeds.map((s) => formatP(s.pValue)).join(', '), m.significant ? 'yes' : 'no'];
}

export function significanceTable(a: Analysis): Table {
  return {
    header: ['Condition', 'Size', 'Seeds', 'Δ BLEU', 'p (BLEU)', 'Significant (BLEU)', 'Δ chrF', 'p (chrF)', 'Significant (chrF)'],
    rows: a.significance.rows.map((r) =>
      r.skipped
        ? [r.condition, formatInt(r.size), `skipped: ${r.skipped}`, DASH, DASH, DASH, DASH, DASH, DASH]
        : [r.condition, formatInt(r.size), r.matchedSeeds.join(', '), ...cmpCells(r.bleu), ...cmpCells(r.chrf)],
    ),
    numeric: [1, 3, 4, 6, 7],
  };
}

export function fractionTable(a: Analysis): Table {
  const opt = (x: number | null, f: (v: number) => string) => (x === null ? DASH : f(x));
  return {
    header: ['Generator', 'Best generated BLEU', 'at size', 'Smallest real size reaching it', 'Real BLEU there', 'Interpolated real size', 'Share of largest generated set', 'Outcome'],
    rows: a.fractionOfReal.map((f) => [
      f.condition,
      opt(f.best?.bleu ?? null, formatScore),
      opt(f.best?.size ?? null, formatInt),
      opt(f.realSize, formatInt),
      opt(f.realBleu, formatScore),
      opt(f.interpolatedSize, formatInt),
      opt(f.fractionOfLargest, formatPercent),
      f.status,
    ]),
    numeric: [1, 2, 3, 4, 5, 6],
  };
}

export function generatorTable(a: Analysis): Table {
  return {
    header: ['Generator', 'Kind', 'Sentences', 'BLEU', 'chrF', 'TER', 'MTLD', 'distinct-2', 'TTR', 'Seconds'],
    rows: a.generators.map((g) => [
      g.name,
      g.kind,
      formatInt(g.sentences),
      formatScore(g.bleu),
      formatScore(g.chrf),
      formatScore(g.ter),
      g.diversity ? formatScore(g.diversity.mtld) : DASH,
      g.diversity ? formatScore(g.diversity.distinct_2, 3) : DASH,
      g.diversity ? formatScore(g.diversity.ttr, 3) : DASH,
      formatScore(g.seconds),
    ]),
    numeric: [2, 3, 4, 5, 6, 7, 8, 9],
  };
}

/** Metadata as [label, value] lines, in a fixed order; missing items are left out. */
export function metaRows(meta: ReportMeta, a: Analysis): [string, string][] {
  const rows: [string, string][] = [];
  const add = (k: string, v: string | undefined) => v !== undefined && v !== '' && rows.push([k, v]);
  add('Experiment', meta.experiment);
  add('Corpus', meta.corpus);
  add('Direction', meta.direction);
  add('Training sizes', (meta.sizes ?? a.sizes).map(formatInt).join(', '));
  add('Seeds', (meta.seeds ?? a.seeds).join(', '));
  add('Conditions', a.conditions.join(', '));
  add('Test sentences', formatInt(a.testSentences));
  add('Bootstrap', `paired, ${formatInt(a.significance.samples)} resamples, seed ${a.significance.seed}, alpha ${a.significance.alpha}`);
  for (const [k, v] of Object.entries(meta.extra ?? {})) add(k, String(v));
  const versions = Object.entries(meta.versions ?? {});
  if (versions.length) add('Versions', versions.map(([k, v]) => `${k} ${v}`).join(', '));
  add('Date', meta.date);
  return rows;
}
