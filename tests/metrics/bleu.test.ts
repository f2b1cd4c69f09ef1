// BLEU against sacreBLEU 2.x's own tests (test/test_bleu.py, test/test_sentence_bleu.py)
// and the README's API examples. EPSILON as in those tests.
import { describe, expect, it } from 'vitest';
import { BLEU, computeBleu, corpusBleu, sentenceBleu, type BleuOptions } from '../../ts/src/metrics/bleu.js';

// sacrebleu.raw_corpus_bleu(hyps, refs, smooth_value): floor smoothing, tokenize 'none',
// effective order (sacrebleu/compat.py).
const rawCorpusBleu = (hyps: string[], refs: string[][], smoothValue: number | null = 0.1) =>
  corpusBleu(hyps, refs, { smoothMethod: 'floor', smoothValue, tokenize: 'none', effectiveOrder: true });

// test/test_bleu.py: "test for README example with empty hypothesis strings check"
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

describe('corpus BLEU (test_bleu.py::test_corpus_bleu, EPSILON 1e-8)', () => {
  const cases: Array<[string, string[], BleuOptions, number]> = [
    ['default settings', HYPS, {}, 48.530827],
    ['empty hypotheses are not removed', ['', '', ''], {}, 0.0],
    ["tokenize 'none'", HYPS, { tokenize: 'none' }, 49.1919566],
    ["tokenize '13a'", HYPS, { tokenize: '13a' }, 48.530827],
    ["tokenize 'intl'", HYPS, { tokenize: 'intl' }, 43.91623493],
    ["smooth_method 'none'", HYPS, { smoothMethod: 'none' }, 48.530827],
  ];
  it.each(cases)('%s', (_name, hyps, opts, expected) => {
    expect(Math.abs(corpusBleu(hyps, REFS, opts).score - expected)).toBeLessThan(1e-8);
  });
});

