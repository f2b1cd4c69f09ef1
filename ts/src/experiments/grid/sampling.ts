// Which pool pairs a run trains on, and which of them get generated targets.
//
// PRNG: xoshiro128** (Blackman and Vigna), its 128-bit state the first 16 bytes of
// SHA-256("regurgitate/<stream>/<seed>"), so every stream (pool B samples, a generator's
// pool-A sample...) and every seed is independent, and the same on every platform.
// Bounded integers by rejection (no modulo bias).
//
// Samples: a forward partial Fisher-Yates shuffle of 0..poolSize-1; position i is drawn
// before position i+1, so the first k positions do not depend on how many more are
// drawn. A cell of size n trains on the first n of its seed's shuffle: the 2,000-pair
// set contains the 1,000-pair set, and every condition of one seed sees the same sources
// (paired comparisons: only the targets differ).
//
// Mixes: position j of the shuffle gets a generated target when
// floor((j+1)p + 1/2) - floor(jp + 1/2) = 1. The marks belong to positions, not to the
// size, so both the generated and the real part are nested across sizes, and the first
// n positions hold exactly floor(np + 1/2) generated pairs. Since the shuffle is uniform,
// the generated part is a uniform random subset of the cell's pairs.
import { createHash } from 'node:crypto';

import { invalid } from '../../common/errors.js';
import { checkInt, checkNumber, checkSeed } from '../../common/validate.js';

export class Xoshiro128 {
  private readonly s: Uint32Array;

  constructor(state: Uint32Array) {
    if (state.length !== 4 || state.every((x) => x === 0)) throw invalid('xoshiro128**: the state must be 4 words, not all zero');
    this.s = Uint32Array.from(state);
  }

  /** The generator of a named stream and seed. */
  static forStream(stream: string, seed: number): Xoshiro128 {
    checkSeed('seed', seed);
    const h = createHash('sha256').update(`regurgitate/${stream}/${seed}`).digest();
    const st = new Uint32Array([h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)]);
    if (st.every((x) => x === 0)) st[0] = 1;
    return new Xoshiro128(st);
  }

  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw invalid(`below: n must be an integer in [1, 2^32] (got ${n})`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The first `count` entries of the stream's shuffle of 0..poolSize-1. */
export function shufflePrefix(poolSize: number, count: number, stream: string, seed: number): Uint32Array {
  checkInt('poolSize', poolSize, 0, 0xffffffff);
  checkInt('count', count, 0, poolSize);
  const rng = Xoshiro128.forStream(stream, seed);
  const a = new Uint32Array(poolSize);
  for (let i = 0; i < poolSize; i++) a[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + rng.below(poolSize - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, count);
}

/** The pool-B pairs (indices into pool B, in training order) of a student cell. */
export function sampleIndices(poolSize: number, size: number, seed: number): Uint32Array {
  return shufflePrefix(poolSize, size, 'poolB', seed);
}

/** The pool-A pairs a model generator (or a fine-tuning base) trains on. */
export function poolASample(poolSize: number, size: number, seed: number, stream = 'poolA'): Uint32Array {
  return shufflePrefix(poolSize, size, stream, seed);
}

function checkFraction(p: number): number {
  return checkNumber('fraction', p, { min: 0, max: 1 });
}

/** How many of the first `size` positions get generated targets: floor(size * p + 1/2). */
export function generatedCount(size: number, fraction: number): number {
  checkInt('size', size, 0);
  return Math.floor(size * checkFraction(fraction) + 0.5);
}

/** mask[j] = 1 when position j of the cell's sample gets a generated target. */
export function generatedMask(size: number, fraction: number): Uint8Array {
  checkInt('size', size, 0);
  const p = checkFraction(fraction);
  const m = new Uint8Array(size);
  for (let j = 0; j < size; j++) m[j] = Math.floor((j + 1) * p + 0.5) - Math.floor(j * p + 0.5);
  return m;
}
