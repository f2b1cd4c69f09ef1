// Dependency-free SVG charts for the report: learning curves (one line per condition with
// markers and a shaded 95% CI band) and a grouped bar chart of generator quality.
// Colours are Okabe and Ito's colour-blind safe palette; each series also gets its own
// marker shape (and, past eight series, a dash pattern), so no reading relies on colour.
// Every piece of text goes through escapeXml: condition and generator names are user input.
import type { GeneratorQuality } from '../experiments/types.js';
import { escapeXml as esc } from './escape.js';
import { formatScore } from './format.js';
import { compactNumber, logTicks, niceTicks } from './ticks.js';
import type { Summary } from './stats.js';
import type { CurvePoint, LearningCurve } from './types.js';

/** Okabe-Ito, minus black (kept for axes) and yellow (too light on white) until needed. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export interface ChartOptions {
  title: string;
  width?: number;
  height?: number;
}

const n2 = (x: number) => String(Math.round(x * 100) / 100);

function open(title: string, width: number, height: number, desc: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${esc(title)}</title>`,
    `<desc>${esc(desc)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${n2(width / 2)}" y="26" text-anchor="middle" font-size="16" font-weight="bold" ${FONT} fill="#000000">${esc(title)}</text>`,
  ];
}

/** Truncates a label for a fixed-width slot; the full text stays in a <title> tooltip. */
function label(text: string, max: number): string {
  const short = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return short === text ? esc(text) : `<title>${esc(text)}</title>${esc(short)}`;
}

function marker(shape: (typeof MARKERS)[number], x: number, y: number, color: string): string {
  const s = 4.5;
  switch (shape) {
    case 'circle':
      return `<circle cx="${n2(x)}" cy="${n2(y)}" r="${s}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${n2(x - s)}" y="${n2(y - s)}" width="${2 * s}" height="${2 * s}" fill="${color}"/>`;
    case 'triangle':
      return `<path d="M${n2(x)} ${n2(y - s - 1)}L${n2(x + s + 1)} ${n2(y + s)}L${n2(x - s - 1)} ${n2(y + s)}Z" fill="${color}"/>`;
    case 'diamond':
      return `<path d="M${n2(x)} ${n2(y - s - 1)}L${n2(x + s + 1)} ${n2(y)}L${n2(x)} ${n2(y + s + 1)}L${n2(x - s - 1)} ${n2(y)}Z" fill="${color}"/>`;
  }
}

/** Style of the i-th series: colour, dash pattern and marker shape. */
export function seriesStyle(i: number): { color: string; dash: string; marker: (typeof MARKERS)[number] } {
  return { color: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length], marker: MARKERS[i % MARKERS.length] };
}

