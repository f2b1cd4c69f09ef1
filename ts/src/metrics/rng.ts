// numpy-compatible random number generation, so that bootstrap resamples are the very
// indices numpy draws.
//
// sacreBLEU 2.x (significance.py) draws its resamples with
//     rng = np.random.default_rng(seed)            # seed 12345 unless SACREBLEU_SEED
//     idxs = rng.choice(n, size=(n_samples, n), replace=True)
// i.e. numpy's Generator over PCG64, seeded through SeedSequence; choice() with
// replacement is Generator.integers(0, n), which uses Lemire's bounded-integer method on
// 32-bit draws. That path (`numpyDefaultRng`) is what our paired bootstrap uses.
//
// The legacy path, np.random.RandomState(seed).choice(n, size, replace=True) (MT19937
// seeded by init_genrand / init_by_array, randint with masked rejection sampling), is
// here too (`numpyLegacyRandomState`) for tools that use it.
//
// Sources: numpy/random/bit_generator.pyx (SeedSequence), numpy/random/src/pcg64/pcg64.h,
// numpy/random/src/mt19937/mt19937.c, numpy/random/src/distributions/distributions.c
// (random_bounded_uint64_fill, buffered_bounded_lemire_uint32,
// buffered_bounded_masked_uint32), numpy/random/_generator.pyx and mtrand.pyx (choice).
import { RegurgitateError } from '../common/errors.js';

/** A source of uniformly distributed 32-bit unsigned integers (numpy's next_uint32). */
export interface BitGenerator {
  nextUint32(): number;
}

// ---------------------------------------------------------------------------------
// SeedSequence (numpy.random.SeedSequence), for integer entropy and no spawn key.

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

/** An integer seed as numpy's _int_to_uint32_array: little-endian 32-bit words ([0] for 0). */
export function intToUint32Array(seed: number | bigint): number[] {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new RegurgitateError('EINVAL', `seed must be a non-negative integer (got ${seed})`);
  let n = BigInt(seed);
  if (n < 0n) throw new RegurgitateError('EINVAL', `seed must be non-negative (got ${seed})`);
  if (n === 0n) return [0];
  const out: number[] = [];
  while (n > 0n) {
    out.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return out;
}

/** numpy's SeedSequence(entropy).generate_state(nWords, np.uint32). */
export function seedSequenceState(seed: number | bigint, nWords: number): Uint32Array {
  const entropy = intToUint32Array(seed);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    value = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    value = Math.imul(value, hashConst) >>> 0;
    value = (value ^ (value >>> XSHIFT)) >>> 0;
    return value;
  };
  const mix = (x: number, y: number): number => {
    let result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    result = (result ^ (result >>> XSHIFT)) >>> 0;
    return result;
  };
  const pool = new Uint32Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  }
  // generate_state
  const state = new Uint32Array(nWords);
  let hc = INIT_B;
  for (let i = 0; i < nWords; i++) {
    let v = pool[i % POOL_SIZE];
    v = (v ^ hc) >>> 0;
    hc = Math.imul(hc, MULT_B) >>> 0;
    v = Math.imul(v, hc) >>> 0;
    v = (v ^ (v >>> XSHIFT)) >>> 0;
    state[i] = v;
  }
  return state;
}

// ---------------------------------------------------------------------------------
// PCG64 (XSL-RR 128/64), numpy's default bit generator. The 128-bit state is kept as
// eight 16-bit limbs so that multiplication stays exact in doubles.

const PCG_MULT_HI = 0x2360ed051fc65da4n;
const PCG_MULT_LO = 0x4385df649fccf645n;

function toLimbs(x: bigint): number[] {
  const out: number[] = [];
  for (let k = 0; k < 8; k++) out.push(Number((x >> BigInt(16 * k)) & 0xffffn));
  return out;
}

const MULT_LIMBS = toLimbs((PCG_MULT_HI << 64n) | PCG_MULT_LO);

export class PCG64 implements BitGenerator {
  private s: number[];
  private readonly inc: number[];
  private hasUint32 = false;
  private uinteger = 0;

