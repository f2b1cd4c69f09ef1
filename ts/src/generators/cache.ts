// Generated text cached on disk by content: the key hashes the generator's identity and
// every source sentence, so re-running an experiment costs nothing and a changed
// generator or source set can never reuse stale output.
//   DIR/KEY.jsonl  one {"text", "logprob"?} per source, in order
//   DIR/KEY.json   what the key was made of (identity, counts, timing)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegurgitateError } from '../common/errors.js';
import { canonicalJson } from '../common/canonical.js';
import { writeFileAtomic } from '../common/atomic.js';
import type { Generated, GenerateOptions, Generator } from './types.js';

export function cacheKey(identity: Record<string, unknown>, sources: readonly string[]): string {
  const h = createHash('sha256');
  h.update(canonicalJson(identity));
  h.update('\0');
  for (const s of sources) h.update(JSON.stringify(s)).update('\n'); // quoted: boundaries are unambiguous
  return h.digest('hex').slice(0, 32);
}

export interface CachedResult {
  outputs: Generated[];
  key: string;
  /** Whether the outputs came from the cache. */
  hit: boolean;
  seconds: number;
}

function readOutputs(file: string, count: number): Generated[] | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  if (lines.length !== count) return null;
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as Generated;
    } catch {
      throw new RegurgitateError('EFORMAT', `${file}:${i + 1}: not valid JSON (delete the file to regenerate)`);
    }
  });
}

function metaSeconds(dir: string, key: string): number {
  const f = join(dir, `${key}.json`);
  return existsSync(f) ? ((JSON.parse(readFileSync(f, 'utf8')) as { seconds?: number }).seconds ?? 0) : 0;
}

/**
 * Output for `sources` cached by a generator that cannot be opened here (Apertium on a
 * GPU server without it): any entry of DIR whose recorded identity `accept` takes and
 * whose key matches that identity and these exact sources. Null when there is none.
 */
export function findCached(dir: string, sources: readonly string[], accept: (identity: Record<string, unknown>) => boolean): CachedResult | null {
  if (!existsSync(dir)) return null;
  for (const name of readdirSync(dir).sort()) {
    if (!/^[0-9a-f]{32}\.json$/.test(name)) continue;
    let identity: Record<string, unknown> | undefined;
    try {
      identity = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { identity?: Record<string, unknown> }).identity;
    } catch {
      continue; // a damaged meta file names nothing; the entry is simply not found
    }
    if (!identity || !accept(identity)) continue;
    const key = cacheKey(identity, sources);
    if (`${key}.json` !== name) continue;
    const outputs = readOutputs(join(dir, `${key}.jsonl`), sources.length);
    if (outputs) return { outputs, key, hit: true, seconds: metaSeconds(dir, key) };
  }
  return null;
}

export async function generateCached(gen: Generator, sources: readonly string[], dir: string, o: GenerateOptions = {}): Promise<CachedResult> {
  const identity = gen.identity();
  const key = cacheKey(identity, sources);
  const file = join(dir, `${key}.jsonl`);
  const cached = readOutputs(file, sources.length);
  if (cached) return { outputs: cached, key, hit: true, seconds: metaSeconds(dir, key) };
  const t0 = performance.now();
  const outputs = await gen.generate(sources, o);
  if (outputs.length !== sources.length)
    throw new RegurgitateError('EINTERNAL', `generator ${gen.name} returned ${outputs.length} outputs for ${sources.length} sources`);
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(file, outputs.map((g) => JSON.stringify(g.logprob === undefined ? { text: g.text } : { text: g.text, logprob: g.logprob })).join('\n') + '\n');
  writeFileAtomic(join(dir, `${key}.json`), JSON.stringify({ generator: gen.name, identity, sources: sources.length, seconds, created: new Date().toISOString() }, null, 2) + '\n');
  return { outputs, key, hit: false, seconds };
}
