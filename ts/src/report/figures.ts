// The report's figures, rendered once and shared by the HTML (inline), figures/NAME.svg
// and the PNG exports.
import { learningCurveSvg, generatorQualitySvg } from './svg.js';
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
  return out;
}