describe('README example (Python API section)', () => {
  it('BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)', () => {
    const b = corpusBleu(HYPS, REFS);
    expect(b.score.toFixed(2)).toBe('48.53');
    expect(b.precisions.map((p) => p.toFixed(1)).join('/')).toBe('82.4/50.0/45.5/37.5');
    expect(b.bp.toFixed(3)).toBe('0.943');
    expect(b.sys_len).toBe(17);
    expect(b.ref_len).toBe(18);
    expect(b.counts).toEqual([14, 7, 5, 3]);
    expect(b.totals).toEqual([17, 14, 11, 8]);
    expect(b.signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
  });
  it("variable number of references ('' for a missing one): BLEU = 29.44, nrefs:var", () => {
    const refs = [['', REFS[0][1], REFS[0][2]], REFS[1]];
    const b = corpusBleu(HYPS, refs);
    expect(b.score.toFixed(2)).toBe('29.44');
    expect(b.precisions.map((p) => p.toFixed(1)).join('/')).toBe('82.4/42.9/27.3/12.5');
    expect(b.bp.toFixed(3)).toBe('0.889');
    expect(b.ref_len).toBe(19);
    expect(b.signature).toBe('nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    // null is the same as '' (sacreBLEU's None)
    expect(corpusBleu(HYPS, [[null, REFS[0][1], REFS[0][2]], REFS[1]]).score).toBe(b.score);
  });
  it('a segment with no reference at all is an error', () => {
    expect(() => corpusBleu(['a'], [['']])).toThrow(/Empty or `None` reference/);
  });
});

describe('raw corpus BLEU (test_bleu.py::test_raw_bleu, floor 0.01, tok none, effective order)', () => {
  const cases: Array<[string[], string[][], number]> = [
    // "This now returns 0.0 score (#141)"
    [['this is a test', 'another test'], [['ref1', 'ref2']], 0.0],
    [['this is a test'], [['this is a test']], 1.0],
    [['this is a fest'], [['this is a test']], 0.223606797749979],
  ];
  it.each(cases)('%j vs %j', (hyps, refs, expected) => {
    expect(Math.abs(rawCorpusBleu(hyps, refs, 0.01).score / 100 - expected)).toBeLessThan(1e-8);
  });
});

describe('effective order (test_bleu.py::test_effective_order)', () => {
  const cases: Array<[string[], string[][], number]> = [
    [['test'], [['a test']], 0.3678794411714425],
    [['a test'], [['a test']], 1.0],
    [['a little test'], [['a test']], 0.03218297948685433],
  ];
  it.each(cases)('%j vs %j', (hyps, refs, expected) => {
    expect(Math.abs(rawCorpusBleu(hyps, refs, 0.01).score / 100 - expected)).toBeLessThan(1e-8);
  });
  it('without effective order, missing higher orders give 0 (my_log(0) = -9999999999)', () => {
    const b = corpusBleu(['a test'], [['a test']], { tokenize: 'none', smoothMethod: 'floor', smoothValue: 0.01 });
    expect(b.score).toBe(0);
    expect(b.signature).toBe('nrefs:1|case:mixed|eff:no|tok:none|smooth:floor[0.01]|version:2.6.0');
  });
});

describe('statistics and scoring (test_bleu.py)', () => {
  it('test_statistics: counts [4, 2, 1, 0], totals [6, 5, 4, 3]', () => {
    const b = rawCorpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], 0.01);
    expect(b.counts).toEqual([4, 2, 1, 0]);
    expect(b.totals).toEqual([6, 5, 4, 3]);
  });
  it('test_scoring: compute_bleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11) = 0.8375922397', () => {
    expect(Math.abs(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100 - 0.8375922397)).toBeLessThan(1e-8);
  });
  it('test_offset: floor 0.0 gives 0, floor default (0.1) gives 0.1555722182', () => {
    const h = ['am I am a character sequence'];
    const r = [['I am a symbol string sequence a a']];
    expect(Math.abs(rawCorpusBleu(h, r, 0.0).score / 100 - 0)).toBeLessThan(1e-8);
    expect(Math.abs(rawCorpusBleu(h, r, null).score / 100 - 0.1555722182)).toBeLessThan(1e-8);
    expect(Math.abs(rawCorpusBleu(h, r).score / 100 - 0.1555722182)).toBeLessThan(1e-8);
  });
  const degenerate: Array<[number[], number[], number, number, number]> = [
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ];
  it.each(degenerate)('test_degenerate_statistics %j %j sys %i ref %i floor %f -> 0', (c, t, sys, ref, offset) => {
    expect(computeBleu(c, t, sys, ref, { smoothMethod: 'floor', smoothValue: offset }).score).toBe(0);
  });
  const orders: Array<[number, string]> = [
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ];
  it.each(orders)('test_max_ngram_order: order %i gives %s', (order, expected) => {
    expect(corpusBleu(HYPS, REFS, { maxNgramOrder: order }).score.toFixed(2)).toBe(expected);
  });
});

describe('sentence BLEU (test_sentence_bleu.py, EPSILON 1e-3)', () => {
  // Example from sacreBLEU issue #98
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: Array<[BleuOptions['smoothMethod'], number | null, boolean, BleuOptions['tokenize'], number]> = [
    ['exp', null, false, '13a', 8.493],
    ['none', null, false, '13a', 0.0],
    ['floor', null, false, '13a', 4.51688],
    ['floor', 0.1, false, '13a', 4.51688],
    ['floor', 0.5, false, '13a', 10.1],
    ['add-k', null, false, '13a', 14.882],
    ['add-k', 1, false, '13a', 14.882],
    ['add-k', 2, false, '13a', 21.389],
    ['exp', null, false, 'none', 7.347],
    ['exp', null, false, 'intl', 8.493],
    ['exp', null, false, 'char', 40.8759],
    ['exp', null, true, 'char', 42.0267],
  ];
  it.each(cases)('smooth %s value %s lowercase %s tok %s -> %f', (smoothMethod, smoothValue, lowercase, tokenize, expected) => {
    const s = sentenceBleu(SYS, [REF], { smoothMethod, smoothValue, lowercase, tokenize });
    expect(Math.abs(s.score - expected)).toBeLessThan(1e-3);
    // the class API with effective_order=True gives the same (test_api_sentence_bleu)
    const m = new BLEU({ smoothMethod, smoothValue, lowercase, tokenize, effectiveOrder: true });
    expect(m.sentenceScore(SYS, [REF]).score).toBe(s.score);
  });
  // Example from sacreBLEU issue #141: no matches at all -> 0 whatever the smoothing
  it.each(['exp', 'none', 'floor', 'add-k'] as const)('no n-gram matches gives 0.0 with %s smoothing', (smoothMethod) => {
    expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod }).score).toBe(0);
  });
});

