// writeReport(): everything a researcher publishes from one experiment, in one folder:
// report.html, report.md, results.json, analysis.json and figures/NAME.{svg,png}. Every
// file is written atomically; PNGs need headless Chromium and are skipped, with a
// warning, when there is none, so a missing browser never costs the report.
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RegurgitateError } from '../common/errors.js';
import type { ChainResult, StudentResult } from '../experiments/types.js';
import { tempPathFor, writeFileAtomic } from '../common/atomic.js';
import { fsReason, makeDirs } from '../common/dirs.js';
import { findChromium, screenshot } from './chromium.js';
import { escapeHtml } from './escape.js';
import { figures, type Figure } from './figures.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { ReportMeta } from './meta.js';
import type { Analysis } from './types.js';

export interface WriteReportInput {
  analysis: Analysis;
  meta?: ReportMeta;
  /** The student runs, written as they are to results.json. */
  runs: readonly StudentResult[];
  /** Collapse chain generations, written to results.json after the students. */
  chains?: readonly ChainResult[];
  /** Chromium binary for the PNGs; false: no PNGs; default: findChromium(env). */
  chromium?: string | false;
  /** Environment for finding Chromium (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Device pixels per SVG pixel in the PNGs (default 2, sharp enough for print). */
  pngScale?: number;
  /** Time limit of one Chromium run (default 60 s). */
  timeoutMs?: number;
}

export interface WriteReportResult {
  /** Every file written, absolute paths. */
  files: string[];
  /** Problems that did not stop the report (no Chromium, a PNG that failed). */
  warnings: string[];
}

function json(x: unknown): string {
  return JSON.stringify(x, null, 2) + '\n';
}

// A page holding only the figure, sized to it, for the screenshot.
function figurePage(f: Figure): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(f.title)}</title><style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}svg{display:block}</style></head><body>${f.svg}</body></html>`;
}

async function exportPng(binary: string, dir: string, f: Figure, input: WriteReportInput): Promise<string> {
  const png = join(dir, `${f.name}.png`);
  const page = tempPathFor(png, '.html');
  const shot = tempPathFor(png, '.png');
  try {
    await writeFile(page, figurePage(f));
    await screenshot(binary, page, shot, f.width, f.height, { scale: input.pngScale ?? 2, timeoutMs: input.timeoutMs });
    if (!existsSync(shot)) throw new Error(`${binary} wrote no screenshot`);
    await rename(shot, png);
    return png;
  } finally {
    await rm(page, { force: true });
    await rm(shot, { force: true });
  }
}

export async function writeReport(dir: string, input: WriteReportInput): Promise<WriteReportResult> {
  const root = resolve(dir);
  const figDir = join(root, 'figures');
  try {
    makeDirs(figDir);
  } catch (e) {
    throw new RegurgitateError('EIO', `cannot create the report folder ${figDir}: ${fsReason(e)}`, { cause: e });
  }
  const meta = input.meta ?? {};
  const files: string[] = [];
  const warnings: string[] = [];
  const put = async (path: string, data: string) => {
    writeFileAtomic(path, data);
    files.push(path);
  };

  // Data first: should anything later fail, the numbers are already safe.
  await put(join(root, 'results.json'), json([...input.runs, ...(input.chains ?? [])]));
  await put(join(root, 'analysis.json'), json(input.analysis));
  const figs = figures(input.analysis);
  for (const f of figs) await put(join(figDir, `${f.name}.svg`), f.svg + '\n');
  await put(join(root, 'report.md'), renderMarkdown(input.analysis, meta));
  await put(join(root, 'report.html'), renderHtml(input.analysis, meta));

  const binary = input.chromium === false ? null : (input.chromium ?? findChromium(input.env ?? process.env));
  if (input.chromium === false) {
    warnings.push('PNG figures not exported: disabled by the caller');
  } else if (!binary) {
    warnings.push(
      'PNG figures not exported: no Chromium found (set REGURGITATE_CHROMIUM, or install chromium, chromium-browser or google-chrome; on Debian: apt-get install chromium); the SVG figures are in figures/',
    );
  } else {
    for (const f of figs) {
      try {
        files.push(await exportPng(binary, figDir, f, input));
      } catch (e) {
        warnings.push(`PNG of figure ${f.name} not exported: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  return { files, warnings };
}
