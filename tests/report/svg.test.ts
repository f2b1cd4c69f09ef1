// The SVG charts: well-formed XML (strict parser in ./xml.ts; tests/report/chromium.test.ts
// also has Chromium's XML parser read them), structure, geometry and escaping.
import { describe, expect, it } from 'vitest';
import type { LearningCurve } from '../../ts/src/report/types.js';
import { escapeXml } from '../../ts/src/report/escape.js';
import { summarize } from '../../ts/src/report/stats.js';
import { PALETTE, generatorQualitySvg, learningCurveSvg } from '../../ts/src/report/svg.js';
import { compactNumber, logTicks, niceTicks } from '../../ts/src/report/ticks.js';
import { generatorQuality } from './fixture.js';
import { findAll, parseXml, textOf, type XmlElement } from './xml.js';

const HOSTILE = 'mix:<b>x</b>&"y\'</svg>:0.5';

function curve(condition: string, pts: [number, number[]][]): LearningCurve {
  return {
    condition,
    generator: null,
    generatedFraction: 0,
    generators: [],
    factors: {},
    points: pts.map(([size, xs]) => ({ size, seeds: xs.map((_, i) => i + 1), bleu: summarize(xs), chrf: summarize(xs.map((x) => x + 20)) })),
  };
}

const curves = [
  curve('real', [[1000, [10, 12, 11]], [2000, [15, 16, 17]], [4000, [20, 21, 19]]]),
  curve('generated:low', [[1000, [5, 6, 7]], [2000, [8, 8.5, 9]], [4000, [10, 12, 11]]]),
  curve(HOSTILE, [[1000, [7, 8, 9]], [2000, [11, 12, 13]]]),
  curve('generated:one', [[2000, [9, 10]]]),
];

function svgOf(s: string): XmlElement {
  const root = parseXml(s);
  expect(root.name).toBe('svg');
  return root;
}

function polylinePoints(el: XmlElement): [number, number][] {
  return el.attrs.points.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
}