describe('signatures', () => {
  it.each([
    [{}, 'nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0'],
    [{ smoothMethod: 'floor' }, 'nrefs:1|case:mixed|eff:yes|tok:13a|smooth:floor[0.10]|version:2.6.0'],
    [{ smoothMethod: 'add-k' }, 'nrefs:1|case:mixed|eff:yes|tok:13a|smooth:add-k[1.00]|version:2.6.0'],
    [{ smoothMethod: 'add-k', smoothValue: 2 }, 'nrefs:1|case:mixed|eff:yes|tok:13a|smooth:add-k[2.00]|version:2.6.0'],
    [{ smoothMethod: 'none', lowercase: true, tokenize: 'intl' }, 'nrefs:1|case:lc|eff:yes|tok:intl|smooth:none|version:2.6.0'],
    [{ tokenize: 'char', effectiveOrder: false }, 'nrefs:1|case:mixed|eff:no|tok:char|smooth:exp|version:2.6.0'],
  ] as Array<[BleuOptions, string]>)('sentence BLEU %j -> %s', (opts, sig) => {
    expect(sentenceBleu('a b c', ['a b d'], opts).signature).toBe(sig);
  });
  it('two references per sentence: nrefs:2', () => {
    expect(sentenceBleu('a b c', ['a b d', 'a b c']).signature).toMatch(/^nrefs:2\|/);
  });
});

describe('smoothing variants on hand-checked statistics', () => {
  // counts [3, 1, 0, 0], totals [4, 3, 2, 1], sys 4, ref 5 -> BP = exp(1 - 5/4)
  const bp = Math.exp(1 - 5 / 4);
  it('exp: zero counts get 100 / (2^k * total)', () => {
    const p = [75, 100 / 3, 100 / (2 * 2), 100 / (4 * 1)];
    const expected = bp * Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / 4);
    expect(computeBleu([3, 1, 0, 0], [4, 3, 2, 1], 4, 5, { smoothMethod: 'exp' }).score).toBeCloseTo(expected, 12);
  });
  it('floor: zero counts get 100 * 0.1 / total', () => {
    const p = [75, 100 / 3, 5, 10];
    const expected = bp * Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / 4);
    expect(computeBleu([3, 1, 0, 0], [4, 3, 2, 1], 4, 5, { smoothMethod: 'floor' }).score).toBeCloseTo(expected, 12);
  });
  it('add-k: k added to counts and totals of orders > 1 (and visible in counts/totals)', () => {
    const r = computeBleu([3, 1, 0, 0], [4, 3, 2, 1], 4, 5, { smoothMethod: 'add-k' });
    const p = [75, 50, 100 / 3, 50];
    expect(r.score).toBeCloseTo(bp * Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / 4), 12);
    expect(r.counts).toEqual([3, 2, 1, 1]);
    expect(r.totals).toEqual([4, 4, 3, 2]);
  });
  it('none: a zero precision zeroes the score', () => {
    expect(computeBleu([3, 1, 0, 0], [4, 3, 2, 1], 4, 5, { smoothMethod: 'none' }).score).toBeLessThan(1e-300);
  });
});

describe('input checks', () => {
  it('reference streams must be as long as the hypotheses', () => {
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(/same length as `hyps`/);
  });
  it('unknown tokenizer and smoothing are rejected', () => {
    expect(() => corpusBleu(['a'], [['a']], { tokenize: 'zh' as never })).toThrow(/unknown tokenizer 'zh'/);
    expect(() => corpusBleu(['a'], [['a']], { smoothMethod: 'add-n' as never })).toThrow(/smoothMethod: unknown smooth_method 'add-n'/);
  });
});
