// Generated text cached on disk by content: the key hashes the generator's identity and
// every source sentence, so re-running an experiment costs nothing and a changed
// generator or source set can never reuse stale output.
//   DIR/KEY.jsonl  one {"text", "logprob"?} per source, in order
//   DIR/KEY.json   what the key was made of (identity, counts, timing)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegurgitateError } from '../engine/errors.js';
import { writeFileAtomic } from '../cli/util.js';
import type { Generated, GenerateOptions, Generator } from './types.js';

/** Canonical JSON: object keys sorted, so equal identities hash equally. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object')
    return `{${Object.keys(x as object)
      .sort()
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}

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

export async function generateCached(gen: Generator, sources: readonly string[], dir: string, o: GenerateOptions = {}): Promise<CachedResult> {
  const identity = gen.identity();
  const key = cacheKey(identity, sources);
  const file = join(dir, `${key}.jsonl`);
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    if (lines.length === sources.length) {
      const outputs = lines.map((l, i) => {
        try {
          return JSON.parse(l) as Generated;
        } catch {
          throw new RegurgitateError('EFORMAT', `${file}:${i + 1}: not valid JSON (delete the file to regenerate)`);
        }
      });
      const meta = existsSync(join(dir, `${key}.json`)) ? (JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as { seconds?: number }) : {};
      return { outputs, key, hit: true, seconds: meta.seconds ?? 0 };
    }
  }
  const t0 = performance.now();
  const outputs = await gen.generate(sources, o);
  if (outputs.length !== sources.length)
    throw new RegurgitateError('EINTERNAL', `generator ${gen.name} returned ${outputs.length} outputs for ${sources.length} sources`);
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(file, outputs.map((g) => JSON.stringify(g.logprob === undefined ? { text: g.text } : { text: g.text, logprob: g.logprob })).join('\n') + '\n');
  writeFileAtomic(join(dir, `${key}.json`), JSON.stringify({ generator: gen.name, identity, sources: sources.length, seconds, created: new Date().toISOString() }, null, 2) + '\n');
  return { outputs, key, hit: false, seconds };
}
