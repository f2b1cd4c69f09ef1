// renderMarkdown(): the report's sentences and tables as markdown (GitHub-flavoured tables),
// e.g. for a README or a pull request. Figures are linked from figures/, where
// writeReport() puts them.
import { CHAIN_NOTE, chainTable, chainTestNote, chainTestTable, showStudents } from './chain_tables.js';
import { escapeMarkdownCell as cellEsc } from './escape.js';
import { figures } from './figures.js';
import { DEFAULT_TITLE, type ReportMeta } from './meta.js';
import { curveTable, fractionTable, generatorTable, metaRows, significanceTable, type Table } from './tables.js';
import type { Analysis } from './types.js';

export function markdownTable(t: Table): string {
  const num = new Set(t.numeric ?? []);
  const line = (cells: string[]) => `| ${cells.map((c) => cellEsc(c) || ' ').join(' | ')} |`;
  const rule = `|${t.header.map((_, i) => (num.has(i) ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(t.header), rule, ...t.rows.map(line)].join('\n');
}

// Free text outside tables: one line, with markup characters escaped.
function text(s: string): string {
  return cellEsc(s).replace(/^([#>+\-=]|\d+\.)/, '\\$1');
}

export function renderMarkdown(analysis: Analysis, meta: ReportMeta = {}): string {
  const out: string[] = [`# ${text(meta.title ?? DEFAULT_TITLE)}`, ''];
  if (meta.description) out.push(text(meta.description), '');
  for (const [k, v] of metaRows(meta, analysis)) out.push(`- **${text(k)}:** ${text(v)}`);
  out.push('');
  if (analysis.fractionOfReal.length) {
    out.push('## Is a fraction of real data enough?', '');
    for (const f of analysis.fractionOfReal) out.push(`- ${text(f.statement)}`);
    out.push('', markdownTable(fractionTable(analysis)), '');
  }
  const figs = figures(analysis);
  const image = (name: string) => figs.filter((f) => f.name === name).map((f) => `![${text(f.title)}](figures/${f.name}.svg)\n`);
  if (showStudents(analysis)) studentSections(out, analysis, image);
  if (analysis.chains && analysis.chains.curves.length) {
    out.push('## Collapse over generations', '', text(CHAIN_NOTE), '');
    for (const f of figs.filter((x) => x.name.startsWith('chain-'))) out.push(...image(f.name));
    out.push(markdownTable(chainTable(analysis)), '', text(chainTestNote(analysis)), '', markdownTable(chainTestTable(analysis)), '');
  }
  if (analysis.generators.length) out.push('## Generator quality', '', ...image('generator-quality'), markdownTable(generatorTable(analysis)), '');
  const ex = meta.examples ?? [];
  if (ex.length) {
    out.push('## Example translations', '');
    for (const e of ex) {
      const rows = [['Source', e.source], ['Reference', e.reference], ...e.hypotheses.map((h) => [h.condition, h.text])];
      out.push(markdownTable({ header: [e.index !== undefined ? `Test sentence ${e.index + 1}` : 'Test sentence', 'Text'], rows }), '');
    }
  }
  const sig = [...analysis.scoreSignatures.bleu, ...analysis.scoreSignatures.chrf, ...analysis.scoreSignatures.ter];
  if (sig.length) out.push('## Score signatures', '', ...sig.map((x) => `- ${text(x)}`), '');
  return out.join('\n');
}

function studentSections(out: string[], analysis: Analysis, image: (name: string) => string[]): void {
  out.push('## Learning curves', '', ...image('learning-curve-bleu'), ...image('learning-curve-chrf'));
  out.push('### BLEU by condition and training size', '', 'Mean over seeds ± half-width of the 95% Student-t confidence interval, n = number of seeds.', '');
  out.push(markdownTable(curveTable(analysis, 'bleu')), '');
  out.push('### chrF by condition and training size', '', markdownTable(curveTable(analysis, 'chrf')), '');
  const s = analysis.significance;
  out.push('## Significance against real data', '');
  out.push(
    `Paired bootstrap resampling (sacreBLEU's paired-bs, ${s.samples} resamples, seed ${s.seed}) of each condition against the real run with the same size and seed; Δ = mean over seeds of condition − real; significant = every seed has p \\< ${s.alpha}.`,
    '',
    markdownTable(significanceTable(analysis)),
    '',
  );
}
