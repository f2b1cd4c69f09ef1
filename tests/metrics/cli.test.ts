// The `score` and `diversity` command modules: output shape, values, and error messages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as diversityRun } from '../../ts/src/cli/diversity.js';
import { run as scoreRun } from '../../ts/src/cli/score.js';
import { corpusChrf, corpusTer, sentenceBleu } from '../../ts/src/metrics/index.js';

const dir = mkdtempSync(join(tmpdir(), 'regurgitate-metrics-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const REF1 = ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'];
const REF2 = ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'];
const HYP = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
const ref1 = file('ref1.txt', REF1.join('\n') + '\n');
const ref2 = file('ref2.txt', REF2.join('\r\n') + '\r\n'); // CRLF: rstrip removes the \r
const hyp = file('hyp.txt', HYP.join('\n')); // no final newline

describe('regurgitate score', () => {
  it('README example: BLEU 48.530827, chrF2 59.73, TER, with signatures (--json)', async () => {
    const code = await scoreRun(['--ref', ref1, '--ref', ref2, '--hyp', hyp, '--metrics', 'bleu,chrf,chrf++,ter', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const res = JSON.parse(out) as Array<{ name: string; score: number; signature: string; verbose_score?: string }>;
    expect(res.map((r) => r.name)).toEqual(['BLEU', 'chrF2', 'chrF2++', 'TER']);
    expect(Math.abs(res[0].score - 48.530827)).toBeLessThan(1e-6);
    expect(res[0].signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    expect(res[0].verbose_score).toBe('82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)');
    expect(res[1].score.toFixed(2)).toBe('59.73');
    expect(res[1].signature).toBe('nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0');
    expect(res[2].signature).toBe('nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0');
    expect(res[2].score).toBe(corpusChrf(HYP, [REF1, REF2], { wordOrder: 2 }).score);
    expect(res[3].score).toBe(corpusTer(HYP, [REF1, REF2]).score);
    expect(res[3].signature).toBe('nrefs:2|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0');
  });
  it('text output is sacreBLEU-like', async () => {
    expect(await scoreRun(['--ref', ref1, '--ref', ref2, '--hyp', hyp])).toBe(0);
    expect(out).toBe(
      'BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)\n',
    );
  });
  it('--sentence adds per-line scores (sentence BLEU with effective order)', async () => {
    expect(await scoreRun(['--ref', ref1, '--hyp', hyp, '--sentence', '--smooth', 'floor', '--lowercase', '--json'])).toBe(0);
    const [bleu] = JSON.parse(out) as Array<{ sentences: number[]; sentence_signature: string; signature: string }>;
    expect(bleu.sentences).toEqual(HYP.map((h, i) => sentenceBleu(h, [REF1[i]], { smoothMethod: 'floor', lowercase: true }).score));
    // a perfect match: exp(log(100)) is 100.00000000000004 in CPython too, as sacreBLEU prints
    expect(bleu.sentences[0]).toBe(100.00000000000004);
    expect(bleu.signature).toBe('nrefs:1|case:lc|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0');
    expect(bleu.sentence_signature).toBe('nrefs:1|case:lc|eff:yes|tok:13a|smooth:floor[0.10]|version:2.6.0');
  });
  it('--baseline runs the paired bootstrap', async () => {
    const base = file('base.txt', ['The dog bit a man.', 'It was surprising.', 'A man bit him.'].join('\n'));
    expect(await scoreRun(['--ref', ref1, '--hyp', hyp, '--baseline', base, '--bootstrap-samples', '200', '--json'])).toBe(0);
    const [bleu] = JSON.parse(out) as Array<{ paired_bs: { signature: string; nSamples: number; system: { pValue: number } } }>;
    expect(bleu.paired_bs.nSamples).toBe(200);
    expect(bleu.paired_bs.signature).toBe('nrefs:1|bs:200|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    expect(bleu.paired_bs.system.pValue).toBeGreaterThan(0);
  });
  it('line-count mismatch names both files', async () => {
    const short = file('short-ref.txt', 'a\nb\n');
    expect(await scoreRun(['--ref', short, '--hyp', hyp])).toBe(1);
    expect(err).toBe(`regurgitate score: ${hyp} has 3 lines, ${short} has 2\n`);
  });
  it('invalid UTF-8 names the file and line', async () => {
    const bad = file('bad.txt', Buffer.concat([Buffer.from('ok line\nfine\nbroken '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]));
    expect(await scoreRun(['--ref', ref1, '--hyp', bad])).toBe(1);
    expect(err).toBe(`regurgitate score: ${bad} line 3: invalid UTF-8\n`);
  });
  it('a missing file is reported', async () => {
    const missing = join(dir, 'nope.txt');
    expect(await scoreRun(['--ref', missing, '--hyp', hyp])).toBe(1);
    expect(err).toBe(`regurgitate score: cannot read ${missing}: no such file\n`);
  });
  it('an empty reference line is rejected with its line number', async () => {
    const emptyLine = file('empty-line.txt', 'a\n   \nc\n');
    expect(await scoreRun(['--ref', emptyLine, '--hyp', hyp])).toBe(1);
    expect(err).toContain(`${emptyLine} line 2 is empty`);
    // ...unless another reference covers it
    const other = file('other.txt', 'x\ny\nz\n');
    expect(await scoreRun(['--ref', emptyLine, '--ref', other, '--hyp', hyp, '--json'])).toBe(0);
    expect(JSON.parse(out)[0].signature).toMatch(/^nrefs:var\|/);
  });
  it.each([
    [['--ref', 'r', '--hyp', 'h', '--bogus'], 'unknown flag --bogus'],
    [['--ref', 'r', '--hyp', 'h', '--tokenize', 'zh'], "--tokenize must be one of 13a, intl, char, none (got 'zh')"],
    [['--ref', 'r', '--hyp', 'h', '--smooth', 'add-n'], "--smooth must be one of exp, floor, add-k, none (got 'add-n')"],
    [['--ref', 'r', '--hyp', 'h', '--metrics', 'bleu,meteor'], "--metrics: unknown metric 'meteor' (choose from bleu, chrf, chrf++, ter)"],
    [['--ref', 'r', '--hyp', 'h', '--smooth-value', '0.5'], "--smooth-value applies to --smooth floor or add-k, not 'exp'"],
    [['--ref', 'r', '--hyp'], '--hyp needs a value (FILE)'],
    [['--hyp', 'h'], '--ref is required'],
    [['--ref', 'r'], '--hyp is required'],
    [['--ref', 'r', '--hyp', 'h', 'extra'], "unexpected argument 'extra'"],
    [['--ref', 'r', '--hyp', 'h', '--json=yes'], "--json expects no value (it is a switch), or =true / =false (got 'yes')"],
    [['--ref', 'r', '--hyp', 'h', '--hyp', 'h2'], '--hyp given twice'],
    [['--ref', 'r', '--hyp', 'h', '--bootstrap-samples', '0'], "--bootstrap-samples expects an integer >= 1 (got '0')"],
    [['--ref', 'r', '--hyp', 'h', '--smooth-value', '-1'], "--smooth-value expects a number >= 0 (got '-1')"],
    [['--ref', 'r', '--hyp', 'h', '--metric', 'ter'], 'unknown flag --metric (did you mean --metrics?)'],
    [['--ref', 'r', '--hyp', 'h', '-x'], 'unknown flag -x (flags are spelled --name)'],
  ])('bad flags %j -> exit 2: %s', async (argv, message) => {
    expect(await scoreRun(argv)).toBe(2);
    expect(err).toContain(`regurgitate score: ${message}`);
    expect(err).toContain("see 'regurgitate score --help'");
  });
  it('--help prints usage and exits 0', async () => {
    expect(await scoreRun(['--help'])).toBe(0);
    expect(out).toMatch(/^usage: regurgitate score --ref REF/);
    expect(out).toContain('sacreBLEU 2.6.0');
  });
});

describe('regurgitate diversity', () => {
  it('prints every measure by name (--json)', async () => {
    const f = file('text.txt', 'TEST text with some text numbers 42, hyphen-here, and text punctuations.\n');
    expect(await diversityRun([f, '--json'])).toBe(0);
    const r = JSON.parse(out) as Record<string, number | null>;
    expect(Object.keys(r)).toEqual([
      'ttr', 'rttr', 'cttr', 'herdan', 'summer', 'dugast', 'maas', 'yulek', 'yulei', 'herdanvm', 'simpsond',
      'msttr', 'mattr', 'mtld', 'hdd', 'distinct_1', 'distinct_2', 'distinct_3', 'vocab_size', 'hapax_ratio', 'words', 'terms',
    ]);
    expect(r.words).toBe(10);
    expect(r.terms).toBe(8);
    expect(r.ttr).toBe(0.8);
    expect(r.mtld).toBe(14.000000000000004);
    expect(r.yulei).toBe(8);
    expect(r.msttr).toBeNull(); // 10 words, window 100
    expect(r.hapax_ratio).toBe(7 / 8);
  });
  it('window flags are honoured', async () => {
    const f = file('text2.txt', 'TEST text with some text numbers 42, hyphen-here, and text punctuations.\n');
    expect(await diversityRun(['--msttr-window', '5', '--mattr-window=5', '--hdd-draws', '5', f, '--json'])).toBe(0);
    const r = JSON.parse(out) as Record<string, number>;
    expect(r.msttr).toBe(0.8);
    expect(r.mattr).toBe(0.9);
    expect(Math.abs(r.hdd - 0.8833333333333332)).toBeLessThan(1e-13);
  });
  it('errors: missing file, bad flags', async () => {
    expect(await diversityRun([join(dir, 'missing.txt')])).toBe(1);
    expect(err).toContain('cannot read');
    err = '';
    expect(await diversityRun(['--mtld-threshold', '1.5', 'x'])).toBe(2);
    expect(err).toContain("--mtld-threshold expects a number in (0, 1) (got '1.5')");
    err = '';
    expect(await diversityRun([])).toBe(2);
    expect(err).toContain('FILE is required');
    err = '';
    expect(await diversityRun(['a', 'b'])).toBe(2);
    expect(err).toContain("expected one FILE, got 'a' and 'b'");
  });
  it('a FILE that starts with a dash comes after --; before it, it is a flag', async () => {
    expect(await diversityRun(['--json', '--', '-missing.txt'])).toBe(1);
    expect(err).toBe('regurgitate diversity: cannot read -missing.txt: no such file\n');
    err = '';
    expect(await diversityRun(['-missing.txt'])).toBe(2);
    expect(err).toContain('regurgitate diversity: unknown flag -missing.txt (flags are spelled --name)');
  });
});
