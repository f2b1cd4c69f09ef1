// Cleaning counts, seeded splits (deterministic, disjoint, sizes), meta.json, atomic writes.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { Cleaner, resolveCleanOptions, tidy } from '../../ts/src/data/clean.js';
import { prepareCorpus } from '../../ts/src/data/prepare.js';
import { assignParts, parsePartsText, permutation, resolveParts, writeSplits, type CorpusMeta } from '../../ts/src/data/split.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-split-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* gen(pairs: { src: string; tgt: string }[]) {
  yield* pairs;
}

const corpus = (n: number) => Array.from({ length: n }, (_, i) => ({ src: `fuente número ${i}`, tgt: `source number ${i}` }));

describe('Cleaner', () => {
  it('counts each rule, first failing rule wins', () => {
    const c = new Cleaner({ maxLength: 5, maxRatio: 2 });
    const input: [string, string, string | undefined][] = [
      ['hola', 'hello', 'kept'],
      ['  ', 'x', undefined], // empty source
      ['', '', undefined], // empty source (first rule)
      ['x', '\t', undefined], // empty target
      ['a b c d e f', 'x y z', undefined], // too long
      ['a b c d e', 'x y', undefined], // ratio 2.5 > 2
      ['a b c d', 'x y', 'kept'], // ratio 2: kept
      ['hola', 'hello', undefined], // duplicate
      [' hola', 'hello\t', undefined], // duplicate after tidying
      ['hola', 'hi', 'kept'], // same source, other target: not a duplicate
      ['línea\u2028uno', 'line\r\none', 'kept'], // separators become spaces
    ];
    const kept: string[][] = [];
    for (const [s, t, want] of input) {
      const r = c.add(s, t);
      expect(r === undefined ? undefined : 'kept', `${s} | ${t}`).toBe(want);
      if (r) kept.push([r.src, r.tgt]);
    }
    const rep = c.report();
    expect(rep.input).toBe(11);
    expect(rep.kept).toBe(4);
    expect(rep.dropped).toEqual({ emptySource: 2, emptyTarget: 1, tooShort: 0, tooLong: 1, ratio: 1, duplicate: 2 });
    expect(rep.whitespaceFixed).toBe(1);
    expect(kept[3]).toEqual(['línea uno', 'line  one']);
  });

  it('minLength, chars unit, dedupe off, option validation', () => {
    const c = new Cleaner({ minLength: 3, lengthUnit: 'chars', dedupe: false, maxRatio: Infinity });
    expect(c.add('ab', 'abc')).toBeUndefined();
    expect(c.add('😀😀😀', 'abcdefghijklmnop')).toBeDefined(); // 3 code points
    expect(c.add('😀😀😀', 'abcdefghijklmnop')).toBeDefined();
    expect(c.report().dropped.tooShort).toBe(1);
    expect(() => resolveCleanOptions({ maxRatio: 0.5 })).toThrow(/maxRatio must be a number >= 1/);
    expect(() => resolveCleanOptions({ minLength: 5, maxLength: 2 })).toThrow(/below clean.minLength/);
    expect(() => resolveCleanOptions({ lengthUnit: 'bytes' as 'chars' })).toThrow(/lengthUnit/);
    expect(tidy('\ta\u0085b ')).toBe('a b');
  });
});

