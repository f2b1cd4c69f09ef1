// The built-in bible corpus. Markup stripping is tested always; preparing the corpus
// needs the Debian packages libsword-utils, sword-text-web and sword-text-sparv: without
// them the test is skipped with a message, unless CI is set (CI installs them through
// scripts/setup.sh), where their absence fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkBible, osisToText, parseBiblePair, parseVerseKey } from '../../ts/src/data/bible.js';
import { prepareBible } from '../../ts/src/data/prepare.js';
import type { CorpusMeta } from '../../ts/src/data/split.js';
import { Tokenizer } from '../../ts/src/data/tokenizer/index.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-bible-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OSIS to text', () => {
  it('drops notes, Strong numbers and headings without gluing words', () => {
    expect(
      osisToText(
        '<w lemma="strong:H0430">In</w> <w lemma="strong:H0853">the</w> <w lemma="strong:H7225">beginning</w>, <w lemma="strong:H0430">God</w><note placement="foot"><reference type="annotateRef">1:1 </reference>The Hebrew word rendered “God” is “אֱלֹהִ֑ים” (Elohim).</note><w lemma="strong:H1254">created</w> the earth.<div eID="gen25" type="x-p"/>',
      ),
    ).toBe('In the beginning, God created the earth.');
    expect(osisToText('word<note type="crossReference"><reference osisRef="Gen.1.1">Gen 1:1</reference></note>. Next')).toBe('word. Next');
    expect(osisToText('<title type="main">Section heading</title><w>Then</w> he said')).toBe('Then he said');
    expect(osisToText('<title canonical="true" type="psalm">A Psalm by David.</title> <lg sID="a"/><l sID="b"/>Yahweh, how<l eID="b"/> <l sID="c"/>many<l eID="c"/>')).toBe(
      'A Psalm by David. Yahweh, how many',
    );
    expect(osisToText('<w lemma="strong:H7348">Rehum</w><transChange type="added">y</transChange><w lemma="strong:H1196">Baana</w>.')).toBe('Rehum y Baana.');
    expect(osisToText('repartiéron<transChange type="added">lo</transChange> presto')).toBe('repartiéronlo presto');
    expect(osisToText('“<w>Let</w> there be light,” A &amp; B &lt;x&gt;')).toBe('“Let there be light,” A & B <x>');
    expect(osisToText('<speaker>Beloved</speaker> <l sID="x"/>They are right')).toBe('They are right');
    expect(osisToText('Amen. <chapter eID="Rev.22"/><div sID="g" type="glossary"/>Glossary text')).toBe('Amen.');
    expect(osisToText('<div sID="b1" type="book"/><title>Genesis</title><w>In</w> the')).toBe('In the');
    expect(osisToText('  many   spaces\nand lines  ')).toBe('many spaces and lines');
  });

  it('verse keys and pairs', () => {
    expect(parseVerseKey('I Samuel 3:10')).toEqual({ book: 'I Samuel', chapter: 3, verse: 10 });
    expect(parseVerseKey('[ Module Heading ]')).toBeUndefined();
    expect(parseBiblePair('en-es')).toEqual(['en', 'es']);
    expect(() => parseBiblePair('es-de')).toThrow(/--pair must be two different languages of en, es/);
  });
});

describe('missing packages', () => {
  it('data prepare bible names the missing Debian packages and the apt-get command', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [CLI, 'data', 'prepare', 'bible', '--out', join(dir, 'never')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '' },
      cwd: ROOT,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the bible corpus needs Debian packages that are not installed: libsword-utils');
    expect(r.stderr).toMatch(/sudo apt-get install libsword-utils/);
  });
});

const check = checkBible(['es', 'en']);
const present = check.missing.length === 0;
if (!present && !process.env.CI)
  console.warn(`bible tests skipped: missing Debian packages ${check.missing.join(' ')} (install: ${check.install}); in CI this fails`);

const skipBible = !present && !process.env.CI;
const bibleTitle = skipBible
  ? `bible corpus (skipped: missing Debian packages ${check.missing.join(' ')}; CI installs them)`
  : 'bible corpus (sword modules)';
describe.skipIf(skipBible)(bibleTitle, () => {
  let meta: CorpusMeta;
  const out = join(dir, 'es-en');

  beforeAll(async () => {
    if (!present) throw new Error(`CI is set but the bible packages are missing: ${check.missing.join(' ')} (scripts/setup.sh installs them)`);
    meta = await prepareBible('es-en', { out, seed: 1 });
  }, 120_000);

  it('aligns about 31,000 verse pairs and writes train/dev/test', () => {
    expect(meta.source.pairs as number).toBeGreaterThan(30_500);
    expect(meta.source.pairs as number).toBeLessThan(31_500);
    expect(meta.parts.test.count).toBe(2000);
    expect(meta.parts.dev.count).toBe(1000);
    expect(meta.parts.train.count).toBe(meta.total - 3000);
    expect(meta.langs).toEqual({ src: 'es', tgt: 'en' });
    const mods = meta.source.modules as { module: string; licence: string }[];
    expect(mods.map((m) => m.module)).toEqual(['spaRV1909eb', 'engWEB2015eb']);
    for (const m of mods) expect(m.licence).toMatch(/public domain/i);
  });

  it('clean text: Genesis 1:1 aligned, no markup left, no glued words', () => {
    const es = ['train', 'dev', 'test'].flatMap((p) => readFileSync(join(out, `${p}.es`), 'utf8').split('\n'));
    const en = ['train', 'dev', 'test'].flatMap((p) => readFileSync(join(out, `${p}.en`), 'utf8').split('\n'));
    const i = es.indexOf('EN el principio crió Dios los cielos y la tierra.');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(en[i]).toBe('In the beginning, God created the heavens and the earth.');
    const all = es.join('\n') + en.join('\n');
    expect(all).not.toMatch(/[<>]|strong:|&[a-z]+;/);
    // A lower-case letter directly followed by an upper-case one marks glued words.
    expect(all.match(/\p{Ll}\p{Lu}/gu) ?? []).toEqual([]);
    expect(all).not.toMatch(/\p{L}[,;:][\p{L}]/u);
    expect(Math.max(...en.map((l) => l.length))).toBeLessThan(1500);
  });

  it('the CLI with the same seed writes the same files', () => {
    ensureBuilt();
    const out2 = join(dir, 'cli');
    const r = spawnSync(process.execPath, [CLI, 'data', 'prepare', 'bible', '--pair', 'es-en', '--out', out2, '--seed', '1'], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/train\s+\d+\s+train\.es train\.en/);
    const m2 = JSON.parse(readFileSync(join(out2, 'meta.json'), 'utf8')) as CorpusMeta;
    expect(m2.parts).toEqual(meta.parts);
  });

  it('a tokenizer trained on the training text matches @huggingface/tokenizers on the test text', async () => {
    const tok = await Tokenizer.trainFiles([join(out, 'train.es'), join(out, 'train.en')], { vocabSize: 8260 });
    expect(tok.vocabSize).toBe(8260);
    const hf = new HfTokenizer(JSON.parse(tok.toJSONString()), { clean_up_tokenization_spaces: false });
    const test = ['es', 'en'].flatMap((l) => readFileSync(join(out, `test.${l}`), 'utf8').split('\n').filter(Boolean));
    expect(test.length).toBe(4000);
    for (const s of test) {
      const ids = tok.encode(s);
      expect(ids).toEqual(hf.encode(s, { add_special_tokens: false }).ids);
      expect(tok.decode(ids)).toBe(s);
    }
  }, 60_000);
});