function yAxis(out: string[], ticks: number[], y: (v: number) => number, left: number, right: number, name: string, top: number, bottom: number): void {
  for (const t of ticks) {
    out.push(`<line x1="${left}" y1="${n2(y(t))}" x2="${right}" y2="${n2(y(t))}" stroke="#dddddd" stroke-width="1"/>`);
    out.push(`<text x="${left - 8}" y="${n2(y(t) + 4)}" text-anchor="end" font-size="12" ${FONT} fill="#333333">${esc(String(t))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#000000" stroke-width="1"/>`);
  const cy = n2((top + bottom) / 2);
  out.push(`<text x="16" y="${cy}" transform="rotate(-90 16 ${cy})" text-anchor="middle" font-size="13" ${FONT} fill="#000000">${esc(name)}</text>`);
}

/** One line of a chart: a mean per x with its 95% CI over seeds. */
export interface Series {
  name: string;
  points: { x: number; s: Summary }[];
}

export interface SeriesAxes {
  /** The y axis' name ('BLEU'). */
  y: string;
  /** The x axis' name, before ' (log scale)'. */
  x: string;
  /** The <desc> text. */
  desc: string;
  /** The y scale's ends: values and bands are cut there (BLEU and chrF: [0, 100]). */
  clamp: [number, number];
  /** Logarithmic x when the xs span more than a factor of 20 (training sizes); false: always linear. */
  logX: boolean;
}

/**
 * Learning curves of one metric: x = training pairs (logarithmic when the sizes span more
 * than a factor of 20), y = the mean over seeds, shaded band = the 95% CI over seeds.
 */
export function learningCurveSvg(curves: readonly LearningCurve[], metric: 'bleu' | 'chrf', opts: ChartOptions): string {
  const name = metric === 'bleu' ? 'BLEU' : 'chrF';
  const series = curves.map((c) => ({ name: c.condition, points: c.points.map((p: CurvePoint) => ({ x: p.size, s: p[metric] })) }));
  return seriesSvg(series, { y: name, x: 'Training pairs', desc: `${name} by training size, one line per condition; shaded: 95% confidence interval over seeds.`, clamp: [0, 100], logX: true }, opts);
}

/** Lines with shaded 95% CI bands, one per series, and a legend. */
export function seriesSvg(curves: readonly Series[], axes: SeriesAxes, opts: ChartOptions): string {
  // the legend column is as wide as the longest name needs, within limits
  const longest = Math.max(8, ...curves.map((c) => c.name.length));
  const legend = Math.min(270, Math.max(170, 56 + 7 * longest));
  const W = opts.width ?? 580 + legend;
  // tall enough for the legend, one row per condition
  const H = opts.height ?? Math.max(440, 48 + 22 * curves.length + 80);
  const L = 64, R = W - legend, T = 48, B = H - 56;
  const maxLabel = Math.floor((legend - 56) / 7);
  const name = axes.y;
  const out = open(opts.title, W, H, axes.desc);
  const pts = curves.flatMap((c) => c.points);
  if (pts.length === 0) {
    out.push(`<text x="${n2(W / 2)}" y="${n2(H / 2)}" text-anchor="middle" font-size="14" ${FONT} fill="#333333">No runs to plot</text>`, '</svg>');
    return out.join('\n');
  }
  const sizes = pts.map((p) => p.x);
  const minS = Math.min(...sizes), maxS = Math.max(...sizes);
  const log = axes.logX && minS > 0 && maxS / minS > 20;
  let x: (v: number) => number;
  let xt: number[];
  if (log) {
    const a = Math.log(minS) - 0.05 * Math.log(maxS / minS), b = Math.log(maxS) + 0.05 * Math.log(maxS / minS);
    x = (v) => L + ((Math.log(v) - a) / (b - a)) * (R - L);
    xt = logTicks(Math.exp(a), Math.exp(b));
  } else {
    xt = niceTicks(minS === maxS ? 0 : minS, maxS, 6);
    const a = xt[0], b = xt[xt.length - 1];
    x = (v) => L + ((v - a) / (b - a)) * (R - L);
  }
  // a t interval over two seeds can reach past the scale's ends (BLEU and chrF: [0, 100]),
  // which the tables report as computed but the chart cuts
  const [cLo, cHi] = axes.clamp;
  const lowOf = (p: { s: Summary }) => Math.max(cLo, p.s.low ?? p.s.mean);
  const highOf = (p: { s: Summary }) => Math.min(cHi, p.s.high ?? p.s.mean);
  const ys = pts.flatMap((p) => [p.s.mean, lowOf(p), highOf(p)]);
  const yt = niceTicks(Math.min(...ys), Math.max(...ys), 6);
  const y = (v: number) => B - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * (B - T);

  yAxis(out, yt, y, L, R, name, T, B);
  out.push(`<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#000000" stroke-width="1"/>`);
  for (const t of xt) {
    out.push(`<line x1="${n2(x(t))}" y1="${B}" x2="${n2(x(t))}" y2="${B + 5}" stroke="#000000" stroke-width="1"/>`);
    out.push(`<text x="${n2(x(t))}" y="${B + 19}" text-anchor="middle" font-size="12" ${FONT} fill="#333333">${esc(compactNumber(t))}</text>`);
  }
  out.push(`<text x="${n2((L + R) / 2)}" y="${H - 14}" text-anchor="middle" font-size="13" ${FONT} fill="#000000">${esc(axes.x)}${log ? ' (log scale)' : ''}</text>`);

  curves.forEach((c, i) => {
    const st = seriesStyle(i);
    const ps = c.points;
    const g = [`<g class="series" data-condition="${esc(c.name)}">`];
    const lo = ps.map((p) => `${n2(x(p.x))} ${n2(y(lowOf(p)))}`);
    const hi = ps.map((p) => `${n2(x(p.x))} ${n2(y(highOf(p)))}`);
    if (ps.length > 1) {
      g.push(`<path class="ci" d="M${hi.join('L')}L${lo.reverse().join('L')}Z" fill="${st.color}" fill-opacity="0.15" stroke="none"/>`);
      const dash = st.dash ? ` stroke-dasharray="${st.dash}"` : '';
      g.push(`<polyline class="line" points="${ps.map((p) => `${n2(x(p.x))},${n2(y(p.s.mean))}`).join(' ')}" fill="none" stroke="${st.color}" stroke-width="2.5"${dash}/>`);
    } else if (ps[0].s.low !== null) {
      // one point only: an error bar instead of a band
      const px = n2(x(ps[0].x));
      g.push(`<path class="ci" d="M${px} ${n2(y(lowOf(ps[0])))}V${n2(y(highOf(ps[0])))}" stroke="${st.color}" stroke-width="1.5"/>`);
    }
    for (const p of ps) g.push(marker(st.marker, x(p.x), y(p.s.mean), st.color));
    g.push('</g>');
    out.push(...g);
    // legend entry
    const ly = T + 8 + i * 22;
    const lx = R + 20;
    const dash = st.dash ? ` stroke-dasharray="${st.dash}"` : '';
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${st.color}" stroke-width="2.5"${dash}/>`);
    out.push(marker(st.marker, lx + 14, ly, st.color));
    out.push(`<text x="${lx + 36}" y="${ly + 4}" font-size="12" ${FONT} fill="#000000">${label(c.name, maxLabel)}</text>`);
  });
  out.push(`<text x="${R + 20}" y="${n2(T + 8 + curves.length * 22 + 6)}" font-size="11" ${FONT} fill="#555555">shaded: 95% CI over seeds</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/**
 * Rank-frequency of words on log-log axes, one line per series (no bands): where the
 * lines fall below the references' at high ranks, the tail is gone.
 */
export function rankFrequencySvg(series: readonly { name: string; counts: readonly number[] }[], opts: ChartOptions): string {
  const W = opts.width ?? 820, H = opts.height ?? 460;
  const L = 64, R = W - 230, T = 48, B = H - 56;
  const out = open(opts.title, W, H, 'Word frequency by frequency rank, both axes logarithmic, one line per text.');
  const all = series.flatMap((s) => s.counts).filter((c) => c > 0);
  if (all.length === 0) {
    out.push(`<text x="${n2(W / 2)}" y="${n2(H / 2)}" text-anchor="middle" font-size="14" ${FONT} fill="#333333">No words to plot</text>`, '</svg>');
    return out.join('\n');
  }
  const maxRank = Math.max(2, ...series.map((s) => s.counts.length));
  const maxC = Math.max(2, ...all);
  const lx = (v: number) => L + (Math.log(v) / Math.log(maxRank)) * (R - L);
  const ly = (v: number) => B - (Math.log(v) / Math.log(maxC)) * (B - T);
  const yt = logTicks(1, maxC).filter((t) => t >= 1 && t <= maxC);
  for (const t of yt) {
    out.push(`<line x1="${L}" y1="${n2(ly(t))}" x2="${R}" y2="${n2(ly(t))}" stroke="#dddddd" stroke-width="1"/>`);
    out.push(`<text x="${L - 8}" y="${n2(ly(t) + 4)}" text-anchor="end" font-size="12" ${FONT} fill="#333333">${esc(compactNumber(t))}</text>`);
  }
  for (const t of logTicks(1, maxRank).filter((t) => t >= 1 && t <= maxRank)) {
    out.push(`<line x1="${n2(lx(t))}" y1="${B}" x2="${n2(lx(t))}" y2="${B + 5}" stroke="#000000" stroke-width="1"/>`);
    out.push(`<text x="${n2(lx(t))}" y="${B + 19}" text-anchor="middle" font-size="12" ${FONT} fill="#333333">${esc(compactNumber(t))}</text>`);
  }
  out.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#000000" stroke-width="1"/><line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#000000" stroke-width="1"/>`);
  out.push(`<text x="${n2((L + R) / 2)}" y="${H - 14}" text-anchor="middle" font-size="13" ${FONT} fill="#000000">Frequency rank (log scale)</text>`);
  const cy = n2((T + B) / 2);
  out.push(`<text x="16" y="${cy}" transform="rotate(-90 16 ${cy})" text-anchor="middle" font-size="13" ${FONT} fill="#000000">Count (log scale)</text>`);
  series.forEach((s, i) => {
    const st = seriesStyle(i);
    const dash = st.dash ? ` stroke-dasharray="${st.dash}"` : '';
    const pts = s.counts.map((c, r) => (c > 0 ? `${n2(lx(r + 1))},${n2(ly(c))}` : null)).filter((p): p is string => p !== null);
    out.push(`<g class="series" data-series="${esc(s.name)}"><polyline class="line" points="${pts.join(' ')}" fill="none" stroke="${st.color}" stroke-width="2"${dash}/></g>`);
    const y0 = T + 8 + i * 22;
    out.push(`<line x1="${R + 20}" y1="${y0}" x2="${R + 48}" y2="${y0}" stroke="${st.color}" stroke-width="2.5"${dash}/>`);
    out.push(`<text x="${R + 56}" y="${y0 + 4}" font-size="12" ${FONT} fill="#000000">${label(s.name, 24)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Grouped bars of each generator's BLEU and chrF on the student pool, value on top of each bar. */
export function generatorQualitySvg(generators: readonly GeneratorQuality[], opts: ChartOptions): string {
  const W = opts.width ?? Math.max(520, 140 + 120 * generators.length);
  const H = opts.height ?? 400;
  const L = 64, R = W - 24, T = 72, B = H - 56;
  const out = open(opts.title, W, H, 'BLEU and chrF of each generator on the student pool against the real references.');
  if (generators.length === 0) {
    out.push(`<text x="${n2(W / 2)}" y="${n2(H / 2)}" text-anchor="middle" font-size="14" ${FONT} fill="#333333">No generator quality records</text>`, '</svg>');
    return out.join('\n');
  }
  const yt = niceTicks(0, Math.max(1, ...generators.flatMap((g) => [g.bleu, g.chrf])), 5);
  const top = yt[yt.length - 1];
  const y = (v: number) => B - (Math.max(0, v) / top) * (B - T);
  yAxis(out, yt, y, L, R, 'Score', T, B);
  out.push(`<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#000000" stroke-width="1"/>`);
  const metrics = [
    { key: 'bleu' as const, name: 'BLEU', color: PALETTE[0] },
    { key: 'chrf' as const, name: 'chrF', color: PALETTE[4] },
  ];
  const slot = (R - L) / generators.length;
  const bw = Math.min(40, slot * 0.35);
  generators.forEach((g, i) => {
    const cx = L + slot * (i + 0.5);
    out.push(`<g class="generator" data-generator="${esc(g.name)}">`);
    metrics.forEach((m, j) => {
      const bx = cx - bw + j * bw;
      const v = g[m.key];
      out.push(`<rect class="bar" x="${n2(bx + 1)}" y="${n2(y(v))}" width="${n2(bw - 2)}" height="${n2(B - y(v))}" fill="${m.color}"><title>${esc(`${g.name} ${m.name} ${formatScore(v)}`)}</title></rect>`);
      out.push(`<text x="${n2(bx + bw / 2)}" y="${n2(y(v) - 4)}" text-anchor="middle" font-size="11" ${FONT} fill="#000000">${formatScore(v)}</text>`);
    });
    out.push(`<text x="${n2(cx)}" y="${B + 19}" text-anchor="middle" font-size="12" ${FONT} fill="#000000">${label(g.name, Math.max(6, Math.floor(slot / 7.5)))}</text>`);
    out.push('</g>');
  });
  metrics.forEach((m, j) => {
    const lx = L + 10 + j * 90;
    out.push(`<rect x="${lx}" y="44" width="14" height="14" fill="${m.color}"/>`);
    out.push(`<text x="${lx + 20}" y="56" font-size="12" ${FONT} fill="#000000">${m.name}</text>`);
  });
  out.push(`<text x="${n2((L + R) / 2)}" y="${H - 14}" text-anchor="middle" font-size="13" ${FONT} fill="#000000">Generator</text>`);
  out.push('</svg>');
  return out.join('\n');
}
