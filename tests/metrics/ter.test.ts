// TER against sacreBLEU 2.x's test/test_ter.py (EPSILON 1e-3 on 100 * expected) and
// test/test_tokenizer_ter.py, plus hand-counted shift cases.
import { describe, expect, it } from 'vitest';
import { TER, corpusTer, sentenceTer, translationEditRate } from '../../ts/src/metrics/ter.js';
import { tercomTokenizer } from '../../ts/src/metrics/tokenizers.js';

describe('test_ter.py::test_ter', () => {
  const cases: Array<[string, string[], string[], number]> = [
    ['perfect match', ['aaaa bbbb cccc dddd'], ['aaaa bbbb cccc dddd'], 0],
    ['no overlap', ['dddd eeee ffff'], ['aaaa bbbb cccc'], 1],
    ['corner case, empty hypothesis', [''], ['a'], 1],
    ['a single shift fixes MT', ['d e f g h a b c'], ['a b c d e f g h'], 1 / 8],
    [
      'realistic example from WMT dev data (2019)',
      [
        'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit das Bild ungefähr dieselbe Größe aufweist wie die andere Größe .',
        'wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "',
        'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie Werte für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " ein .',
        'Sie können beispielsweise ein Dokument erstellen , das ein Auto über die Bühne enthält .',
        'wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "',
      ],
      [
        'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit die Darstellung des Bildes in einer anderen Größe beibehalten wird .',
        'wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "',
        'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " niedrigere Werte ein .',
        'Sie können beispielsweise ein Dokument erstellen , das ein Auto enthalt , das sich über die Bühne bewegt .',
        'wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "',
      ],
      0.136,
    ],
  ];
  it.each(cases)('%s', (_name, hyps, refs, expected) => {
    const s = new TER().corpusScore(hyps, [refs]);
    expect(Math.abs(s.score - 100 * expected)).toBeLessThan(1e-3);
  });
  it('the single-shift case is exactly 1 shift over 8 reference words', () => {
    expect(translationEditRate('d e f g h a b c'.split(' '), 'a b c d e f g h'.split(' '))).toEqual({ edits: 1, refLength: 8 });
  });
});

describe('shifts, counted by hand', () => {
  it('a block moved to the end costs one shift', () => {
    // "b c a" -> "a b c": shift "a" to the front (1 edit)
    expect(translationEditRate(['b', 'c', 'a'], ['a', 'b', 'c'])).toEqual({ edits: 1, refLength: 3 });
  });
  it('a swap of two words costs one shift, plus a substitution elsewhere', () => {
    // "the cat big sat" vs "the big cat sat": shift "big" (1) ; then "x" vs "sat" needs a sub
    expect(translationEditRate('the cat big x'.split(' '), 'the big cat sat'.split(' '))).toEqual({ edits: 2, refLength: 4 });
  });
  it('no shift when it does not reduce the edit distance', () => {
    // pure substitutions: 2 of 3
    expect(translationEditRate(['a', 'x', 'y'], ['a', 'b', 'c'])).toEqual({ edits: 2, refLength: 3 });
    // insertion + deletion
    expect(translationEditRate(['a', 'b'], ['a', 'b', 'c', 'd'])).toEqual({ edits: 2, refLength: 4 });
  });
  it('empty reference: every hypothesis word is an edit, reference length 0', () => {
    expect(translationEditRate(['a', 'b'], [])).toEqual({ edits: 2, refLength: 0 });
  });
});

describe('TER scores and signatures', () => {
  it('is case-insensitive by default and counts against the average reference length', () => {
    const s = sentenceTer('The Cat', ['the cat sat', 'a cat']);
    // ref 1: 1 deletion... best edits = min(1 (insert "sat"), 1 (sub "the"->"a")) = 1; avg ref len (3 + 2) / 2
    expect(s.num_edits).toBe(1);
    expect(s.ref_length).toBe(2.5);
    expect(s.score).toBeCloseTo(40, 12);
    expect(s.signature).toBe('nrefs:2|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0');
  });
  it('case-sensitive TER counts case differences', () => {
    const s = sentenceTer('The Cat', ['the cat'], { caseSensitive: true });
    expect(s.score).toBe(100);
    expect(s.signature).toBe('nrefs:1|case:mixed|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0');
  });
  it('signature flags follow the options', () => {
    expect(new TER({ normalized: true, noPunct: true, asianSupport: true }).signature(1)).toBe(
      'nrefs:1|case:lc|tok:tercom|norm:yes|punct:no|asian:yes|version:2.6.0',
    );
  });
  it('a corpus sums edits and average reference lengths', () => {
    const s = corpusTer(['a b c', 'x'], [['a b d', 'y z']]);
    // seg 1: 1 sub / 3; seg 2: 1 sub + 1 ins / 2 -> (1 + 2) / (3 + 2)
    expect(s.num_edits).toBe(3);
    expect(s.ref_length).toBe(5);
    expect(s.score).toBeCloseTo(60, 12);
  });
  it('trailing whitespace is stripped (rstrip) before tokenization', () => {
    expect(sentenceTer('a b \u3000', ['a b']).score).toBe(0);
  });
});

describe('test_tokenizer_ter.py', () => {
  it.each([
    ['a b c d', 'a b c d'],
    ['', ''],
    ['a b c d.', 'a b c d.'],
    ['A B C D.', 'a b c d.'],
  ])('default: %j -> %j', (input, expected) => {
    expect(tercomTokenizer()(input)).toBe(expected);
  });
  it.each([
    ['a b c d.', 'a b c d'],
    ['A ; B ) C : D.', 'a b c d'],
  ])('no_punct: %j -> %j', (input, expected) => {
    expect(tercomTokenizer({ noPunct: true })(input)).toBe(expected);
  });
  it.each([
    ['a b (c) d.', 'a b ( c ) d .'],
    ["Jim's car.", "jim 's car ."],
    ['4.2', '4.2'],
  ])('normalized: %j -> %j', (input, expected) => {
    expect(tercomTokenizer({ normalized: true })(input)).toBe(expected);
  });
  it.each([
    ['美众院公布对特', '美 众 院 公 布 对 特'],
    ['りの拳銃を持', 'りの 拳 銃 を 持'],
  ])('asian: %j -> %j', (input, expected) => {
    expect(tercomTokenizer({ normalized: true, asianSupport: true })(input)).toBe(expected);
  });
});