describe('learning-curve chart', () => {
  const s = learningCurveSvg(curves, 'bleu', { title: 'BLEU <by> size & "seed"' });
  const root = svgOf(s);

  it('is a standalone, accessible SVG: xmlns, width, height, fixed viewBox, role img, <title> first', () => {
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.role).toBe('img');
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    const first = root.children.find((c) => typeof c !== 'string') as XmlElement;
    expect(first.name).toBe('title');
    expect(textOf(first)).toBe('BLEU <by> size & "seed"');
  });

  it('draws one line, one band and one marker per point for each condition with several sizes', () => {
    const series = findAll(root, 'g').filter((g) => g.attrs.class === 'series');
    expect(series.map((g) => g.attrs['data-condition'])).toEqual(curves.map((c) => c.condition));
    for (const [i, g] of series.entries()) {
      const lines = findAll(g, 'polyline');
      const bands = findAll(g, 'path').filter((p) => p.attrs.class === 'ci');
      const markers = g.children.filter((c) => typeof c !== 'string' && c.attrs.class === undefined);
      expect(markers).toHaveLength(curves[i].points.length);
      expect(bands).toHaveLength(1);
      expect(lines).toHaveLength(curves[i].points.length > 1 ? 1 : 0);
    }
    // colour per series, from the palette, all different
    const colours = series.map((g) => {
      const band = findAll(g, 'path').find((p) => p.attrs.class === 'ci')!;
      return band.attrs.fill ?? band.attrs.stroke; // a band is filled; a one-size error bar is stroked
    });
    expect(new Set(colours).size).toBe(curves.length);
    for (const c of colours) expect(PALETTE).toContain(c);
  });

  it('maps sizes left to right and higher BLEU higher up, the band enclosing the line', () => {
    const series = findAll(root, 'g').filter((g) => g.attrs.class === 'series');
    const real = polylinePoints(findAll(series[0], 'polyline')[0]);
    const low = polylinePoints(findAll(series[1], 'polyline')[0]);
    expect(real[0][0]).toBeLessThan(real[1][0]);
    expect(real[1][0]).toBeLessThan(real[2][0]);
    // linear axis: 1000 -> 2000 is half the distance of 2000 -> 4000
    expect((real[2][0] - real[1][0]) / (real[1][0] - real[0][0])).toBeCloseTo(2, 1);
    for (let k = 0; k < 3; k++) {
      expect(real[k][0]).toBe(low[k][0]);
      expect(real[k][1]).toBeLessThan(low[k][1]); // SVG y grows downwards
    }
    expect(real[0][1]).toBeGreaterThan(real[2][1]);
    const band = findAll(series[0], 'path').find((p) => p.attrs.class === 'ci')!;
    const ys = band.attrs.d.match(/-?\d+(\.\d+)?/g)!.map(Number).filter((_, i) => i % 2 === 1);
    expect(Math.min(...ys)).toBeLessThan(Math.min(...real.map((p) => p[1])));
    expect(Math.max(...ys)).toBeGreaterThan(Math.max(...real.map((p) => p[1])));
  });

  it('labels axes and legend; every name is escaped, never markup', () => {
    const texts = findAll(root, 'text').map(textOf);
    expect(texts).toContain('BLEU');
    expect(texts).toContain('Training pairs');
    expect(texts).toEqual(expect.arrayContaining(['1k', '2k', '4k', 'real', 'generated:low']));
    expect(findAll(root, 'b')).toHaveLength(0);
    expect(s).not.toContain('<b>');
    expect(s).toContain('&lt;b&gt;x&lt;/b&gt;&amp;&quot;y&#39;&lt;/svg&gt;');
    // the hostile name round-trips through the XML parser, as attribute and as legend text
    expect(findAll(root, 'g').some((g) => g.attrs['data-condition'] === HOSTILE)).toBe(true);
    expect(texts).toContain(HOSTILE);
  });

  it('cuts CI bands at 0 and 100 (two seeds far apart give a t interval past both)', () => {
    const wild = [curve('real', [[1000, [2, 98]], [2000, [1, 99]]])];
    expect(wild[0].points[0].bleu.low!).toBeLessThan(-100);
    const r = svgOf(learningCurveSvg(wild, 'bleu', { title: 'wild' }));
    const ticks = findAll(r, 'text').filter((t) => t.attrs['text-anchor'] === 'end').map((t) => Number(textOf(t)));
    expect(Math.min(...ticks)).toBe(0);
    expect(Math.max(...ticks)).toBe(100);
  });

  it('widens the legend for long names and truncates beyond that, the full name in a tooltip', () => {
    const long = 'generated:' + 'x'.repeat(60);
    const r = svgOf(learningCurveSvg([curve('real', [[1000, [1, 2]]]), curve('generated:abcdefghijklmnopqrst', [[1000, [1, 2]]])], 'bleu', { title: 't' }));
    const legendTexts = findAll(r, 'text').map(textOf);
    expect(legendTexts).toContain('generated:abcdefghijklmnopqrst');
    const r2 = svgOf(learningCurveSvg([curve(long, [[1000, [1, 2]]])], 'bleu', { title: 't' }));
    const label = findAll(r2, 'text').find((t) => textOf(t).startsWith('generated:x'))!;
    expect(label.children.filter((c) => typeof c === 'string').join('').length).toBeLessThan(long.length);
    expect(findAll(label, 'title').map(textOf)).toEqual([long]);
    // the truncated label fits inside the width: 7 px per character is generous for 12 px Helvetica
    const visible = label.children.filter((c) => typeof c === 'string').join('');
    expect(Number(label.attrs.x) + 7 * visible.length).toBeLessThanOrEqual(Number(r2.attrs.width));
  });

  it('switches to a log axis when sizes span more than a factor of 20', () => {
    const wide = [curve('real', [[100, [1, 2]], [1000, [5, 6]], [10000, [9, 10]], [100000, [12, 13]]])];
    const r = svgOf(learningCurveSvg(wide, 'chrf', { title: 't' }));
    const pts = polylinePoints(findAll(r, 'polyline')[0]);
    expect(pts[1][0] - pts[0][0]).toBeCloseTo(pts[3][0] - pts[2][0], 1);
    expect(findAll(r, 'text').map(textOf)).toContain('Training pairs (log scale)');
  });

  it('stays well-formed with no runs, one point, and many conditions (dash patterns after 8 colours)', () => {
    expect(textOf(svgOf(learningCurveSvg([], 'bleu', { title: 'empty' })))).toContain('No runs to plot');
    svgOf(learningCurveSvg([curve('real', [[1000, [3]]])], 'bleu', { title: 'one' }));
    const many = Array.from({ length: 12 }, (_, i) => curve(`generated:g${i}`, [[1000, [i, i + 1]], [2000, [i + 2, i + 3]]]));
    const r = svgOf(learningCurveSvg(many, 'bleu', { title: 'many' }));
    const lines = findAll(r, 'polyline');
    expect(lines).toHaveLength(12);
    expect(lines[8].attrs['stroke-dasharray']).toBeDefined();
    expect(lines[0].attrs['stroke-dasharray']).toBeUndefined();
    expect(Number(r.attrs.height)).toBeGreaterThanOrEqual(48 + 22 * 12);
  });
});

