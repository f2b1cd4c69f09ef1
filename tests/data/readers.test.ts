// Corpus readers: every format, every error case (the message names file and line),
// CRLF, BOM, NFC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { readCorpus, readJsonl, readMoses, readTsv, type SentencePair } from '../../ts/src/data/corpus.js';
import { CorpusError } from '../../ts/src/common/file_errors.js';
import { findInvalidUtf8, readLineBatches } from '../../ts/src/common/text.js';
import { decodeEntities, langMatches, readTmx, type TmxStats } from '../../ts/src/data/tmx.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer, name?: string): string {
  const p = join(dir, name ?? `f${n++}`);
  writeFileSync(p, content);
  return p;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function fails(it: AsyncIterable<unknown>): Promise<CorpusError & { code: string }> {
  try {
    await all(it);
  } catch (e) {
    return e as CorpusError & { code: string };
  }
  throw new Error('expected an error');
}

const simple = (ps: SentencePair[]) => ps.map((p) => [p.src, p.tgt, p.line]);

describe('line reader', () => {
  it('splits LF and CRLF, keeps a last line without newline, drops a BOM', async () => {
    const f = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a\r\nb\n\nc\r\nd')]));
    expect((await all(readLineBatches(f))).flat()).toEqual(['a', 'b', '', 'c', 'd']);
    expect((await all(readLineBatches(file('x\n')))).flat()).toEqual(['x']);
    expect((await all(readLineBatches(file('')))).flat()).toEqual([]);
  });

  it('handles lines and UTF-8 characters cut across chunk boundaries', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `línea ${i} — ñandú 😀 ${'x'.repeat(i % 37)}`);
    const f = file(lines.join('\n') + '\n');
    for (const chunk of [7, 13, 64, 1000]) expect((await all(readLineBatches(f, chunk))).flat()).toEqual(lines);
  });

  it('invalid UTF-8: names file, line and byte', async () => {
    const f = file(Buffer.concat([Buffer.from('ok\nfine\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from(' here\nafter\n')]));
    const e = await fails(readLineBatches(f));
    expect(e).toBeInstanceOf(CorpusError);
    expect(e.code).toBe('EFORMAT');
    expect(e.message).toBe(`${f}:3: invalid UTF-8 (byte 0xc3 at byte 5 of the line); the file must be UTF-8 encoded`);
    expect(e.line).toBe(3);
    expect(e.file).toBe(f);
    // Found in a later chunk too.
    const big = file(Buffer.concat([Buffer.from('abc\n'.repeat(1000)), Buffer.from([0xff]), Buffer.from('\n')]));
    expect((await fails(readLineBatches(big, 100))).message).toMatch(new RegExp(`^${big}:1001: invalid UTF-8 \\(byte 0xff`));
  });

  it('findInvalidUtf8 agrees with TextDecoder on overlongs, surrogates, truncation', () => {
    const cases: [number[], number][] = [
      [[0x61, 0x62], -1],
      [[0xc0, 0x80], 0],
      [[0xe0, 0x80, 0x80], 0],
      [[0xed, 0xa0, 0x80], 0],
      [[0xf4, 0x90, 0x80, 0x80], 0],
      [[0x61, 0xe2, 0x82], 1],
      [[0xe2, 0x82, 0xac], -1],
      [[0xf0, 0x9f, 0x98, 0x80], -1],
    ];
    for (const [bytes, want] of cases) {
      expect(findInvalidUtf8(Uint8Array.from(bytes))).toBe(want);
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
      } catch {
        ok = false;
      }
      expect(ok).toBe(want === -1);
    }
  });

  it('NUL byte: names file and line', async () => {
    const f = file('a\nb\nc\u0000d\n');
    const e = await fails(readLineBatches(f));
    expect(e.message).toBe(`${f}:3: contains a NUL byte (is it a binary file?)`);
  });

  it('missing file and directory', async () => {
    const missing = join(dir, 'nope.de');
    const e = await fails(readLineBatches(missing));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`${missing}: no such file`);
    expect((await fails(readLineBatches(dir))).message).toBe(`${dir}: is a directory, not a file`);
  });
});

