// writeReport: the files, their content, atomic writes, and the PNG export path with
// stand-in "Chromium" scripts (the real browser is exercised in chromium.test.ts).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { analyze } from '../../ts/src/report/analyze.js';
import { findChromium } from '../../ts/src/report/chromium.js';
import { figures } from '../../ts/src/report/figures.js';
import { renderHtml } from '../../ts/src/report/html.js';
import { renderMarkdown } from '../../ts/src/report/markdown.js';
import { writeReport } from '../../ts/src/report/write.js';
import { generatorQuality, grid, makeRefs } from './fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'regurgitate-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const refs = makeRefs(20);
const ex = grid(['real', 'generated:low'], [1000, 2000], [1, 2], (c, s) => (c === 'real' ? 0.7 : 0.4) + s / 20000, refs);
const analysis = analyze({ runs: ex.runs, generators: [generatorQuality('low', 12, 40)], refs, hyps: ex.hyps, bootstrap: { samples: 50 } });
const meta = { corpus: 'synthetic', date: '2026-01-01' };
const FIGS = figures(analysis);

function listAll(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listAll(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

function script(name: string, body: string): string {
  const p = join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

const BASE_FILES = ['analysis.json', 'figures/generator-quality.svg', 'figures/learning-curve-bleu.svg', 'figures/learning-curve-chrf.svg', 'report.html', 'report.md', 'results.json'];

describe('writeReport', () => {
  it('writes report.html, report.md, results.json, analysis.json and the SVG figures, with exactly this content', async () => {
    const dir = join(tmp, 'plain');
    const r = await writeReport(dir, { analysis, meta, runs: ex.runs, chromium: false });
    expect(listAll(dir)).toEqual(BASE_FILES); // no temporary file left behind
    expect(r.files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(BASE_FILES);
    expect(r.warnings).toEqual(['PNG figures not exported: disabled by the caller']);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results).toEqual(ex.runs);
    expect(results[0]).toMatchObject({ condition: 'real', size: 1000, seed: 1 });
    expect(typeof results[0].bleu).toBe('number');
    expect(JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8'))).toEqual(analysis);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(renderHtml(analysis, meta));
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe(renderMarkdown(analysis, meta));
    for (const f of FIGS) expect(readFileSync(join(dir, 'figures', `${f.name}.svg`), 'utf8')).toBe(f.svg + '\n');
  });

  it('without Chromium skips the PNGs with a warning naming the Debian package, and still writes the report', async () => {
    const empty = join(tmp, 'empty-path');
    mkdirSync(empty, { recursive: true });
    const dir = join(tmp, 'nochromium');
    const r = await writeReport(dir, { analysis, meta, runs: ex.runs, env: { PATH: empty } });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/no Chromium found.*apt-get install chromium/);
    expect(listAll(dir)).toEqual(BASE_FILES);
  });

  it('renders each figure through Chromium: a page holding that SVG, at its size, to figures/NAME.png', async () => {
    const log = join(tmp, 'fake.log');
    // stand-in browser: "screenshots" the page by copying it, and logs its arguments
    const fake = script(
      'fake-chromium',
      `out=; url=\nfor a in "$@"; do case "$a" in --screenshot=*) out="\${a#--screenshot=}";; file://*) url="\${a#file://}";; esac; done\necho "$@" >> '${log}'\ncp "$url" "$out"`,
    );
    const dir = join(tmp, 'fake');
    const r = await writeReport(dir, { analysis, meta, runs: ex.runs, env: { PATH: '', REGURGITATE_CHROMIUM: fake } });
    expect(r.warnings).toEqual([]);
    expect(listAll(dir)).toEqual([...BASE_FILES, ...FIGS.map((f) => `figures/${f.name}.png`)].sort());
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(FIGS.length);
    FIGS.forEach((f, i) => {
      const page = readFileSync(join(dir, 'figures', `${f.name}.png`), 'utf8');
      expect(page).toContain(f.svg);
      expect(page).toMatch(/^<!DOCTYPE html>/);
      for (const flag of ['--headless', '--no-sandbox', '--disable-gpu', `--window-size=${f.width},${f.height}`, '--force-device-scale-factor=2']) {
        expect(calls[i].split(' ')).toContain(flag);
      }
    });
  });

  it('a failing or hanging Chromium costs only the PNGs, with one warning per figure', async () => {
    for (const [name, body, timeoutMs] of [
      ['fails', 'echo "cannot open display" >&2; exit 3', 60_000],
      ['hangs', 'exec sleep 30', 500],
    ] as const) {
      const dir = join(tmp, `broken-${name}`);
      const r = await writeReport(dir, { analysis, meta, runs: ex.runs, chromium: script(name, body), timeoutMs });
      expect(r.warnings).toHaveLength(FIGS.length);
      for (const [i, w] of r.warnings.entries()) expect(w).toMatch(new RegExp(`^PNG of figure ${FIGS[i].name} not exported: `));
      expect(listAll(dir)).toEqual(BASE_FILES);
    }
  });

  it('replaces existing files and fails with EIO when the folder cannot be made', async () => {
    const dir = join(tmp, 'again');
    mkdirSync(join(dir, 'figures'), { recursive: true });
    writeFileSync(join(dir, 'report.html'), 'old');
    await writeReport(dir, { analysis, runs: ex.runs, chromium: false });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(renderHtml(analysis, {}));
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    await expect(writeReport(file, { analysis, runs: ex.runs, chromium: false })).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('cannot create the report folder') });
  });
});