describe('parts', () => {
  it('parses and resolves sizes; errors when they exceed the corpus', () => {
    const p = parsePartsText('poolA=10,poolB=0.5,dev=2,train=rest');
    expect(p).toEqual([
      { name: 'poolA', size: 10 },
      { name: 'poolB', size: 0.5 },
      { name: 'dev', size: 2 },
      { name: 'train', size: 'rest' },
    ]);
    expect(resolveParts(p, 41).map((x) => x.count)).toEqual([10, 20, 2, 9]);
    expect(() => resolveParts(p, 20)).toThrow('the parts need 22 pairs (poolA 10 + poolB 10 + dev 2) but the corpus has only 20 after cleaning');
    expect(() => parsePartsText('a=1,a=2')).toThrow(/listed twice/);
    expect(() => parsePartsText('a=rest,b=rest')).toThrow(/at most one part/);
    expect(() => parsePartsText('a=1.5')).toThrow(/must be a count/);
    expect(() => parsePartsText('meta=5')).toThrow(/reserved/);
    expect(() => parsePartsText('a/b=5')).toThrow(/not allowed/);
    expect(() => parsePartsText('nonsense')).toThrow(/NAME=SIZE/);
  });

  it('permutations are deterministic by seed; parts are disjoint and cover what they should', () => {
    expect(Array.from(permutation(10, 7))).toEqual(Array.from(permutation(10, 7)));
    expect(Array.from(permutation(50, 7))).not.toEqual(Array.from(permutation(50, 8)));
    const parts = parsePartsText('a=100,b=0.25,test=50,rest=rest');
    const r = assignParts(1000, parts, 3);
    const seen = new Set<number>();
    for (const p of r) for (const i of p.indices) {
      expect(seen.has(i)).toBe(false);
      seen.add(i);
    }
    expect(seen.size).toBe(1000);
    expect(r.map((p) => p.indices.length)).toEqual([100, 250, 50, 600]);
    // The test part depends only on the seed and the parts before it, not on the rest.
    const r2 = assignParts(1000, parsePartsText('a=100,b=0.25,test=50'), 3);
    expect(Array.from(r2[2].indices)).toEqual(Array.from(r[2].indices));
  });
});

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('writeSplits', () => {
  it('writes part files, meta.json with counts, seed and hashes; same seed, same bytes', async () => {
    const pairs = [...corpus(300), { src: 'dup', tgt: 'dup' }, { src: 'dup', tgt: 'dup' }, { src: '', tgt: 'x' }];
    const run = async (out: string, seed: number, inMemoryBytes?: number) =>
      writeSplits(gen(pairs), { out, langs: ['es', 'en'], parts: { poolA: 100, poolB: 0.2, dev: 30, test: 40 }, seed, source: { kind: 'test' }, inMemoryBytes });
    const a = join(dir, 'a');
    const meta = await run(a, 5);
    expect(meta.total).toBe(301);
    expect(meta.clean.dropped).toMatchObject({ duplicate: 1, emptySource: 1 });
    expect(Object.fromEntries(Object.entries(meta.parts).map(([k, v]) => [k, v.count]))).toEqual({ poolA: 100, poolB: 60, dev: 30, test: 40 });
    expect(meta.unused).toBe(301 - 230);
    expect(readdirSync(a).sort()).toEqual(['dev.en', 'dev.es', 'meta.json', 'poolA.en', 'poolA.es', 'poolB.en', 'poolB.es', 'test.en', 'test.es']);
    const onDisk = JSON.parse(readFileSync(join(a, 'meta.json'), 'utf8')) as CorpusMeta;
    expect(onDisk).toEqual(meta);
    expect(onDisk.seed).toBe(5);
    const all = new Set<string>();
    for (const [name, p] of Object.entries(meta.parts)) {
      const es = readFileSync(join(a, `${name}.es`), 'utf8').split('\n').slice(0, -1);
      const en = readFileSync(join(a, `${name}.en`), 'utf8').split('\n').slice(0, -1);
      expect(es.length).toBe(p.count);
      expect(en.length).toBe(p.count);
      es.forEach((s, i) => {
        // still aligned
        expect(en[i]).toBe(s.replace('fuente número', 'source number').replace(/^dup$/, 'dup'));
        expect(all.has(s)).toBe(false); // disjoint
        all.add(s);
      });
      for (const lang of ['es', 'en']) {
        const f = p.files[lang];
        expect(f.file).toBe(`${name}.${lang}`);
        expect(f.sha256).toBe(sha(join(a, f.file)));
        expect(f.bytes).toBe(readFileSync(join(a, f.file)).length);
      }
    }
    // Deterministic: same seed same files (also through the random-access path); other seed differs.
    const b = join(dir, 'b');
    await run(b, 5, 0);
    for (const f of readdirSync(a)) expect(readFileSync(join(b, f), 'utf8'), f).toBe(readFileSync(join(a, f), 'utf8'));
    const c = join(dir, 'c');
    await run(c, 6);
    expect(readFileSync(join(c, 'test.es'), 'utf8')).not.toBe(readFileSync(join(a, 'test.es'), 'utf8'));
  });

  it('parts are in shuffled order (prefixes are random samples)', async () => {
    const out = join(dir, 'order');
    await writeSplits(gen(corpus(1000)), { out, langs: ['es', 'en'], parts: { train: 'rest' }, seed: 1, source: {} });
    const lines = readFileSync(join(out, 'train.es'), 'utf8').split('\n').slice(0, 10);
    expect(lines).not.toEqual(corpus(10).map((p) => p.src));
  });

  it('errors leave nothing behind under a real name, and no temporary files', async () => {
    const out = join(dir, 'err');
    await expect(writeSplits(gen(corpus(10)), { out, langs: ['es', 'en'], parts: { a: 8, b: 5 }, seed: 1, source: {} })).rejects.toThrow(
      'the parts need 13 pairs (a 8 + b 5) but the corpus has only 10 after cleaning',
    );
    expect(readdirSync(out)).toEqual([]);
    await expect(writeSplits(gen([{ src: '', tgt: '' }]), { out, langs: ['es', 'en'], parts: { a: 'rest' }, seed: 1, source: {} })).rejects.toThrow(
      /no pairs left after cleaning: 1 read, dropped 1 with an empty source/,
    );
    async function* broken() {
      yield { src: 'a', tgt: 'b' };
      throw new Error('reader failed');
    }
    await expect(writeSplits(broken(), { out, langs: ['es', 'en'], parts: { a: 'rest' }, seed: 1, source: {} })).rejects.toThrow('reader failed');
    expect(readdirSync(out)).toEqual([]);
    await expect(writeSplits(gen(corpus(3)), { out, langs: ['es', 'es'], parts: { a: 1 }, seed: 1, source: {} })).rejects.toThrow(/both 'es'/);
    await expect(writeSplits(gen(corpus(3)), { out, langs: ['es', 'en'], parts: { a: 1 }, seed: -1, source: {} })).rejects.toThrow(/seed must be an integer/);
  });
});

