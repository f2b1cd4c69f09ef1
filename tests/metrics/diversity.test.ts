// Lexical diversity. Expected values come from lexicalrichness's own tests
// (tests/test_lexicalrichness.py, the s1/s2/s3 sentences), its README/notebook quickstart
// (the MTLD docstring text), and hand computation from its formulas (Yule's K and I,
// Herdan's Vm, Simpson's D; exact rational arithmetic for HD-D).
import { describe, expect, it } from 'vitest';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { LexicalRichness, distinctN, diversity, lexicalPreprocess, lexicalTokenize } from '../../ts/src/metrics/diversity.js';

/** Equal to within 1e-13 relative (transcendental functions may differ in the last bit). */
function close(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(expected)));
}

// tests/test_lexicalrichness.py setUp
const S1 = 'TEST text with some text numbers 42, hyphen-here, and text punctuations.';
const S2 = 'TEST text with some text numbers 42, hyphen–here, and text punctuations.';
const S3 = 'TEST text with some text numbers 42, hyphen—here, and text punctuations.';
const LONGTEXT = `Measure of textual lexical diversity, computed as the mean length of sequential words in
                a text that maintains a minimum threshold TTR score.

                Iterates over words until TTR scores falls below a threshold, then increase factor
                counter by 1 and start over. McCarthy and Jarvis (2010, pg. 385) recommends a factor
                threshold in the range of [0.660, 0.750].
                (McCarthy 2005, McCarthy and Jarvis 2010)`;

describe('tokenisation (test_preprocess, test_words, test_terms)', () => {
  it('lowercases, removes digits and hyphen/en dash/em dash', () => {
    const expected = 'test text with some text numbers , hyphenhere, and text punctuations.';
    expect(lexicalPreprocess(S1)).toBe(expected);
    expect(lexicalPreprocess(S2)).toBe(expected);
    expect(lexicalPreprocess(S3)).toBe(expected);
    expect(lexicalPreprocess('')).toBe('');
  });
  it('replaces ASCII punctuation with spaces and splits', () => {
    expect(lexicalTokenize(S1)).toEqual(['test', 'text', 'with', 'some', 'text', 'numbers', 'hyphenhere', 'and', 'text', 'punctuations']);
    expect(lexicalTokenize("Don't stop: C++/C# (v2.0) & e-mail!")).toEqual(['don', 't', 'stop', 'c', 'c', 'v', 'email']);
    // only ASCII digits and punctuation are touched; other scripts and marks stay
    expect(lexicalTokenize('Ünïcödé «guillemets» ١٢٣ x²')).toEqual(['ünïcödé', '«guillemets»', '١٢٣', 'x²']);
    expect(lexicalTokenize('')).toEqual([]);
  });
  it('counts words and terms', () => {
    const lex = new LexicalRichness(S1);
    expect(lex.words).toBe(10);
    expect(lex.terms).toBe(8);
    expect(new LexicalRichness('').words).toBe(0);
  });
});

