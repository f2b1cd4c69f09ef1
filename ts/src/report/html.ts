// renderHtml(): the report as one self-contained HTML file: inline CSS, inline SVG, no
// script and no external request (a Content-Security-Policy says so to the browser too,
// as a second line of defence should hostile corpus text ever slip through escaping).
import { CHAIN_NOTE, chainTable, chainTestNote, chainTestTable, showStudents } from './chain_tables.js';
import { escapeHtml as esc } from './escape.js';
import { figures, type Figure } from './figures.js';
import { DEFAULT_TITLE, type ReportMeta } from './meta.js';
import { curveTable, fractionTable, generatorTable, metaRows, significanceTable, type Table } from './tables.js';
import type { Analysis } from './types.js';

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;color:#111;background:#fff;margin:0;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:1.7em;margin:0 0 .3em}h2{font-size:1.25em;margin:1.8em 0 .5em;border-bottom:1px solid #ccc;padding-bottom:.2em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:1em 0}dl.meta dt{font-weight:bold}dl.meta dd{margin:0}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}
.findings li{margin:.3em 0}.note{color:#444;font-size:.9em}code{font-size:.85em;word-break:break-all}
table.example td:first-child{font-weight:bold;white-space:nowrap}
`;

export function htmlTable(t: Table, cls = ''): string {
  const num = new Set(t.numeric ?? []);
  const head = `<tr>${t.header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`);
  return `<table${cls ? ` class="${cls}"` : ''}><thead>${head}</thead><tbody>${body.join('\n')}</tbody></table>`;
}

function section(title: string, ...body: string[]): string {
  return `<section><h2>${esc(title)}</h2>\n${body.join('\n')}\n</section>`;
}

function figureHtml(f: Figure): string {
  return `<figure id="fig-${esc(f.name)}">${f.svg}<figcaption>${esc(f.title)}</figcaption></figure>`;
}

function examplesHtml(meta: ReportMeta): string {
  const ex = meta.examples ?? [];
  if (ex.length === 0) return '';
  const tables = ex.map((e) => {
    const rows: string[][] = [
      ['Source', e.source],
      ['Reference', e.reference],
      ...e.hypotheses.map((h) => [h.condition + (h.size !== undefined ? ` (${h.size}${h.seed !== undefined ? `, seed ${h.seed}` : ''})` : ''), h.text]),
    ];
    const caption = e.index !== undefined ? `<p class="note">Test sentence ${e.index + 1}</p>` : '';
    return caption + `<table class="example"><tbody>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
  });
  return section('Example translations', ...tables);
}

export function renderHtml(analysis: Analysis, meta: ReportMeta = {}): string {
  const title = meta.title ?? DEFAULT_TITLE;
  const dl = metaRows(meta, analysis).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const findings = analysis.fractionOfReal.map((f) => `<li>${esc(f.statement)}</li>`).join('');
  const figs = figures(analysis);
  const sig = analysis.scoreSignatures;
  const signatures = [...sig.bleu, ...sig.chrf, ...sig.ter].map((s) => `<li><code>${esc(s)}</code></li>`).join('');
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    `<h1>${esc(title)}</h1>`,
    meta.description ? `<p>${esc(meta.description)}</p>` : '',
    `<dl class="meta">${dl}</dl>`,
    findings ? section('Is a fraction of real data enough?', `<ul class="findings">${findings}</ul>`, htmlTable(fractionTable(analysis))) : '',
    ...(showStudents(analysis)
      ? [
          section('Learning curves', ...figs.filter((f) => f.name.startsWith('learning-curve')).map(figureHtml)),
          section(
            'BLEU by condition and training size',
            '<p class="note">Mean over seeds ± half-width of the 95% Student-t confidence interval, n = number of seeds.</p>',
            htmlTable(curveTable(analysis, 'bleu')),
          ),
          section('chrF by condition and training size', htmlTable(curveTable(analysis, 'chrf'))),
          section(
            'Significance against real data',
            `<p class="note">Paired bootstrap resampling (sacreBLEU's paired-bs, ${analysis.significance.samples} resamples, seed ${analysis.significance.seed}) of each condition against the real run with the same size and seed; Δ = mean over seeds of condition − real; significant = every seed has p &lt; ${analysis.significance.alpha}.</p>`,
            htmlTable(significanceTable(analysis)),
          ),
        ]
      : []),
    analysis.chains && analysis.chains.curves.length
      ? section(
          'Collapse over generations',
          `<p class="note">${esc(CHAIN_NOTE)}</p>`,
          ...figs.filter((f) => f.name.startsWith('chain-')).map(figureHtml),
          htmlTable(chainTable(analysis)),
          `<p class="note">${esc(chainTestNote(analysis))}</p>`,
          htmlTable(chainTestTable(analysis)),
        )
      : '',
    analysis.generators.length
      ? section('Generator quality', ...figs.filter((f) => f.name === 'generator-quality').map(figureHtml), htmlTable(generatorTable(analysis)))
      : '',
    examplesHtml(meta),
    signatures ? section('Score signatures', `<ul>${signatures}</ul>`) : '',
    '</main></body>',
    '</html>',
    '',
  ];
  return parts.filter((p) => p !== '').join('\n');
}
