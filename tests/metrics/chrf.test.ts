// chrF / chrF++ against sacreBLEU 2.x's test/test_chrf.py (EPSILON 1e-4) and its README,
// plus chrF++ and multi-reference cases worked out by hand from the formulas.
import { describe, expect, it } from 'vitest';
import { CHRF, corpusChrf, removePunctuation, sentenceChrf, type ChrfOptions } from '../../ts/src/metrics/chrf.js';

const EPSILON = 1e-4;

describe('test_chrf.py::test_chrf (char 6, word 0, beta 3, eps smoothing)', () => {
  const cases: Array<[string[], string[], number]> = [
    [['abcdefg'], ['hijklmnop'], 0.0],
    [['a'], ['b'], 0.0],
    [[''], ['b'], 0.0],
    [[''], ['ref'], 0.0],
    [[''], ['reference'], 0.0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50.0],
    [['a b c'], ['abc'], 50.0],
    [
      [' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
      ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'],
      63.36173,
    ],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
  ];
  it.each(cases)('%j vs %j -> %f', (hyps, refs, expected) => {
    const s = corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true });
    expect(Math.abs(s.score - expected)).toBeLessThan(EPSILON);
  });
});

describe('test_chrf.py::test_chrf_eff_order (sacreBLEU < 2.0.0 mode, the default)', () => {
  const cases: Array<[string[], string[], number]> = [
    [['a'], ['a'], 100.0],
    [[''], ['reference'], 0.0],
    [['a b c'], ['a b c'], 100.0],
    [['a b c'], ['abc'], 100.0],
    [[''], ['c'], 0.0],
    [['a', 'b'], ['a', 'c'], 50.0],
    [['aa'], ['ab'], 25.0],
  ];
  it.each(cases)('%j vs %j -> %f', (hyps, refs, expected) => {
    const s = corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: false });
    expect(Math.abs(s.score - expected)).toBeLessThan(EPSILON);
  });
});

describe('test_chrf.py::test_chrf_keep_whitespace', () => {
  const cases: Array<[string, string, number]> = [
    [
      'Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.',
      'Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.',
      67.3481606,
    ],
    [
      'risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      65.2414427,
    ],
  ];
  it.each(cases)('%s', (hyp, ref, expected) => {
    const s = corpusChrf([hyp], [[ref]], { charOrder: 6, wordOrder: 0, beta: 3, whitespace: true });
    expect(Math.abs(s.score - expected)).toBeLessThan(EPSILON);
    expect(s.signature).toBe('nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:yes|version:2.6.0');
  });
});

describe('test_chrf.py::test_chrf_sentence_level (defaults, eps smoothing)', () => {
  const cases: Array<[string, string, number]> = [
    [
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
      39.14078509,
    ],
    [
      'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
      31.22557079,
    ],
    [
      'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
      57.15704367,
    ],
  ];
  it.each(cases)('%s', (hyp, ref, expected) => {
    const s = sentenceChrf(hyp, [ref], { epsSmoothing: true });
    expect(Math.abs(s.score - expected)).toBeLessThan(EPSILON);
    expect(s.signature).toBe('nrefs:1|case:mixed|eff:no|nc:6|nw:0|space:no|version:2.6.0');
  });
});

describe('README example', () => {
  it('chrF2 = 59.73 with two reference streams', () => {
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const s = corpusChrf(hyps, refs);
    expect(s.score.toFixed(2)).toBe('59.73');
    expect(s.name).toBe('chrF2');
    expect(s.signature).toBe('nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0');
  });
});

describe('chrF++ (word order 2), worked by hand', () => {
  // hyp "a b", ref "a c". Characters (whitespace removed) "ab" vs "ac":
  //   1-grams P = R = 1/2; 2-grams P = R = 0; orders 3..6 have no n-grams.
  // Words: 1-grams P = R = 1/2; 2-grams ("a b" vs "a c") P = R = 0.
  it('effective order: 4 effective orders, avg P = avg R = 1/4, F2 = 25', () => {
    const s = sentenceChrf('a b', ['a c'], { wordOrder: 2 });
    expect(s.score).toBeCloseTo(25, 12);
    expect(s.name).toBe('chrF2++');
    expect(s.signature).toBe('nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0');
  });
  it('eps smoothing: mean of per-order F over 8 orders = (0.5 + 0.5 + 6 eps) / 8', () => {
    const s = sentenceChrf('a b', ['a c'], { wordOrder: 2, epsSmoothing: true });
    expect(s.score).toBeCloseTo(12.5, 12);
  });
  it('punctuation is split off words, once, end first (sacreBLEU #124)', () => {
    expect(removePunctuation('(hi) there, "you" x . !?')).toEqual(['(hi', ')', 'there', ',', '"you', '"', 'x', '.', '!', '?']);
  });
  it('chrF++ counts word n-grams of the lowercased sentence when lowercase is on', () => {
    const a = sentenceChrf('The Cat sat.', ['the cat sat.'], { wordOrder: 2, lowercase: true });
    expect(a.score).toBe(100);
    expect(a.signature).toBe('nrefs:1|case:lc|eff:yes|nc:6|nw:2|space:no|version:2.6.0');
    expect(sentenceChrf('The Cat sat.', ['the cat sat.'], { wordOrder: 2 }).score).toBeLessThan(100);
  });
});

describe('multiple references', () => {
  it('each segment uses the reference with the best F-score', () => {
    const m = new CHRF();
    const best = m.sentenceScore('the cat sat', ['the cat sat']).score;
    expect(best).toBe(100);
    expect(m.sentenceScore('the cat sat', ['a dog ran', 'the cat sat']).score).toBe(100);
    expect(m.sentenceScore('the cat sat', ['the cat sat', 'a dog ran']).score).toBe(100);
  });
  it('corpus statistics are summed over segments, not averaged', () => {
    // segment 1: "a" vs "a" (1-grams 1/1/1), segment 2: "b" vs "c" (1-grams 1/1/0):
    // summed: hyp 2, ref 2, match 1 -> P = R = 1/2 -> F = 50 (test_chrf_eff_order ['a','b'] vs ['a','c'])
    const opts: ChrfOptions = { beta: 3 };
    expect(corpusChrf(['a', 'b'], [['a', 'c']], opts).score).toBeCloseTo(50, 12);
  });
  it('astral characters are one character each (Python indexes code points)', () => {
    // "😀a" vs "😀b": 1-grams {😀, a} vs {😀, b} -> P = R = 1/2; 2-grams 0/1 each.
    // effective orders 2: avg P = avg R = 1/4 -> F = 25
    expect(sentenceChrf('😀a', ['😀b']).score).toBeCloseTo(25, 12);
  });
});
