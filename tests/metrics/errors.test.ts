// Every error the metrics throw is a RegurgitateError with a code (README), and its
// message names the argument: EINVAL for a bad argument, ERANGE for a text too short for
// a measure, ENOENT / EINVAL / EFORMAT for input files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import {
  BLEU,
  CHRF,
  InputFileError,
  LexicalRichness,
  MT19937,
  bootstrapIndices,
  bootstrapSide,
  boundedIntegers,
  computeBleu,
  corpusBleu,
  corpusChrf,
  corpusTer,
  diversity,
  getTokenizer,
  pairedBootstrap,
  pairedBootstrapSides,
  readTextLines,
  sentenceBleu,
  seedSequenceState,
} from '../../ts/src/metrics/index.js';

function caught(fn: () => unknown): RegurgitateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegurgitateError);
    return e as RegurgitateError;
  }
  throw new Error('expected an error');
}

function fails(fn: () => unknown, code: string, message: RegExp): void {
  const e = caught(fn);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

async function failsAsync(p: Promise<unknown>, code: string, message: RegExp): Promise<RegurgitateError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RegurgitateError);
  expect(e).toBeInstanceOf(InputFileError);
  expect((e as RegurgitateError).code).toBe(code);
  expect((e as Error).message).toMatch(message);
  return e as RegurgitateError;
}

describe('metric arguments', () => {
  it('hypotheses and references of every metric', () => {
    for (const score of [corpusBleu, corpusChrf, corpusTer] as const) {
      fails(() => score('a' as never, [['a']]), 'EINVAL', /`hyps` should be a sequence/);
      fails(() => score([], [['a']]), 'EINVAL', /`hyps` should not be empty/);
      fails(() => score([null as never], [['a']]), 'EINVAL', /hypotheses stream/);
      fails(() => score(['a'], 'a' as never), 'EINVAL', /`refs` should be a sequence/);
      fails(() => score(['a'], []), 'EINVAL', /`refs` should not be empty/);
      fails(() => score(['a', 'b'], [['a']]), 'EINVAL', /reference stream must have the same length as `hyps`/);
      fails(() => score(['a'], [['']]), 'EINVAL', /refs: Empty or `None` reference/);
    }
    fails(() => sentenceBleu(1 as never, ['a']), 'EINVAL', /`hyp` should be a string/);
    fails(() => sentenceBleu('a', []), 'EINVAL', /`refs` should not be empty/);
  });
  it('BLEU, chrF and tokenizer options', () => {
    fails(() => new BLEU({ smoothMethod: 'add-n' as never }), 'EINVAL', /smoothMethod: unknown smooth_method 'add-n'/);
    fails(() => computeBleu([1], [1], 1, 1, { smoothMethod: 'x' as never }), 'EINVAL', /smoothMethod/);
    fails(() => new BLEU({ maxNgramOrder: 0 }), 'EINVAL', /maxNgramOrder must be a positive integer \(got 0\)/);
    fails(() => new CHRF({ charOrder: -1 }), 'EINVAL', /charOrder must be a non-negative integer \(got -1\)/);
    fails(() => new CHRF({ charOrder: 0, wordOrder: 0 }), 'EINVAL', /charOrder \+ wordOrder must be positive/);
    fails(() => new CHRF({ beta: NaN }), 'EINVAL', /beta must be a non-negative number/);
    fails(() => getTokenizer('zh'), 'EINVAL', /tokenize: unknown tokenizer 'zh'/);
  });
  it('bootstrap and its random numbers', () => {
    fails(() => bootstrapIndices(0, 10), 'EINVAL', /n \(the number of segments\) must be a positive integer/);
    fails(() => bootstrapIndices(10, 0), 'EINVAL', /nSamples must be a positive integer \(got 0\)/);
    fails(() => pairedBootstrap(['a'], ['a', 'b'], [['a']]), 'EINVAL', /baselineHyps has 1 segments, systemHyps has 2/);
    fails(() => pairedBootstrap(['a'], ['a'], [['a']], { metric: 'meteor' as never }), 'EINVAL', /metric: unknown metric 'meteor'/);
    const a = bootstrapSide(['a b'], [['a b']], { metric: 'bleu', nSamples: 5 });
    const b = bootstrapSide(['a b'], [['a b']], { metric: 'bleu', nSamples: 6 });
    fails(() => pairedBootstrapSides(a, b), 'EINVAL', /differ in nSamples: 5 vs 6/);
    fails(() => seedSequenceState(-1, 4), 'EINVAL', /seed must be non-negative/);
    fails(() => seedSequenceState(1.5, 4), 'EINVAL', /seed must be a non-negative integer \(got 1\.5\)/);
    fails(() => MT19937.fromSeed(2 ** 32), 'EINVAL', /seed must be an integer between 0 and 2\*\*32 - 1/);
    fails(() => boundedIntegers(MT19937.fromSeed(1), 0, 1, true), 'EINVAL', /high must be an integer in \[1, 2\^32\] \(got 0\)/);
  });
});

describe('diversity', () => {
  const lex = new LexicalRichness('the cat sat on the mat and the dog sat too');
  it('a bad window or draw count is EINVAL naming it', () => {
    fails(() => lex.msttr(0), 'EINVAL', /msttr: segmentWindow must be a positive integer \(got 0\)/);
    fails(() => lex.mattr(1.5), 'EINVAL', /mattr: windowSize must be a positive integer \(got 1\.5\)/);
    fails(() => lex.hdd(0), 'EINVAL', /hdd: draws must be a positive integer \(got 0\)/);
    fails(() => diversity(['a b c'], { msttrWindow: 0 }), 'EINVAL', /segmentWindow/);
  });
  it('a text too short for a measure is ERANGE, and null in diversity()', () => {
    fails(() => lex.msttr(100), 'ERANGE', /msttr: segmentWindow \(100\) must be smaller than the text size of 11/);
    fails(() => lex.mattr(100), 'ERANGE', /mattr: windowSize \(100\)/);
    fails(() => lex.hdd(42), 'ERANGE', /hdd: draws: Number of draws should be less than the total sample size of 11/);
    fails(() => new LexicalRichness('').mtld(), 'ERANGE', /mtld: MTLD of an empty text/);
    fails(() => new LexicalRichness('all words differ').dugast, 'ERANGE', /dugast: Word count and term counts/);
    expect(diversity(['all words differ'])).toMatchObject({ msttr: null, mattr: null, hdd: null, dugast: null });
  });
});

describe('input files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-metrics-errors-'));
  it('missing: ENOENT; a directory: EINVAL; not UTF-8: EFORMAT; each names the file', async () => {
    const missing = join(dir, 'missing.txt');
    await failsAsync(readTextLines(missing), 'ENOENT', new RegExp(`cannot read ${missing}: no such file`));
    await failsAsync(readTextLines(dir), 'EINVAL', /is a directory/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.from([0x61, 0x0a, 0xff, 0x0a]));
    const e = await failsAsync(readTextLines(bad), 'EFORMAT', new RegExp(`${bad} line 2: invalid UTF-8`));
    expect((e as InputFileError).line).toBe(2);
  });
});
