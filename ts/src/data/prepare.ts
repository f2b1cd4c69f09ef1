// Preparing a corpus for experiments: read (any format or the built-in bible), clean,
// split by seed, write DIR/<part>.<lang> and DIR/meta.json.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';

import { invalid } from '../common/errors.js';
import { packageVersion } from '../native/load.js';
import type { CleanOptions } from './clean.js';
import { describeSource, readCorpus, type CorpusSource, type SentencePair } from './corpus.js';
import { openError } from '../common/file_errors.js';
import { parseBiblePair, readBible } from './bible.js';
import { writeSplits, type CorpusMeta, type PartSize, type PartSpec } from './split.js';
import { readTmx, type TmxStats } from './tmx.js';

/** Parts when none are given: a 2,000-pair test set, a 1,000-pair dev set, the rest for training. */
export const DEFAULT_PARTS: PartSpec[] = [
  { name: 'test', size: 2000 },
  { name: 'dev', size: 1000 },
  { name: 'train', size: 'rest' },
];

export interface PrepareOptions {
  /** Output directory. */
  out: string;
  /** Seed of the split (default 1). */
  seed?: number;
  /** Named parts (default DEFAULT_PARTS). */
  parts?: Record<string, PartSize> | readonly PartSpec[];
  clean?: CleanOptions;
  /** Stops the work (ECANCELED), removing the temporary files. */
  signal?: AbortSignal;
}

function tool(): string {
  try {
    return `regurgitate ${packageVersion()}`;
  } catch {
    return 'regurgitate';
  }
}

/** SHA-256 and size of a file (streamed). */
export async function fileDigest(file: string): Promise<{ file: string; bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  try {
    for await (const c of createReadStream(file)) {
      h.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
  } catch (e) {
    throw openError(file, e);
  }
  return { file: resolve(file), bytes, sha256: h.digest('hex') };
}

/** Languages of a Moses pair from its file extensions (train.de, train.en), if they differ. */
export function langsFromFiles(src: string, tgt: string): [string, string] | undefined {
  const a = extname(src).slice(1);
  const b = extname(tgt).slice(1);
  return a && b && a !== b && /^[A-Za-z][A-Za-z_-]*$/.test(a) && /^[A-Za-z][A-Za-z_-]*$/.test(b) ? [a, b] : undefined;
}

function sourceFiles(s: CorpusSource): string[] {
  return s.kind === 'moses' ? [s.src, s.tgt] : [s.file];
}

/**
 * Prepares a user corpus. `langs` names the file extensions of the parts (for Moses
 * pairs they default to the input files' extensions, otherwise to src and tgt; a TMX
 * source needs them to pick its languages).
 */
export async function prepareCorpus(source: CorpusSource, o: PrepareOptions & { langs?: readonly [string, string] }): Promise<CorpusMeta> {
  const langs: readonly [string, string] =
    source.kind === 'tmx' ? source.langs : (o.langs ?? (source.kind === 'moses' ? langsFromFiles(source.src, source.tgt) : undefined) ?? ['src', 'tgt']);
  for (const f of sourceFiles(source)) {
    try {
      if (!statSync(f).isFile()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      throw openError(f, e);
    }
  }
  // Digests of the inputs (provenance in meta.json); a quick pass before the real one.
  const files = await Promise.all(sourceFiles(source).map(fileDigest));
  const tmxStats: TmxStats = { units: 0, missingLanguage: 0 };
  const pairs: AsyncIterable<SentencePair> = source.kind === 'tmx' ? readTmx(source.file, source.langs, tmxStats) : readCorpus(source);
  // tmxStats is filled in while the pairs stream; meta.json is written after that.
  const info: Record<string, unknown> = { kind: source.kind, description: describeSource(source), files, ...(source.kind === 'tmx' ? { tmx: tmxStats } : {}) };
  return writeSplits(pairs, {
    out: o.out,
    langs,
    parts: o.parts ?? DEFAULT_PARTS,
    seed: o.seed ?? 1,
    clean: o.clean,
    source: info,
    tool: tool(),
    signal: o.signal,
  });
}

/** Prepares the built-in bible corpus for a pair such as 'es-en'. */
export async function prepareBible(pair: string, o: PrepareOptions): Promise<CorpusMeta> {
  const langs = parseBiblePair(pair);
  const { pairs, info } = await readBible(langs);
  if (pairs.length === 0) throw invalid('bible: no verses were aligned');
  async function* gen() {
    yield* pairs;
  }
  return writeSplits(gen(), {
    out: o.out,
    langs,
    parts: o.parts ?? DEFAULT_PARTS,
    seed: o.seed ?? 1,
    clean: o.clean,
    source: { ...info, description: `bible ${pair}: ${info.modules.map((m) => `${m.title} (${m.module}, ${m.package} ${m.version ?? ''})`.trim()).join(' + ')}` },
    tool: tool(),
    signal: o.signal,
  });
}

