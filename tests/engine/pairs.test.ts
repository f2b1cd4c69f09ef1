import { describe, expect, it } from 'vitest';

import { validateModelConfig } from '../../ts/src/engine/config.js';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { packPairs, packSources, toNativePairs, validatePackedPairs } from '../../ts/src/engine/pairs.js';

const V = validateModelConfig({ vocabSize: 8000, maxLen: 8 }); // pad 0, bos 1, eos 2

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegurgitateError);
    expect((e as RegurgitateError).code).toBe('EINVAL');
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const i32 = (a: number[]) => Int32Array.from(a);

describe('packPairs', () => {
  it('packs into flat arrays with offsets, appending EOS to sources', () => {
    const p = packPairs(
      [
        { src: [5, 6, 7], tgt: [8, 9] },
        { src: i32([10, 2]), tgt: i32([11]) }, // source already ends with EOS
      ],
      V,
    );
    expect(Array.from(p.src)).toEqual([5, 6, 7, 2, 10, 2]);
    expect(Array.from(p.srcOffsets)).toEqual([0, 4, 6]);
    expect(Array.from(p.tgt)).toEqual([8, 9, 11]);
    expect(Array.from(p.tgtOffsets)).toEqual([0, 2, 3]);
    expect(p.src).toBeInstanceOf(Int32Array);
    const empty = packPairs([], V);
    expect(Array.from(empty.srcOffsets)).toEqual([0]);
    expect(empty.src.length).toBe(0);
  });

  it('grows its buffers for long inputs', () => {
    const big = validateModelConfig({ vocabSize: 100, maxLen: 256 });
    const pairs = Array.from({ length: 50 }, (_, i) => ({ src: Array(200).fill(3 + (i % 90)), tgt: Array(255).fill(4) }));
    const p = packPairs(pairs, big);
    expect(p.src.length).toBe(50 * 201);
    expect(p.tgt.length).toBe(50 * 255);
    expect(p.srcOffsets[50]).toBe(50 * 201);
  });

  it('names the pair, side and position', () => {
    expect(message(() => packPairs([{ src: [5], tgt: [5] }, { src: [5], tgt: [3, 4, 5, 9001] }], V))).toBe(
      'pairs[1].tgt[3] = 9001 is outside the vocabulary [0, 8000)',
    );
    expect(message(() => packPairs([{ src: [-1], tgt: [5] }], V))).toBe('pairs[0].src[0] = -1 is outside the vocabulary [0, 8000)');
    expect(message(() => packPairs([{ src: [5, 1.5], tgt: [5] }], V))).toBe('pairs[0].src[1] = 1.5 is not an integer token id');
    expect(message(() => packPairs([{ src: [5, NaN], tgt: [5] }], V))).toBe('pairs[0].src[1] = NaN is not an integer token id');
    expect(message(() => packPairs([{ src: [5, '6' as never], tgt: [5] }], V))).toBe('pairs[0].src[1] = string "6" is not an integer token id');
    expect(message(() => packPairs([{ src: [5], tgt: [5, 2] }], V))).toBe(
      'pairs[0].tgt[1] = 2 is the EOS id: sentences must not contain special ids; regurgitate adds BOS and EOS itself',
    );
    expect(message(() => packPairs([{ src: [5, 2, 6], tgt: [5] }], V))).toBe('pairs[0].src[1] = 2 is the EOS id: a source may hold EOS only as its last token');
    expect(message(() => packPairs([{ src: [0, 5], tgt: [5] }], V))).toBe(
      'pairs[0].src[0] = 0 is the PAD id: sentences must not contain special ids; regurgitate adds BOS and EOS itself',
    );
    expect(message(() => packPairs([{ src: [5], tgt: [1, 5] }], V))).toBe(
      'pairs[0].tgt[0] = 1 is the BOS id: sentences must not contain special ids; regurgitate adds BOS and EOS itself',
    );
    expect(message(() => packPairs([{ src: [], tgt: [5] }], V))).toBe('pairs[0].src is empty: every sentence needs at least one token');
    expect(message(() => packPairs([{ src: [2], tgt: [5] }], V))).toBe('pairs[0].src is empty: it holds only EOS');
    expect(message(() => packPairs([{ src: [5], tgt: [] }], V))).toBe('pairs[0].tgt is empty: every sentence needs at least one token');
    expect(message(() => packPairs([{ src: [5, 5, 5, 5, 5, 5, 5, 5], tgt: [5] }], V))).toBe(
      'pairs[0].src has 8 tokens; the longest allowed is 7 (model.maxLen 8 minus 1 for EOS)',
    );
    // 7 content tokens + EOS fits exactly
    expect(() => packPairs([{ src: [5, 5, 5, 5, 5, 5, 5, 2], tgt: [5, 5, 5, 5, 5, 5, 5] }], V)).not.toThrow();
    expect(message(() => packPairs([{ src: [5], tgt: [5, 5, 5, 5, 5, 5, 5, 5] }], V))).toBe(
      'pairs[0].tgt has 8 tokens; the longest allowed is 7 (model.maxLen 8 minus 1 for BOS/EOS)',
    );
  });

  it('rejects wrong shapes', () => {
    expect(message(() => packPairs('x' as never, V))).toBe('pairs must be an array of {src, tgt} pairs (got string "x")');
    expect(message(() => packPairs([null] as never, V))).toBe('pairs[0] must be an object {src, tgt} (got null)');
    expect(message(() => packPairs([[1, 2]] as never, V))).toBe('pairs[0] must be an object {src, tgt} (got an array of length 2)');
    expect(message(() => packPairs([{ src: 'abc', tgt: [5] }] as never, V))).toBe('pairs[0].src must be an array or Int32Array of token ids (got string "abc")');
    expect(message(() => packPairs([{ src: [5] }] as never, V))).toBe('pairs[0].tgt must be an array or Int32Array of token ids (got undefined)');
    expect(message(() => packPairs([{ src: new Float32Array([5]), tgt: [5] }] as never, V))).toBe(
      'pairs[0].src must be an array or Int32Array of token ids (got a Float32Array of length 1)',
    );
    expect(message(() => packPairs([{ src: [5], tgt: [5] }, 7] as never, V, 'train'))).toBe('train[1] must be an object {src, tgt} (got 7)');
  });
});