describe('lexicalrichness test suite values (s1)', () => {
  const lex = new LexicalRichness(S1);
  it('ttr, rttr, cttr', () => {
    expect(lex.ttr).toBe(0.8);
    expect(lex.rttr).toBe(2.5298221281347035);
    expect(lex.cttr).toBe(1.7888543819998317);
  });
  it('Herdan, Summer, Dugast, Maas', () => {
    close(lex.herdan, 0.9030899869919434);
    close(lex.summer, 0.8777828395738175);
    close(lex.dugast, 23.760032854423635);
    close(lex.maas, 0.04208748389057132);
  });
  it('msttr(5) = 0.8 (last segment discarded), 0.9 without discarding', () => {
    expect(lex.msttr(5, true)).toBe(0.8);
    expect(lex.msttr(5, false)).toBe(0.9);
    expect(() => lex.msttr(0)).toThrow(RegurgitateError);
    expect(() => lex.msttr(-1)).toThrow(RegurgitateError);
    expect(() => lex.msttr(1.5)).toThrow(RegurgitateError);
  });
  it('mattr(5) = 0.9, mattr(1) = 1, mattr(words) = ttr', () => {
    expect(lex.mattr(5)).toBe(0.9);
    expect(lex.mattr(1)).toBe(1);
    expect(lex.mattr(lex.words)).toBe(lex.ttr);
    expect(() => lex.mattr(0)).toThrow(RegurgitateError);
    expect(() => lex.mattr(1.5)).toThrow(RegurgitateError);
  });
  it('mtld(0.72) = 14.000000000000004; all-unique text gives its word count', () => {
    expect(lex.mtld(0.72)).toBe(14.000000000000004);
    const unique = new LexicalRichness('only unique terms in this little string');
    expect(unique.mtld(0.72)).toBe(unique.words);
  });
  it('hdd(5) = 0.8833333333333332 (scipy) / 0.88333... exactly', () => {
    close(lex.hdd(5), 0.8833333333333332);
    expect(() => lex.hdd(0)).toThrow(RegurgitateError);
    expect(() => lex.hdd(1.5)).toThrow(RegurgitateError);
  });
});

describe('README / notebook quickstart values (the MTLD docstring text)', () => {
  const lex = new LexicalRichness(LONGTEXT);
  it('words 57, terms 39', () => {
    expect(lex.words).toBe(57);
    expect(lex.terms).toBe(39);
    expect(lex.wordlist.slice(0, 10)).toEqual(['measure', 'of', 'textual', 'lexical', 'diversity', 'computed', 'as', 'the', 'mean', 'length']);
    expect(lex.wordlist.slice(-10)).toEqual(['factor', 'threshold', 'in', 'the', 'range', 'of', 'mccarthy', 'mccarthy', 'and', 'jarvis']);
  });
  it('ttr, rttr, cttr, Herdan, Summer, Dugast, Maas', () => {
    expect(lex.ttr).toBe(0.6842105263157895);
    expect(lex.rttr).toBe(5.165676192553671);
    expect(lex.cttr).toBe(3.6526846651686067);
    close(lex.herdan, 0.9061378160786574);
    close(lex.summer, 0.9294460323356605);
    close(lex.dugast, 43.074336212149774);
    close(lex.maas, 0.023215679867353005);
  });
  it('msttr(25) = 0.88, mattr(25) = 0.8351515151515151, mtld = 46.79226361031519', () => {
    expect(lex.msttr(25)).toBe(0.88);
    expect(lex.mattr(25)).toBe(0.8351515151515151);
    expect(lex.mtld(0.72)).toBe(46.79226361031519);
  });
  it('hdd(42) = 0.7468703323966481 (0.7468703323966486 with another scipy)', () => {
    close(lex.hdd(42), 0.7468703323966481);
  });
});

describe('frequency-spectrum measures, by hand', () => {
  // s1: "text" 3 times, 7 other words once; w = 10, t = 8; f(1) = 7, f(3) = 1
  const lex = new LexicalRichness(S1);
  it("Yule's K = 1e4 (7 (1/10)^2 + (3/10)^2 - 1/10) = 600", () => close(lex.yulek, 600));
  it("Yule's I = t^2 / (sum i^2 f(i) - t) = 64 / (7 + 9 - 8) = 8", () => expect(lex.yulei).toBe(8));
  it("Herdan's Vm = sqrt(0.16 - 0.1) = sqrt(0.06)", () => close(lex.herdanvm, Math.sqrt(0.06)));
  it("Simpson's D = 1 (3/10)(2/9) = 1/15", () => close(lex.simpsond, 1 / 15));
});