  /** A PCG64 seeded as numpy's PCG64(SeedSequence(seed)) (what default_rng(seed) builds). */
  static fromSeed(seed: number | bigint): PCG64 {
    const w = seedSequenceState(seed, 8);
    // generate_state(4, np.uint64) is the uint32 words pairwise, little-endian
    const u64 = (k: number) => (BigInt(w[2 * k + 1]) << 32n) | BigInt(w[2 * k]);
    const initstate = (u64(0) << 64n) | u64(1);
    const initseq = (u64(2) << 64n) | u64(3);
    return new PCG64(initstate, initseq);
  }

  /** pcg_setseq_128_srandom_r(initstate, initseq). */
  constructor(initstate: bigint, initseq: bigint) {
    const M = (1n << 128n) - 1n;
    this.inc = toLimbs(((initseq << 1n) | 1n) & M);
    this.s = toLimbs(0n);
    this.step();
    const st = (this.stateBig() + (initstate & M)) & M;
    this.s = toLimbs(st);
    this.step();
  }

  private stateBig(): bigint {
    let x = 0n;
    for (let k = 7; k >= 0; k--) x = (x << 16n) | BigInt(this.s[k]);
    return x;
  }

  /** state = state * MULT + inc (mod 2^128). */
  private step(): void {
    const a = this.s;
    const b = MULT_LIMBS;
    const out = new Array<number>(8);
    let carry = 0;
    for (let k = 0; k < 8; k++) {
      let acc = carry + this.inc[k];
      for (let i = 0; i <= k; i++) acc += a[i] * b[k - i];
      out[k] = acc % 65536;
      carry = Math.floor(acc / 65536);
    }
    this.s = out;
  }

  /** The next 64-bit output as [hi32, lo32] (pcg64_random_r: step, then XSL-RR output). */
  next64(): [number, number] {
    this.step();
    const s = this.s;
    const hiHi = ((s[7] << 16) | s[6]) >>> 0;
    const hiLo = ((s[5] << 16) | s[4]) >>> 0;
    const loHi = ((s[3] << 16) | s[2]) >>> 0;
    const loLo = ((s[1] << 16) | s[0]) >>> 0;
    const xh = (hiHi ^ loHi) >>> 0;
    const xl = (hiLo ^ loLo) >>> 0;
    const rot = s[7] >>> 10; // state >> 122
    if (rot === 0) return [xh, xl];
    if (rot === 32) return [xl, xh];
    if (rot < 32) {
      return [((xh >>> rot) | (xl << (32 - rot))) >>> 0, ((xl >>> rot) | (xh << (32 - rot))) >>> 0];
    }
    const r = rot - 32;
    return [((xl >>> r) | (xh << (32 - r))) >>> 0, ((xh >>> r) | (xl << (32 - r))) >>> 0];
  }