describe('prepareCorpus', () => {
  it('Moses input: languages from the file names, input digests in meta.json', async () => {
    const de = join(dir, 'in.de');
    const en = join(dir, 'in.en');
    writeFileSync(de, corpus(50).map((p) => p.src).join('\n') + '\n');
    writeFileSync(en, corpus(50).map((p) => p.tgt).join('\r\n') + '\r\n');
    const out = join(dir, 'prep');
    const meta = await prepareCorpus({ kind: 'moses', src: de, tgt: en }, { out, parts: { dev: 5, test: 5, train: 'rest' }, seed: 9 });
    expect(meta.langs).toEqual({ src: 'de', tgt: 'en' });
    expect(existsSync(join(out, 'train.de'))).toBe(true);
    const files = meta.source.files as { file: string; sha256: string }[];
    expect(files.map((f) => f.sha256)).toEqual([sha(de), sha(en)]);
    expect(meta.parts.train.count).toBe(40);
    // CRLF in the input does not reach the output.
    expect(readFileSync(join(out, 'train.en'), 'utf8')).not.toContain('\r');
  });

  it('TMX input: unit statistics in meta.json', async () => {
    const tmx = join(dir, 'in.tmx');
    const units = corpus(30).map((p) => `<tu><tuv xml:lang="es"><seg>${p.src}</seg></tuv><tuv xml:lang="en"><seg>${p.tgt}</seg></tuv></tu>`);
    writeFileSync(tmx, `<tmx version="1.4"><header/><body>${units.join('\n')}<tu><tuv xml:lang="es"><seg>solo</seg></tuv></tu></body></tmx>`);
    const meta = await prepareCorpus({ kind: 'tmx', file: tmx, langs: ['es', 'en'] }, { out: join(dir, 'tmxout'), parts: { train: 'rest' } });
    expect(meta.source.tmx).toEqual({ units: 31, missingLanguage: 1 });
    expect(meta.parts.train.count).toBe(30);
  });

  it('missing input file is named before anything is written', async () => {
    const missing = join(dir, 'nope.tsv');
    await expect(prepareCorpus({ kind: 'tsv', file: missing }, { out: join(dir, 'never') })).rejects.toThrow(`${missing}: no such file`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
