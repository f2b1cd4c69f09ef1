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

/**
 * A small model, corpus and training setup the engine tests share (resume, bf16 copies):
 * 2+2 layers of width 32 over 24 ids, 300 training and 40 validation pairs, and AdamW
 * options a test adjusts (steps, validation, checkpoints) by spreading them.
 */
export const tinyConfig = {
  vocab_size: 24, d_model: 32, n_heads: 4, d_ff: 64, encoder_layers: 2, decoder_layers: 2,
  max_len: 32, dropout: 0.1, label_smoothing: 0.1,
};
export const tinyData = (): NativePairs => pack(synthetic(300, 24, 3, 9, 11));
export const tinyValid = (): NativePairs => pack(synthetic(40, 24, 3, 9, 12));
export const tinyTrainOptions = {
  seed: 5, maxTokens: 600, maxSentences: 64, maxSteps: 40, maxEpochs: 0, lr: 1e-3, warmupSteps: 10,
  schedule: 'inverse_sqrt' as const, minLr: 0, beta1: 0.9, beta2: 0.98, adamEps: 1e-9, weightDecay: 0.01,
  clipNorm: 1, validEvery: 15, patience: 0, progressEvery: 5, checkpointEvery: 10, checkpointSeconds: 0, resume: false,
  restoreBest: false, stopAfterSteps: 0,
};
