// The BLEU tokenizers (sacreBLEU tokenizer_13a.py / tokenizer_re.py, tokenizer_intl.py,
// tokenizer_char.py, tokenizer_none.py). Expected outputs follow the rules in those files;
// the intl "2018." case is the one documented in TokenizerV14International's docstring.
import { describe, expect, it } from 'vitest';
import { getTokenizer, tokenize13a, tokenizeChar, tokenizeIntl, tokenizeNone } from '../../ts/src/metrics/tokenizers.js';
import { pyRstrip, pySplit } from '../../ts/src/metrics/helpers.js';

describe('13a', () => {
  it.each([
    ['Hello, world!', 'Hello , world !'],
    ["It wasn't surprising.", "It wasn't surprising ."],
    ['3.14, 1,000 and 5-6', '3.14 , 1,000 and 5 - 6'],
    ['in 2018.', 'in 2018 .'],
    ['&quot;Hi&quot; &amp; &lt;b&gt;', '" Hi " & < b >'],
    ['a/b (c) [d] {e} $5 #1 @x ~y |z ^w _v `u', 'a / b ( c ) [ d ] { e } $ 5 # 1 @ x ~ y | z ^ w _ v ` u'],
    ['well-known e-mail', 'well-known e-mail'],
    ['  many   spaces\there  ', 'many spaces here'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(tokenize13a(input)).toBe(expected);
  });
  // sacreBLEU's marker for untranslated input is removed, and a hyphen at a line end joins
  // the word (titled apart: the marker's literal in a test name reads as a skipped test).
  it("drops sacreBLEU's untranslated-input marker and joins hyphens broken at line ends", () => {
    expect(tokenize13a('<skipped>hyphen-\nated line\nbreak')).toBe('hyphenated line break');
  });
  it('splits on Python whitespace (U+001F, U+0085, U+3000), not on U+FEFF', () => {
    expect(tokenize13a('a\u001fb\u0085c\u3000d\ufeffe')).toBe('a b c d\ufeffe');
  });
});

describe('intl', () => {
  it.each([
    // the docstring's example: a number followed by a final dot is not split (as mteval-v14.pl)
    ['in 2018.', 'in 2018.'],
    ['Hello, world!', 'Hello , world !'],
    ['1,000.5 $5 €3', '1,000.5 $ 5 € 3'],
    ['«Quote»', '« Quote »'],
    ['a+b=c', 'a + b = c'],
    ["l'homme", "l ' homme"],
  ])('%j -> %j', (input, expected) => {
    expect(tokenizeIntl(input)).toBe(expected);
  });
});

describe('char and none', () => {
  it('char separates every code point, spaces included', () => {
    expect(tokenizeChar('ab c')).toBe('a b   c');
    expect(pySplit(tokenizeChar('ab c'))).toEqual(['a', 'b', 'c']);
    expect(tokenizeChar('😀x')).toBe('😀 x');
  });
  it('none is the identity', () => {
    expect(tokenizeNone(' Hello,  world! ')).toBe(' Hello,  world! ');
  });
  it('getTokenizer exposes the signature names', () => {
    expect(['13a', 'intl', 'char', 'none'].map((n) => getTokenizer(n).signature)).toEqual(['13a', 'intl', 'char', 'none']);
    expect(() => getTokenizer('ja-mecab')).toThrow(/unknown tokenizer 'ja-mecab' \(choose one of: 13a, intl, char, none\)/);
  });
});

describe('Python string semantics', () => {
  it('pySplit drops empty items', () => {
    expect(pySplit('')).toEqual([]);
    expect(pySplit('   ')).toEqual([]);
    expect(pySplit(' a  b ')).toEqual(['a', 'b']);
  });
  it('pyRstrip removes only trailing Python whitespace', () => {
    expect(pyRstrip(' a b \t\n\u2028')).toBe(' a b');
    expect(pyRstrip('a\ufeff')).toBe('a\ufeff');
  });
});
