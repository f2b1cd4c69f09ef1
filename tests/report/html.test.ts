// renderHtml and renderMarkdown: content, and escaping of hostile corpus text and names.
import { describe, expect, it } from 'vitest';
import { analyze } from '../../ts/src/report/analyze.js';
import { selectExamples } from '../../ts/src/report/examples.js';
import { renderHtml } from '../../ts/src/report/html.js';
import { renderMarkdown } from '../../ts/src/report/markdown.js';
import type { ReportMeta } from '../../ts/src/report/meta.js';
import { experiment, generatorQuality, makeRefs } from './fixture.js';

export const HOSTILE = '<script>alert(1)</script> & "quotes"';
const ODD_GEN = `a|b<img src=x onerror=alert(2)>`;

function build() {
  const refs = makeRefs(30);
  refs[15] = `${HOSTILE} | pipe`;
  const sources = refs.map((r) => `src ${r}`);
  sources[15] = `<iframe src="https://example.org"></iframe> ${HOSTILE}`;
  const ex = experiment(
    [
      { condition: 'real', size: 1000, seed: 1, keep: 0.8 },
      { condition: 'real', size: 1000, seed: 2, keep: 0.8 },
      { condition: 'real', size: 2000, seed: 1, keep: 0.9 },
      { condition: 'real', size: 2000, seed: 2, keep: 0.9 },
      { condition: `generated:${ODD_GEN}`, size: 1000, seed: 1, keep: 0.4 },
      { condition: `generated:${ODD_GEN}`, size: 1000, seed: 2, keep: 0.4 },
      { condition: `generated:${ODD_GEN}`, size: 2000, seed: 1, keep: 0.5 },
      { condition: `generated:${ODD_GEN}`, size: 2000, seed: 2, keep: 0.5 },
      { condition: `generated:${ODD_GEN}`, size: 8000, seed: 1, keep: 0.6 },
    ],
    refs,
  );
  // the run the examples show for the generated condition: the largest size, lowest seed
  ex.files.get(ex.runs[8].hypotheses)![15] = `${HOSTILE} hyp`;
  const analysis = analyze({ runs: ex.runs, generators: [generatorQuality(ODD_GEN, 20, 45)], refs, hyps: ex.hyps, bootstrap: { samples: 100 } });
  const examples = selectExamples({ sources, refs, runs: ex.runs, hyps: ex.hyps, count: 3 });
  const meta: ReportMeta = {
    title: 'Report <b>bold</b>',
    corpus: 'europarl <v7> & "de-en"',
    direction: 'de-en',
    versions: { regurgitate: '0.1.0', node: 'v20' },
    date: '2026-01-02',
    examples,
  };
  return { ex, analysis, meta, examples };
}

const { ex, analysis, meta, examples } = build();
const html = renderHtml(analysis, meta);
const md = renderMarkdown(analysis, meta);

function unescapeHtml(s: string): string {
  return s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
}

describe('renderHtml', () => {
  it('picks the hostile sentence as an example (the test would be empty otherwise)', () => {
    expect(examples.map((e) => e.index)).toContain(15);
    expect(examples.find((e) => e.index === 15)!.hypotheses[1].text).toBe(`${HOSTILE} hyp`);
  });

  it('escapes all corpus text and names: no markup from the data survives', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<v7>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    // and the escaped text reads back as the original
    const cells = [...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => unescapeHtml(m[1]));
    expect(cells).toContain(`${HOSTILE} | pipe`);
    expect(cells).toContain(`${HOSTILE} hyp`);
    expect(cells).toContain(`<iframe src="https://example.org"></iframe> ${HOSTILE}`);
    expect(cells).toContain(`generated:${ODD_GEN}`);
  });

  it('is self-contained: no script, no external resource, a CSP that forbids both', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    expect(html).not.toMatch(/<link|<img|<iframe|<object|<embed|@import|url\(/i);
    // no src/href attribute (attribute values, where escaped names live, blanked first)
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\s(src|href)=/i);
    // the only URL in any tag is the SVG namespace, which is a name, not a request (a URL
    // in escaped corpus text is only text)
    const urls = (html.match(/<[^>]+>/g) ?? []).flatMap((tag) => tag.match(/https?:\/\/[^\s"'<>]+/g) ?? []);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<table/g)!.length).toBe(html.match(/<\/table>/g)!.length);
  });

  it('shows the metadata, the statements and the numbers of the analysis', () => {
    expect(html).toContain('<title>Report &lt;b&gt;bold&lt;/b&gt;</title>');
    expect(html).toContain('<dd>europarl &lt;v7&gt; &amp; &quot;de-en&quot;</dd>');
    expect(html).toContain('<dd>1,000, 2,000, 8,000</dd>');
    expect(html).toContain('<dd>regurgitate 0.1.0, node v20</dd>');
    expect(html).toContain('<dd>2026-01-02</dd>');
    for (const f of analysis.fractionOfReal) expect(html).toContain(`<li>${f.statement.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</li>`);
    const p = analysis.curves[0].points[0].bleu;
    expect(html).toContain(`<td class="num">${p.mean.toFixed(1)} ± ${p.ci95!.toFixed(1)} (n=2)</td>`);
    expect(html).toContain('skipped: no real run at size 8,000');
    const sig = analysis.significance.rows[0].bleu!;
    expect(html).toContain(`<td class="num">${sig.meanDelta > 0 ? '+' : ''}${sig.meanDelta.toFixed(2)}</td>`);
    expect(html).toContain(ex.runs[0].signatures.bleu);
  });
});

describe('renderMarkdown', () => {
  const tables = md.split('\n\n').filter((b) => b.startsWith('| '));
  const pipes = (line: string) => line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length - 1;

  it('escapes | in cells so every row has as many columns as its header', () => {
    expect(tables.length).toBeGreaterThanOrEqual(6);
    for (const t of tables) {
      const lines = t.split('\n');
      for (const l of lines) expect(pipes(l)).toBe(pipes(lines[0]));
    }
    expect(md).toContain('generated:a\\|b\\<img src=x onerror=alert(2)\\>');
    expect(md).toContain('\\<script\\>alert(1)\\</script\\> \\& "quotes" \\| pipe');
  });

  it('leaves no raw markup from the data and carries the same sentences and numbers', () => {
    // a backslash-escaped '<' is a literal character in CommonMark, never a tag
    expect(md).not.toMatch(/(?<!\\)<(script|img|iframe|b\b)/i);
    expect(md).toMatch(/\\<script/);
    expect(md.startsWith('# Report \\<b\\>bold\\</b\\>\n')).toBe(true);
    for (const f of analysis.fractionOfReal) expect(md).toContain(f.statement.replace(/[\\|`*_[\]<>&~]/g, (c) => `\\${c}`));
    const p = analysis.curves[0].points[1].chrf;
    expect(md).toContain(`${p.mean.toFixed(1)} ± ${p.ci95!.toFixed(1)} (n=2)`);
    expect(md).toContain('![BLEU by training size](figures/learning-curve-bleu.svg)');
    expect(md).toContain('skipped: no real run at size 8,000');
  });
});