describe('Moses file pairs', () => {
  it('reads pairs with line numbers, CRLF, NFC', async () => {
    const de = file('Guten Tag\r\nCafe\u0301\n', 'a.de');
    const en = file('Good day\r\nCafé\n', 'a.en');
    const ps = await all(readMoses(de, en));
    expect(simple(ps)).toEqual([
      ['Guten Tag', 'Good day', 1],
      ['Café', 'Café', 2],
    ]);
    expect(ps[1].src).toBe('Caf\u00e9'); // NFC
  });

  it('mismatched line counts name both files and both counts', async () => {
    const de = file('1\n2\n3\n', 'b.de');
    const en = file('1\n2\n', 'b.en');
    const e = await fails(readMoses(de, en));
    expect(e.code).toBe('EFORMAT');
    expect(e.message).toContain(`${de} has 3 lines but ${en} has 2 lines`);
    const e2 = await fails(readMoses(en, de));
    expect(e2.message).toContain(`${en} has 2 lines but ${de} has 3 lines`);
  });

  it('empty corpus, missing file, invalid UTF-8 on the target side', async () => {
    const e1 = file('', 'c.de');
    const e2 = file('', 'c.en');
    expect((await fails(readMoses(e1, e2))).message).toMatch(/the corpus is empty/);
    const ok = file('x\n', 'd.de');
    const missing = join(dir, 'missing.en');
    expect((await fails(readMoses(ok, missing))).message).toBe(`${missing}: no such file`);
    const bad = file(Buffer.concat([Buffer.from('x\n'), Buffer.from([0x80, 0x0a])]), 'e.en');
    const two = file('x\ny\n', 'e.de');
    expect((await fails(readMoses(two, bad))).message).toMatch(new RegExp(`^${bad}:2: invalid UTF-8`));
  });
});

describe('TSV', () => {
  it('reads pairs', async () => {
    const f = file('hola\thello\r\nadiós\tgoodbye\n\tempty source\n');
    expect(simple(await all(readTsv(f)))).toEqual([
      ['hola', 'hello', 1],
      ['adiós', 'goodbye', 2],
      ['', 'empty source', 3],
    ]);
  });

  it('wrong field counts name file and line', async () => {
    const f = file('a\tb\nno tab here\n');
    expect((await fails(readTsv(f))).message).toBe(`${f}:2: expected 2 tab-separated fields (source<TAB>target), found 1`);
    const g = file('a\tb\tc\n');
    expect((await fails(readTsv(g))).message).toBe(`${g}:1: expected 2 tab-separated fields (source<TAB>target), found 3`);
    expect((await fails(readTsv(file('')))).message).toMatch(/the corpus is empty/);
  });
});

describe('JSONL', () => {
  it('reads pairs, skips blank lines, ignores other fields', async () => {
    const f = file('{"src":"hola","tgt":"hello","id":1}\n\n{"tgt":"Cafe\u0301","src":"x"}\r\n');
    expect(simple(await all(readJsonl(f)))).toEqual([
      ['hola', 'hello', 1],
      ['x', 'Café', 3],
    ]);
  });

  it('errors name file and line', async () => {
    const cases: [string, string][] = [
      ['{"src":"a","tgt":"b"}\n{"src": "a", tgt}\n', ':2: invalid JSON: '],
      ['[1,2]\n', ':1: expected a JSON object {"src": "...", "tgt": "..."}'],
      ['{"src":"a"}\n', ':1: the object has no "tgt" field'],
      ['{"src":1,"tgt":"b"}\n', ':1: field "src" must be a string (got number)'],
      ['\n  \n', ': the corpus is empty (no lines)'],
    ];
    for (const [content, msg] of cases) {
      const f = file(content);
      expect((await fails(readJsonl(f))).message).toContain(f + msg);
    }
  });
});

const TMX_HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
  <header creationtool="test" srclang="es" datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="x"/>
  <body>
`;

describe('TMX', () => {
  it('reads units, decodes entities, skips inline codes and notes, matches language variants', async () => {
    const f = file(
      TMX_HEAD +
        `    <tu tuid="1"><prop type="x">ignored</prop>
      <tuv xml:lang="es-ES"><seg>Hola &amp; adiós &lt;3 &#233; &#x1F600;</seg></tuv>
      <tuv xml:lang="EN"><seg>Hello &amp; goodbye &lt;3 é 😀</seg></tuv>
    </tu>
    <!-- a comment <tu> -->
    <tu>
      <note>a note</note>
      <tuv lang="en"><seg>The <bpt i="1">&lt;b&gt;</bpt>bold<ept i="1">&lt;/b&gt;</ept> <hi>word</hi><ph>{1}</ph>.</seg></tuv>
      <tuv xml:lang="es"><seg><![CDATA[La palabra <b>]]> en negrita</seg></tuv>
    </tu>
    <tu><tuv xml:lang="fr"><seg>Bonjour</seg></tuv><tuv xml:lang="en"><seg>Hello</seg></tuv></tu>
    <tu><tuv xml:lang="es"><seg>Cafe\u0301</seg></tuv><tuv xml:lang="en"><seg/></tuv></tu>
  </body>
