// The byte-level BPE tokenizer: determinism, special ids, round trip, and equivalence
// with @huggingface/tokenizers loading our tokenizer.json, over real Bible verses in
// Spanish and English and over tricky strings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BYTE_TO_CHAR, splitSpecials } from '../../ts/src/data/tokenizer/bytelevel.js';
import { BOS_ID, EOS_ID, PAD_ID, Tokenizer, UNK_ID } from '../../ts/src/data/tokenizer/index.js';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (lang: string) => readFileSync(join(ROOT, 'tests', 'fixtures', `bible-sample.${lang}`), 'utf8').split('\n').filter((l) => l !== '');
const ES = lines('es');
const EN = lines('en');
const SENTENCES = [...ES, ...EN];

export const TRICKY = [
  '',
  ' ',
  '   ',
  '  leading spaces',
  'trailing spaces   ',
  'multiple   spaces\tand\ttabs',
  'line\nbreaks\r\nand\u2028separators',
  'emoji 😀 👍🏽 👨‍👩‍👧‍👦 🇪🇸 mixed😀text',
  'accents: áéíóú ÁÉÍÓÚ ñÑ üÜ çÇ àèìòù âêîôû',
  'NFD: Cafe\u0301 n\u0303 a\u0300 (becomes NFC)',
  'NFC: Café ñ à',
  'digits 0123456789 3.14159 1,000,000 ٣٤ ½ ²',
  "contractions: don't I'm you're we'll they've he'd it's DON'T",
  'punctuation: ¿Qué? ¡Sí! «comillas» “quotes” ‘single’ — – … ; : , . ! ?',
  'brackets (a) [b] {c} <d> <<e>>',
  'specials: <s>inside</s> <pad> <unk> </s><s> x<s>y',
  'near-specials: <s <s/> </ s> <PAD> < s>',
  'CJK 中文字符 日本語 한국어',
  'Greek αβγ Cyrillic абв Hebrew אבג Arabic عربى',
  'zero\u200bwidth\u200cjoiner\u200dno-break\u00a0space\ufeffbom',
  'control \u0001\u0007\u001b chars',
  'lone surrogate \ud800 here',
  'x'.repeat(1000),
  'ñ'.repeat(400) + ' ' + '😀'.repeat(300),
  'mixedCASE camelCase snake_case kebab-case URL https://example.org/a?b=c&d=e#f',
];

function trainOn(texts: string[], vocabSize: number): Promise<Tokenizer> {
  return Tokenizer.train(texts, { vocabSize });
}

let tok: Tokenizer;
let hf: HfTokenizer;
let json: string;

beforeAll(async () => {
  tok = await trainOn(SENTENCES, 3000);
  json = tok.toJSONString();
  hf = new HfTokenizer(JSON.parse(json), { clean_up_tokenization_spaces: false });
});

describe('training', () => {
  it('vocabulary layout: specials at 0-3, bytes at 4-259, merges after', () => {
    expect(tok.vocabSize).toBe(3000);
    expect(tok.tokens.slice(0, 4)).toEqual(['<pad>', '<s>', '</s>', '<unk>']);
    expect([PAD_ID, BOS_ID, EOS_ID, UNK_ID]).toEqual([0, 1, 2, 3]);
    for (let b = 0; b < 256; b++) expect(tok.tokens[4 + b]).toBe(BYTE_TO_CHAR[b]);
    expect(tok.tokens[260].length).toBeGreaterThanOrEqual(2);
    const j = JSON.parse(json);
    expect(j.model.vocab['<pad>']).toBe(0);
    expect(j.model.vocab['</s>']).toBe(2);
    expect(j.added_tokens.map((a: { id: number; content: string; special: boolean }) => [a.id, a.content, a.special])).toEqual([
      [0, '<pad>', true],
      [1, '<s>', true],
      [2, '</s>', true],
      [3, '<unk>', true],
    ]);
    expect(j.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false });
    expect(j.normalizer).toEqual({ type: 'NFC' });
  });

  it('is deterministic and independent of input order', async () => {
    const again = await trainOn(SENTENCES, 3000);
    expect(again.toJSONString()).toBe(json);
    const reversed = await trainOn([...SENTENCES].reverse(), 3000);
    expect(reversed.toJSONString()).toBe(json);
  });

  it('a smaller vocabulary is a prefix of a larger one', async () => {
    const small = await trainOn(SENTENCES, 1000);
    expect(small.tokens).toEqual(tok.tokens.slice(0, 1000));
  });

  it('stops early when no pair is frequent enough, and validates options', async () => {
    const t = await Tokenizer.train(['ab ab ab', 'cd'], { vocabSize: 5000 });
    expect(t.vocabSize).toBeLessThan(270);
    await expect(Tokenizer.train(['x'], { vocabSize: 100 })).rejects.toThrow(/vocabSize must be an integer in \[260, 1048576\]/);
  });

  it('trains from files, naming the file and line of bad input', async () => {
    const a = join(dir, 'a.txt');
    writeFileSync(a, ES.slice(0, 200).join('\n') + '\n');
    const t = await Tokenizer.trainFiles([a], { vocabSize: 400 });
    expect(t.trainStats?.lines).toBe(200);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0x0a])]));
    await expect(Tokenizer.trainFiles([a, bad], { vocabSize: 400 })).rejects.toThrow(`${bad}:2: invalid UTF-8`);
  });
});

