// "A fraction of real data is enough" (the paper's first finding, made a number): for each
// generator G, the best mean BLEU that generated:G reaches at any size, and the smallest
// real training size whose mean BLEU reaches it, with the size interpolated linearly
// between the two real sizes that bracket it.
import { compareStrings } from './conditions.js';
import { formatInt, formatPercent, formatScore } from './format.js';
import { inverseLerp } from './stats.js';
import type { FractionOfReal, LearningCurve } from './types.js';

type Point = { size: number; bleu: number };

function meanPoints(curve: LearningCurve | undefined): Point[] {
  return (curve?.points ?? []).map((p) => ({ size: p.size, bleu: p.bleu.mean }));
}

/** The highest mean BLEU; the smallest size on ties (points are ascending by size). */
function best(points: Point[]): Point | null {
  let b: Point | null = null;
  for (const p of points) if (!b || p.bleu > b.bleu) b = p;
  return b;
}

function pairs(n: number): string {
  return `${formatInt(n)} ${n === 1 ? 'pair' : 'pairs'}`;
}

export function fractionOfRealFor(generator: string, curves: readonly LearningCurve[]): FractionOfReal {
  const condition = `generated:${generator}`;
  const gen = meanPoints(curves.find((c) => c.condition === condition));
  const real = meanPoints(curves.find((c) => c.condition === 'real'));
  const out: FractionOfReal = {
    generator,
    condition,
    status: 'no-generated',
    best: best(gen),
    largestGeneratedSize: gen.length ? gen[gen.length - 1].size : null,
    realSize: null,
    realBleu: null,
    interpolatedSize: null,
    fractionOfLargest: null,
    bestReal: best(real),
    statement: '',
  };
  const b = out.best;
  if (!b) {
    out.statement = `There are no ${condition} runs, so ${condition} cannot be compared with real data.`;
    return out;
  }
  const target = `the best BLEU of ${condition} (${formatScore(b.bleu)} at ${pairs(b.size)})`;
  if (real.length === 0) {
    out.status = 'no-real';
    out.statement = `There are no real runs, so ${target} cannot be compared with real data.`;
    return out;
  }
  const k = real.findIndex((p) => p.bleu >= b.bleu);
  if (k < 0) {
    const br = out.bestReal!;
    out.status = 'never-reached';
    out.statement =
      `No real training size up to ${pairs(real[real.length - 1].size)} reaches ${target}; ` +
      `the best real BLEU is ${formatScore(br.bleu)} at ${pairs(br.size)}.`;
    return out;
  }
  const hit = real[k];
  const largest = out.largestGeneratedSize!;
  out.realSize = hit.size;
  out.realBleu = hit.bleu;
  out.fractionOfLargest = hit.size / largest;
  const share = `${formatPercent(out.fractionOfLargest)} of the largest generated set`;
  if (k === 0) {
    out.status = 'smallest-real-reaches';
    out.statement =
      `Even the smallest real training set, ${pairs(hit.size)} (${share}), ` +
      `reaches ${target} with ${formatScore(hit.bleu)}.`;
    return out;
  }
  const prev = real[k - 1];
  out.status = 'reached';
  out.interpolatedSize = inverseLerp(prev.size, prev.bleu, hit.size, hit.bleu, b.bleu);
  const already = hit.size <= largest ? 'already ' : '';
  out.statement =
    `Training on ${formatInt(hit.size)} real ${hit.size === 1 ? 'pair' : 'pairs'} (${share}) ${already}matches ${target}; ` +
    `by linear interpolation about ${pairs(Math.round(out.interpolatedSize))} of real data would suffice.`;
  return out;
}

/** One entry per generator: those with quality records and those with generated:G runs. */
export function fractionOfReal(curves: readonly LearningCurve[], generators: readonly string[]): FractionOfReal[] {
  const names = new Set(generators);
  for (const c of curves) if (c.condition.startsWith('generated:')) names.add(c.condition.slice('generated:'.length));
  return [...names].sort(compareStrings).map((g) => fractionOfRealFor(g, curves));
}