</tmx>
`,
    );
    const stats: TmxStats = { units: 0, missingLanguage: 0 };
    const ps = await all(readTmx(f, ['es', 'en'], stats));
    expect(simple(ps)).toEqual([
      ['Hola & adiós <3 é 😀', 'Hello & goodbye <3 é 😀', 6],
      ['La palabra <b> en negrita', 'The bold word.', 11],
    ]);
    // <seg/> is an empty segment: the unit has no text for en, counted as missing.
    expect(stats).toEqual({ units: 4, missingLanguage: 2 });
    expect(langMatches('es-ES', 'es')).toBe(true);
    expect(langMatches('es_mx', 'ES')).toBe(true);
    expect(langMatches('est', 'es')).toBe(false);
  });

  it('reads units split across chunk boundaries and CRLF files', async () => {
    const units = Array.from({ length: 3000 }, (_, i) => `<tu>\r\n<tuv xml:lang="es"><seg>frase ${i} &amp; más</seg></tuv>\r\n<tuv xml:lang="en"><seg>sentence ${i}</seg></tuv>\r\n</tu>\r\n`);
    const f = file(TMX_HEAD + units.join('') + '</body></tmx>\r\n');
    const ps = await all(readTmx(f, ['es', 'en']));
    expect(ps.length).toBe(3000);
    expect(ps[2999]).toEqual({ src: 'frase 2999 & más', tgt: 'sentence 2999', line: 6 + 2999 * 4 });
  });

  it('UTF-16 with a byte-order mark', async () => {
    const text = TMX_HEAD + '<tu><tuv xml:lang="es"><seg>sí</seg></tuv><tuv xml:lang="en"><seg>yes</seg></tuv></tu></body></tmx>';
    const f = file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(simple(await all(readTmx(f, ['es', 'en'])))).toEqual([['sí', 'yes', 6]]);
  });

  it('errors name file and line', async () => {
    const unit = (seg: string) => `<tu><tuv xml:lang="es"><seg>${seg}</seg></tuv><tuv xml:lang="en"><seg>x</seg></tuv></tu>\n`;
    const cases: [string, string][] = [
      [TMX_HEAD + unit('ok') + unit('a &nbsp; b') + '</body></tmx>', ":7: unknown entity '&nbsp;'"],
      [TMX_HEAD + unit('ok') + unit('a &#xD800; b') + '</body></tmx>', ":7: character reference '&#xD800;' is not a valid character"],
      [TMX_HEAD + unit('a & b') + '</body></tmx>', ':6: unterminated entity reference'],
      [TMX_HEAD + '<tu><tuv xml:lang="es"><seg>x</tuv></tu></body></tmx>', ':6: closing tag </tuv> does not match <seg>'],
      [TMX_HEAD + '<tu><tuv><seg>x</seg></tuv></tu></body></tmx>', ':6: <tuv> without an xml:lang attribute'],
      [TMX_HEAD + unit('ok') + '<tu><tuv xml:lang="es"><seg>unfinished', ':7: unexpected end of file'],
      ['<?xml version="1.0"?>\n<html><body/></html>\n', ':2: not a TMX file: the root element is <html>, expected <tmx>'],
      [TMX_HEAD + '</body></tmx>', ': the corpus is empty: it has no <tu> units'],
      [TMX_HEAD + '<tu><tuv xml:lang="fr"><seg>x</seg></tuv></tu></body></tmx>', ': the corpus is empty: none of its 1 units has both languages es and en'],
    ];
    for (const [content, msg] of cases) {
      const f = file(content);
      const e = await fails(readTmx(f, ['es', 'en']));
      expect(e.message, content).toContain(f + msg);
    }
    const bad = file(Buffer.concat([Buffer.from(TMX_HEAD + unit('ok') + '<tu><tuv xml:lang="es"><seg>'), Buffer.from([0xfe]), Buffer.from('</seg></tuv></tu></body></tmx>')]));
    expect((await fails(readTmx(bad, ['es', 'en']))).message).toMatch(new RegExp(`^${bad}:7: invalid UTF-8`));
    const missing = join(dir, 'missing.tmx');
    expect((await fails(readTmx(missing, ['es', 'en']))).message).toBe(`${missing}: no such file`);
  });

  it('decodeEntities', () => {
    const fail = (m: string) => new Error(m);
    expect(decodeEntities('a &lt;b&gt; &amp;amp; &quot;&apos; &#65;&#x42;', fail)).toBe('a <b> &amp; "\' AB');
    expect(() => decodeEntities('&#xZZ;', fail)).toThrow(/malformed character reference/);
  });
});

describe('readCorpus dispatch', () => {
  it('reads each kind', async () => {
    const tsv = file('a\tb\n');
    const jsonl = file('{"src":"a","tgt":"b"}\n');
    for (const s of [{ kind: 'tsv', file: tsv }, { kind: 'jsonl', file: jsonl }] as const) expect(simple(await all(readCorpus(s)))).toEqual([['a', 'b', 1]]);
  });
});