describe('encoding', () => {
  it('round trip: decode(encode(x)) === x for NFC text', () => {
    for (const s of [...SENTENCES, ...TRICKY]) {
      const nfc = s.normalize('NFC');
      const expected = nfc.replace(/\ud800/g, '\ufffd'); // a lone surrogate cannot be UTF-8
      expect(tok.decode(tok.encode(nfc))).toBe(expected);
    }
  });

  it('never produces <unk>; only literal special strings produce special ids', () => {
    for (const s of [...SENTENCES, ...TRICKY]) {
      const ids = tok.encode(s);
      expect(ids.includes(UNK_ID) && !s.includes('<unk>'), s).toBe(false);
      if (!/<pad>|<s>|<\/s>|<unk>/.test(s)) expect(ids.every((i) => i >= 4 && i < tok.vocabSize), s).toBe(true);
    }
    expect(tok.encode('a<s>b')).toEqual([...tok.encode('a'), BOS_ID, ...tok.encode('b')]);
    expect(tok.encode('hola', { addBos: true, addEos: true })).toEqual([BOS_ID, ...tok.encode('hola'), EOS_ID]);
    expect(tok.decode([BOS_ID, ...tok.encode('hola'), EOS_ID, PAD_ID], { skipSpecial: true })).toBe('hola');
    expect(tok.decode([BOS_ID, ...tok.encode('hola'), EOS_ID])).toBe('<s>hola</s>');
    // specials: false (model data): the strings are text, and decode back to themselves.
    const plain = tok.encode('a</s>b<pad>', { specials: false });
    expect(plain.every((i) => i >= 4)).toBe(true);
    expect(tok.decode(plain)).toBe('a</s>b<pad>');
  });

  it('NFD input encodes like its NFC form', () => {
    expect(tok.encode('Cafe\u0301 n\u0303')).toEqual(tok.encode('Café ñ'));
  });

  it('same ids as @huggingface/tokenizers on the Bible verses (es + en)', () => {
    expect(SENTENCES.length).toBeGreaterThanOrEqual(4000);
    let diffs = 0;
    for (const s of SENTENCES) {
      const ours = tok.encode(s);
      const theirs = hf.encode(s, { add_special_tokens: false }).ids;
      if (ours.join(' ') !== theirs.join(' ')) {
        diffs++;
        expect(ours, s).toEqual(theirs);
      }
    }
    expect(diffs).toBe(0);
  });

  it('same ids and tokens as @huggingface/tokenizers on tricky strings', () => {
    for (const s of TRICKY) {
      expect(tok.encode(s), JSON.stringify(s)).toEqual(hf.encode(s, { add_special_tokens: false }).ids);
      expect(tok.tokenize(s), JSON.stringify(s)).toEqual(hf.tokenize(s));
    }
  });

  it('same decoding as @huggingface/tokenizers', () => {
    for (const s of [...SENTENCES.slice(0, 200), ...TRICKY]) {
      const ids = tok.encode(s);
      if (ids.length === 0) continue;
      expect(tok.decode(ids)).toBe(hf.decode(ids, { clean_up_tokenization_spaces: false }));
      expect(tok.decode(ids, { skipSpecial: true })).toBe(hf.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }));
    }
  });

  it('a tokenizer with few merges (long pieces stay split) matches too', async () => {
    const t = await trainOn(SENTENCES.slice(0, 300), 300);
    const h = new HfTokenizer(JSON.parse(t.toJSONString()), {});
    for (const s of [...SENTENCES.slice(0, 300), ...TRICKY]) expect(t.encode(s)).toEqual(h.encode(s, { add_special_tokens: false }).ids);
  });
});

describe('tokenizer.json', () => {
  it('save and load give the same tokenizer', () => {
    const p = join(dir, 'tokenizer.json');
    writeFileSync(p, json);
    const loaded = Tokenizer.load(p);
    expect(loaded.toJSONString()).toBe(json);
    for (const s of [...SENTENCES.slice(0, 500), ...TRICKY]) expect(loaded.encode(s)).toEqual(tok.encode(s));
  });

  it('loads the ["a", "b"] merges format too', () => {
    const j = JSON.parse(json);
    j.model.merges = j.model.merges.map((m: string) => m.split(' '));
    const t = Tokenizer.fromJSON(j);
    expect(t.encode(SENTENCES[0])).toEqual(tok.encode(SENTENCES[0]));
  });

  it('rejects what it cannot reproduce, naming the file', () => {
    const p = join(dir, 'bad.json');
    const j = JSON.parse(json);
    writeFileSync(p, JSON.stringify({ ...j, pre_tokenizer: { type: 'Whitespace' } }));
    expect(() => Tokenizer.load(p)).toThrow(`${p}: pre_tokenizer must be ByteLevel`);
    writeFileSync(p, '{oops');
    expect(() => Tokenizer.load(p)).toThrow(`${p}: invalid JSON`);
    expect(() => Tokenizer.load(join(dir, 'missing.json'))).toThrow(/no such file/);
    const noByte = JSON.parse(json);
    delete noByte.model.vocab[BYTE_TO_CHAR[65]];
    expect(() => Tokenizer.fromJSON(noByte)).toThrow(/no token has id|no token for byte/);
  });
});

describe('splitSpecials', () => {
  it('splits leftmost-longest like tokenizers.js', () => {
    expect(splitSpecials('a<s>b</s>', ['<s>', '</s>'])).toEqual(['a', '<s>', 'b', '</s>', '']);
    expect(splitSpecials('<<s>>', ['<s>', '<s>>'])).toEqual(['<', '<s>>', '']);
    expect(splitSpecials('plain', ['<s>'])).toEqual(['plain']);
  });
});