describe('diversity() over a corpus of lines', () => {
  it('windows of 100, MTLD and HD-D on a periodic 250-word text', () => {
    // 50 distinct letter-only words (digits would be removed), repeated: t0 t1 ... t49 t0 t1 ...
    // so that every 100-word window has exactly 50 types
    const term = (k: number) => 'w' + String.fromCharCode(97 + (k % 26), 97 + Math.floor(k / 26));
    const words = Array.from({ length: 250 }, (_, i) => term(i % 50));
    const lines = [words.slice(0, 120).join(' '), words.slice(120).join(' ')];
    const d = diversity(lines);
    expect(d.words).toBe(250);
    expect(d.terms).toBe(50);
    expect(d.vocab_size).toBe(50);
    expect(d.ttr).toBe(0.2);
    expect(d.mattr).toBe(0.5);
    expect(d.msttr).toBe(0.5); // segments 100, 100, 50: the last one is discarded
    // forward and backward: a factor every 70 words (50/70 <= 0.72), 3 factors, last 40 words all new
    expect(d.mtld).toBe(250 / 3);
    close(d.hdd, 0.7197346261105543); // 50 (1 - C(245,42)/C(250,42)) / 42, exact rationals
    expect(d.hapax_ratio).toBe(0);
    close(d.yulek, 1e4 * (50 * (5 / 250) ** 2 - 1 / 250));
  });
  it('distinct-n counts n-grams within lines only', () => {
    const toks = [
      ['a', 'b', 'a'],
      ['b', 'a'],
    ];
    expect(distinctN(toks, 1)).toBe(2 / 5);
    expect(distinctN(toks, 2)).toBe(2 / 3); // (a b), (b a) | (b a) -- no (a b) across the line break
    expect(distinctN(toks, 3)).toBe(1);
    expect(distinctN(toks, 4)).toBeNull();
    const d = diversity(['A b a.', 'B, a!']);
    expect([d.distinct_1, d.distinct_2, d.distinct_3]).toEqual([2 / 5, 2 / 3, 1]);
  });
  it('hapax ratio: words seen once / distinct words', () => {
    const d = diversity(['the cat and the dog', 'the end']);
    // the x3, cat, and, dog, end once -> 4 hapaxes of 5 types
    expect(d.hapax_ratio).toBe(4 / 5);
    expect(d.words).toBe(7);
    expect(d.terms).toBe(5);
  });
  it('measures that are undefined for the corpus are null', () => {
    const d = diversity(['only unique words here']);
    expect(d.msttr).toBeNull(); // 4 words < window 100
    expect(d.mattr).toBeNull();
    expect(d.hdd).toBeNull(); // fewer than 42 words
    expect(d.dugast).toBeNull(); // w == t
    expect(d.yulei).toBeNull(); // sum i^2 f(i) - t = 0
    expect(d.mtld).toBe(4);
    const e = diversity([]);
    expect(e.words).toBe(0);
    expect(e.ttr).toBeNull();
    expect(e.mtld).toBeNull();
    expect(e.distinct_1).toBeNull();
    expect(e.hapax_ratio).toBeNull();
  });
  it('has exactly the documented keys', () => {
    expect(Object.keys(diversity(['a b'])).sort()).toEqual(
      [
        'ttr', 'rttr', 'cttr', 'herdan', 'summer', 'dugast', 'maas', 'yulek', 'yulei', 'herdanvm', 'simpsond',
        'msttr', 'mattr', 'mtld', 'hdd', 'distinct_1', 'distinct_2', 'distinct_3', 'vocab_size', 'hapax_ratio', 'words', 'terms',
      ].sort(),
    );
  });
  it('lines tokenize the same as the text joined by newlines', () => {
    const lines = ['First line, with words.', 'Second-line: more words!', 'and 3 numbers 42'];
    const a = diversity(lines);
    const lex = new LexicalRichness(lines.join('\n'));
    expect(a.words).toBe(lex.words);
    expect(a.ttr).toBe(lex.ttr);
    expect(a.mtld).toBe(lex.mtld());
  });
});