describe('generator quality chart', () => {
  const gens = [generatorQuality('high', 28.3, 55), generatorQuality('<i>low</i> & co', 12.1, 40.2)];
  const root = svgOf(generatorQualitySvg(gens, { title: 'Generators' }));

  it('draws a BLEU and a chrF bar per generator, heights proportional to the scores', () => {
    const bars = findAll(root, 'rect').filter((r) => r.attrs.class === 'bar');
    expect(bars).toHaveLength(4);
    const h = bars.map((b) => Number(b.attrs.height));
    expect(h[1] / h[0]).toBeCloseTo(55 / 28.3, 1);
    expect(h[2] / h[0]).toBeCloseTo(12.1 / 28.3, 1);
    expect(findAll(root, 'text').map(textOf)).toEqual(expect.arrayContaining(['28.3', '55.0', '12.1', '40.2', 'BLEU', 'chrF']));
    expect(findAll(root, 'i')).toHaveLength(0);
    expect(findAll(root, 'g').map((g) => g.attrs['data-generator'])).toContain('<i>low</i> & co');
  });

  it('has a message instead of bars when there are no generators', () => {
    expect(textOf(svgOf(generatorQualitySvg([], { title: 'none' })))).toContain('No generator quality records');
  });
});

describe('ticks and escaping', () => {
  it('nice ticks cover the range in steps of 1, 2 or 5 x 10^k', () => {
    expect(niceTicks(0.3, 9.7, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(1000, 5000, 4)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(niceTicks(1000, 5000, 6)).toEqual([1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000]);
    expect(niceTicks(12.34, 12.36, 4)).toEqual([12.34, 12.345, 12.35, 12.355, 12.36]);
    const flat = niceTicks(5, 5); // a zero-width range is widened around the value
    expect(flat[0]).toBeLessThan(5);
    expect(flat[flat.length - 1]).toBeGreaterThan(5);
    expect(flat).toContain(5);
    for (const [lo, hi] of [[-3.2, 47.9], [0.01, 0.07], [123, 98765]]) {
      const t = niceTicks(lo, hi);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      const step = t[1] - t[0];
      expect(step / 10 ** Math.floor(Math.log10(step))).toSatisfy((m: number) => [1, 2, 5].some((k) => Math.abs(m - k) < 1e-9));
    }
    expect(logTicks(100, 1e6)).toEqual([100, 1000, 10000, 100000, 1e6]); // 13 ticks at 1-2-5: decades only
    expect(logTicks(100, 1e5)).toEqual([100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 1e5]);
    expect(logTicks(800, 12000)).toEqual([1000, 2000, 5000, 10000]);
    expect(compactNumber(2500)).toBe('2.5k');
    expect(compactNumber(1200000)).toBe('1.2M');
  });

  it('escapeXml escapes markup and replaces characters XML forbids', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\u001bc\ud800d\u{1f600}')).toBe('a\ufffdb\ufffdc\ufffdd\u{1f600}');
    const r = parseXml(`<t>${escapeXml('x\u0007<y>&')}</t>`);
    expect(textOf(r)).toBe('x\ufffd<y>&');
  });

  it('the test XML parser rejects what a browser would (so the checks above can fail)', () => {
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bare '&'/);
    expect(() => parseXml('<svg><g></svg></g>')).toThrow(/does not match/);
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml('<svg a=1/>')).toThrow(/bad attribute/);
    expect(() => parseXml('<svg><g>')).toThrow(/unclosed/);
    expect(() => parseXml('<svg>\u0001</svg>')).toThrow(/forbidden/);
  });
});
