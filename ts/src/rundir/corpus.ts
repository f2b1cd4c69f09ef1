// A prepared corpus directory (as `regurgitate data prepare` writes it): meta.json plus
// Moses-style part files PART.LANG. Reading checks what meta.json promises.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { RegurgitateError } from '../common/errors.js';
import { readLinesSync } from '../common/text.js';
import type { CorpusMeta } from '../data/split.js';

export interface PreparedCorpus {
  dir: string;
  meta: CorpusMeta;
  src: string;
  tgt: string;
  /** Part names in meta.json order. */
  parts: string[];
}

export interface Sides {
  src: string[];
  tgt: string[];
}

export function openCorpus(dir: string): PreparedCorpus {
  const abs = resolve(dir);
  const metaFile = join(abs, 'meta.json');
  if (!existsSync(abs)) throw new RegurgitateError('ENOENT', `${abs}: no such corpus directory (make one with: regurgitate data prepare bible --pair es-en --out ${dir})`);
  if (!existsSync(metaFile)) throw new RegurgitateError('ENOENT', `${metaFile}: missing; a corpus directory is made by 'regurgitate data prepare'`);
  let meta: CorpusMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CorpusMeta;
  } catch (e) {
    throw new RegurgitateError('EFORMAT', `${metaFile}: not valid JSON (${(e as Error).message})`);
  }
  if (meta?.format !== 'regurgitate-corpus' || typeof meta.langs?.src !== 'string' || typeof meta.parts !== 'object')
    throw new RegurgitateError('EFORMAT', `${metaFile}: not a regurgitate corpus description (format, langs and parts are required)`);
  return { dir: abs, meta, src: meta.langs.src, tgt: meta.langs.tgt, parts: Object.keys(meta.parts) };
}

/** The lines of one side of a part, without the final newline. */
function readSide(c: PreparedCorpus, part: string, lang: string): string[] {
  const file = join(c.dir, `${part}.${lang}`);
  if (!existsSync(file)) throw new RegurgitateError('ENOENT', `${file}: missing (listed in ${join(c.dir, 'meta.json')})`);
  let lines: string[];
  try {
    lines = readLinesSync(file);
  } catch (e) {
    throw new RegurgitateError('EFORMAT', `${(e as Error).message}; was the file changed after 'data prepare'?`, { cause: e });
  }
  const want = c.meta.parts[part]?.count;
  if (want !== undefined && lines.length !== want)
    throw new RegurgitateError('EFORMAT', `${file}: has ${lines.length} lines but meta.json says ${want}; was the file changed after 'data prepare'?`);
  return lines;
}

/** Both sides of a part (e.g. 'train', 'dev', 'test'). */
export function readPart(c: PreparedCorpus, part: string): Sides {
  if (!c.meta.parts[part])
    throw new RegurgitateError('ENOENT', `${c.dir}: the corpus has no part '${part}' (parts: ${c.parts.join(', ')})`);
  return { src: readSide(c, part, c.src), tgt: readSide(c, part, c.tgt) };
}

/** SHA-256 of a part's files as meta.json records them (identifies the data a run used). */
export function partDigest(c: PreparedCorpus, part: string): Record<string, string> {
  const files = c.meta.parts[part]?.files ?? {};
  const out: Record<string, string> = {};
  for (const [name, info] of Object.entries(files)) out[name] = (info as { sha256: string }).sha256;
  return out;
}
