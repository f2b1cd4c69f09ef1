// The house rules on imports, checked on the sources: common/ imports nothing of ours,
// and no library folder imports the command line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ROOT } from '../helpers.js';

const SRC = join(ROOT, 'ts', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of every source file, as paths relative to ts/src. */
const imports = files(SRC).map((f) => {
  const text = readFileSync(f, 'utf8');
  const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => relative(SRC, resolve(dirname(f), m[1])));
  return { file: relative(SRC, f), targets };
});
const top = (p: string) => p.split('/')[0];

describe('import layers', () => {
  it('finds the sources and their imports', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports.find((i) => i.file === 'index.ts')!.targets.length).toBeGreaterThan(5);
  });

  it('common/ imports nothing of ours outside common/', () => {
    const bad = imports.filter((i) => top(i.file) === 'common').flatMap((i) => i.targets.filter((t) => top(t) !== 'common').map((t) => `${i.file} -> ${t}`));
    expect(bad).toEqual([]);
  });

  it('no library file imports cli/', () => {
    const bad = imports.filter((i) => top(i.file) !== 'cli').flatMap((i) => i.targets.filter((t) => top(t) === 'cli').map((t) => `${i.file} -> ${t}`));
    expect(bad).toEqual([]);
  });
});
