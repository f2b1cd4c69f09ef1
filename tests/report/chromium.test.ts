// The written report in a real browser: headless Chromium (Debian package `chromium`)
// loads report.html, its DOM holds the figures, a screenshot is not blank, the PNG
// exports show the series' colours, and Chromium's own XML parser accepts the SVGs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../ts/src/report/analyze.js';
import { findChromium } from '../../ts/src/report/chromium.js';
import { selectExamples } from '../../ts/src/report/examples.js';
import { figures } from '../../ts/src/report/figures.js';
import { PALETTE } from '../../ts/src/report/svg.js';
import { writeReport, type WriteReportResult } from '../../ts/src/report/write.js';
import { generatorQuality, grid, makeRefs } from './fixture.js';
import { countColor, decodePng, distinctColors, type Png } from './png.js';

const CHROMIUM = findChromium();
const SKIP = 'skipped: no Chromium binary found (install the Debian package chromium: apt-get install chromium, or set REGURGITATE_CHROMIUM)';
if (!CHROMIUM) console.warn(`tests/report/chromium.test.ts ${SKIP}`);

const HOSTILE = '<script>alert(1)</script> & "quotes"';
const ODD = 'generated:<b>&"odd\'</b>';

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'regurgitate-chromium-test-'));
  return new Promise<string>((resolve, reject) => {
    execFile(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args],
      { timeout: 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

describe.skipIf(!CHROMIUM)(`report in headless Chromium${CHROMIUM ? '' : ` (${SKIP})`}`, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'regurgitate-report-chromium-'));
  const refs = makeRefs(24);
  refs[12] = HOSTILE;
  const q: Record<string, number> = { real: 0.75, 'generated:low': 0.35 };
  q[ODD] = 0.55;
  const ex = grid(['real', 'generated:low', ODD], [1000, 2000, 4000], [1, 2], (c, s) => q[c] + s / 40000, refs);
  const analysis = analyze({ runs: ex.runs, generators: [generatorQuality('low', 12, 40), generatorQuality('high', 30, 56)], refs, hyps: ex.hyps, bootstrap: { samples: 20 } });
  const examples = selectExamples({ sources: refs, refs, runs: ex.runs, hyps: ex.hyps, count: 1 });
  const figs = figures(analysis);
  let written: WriteReportResult;

  beforeAll(async () => {
    written = await writeReport(tmp, { analysis, runs: ex.runs, meta: { corpus: 'synthetic', examples }, chromium: CHROMIUM!, pngScale: 1 });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the example shown is the hostile sentence', () => {
    expect(examples[0].reference).toBe(HOSTILE);
  });

  it('exports every figure as a PNG of its size showing the series colours', () => {
    expect(written.warnings).toEqual([]);
    const png = (name: string): Png => decodePng(readFileSync(join(tmp, 'figures', `${name}.png`)));
    for (const f of figs) {
      const p = png(f.name);
      expect([p.width, p.height]).toEqual([f.width, f.height]);
      expect(distinctColors(p)).toBeGreaterThan(50);
    }
    for (const name of ['learning-curve-bleu', 'learning-curve-chrf']) {
      const p = png(name);
      for (const c of PALETTE.slice(0, 3)) expect(countColor(p, c), `${name}: pixels of ${c}`).toBeGreaterThan(200);
      expect(countColor(p, PALETTE[3])).toBeLessThan(20); // a fourth series does not exist
    }
    // bars: area of chrF (orange) over BLEU (blue) = (40 + 56) / (12 + 30), legend squares aside
    const bars = png('generator-quality');
    const blue = countColor(bars, PALETTE[0], 2) - 14 * 14;
    const orange = countColor(bars, PALETTE[4], 2) - 14 * 14;
    expect(orange / blue).toBeGreaterThan(((40 + 56) / (12 + 30)) * 0.9);
    expect(orange / blue).toBeLessThan(((40 + 56) / (12 + 30)) * 1.1);
  });

  it('report.html loads: the DOM has the three figures with their lines, and the hostile text only as text', async () => {
    const dom = await chromium(['--dump-dom', pathToFileURL(join(tmp, 'report.html')).href]);
    expect(dom).toContain('<h1>Regurgitative training report</h1>');
    const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(3);
    for (const s of svgs.slice(0, 2)) {
      expect(s.match(/<polyline /g)).toHaveLength(3);
      expect(s.match(/<path class="ci"/g)).toHaveLength(3);
    }
    expect(svgs[2].match(/<rect class="bar"/g)).toHaveLength(4);
    expect(dom).not.toMatch(/<script|<b>|parsererror/i);
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; "quotes"');
    expect(dom).toContain('generated:&lt;b&gt;&amp;"odd\'&lt;/b&gt;');
  });

  it('a screenshot of report.html is not blank: the figures are drawn in their colours', async () => {
    const shot = join(tmp, 'page.png');
    await chromium([`--screenshot=${shot}`, '--window-size=1100,1500', pathToFileURL(join(tmp, 'report.html')).href]);
    const p = decodePng(readFileSync(shot));
    expect([p.width, p.height]).toEqual([1100, 1500]);
    const white = countColor(p, '#ffffff', 0);
    expect(white / (p.width * p.height)).toBeLessThan(0.97);
    expect(distinctColors(p)).toBeGreaterThan(100);
    for (const c of PALETTE.slice(0, 3)) expect(countColor(p, c), `pixels of ${c}`).toBeGreaterThan(100);
  });

  it("Chromium's XML parser accepts the SVGs, and rejects a broken one (so the check can fail)", async () => {
    const page = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>svg</title></head><body>${body}</body></html>`;
    const good = join(tmp, 'figures.xhtml');
    writeFileSync(good, page(figs.map((f) => f.svg).join('\n')));
    const dom = await chromium(['--dump-dom', pathToFileURL(good).href]);
    expect(dom).not.toContain('parsererror');
    expect(dom.match(/<svg /g)).toHaveLength(3);
    const bad = join(tmp, 'broken.xhtml');
    writeFileSync(bad, page(figs[0].svg.replace('&amp;', '&')));
    expect(await chromium(['--dump-dom', pathToFileURL(bad).href])).toContain('parsererror');
  });
});
