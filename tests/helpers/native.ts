// Test helpers: the raw addon and small synthetic corpora.
import { createRequire } from 'node:module';
import type { NativeAddon, NativePairs } from '../../ts/src/native/types.js';

const require = createRequire(import.meta.url);
export const addon: NativeAddon = require('node-gyp-build')(process.cwd());

/** Deterministic PRNG (mulberry32) so tests repeat. */
export { rng as prng } from '../helpers.js';
import { rng as prng } from '../helpers.js';

export function pack(pairs: Array<[number[], number[]]>): NativePairs {
  const src: number[] = [], so = [0], tgt: number[] = [], to = [0];
  for (const [s, t] of pairs) {
    src.push(...s);
    so.push(src.length);
    tgt.push(...t);
    to.push(tgt.length);
  }
  return {
    src: Int32Array.from(src),
    srcOffsets: Int32Array.from(so),
    tgt: Int32Array.from(tgt),
    tgtOffsets: Int32Array.from(to),
  };
}

/** Random sequences over ids [3, vocab) with lengths in [minLen, maxLen]; target = f(source). */
export function synthetic(
  n: number,
  vocab: number,
  minLen: number,
  maxLen: number,
  seed: number,
  f: (s: number[]) => number[] = (s) => [...s].reverse(),
): Array<[number[], number[]]> {
  const r = prng(seed);
  const out: Array<[number[], number[]]> = [];
  for (let i = 0; i < n; i++) {
    const len = minLen + Math.floor(r() * (maxLen - minLen + 1));
    const s = Array.from({ length: len }, () => 3 + Math.floor(r() * (vocab - 3)));
    out.push([s, f(s)]);
  }
  return out;
}