describe('packSources', () => {
  it('appends EOS and names the sentence', () => {
    const s = packSources([[5, 6], i32([7, 2])], V);
    expect(Array.from(s.src)).toEqual([5, 6, 2, 7, 2]);
    expect(Array.from(s.srcOffsets)).toEqual([0, 3, 5]);
    expect(message(() => packSources([[5], [5, 8000]], V))).toBe('sources[1][1] = 8000 is outside the vocabulary [0, 8000)');
    expect(message(() => packSources([[5], null] as never, V))).toBe('sources[1] must be an array or Int32Array of token ids (got null)');
  });
});

describe('validatePackedPairs', () => {
  const good = () => ({ src: i32([5, 6, 2, 7, 2]), srcOffsets: i32([0, 3, 5]), tgt: i32([8, 9, 10]), tgtOffsets: i32([0, 2, 3]) });

  it('accepts well-formed packed pairs', () => {
    expect(validatePackedPairs(good(), V)).toBe(2);
    const p = good();
    expect(toNativePairs(p, V)).toBe(p);
  });

  it('checks types, offsets, lengths and ids', () => {
    expect(message(() => validatePackedPairs({ ...good(), src: [5, 6] as never }, V))).toBe('pairs.src must be an Int32Array (got an array of length 2)');
    expect(message(() => validatePackedPairs({ ...good(), tgtOffsets: i32([0, 2]) }, V))).toBe(
      'pairs.tgtOffsets must have 3 entries (one more than the number of pairs, 2) (got 2)',
    );
    expect(message(() => validatePackedPairs({ ...good(), srcOffsets: i32([1, 3, 5]) }, V))).toBe('pairs.srcOffsets[0] must be 0 (got 1)');
    expect(message(() => validatePackedPairs({ ...good(), srcOffsets: i32([0, 6, 5]) }, V))).toBe(
      'pairs.srcOffsets[2] = 5 is less than srcOffsets[1] = 6 (offsets must be non-decreasing)',
    );
    expect(message(() => validatePackedPairs({ ...good(), srcOffsets: i32([0, 3, 4]) }, V))).toBe('pairs.srcOffsets[2] = 4 must equal pairs.src.length = 5');
    expect(message(() => validatePackedPairs({ ...good(), srcOffsets: i32([0, 0, 5]) }, V))).toBe('pairs[0].src is empty: every sentence needs at least one token');
    expect(message(() => validatePackedPairs({ ...good(), tgt: i32([8, 9000, 10]) }, V))).toBe('pairs[0].tgt[1] = 9000 is outside the vocabulary [0, 8000)');
    expect(message(() => validatePackedPairs({ ...good(), src: i32([5, 2, 2, 7, 2]) }, V))).toBe(
      'pairs[0].src[1] = 2 is the EOS id: a source may hold EOS only as its last token',
    );
    expect(message(() => validatePackedPairs(null as never, V, 'valid'))).toBe('valid must be packed pairs {src, srcOffsets, tgt, tgtOffsets} (got null)');
  });
});