  /** pcg64_next32: the low half of a 64-bit draw, then its high half. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    const [hi, lo] = this.next64();
    this.hasUint32 = true;
    this.uinteger = hi;
    return lo;
  }
}

// ---------------------------------------------------------------------------------
// MT19937, numpy's legacy RandomState bit generator.

const MT_N = 624;
const MT_M = 397;

export class MT19937 implements BitGenerator {
  private readonly key = new Uint32Array(MT_N);
  private pos = MT_N;

  /** numpy's mt19937_seed (Matsumoto-Nishimura init_genrand), used by RandomState(int). */
  static fromSeed(seed: number): MT19937 {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RegurgitateError('EINVAL', `seed must be an integer between 0 and 2**32 - 1 (got ${seed})`);
    }
    const mt = new MT19937();
    let s = seed >>> 0;
    for (let pos = 0; pos < MT_N; pos++) {
      mt.key[pos] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + pos + 1) >>> 0;
    }
    mt.pos = MT_N;
    return mt;
  }

  /** numpy's mt19937_init_by_array, used by RandomState(array_of_uint32). */
  static fromArray(initKey: readonly number[]): MT19937 {
    const mt = MT19937.fromSeed(19650218);
    const mtk = mt.key;
    const len = initKey.length;
    let i = 1;
    let j = 0;
    let k = MT_N > len ? MT_N : len;
    for (; k; k--) {
      const p = mtk[i - 1];
      mtk[i] = ((mtk[i] ^ Math.imul((p ^ (p >>> 30)) >>> 0, 1664525)) + initKey[j] + j) >>> 0;
      i++;
      j++;
      if (i >= MT_N) {
        mtk[0] = mtk[MT_N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (k = MT_N - 1; k; k--) {
      const p = mtk[i - 1];
      mtk[i] = ((mtk[i] ^ Math.imul((p ^ (p >>> 30)) >>> 0, 1566083941)) - i) >>> 0;
      i++;
      if (i >= MT_N) {
        mtk[0] = mtk[MT_N - 1];
        i = 1;
      }
    }
    mtk[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
    mt.pos = MT_N;
    return mt;
  }

  private generate(): void {
    const mt = this.key;
    const UPPER = 0x80000000;
    const LOWER = 0x7fffffff;
    const MATRIX_A = 0x9908b0df;
    let kk = 0;
    let y: number;
    for (; kk < MT_N - MT_M; kk++) {
      y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
      mt[kk] = mt[kk + MT_M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < MT_N - 1; kk++) {
      y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
      mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[MT_N - 1] & UPPER) | (mt[0] & LOWER);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** genrand_int32 (numpy's mt19937_next32). */
  nextUint32(): number {
    if (this.pos === MT_N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

// ---------------------------------------------------------------------------------
// Bounded integers.

/** Exact 32x32 -> 64-bit product as [hi32, lo32]. */
function mul32(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const p1 = aLo * b; // < 2^48
  const p2 = aHi * b; // < 2^48
  const p2Lo = p2 % 65536;
  const mid = p2Lo * 65536 + p1; // < 2^49
  const lo = mid % 4294967296;
  const hi = Math.floor(p2 / 65536) + Math.floor(mid / 4294967296);
  return [hi >>> 0, lo >>> 0];
}

/** buffered_bounded_lemire_uint32: a uniform integer in [0, rng] (rng < 2^32 - 1). */
function boundedLemireUint32(bg: BitGenerator, rng: number): number {
  const rngExcl = rng + 1;
  let [hi, lo] = mul32(bg.nextUint32(), rngExcl);
  if (lo < rngExcl) {
    const threshold = (0xffffffff - rng) % rngExcl;
    while (lo < threshold) {
      [hi, lo] = mul32(bg.nextUint32(), rngExcl);
    }
  }
  return hi;
}

/** buffered_bounded_masked_uint32: rejection sampling under the smallest covering bit mask. */
function boundedMaskedUint32(bg: BitGenerator, rng: number, mask: number): number {
  let val: number;
  while ((val = (bg.nextUint32() & mask) >>> 0) > rng);
  return val;
}

function genMask(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/**
 * numpy's random_bounded_uint64_fill for ranges that fit 32 bits: `count` integers in
 * [0, high), drawn with Lemire's method (Generator) or masked rejection (RandomState).
 */
export function boundedIntegers(bg: BitGenerator, high: number, count: number, useMasked: boolean): Uint32Array {
  if (!Number.isInteger(high) || high < 1 || high > 0x100000000) {
    throw new RegurgitateError('EINVAL', `high must be an integer in [1, 2^32] (got ${high})`);
  }
  const out = new Uint32Array(count);
  const rng = high - 1;
  if (rng === 0) return out;
  if (rng === 0xffffffff) {
    for (let i = 0; i < count; i++) out[i] = bg.nextUint32();
    return out;
  }
  if (useMasked) {
    const mask = genMask(rng);
    for (let i = 0; i < count; i++) out[i] = boundedMaskedUint32(bg, rng, mask);
  } else {
    for (let i = 0; i < count; i++) out[i] = boundedLemireUint32(bg, rng);
  }
  return out;
}

/**
 * `np.random.default_rng(seed).choice(n, size=(rows, n), replace=True)`, flattened row by
 * row: what sacreBLEU's paired bootstrap and confidence intervals use.
 */
export function numpyDefaultRngChoice(seed: number | bigint, n: number, count: number): Uint32Array {
  return boundedIntegers(PCG64.fromSeed(seed), n, count, false);
}

/** `np.random.RandomState(seed).choice(n, size=count, replace=True)` (legacy seeding). */
export function numpyLegacyChoice(seed: number, n: number, count: number): Uint32Array {
  return boundedIntegers(MT19937.fromSeed(seed), n, count, true);
}
