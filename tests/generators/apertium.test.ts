// The Apertium generator against the real Debian apertium-eng-spa, and the generation
// cache (content-addressed by generator identity and sources).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { ApertiumGenerator, apertiumPackage } from '../../ts/src/generators/apertium.js';
import { cacheKey, generateCached } from '../../ts/src/generators/cache.js';
import { canonicalJson } from '../../ts/src/common/canonical.js';
import type { Generated, Generator } from '../../ts/src/generators/types.js';

const probe = spawnSync('apertium', ['-l'], { encoding: 'utf8' });
const HAS_APERTIUM = !probe.error && probe.stdout.includes('spa-eng');
const tmp = mkdtempSync(join(tmpdir(), 'rg-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(HAS_APERTIUM)(`apertium (Debian apertium-eng-spa)${HAS_APERTIUM ? '' : ' (skipped: `apertium -l` lists no spa-eng mode; install apertium-eng-spa)'}`, () => {
  it('translates line by line and keeps alignment whatever the input holds', async () => {
    const g = new ApertiumGenerator({ mode: 'spa-eng', chunk: 4 });
    const src = [
      'Hola mundo.',
      'Y dijo Dios: Sea la luz; y fué la luz.',
      'a <s> b & [x] ^y$ \\ @z {llaves} /barra/',
      '   espacios    raros\tcon tabulador   ',
      'Jesús lloró.',
      '*** ### ...',
      'El rey David.',
    ];
    const out = await g.generate(src);
    expect(out.length).toBe(src.length);
    expect(out[0].text).toBe('Hello World.');
    expect(out[4].text).toMatch(/cried/);
    expect(out[6].text).toMatch(/David/);
    // Each output equals translating its line alone: nothing slipped. (Apertium carries
    // sentence-initial capitalisation across lines, hence the case-blind comparison.)
    for (const i of [2, 3, 5]) expect((await g.generate([src[i]]))[0].text.toLowerCase()).toBe(out[i].text.toLowerCase());
    for (const o of out) expect(o.text).not.toMatch(/\n/);
    expect(g.identity()).toMatchObject({ kind: 'apertium', mode: 'spa-eng' });
  });

  it('names the missing mode and the Debian package', () => {
    expect(apertiumPackage('spa-eng')).toBe('apertium-eng-spa');
    expect(() => new ApertiumGenerator({ mode: 'xxx-yyy' })).toThrow(/mode 'xxx-yyy' is not installed .*apt-get install apertium-xxx-yyy/);
    expect(() => new ApertiumGenerator({ mode: 'not a mode' })).toThrow(/apertium.mode must be a mode like 'spa-eng'/);
  });

  it('is cancelled by an AbortSignal', async () => {
    const g = new ApertiumGenerator({ mode: 'spa-eng', chunk: 1 });
    const ac = new AbortController();
    const p = g.generate(['uno', 'dos', 'tres', 'cuatro'], { onProgress: (d) => d === 1 && ac.abort(), signal: ac.signal });
    await expect(p).rejects.toMatchObject({ code: 'ECANCELED' });
  });
});
if (!HAS_APERTIUM) console.warn('apertium tests skipped: apertium with mode spa-eng is not installed (Debian: apertium-eng-spa; scripts/setup.sh installs it)');

/** A real generator (upper-casing) that counts its calls. */
class Upper implements Generator {
  readonly kind = 'test';
  calls = 0;
  constructor(readonly name: string, readonly setting: number) {}
  identity() {
    return { kind: this.kind, setting: this.setting };
  }
  async generate(s: readonly string[]): Promise<Generated[]> {
    this.calls++;
    return s.map((x, i) => ({ text: x.toUpperCase(), logprob: -1 - i }));
  }
  async close() {}
}

describe('generation cache', () => {
  it('hits for the same identity and sources, misses when either changes', async () => {
    const dir = join(tmp, 'cache');
    const g = new Upper('u', 1);
    const a = await generateCached(g, ['a', 'b'], dir);
    expect(a.hit).toBe(false);
    expect(a.outputs).toEqual([{ text: 'A', logprob: -1 }, { text: 'B', logprob: -2 }]);
    const b = await generateCached(g, ['a', 'b'], dir);
    expect(b.hit).toBe(true);
    expect(b.outputs).toEqual(a.outputs);
    expect(g.calls).toBe(1);
    expect((await generateCached(g, ['a', 'c'], dir)).hit).toBe(false);
    expect((await generateCached(new Upper('u', 2), ['a', 'b'], dir)).hit).toBe(false);
    // Sentence boundaries matter: ['ab'] is not ['a', 'b'].
    expect(cacheKey({ k: 1 }, ['a', 'b'])).not.toBe(cacheKey({ k: 1 }, ['a\nb']));
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe('{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}');
    expect(cacheKey({ a: 1, b: 2 }, ['x'])).toBe(cacheKey({ b: 2, a: 1 }, ['x']));
    // No temporary files left behind.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a truncated cache file (a crash mid-write of an older version) is regenerated, a corrupt line is named', async () => {
    const dir = join(tmp, 'cache2');
    const g = new Upper('u', 1);
    const first = await generateCached(g, ['x', 'y', 'z'], dir);
    const file = join(dir, `${first.key}.jsonl`);
    writeFileSync(file, '{"text":"X"}\n');
    const again = await generateCached(g, ['x', 'y', 'z'], dir);
    expect(again.hit).toBe(false);
    expect(g.calls).toBe(2);
    writeFileSync(file, '{"text":"X"}\nnot json\n{"text":"Z"}\n');
    await expect(generateCached(g, ['x', 'y', 'z'], dir)).rejects.toThrow(new RegExp(`${first.key}.jsonl:2: not valid JSON`));
    expect(existsSync(file)).toBe(true);
  });
});
