// The report's figures, rendered once and shared by the HTML (inline), figures/NAME.svg
// and the PNG exports.
import { CHAIN_FIGURES } from './chain_tables.js';
import { learningCurveSvg, generatorQualitySvg, rankFrequencySvg, seriesSvg } from './svg.js';
import type { Analysis } from './types.js';

export interface Figure {
  /** File name stem: figures/NAME.svg and figures/NAME.png. */
  name: string;
  title: string;
  svg: string;
  width: number;
  height: number;
}

function size(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  return { width: Math.ceil(Number(m?.[1] ?? 760)), height: Math.ceil(Number(m?.[2] ?? 440)) };
}

function figure(name: string, title: string, svg: string): Figure {
  return { name, title, svg, ...size(svg) };
}

export function figures(analysis: Analysis): Figure[] {
  const out = [
    figure('learning-curve-bleu', 'BLEU by training size', learningCurveSvg(analysis.curves, 'bleu', { title: 'BLEU by training size' })),
    figure('learning-curve-chrf', 'chrF by training size', learningCurveSvg(analysis.curves, 'chrf', { title: 'chrF by training size' })),
  ];
  if (analysis.generators.length > 0) {
    const title = 'Generator quality on the student pool';
    out.push(figure('generator-quality', title, generatorQualitySvg(analysis.generators, { title })));
  }
  return [...out, ...chainFigures(analysis)];
}

/** Curves over generations (one line per regime) and each regime's rank-frequency. */
export function chainFigures(analysis: Analysis): Figure[] {
  const c = analysis.chains;
  if (!c || c.curves.length === 0) return [];
  const out: Figure[] = [];
  for (const [m, label, clamp] of CHAIN_FIGURES) {
    const series = c.curves.map((k) => ({ name: k.chain, points: k.points.flatMap((p) => (p.values[m] ? [{ x: p.generation, s: p.values[m]! }] : [])) }));
    if (series.every((s) => s.points.length === 0)) continue;
    const title = `${label} over generations`;
    out.push(figure(`chain-${m.replace(/_/g, '-')}`, title, seriesSvg(series, { y: label, x: 'Generation', desc: `${label} by generation, one line per regime; shaded: 95% confidence interval over seeds.`, clamp, logX: false }, { title })));
  }
  for (const rf of c.rankFrequency) {
    const title = `Word rank-frequency: ${rf.chain} (seed ${rf.seed})`;
    out.push(figure(`chain-rank-frequency-${rf.chain.replace(/[^A-Za-z0-9]+/g, '-')}`, title, rankFrequencySvg(rf.series, { title })));
  }
  return out;
}
