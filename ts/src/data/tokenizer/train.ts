// Byte-level BPE training. Words (pre-tokenizer pieces) are counted once; then merges
// are learned greedily: at each step the adjacent pair of tokens with the highest count
// over all words (weighted by word frequency) is merged into a new token. Ties are
// broken by the smaller (left id, right id), ids being fixed by the vocabulary layout
// (4 specials, 256 bytes in byte order, then merges in the order learned), so training
// is deterministic and independent of input order. When a merge yields a byte string
// that already is a token, that token's id is reused (as Hugging Face's trainer does)
// and the vocabulary does not grow.
//
// Pair counts are kept incrementally: a merge updates only the words that contain the
// pair (found through a pair -> words index), and a max-heap with lazy deletion finds
// the best pair. The loop yields to the event loop every ~50 ms.
import { invalid } from '../../common/errors.js';

/** Ids are below 2^20, so a pair (a, b) packs into one number a * 2^20 + b. */
export const MAX_VOCAB = 1 << 20;
const SHIFT = MAX_VOCAB;

export interface BpeTrainOptions {
  /** Size of the vocabulary: specials + 256 bytes + merges (at least firstMergeId). */
  vocabSize: number;
  /** Stop when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Called now and then with the number of tokens so far. */
  onProgress?: (vocab: number, vocabSize: number) => void;
}

export interface BpeTrainInput {
  /** Each distinct word as its initial token ids (bytes), with its count. */
  words: Int32Array[];
  counts: Float64Array;
  /** Byte strings of the tokens that exist before training, by id (specials: undefined). */
  tokenBytes: (Uint8Array | undefined)[];
}

export interface BpeTrainResult {
  /** Merges in rank order: [left id, right id, result id]. */
  merges: [number, number, number][];
  /** Byte strings of all tokens by id (specials undefined). */
  tokenBytes: (Uint8Array | undefined)[];
  /** Number of merges that reused an existing token. */
  reused: number;
}

function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** A max-heap of (count, pair key): higher count first, then smaller key. */
class PairHeap {
  c: number[] = [];
  k: number[] = [];

  get size(): number {
    return this.c.length;
  }

  private better(i: number, j: number): boolean {
    const ci = this.c[i];
    const cj = this.c[j];
    return ci > cj || (ci === cj && this.k[i] < this.k[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.c[i];
    this.c[i] = this.c[j];
    this.c[j] = c;
    const k = this.k[i];
    this.k[i] = this.k[j];
    this.k[j] = k;
  }

  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): void {
    const last = this.c.length - 1;
    this.swap(0, last);
    this.c.pop();
    this.k.pop();
    const n = this.c.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.better(l, m)) m = l;
      if (r < n && this.better(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}

/** Learns merges until the vocabulary has `vocabSize` tokens or no pair is frequent enough. */
export async function trainBpe(input: BpeTrainInput, o: BpeTrainOptions): Promise<BpeTrainResult> {
  const minFrequency = o.minFrequency ?? 2;
  const firstId = input.tokenBytes.length;
  if (!Number.isSafeInteger(o.vocabSize) || o.vocabSize < firstId || o.vocabSize > MAX_VOCAB)
    throw invalid(`vocabSize must be an integer in [${firstId}, ${MAX_VOCAB}] (${firstId} = special tokens + 256 bytes); got ${o.vocabSize}`);
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1) throw invalid(`minFrequency must be an integer >= 1 (got ${minFrequency})`);

  const words = input.words.map((w) => Array.from(w));
  const freq = input.counts;
  const tokenBytes = input.tokenBytes.slice();
  const byString = new Map<string, number>();
  tokenBytes.forEach((b, id) => {
    if (b) byString.set(bytesKey(b), id);
  });

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const s = words[w];
    const f = freq[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * SHIFT + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      const l = pairWords.get(key);
      if (l === undefined) pairWords.set(key, [w]);
      else if (l[l.length - 1] !== w) l.push(w);
    }
  }
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  const merges: [number, number, number][] = [];
  const stamp = new Int32Array(words.length).fill(-1);
  const dirty = new Set<number>();
  let nextId = firstId;
  let reused = 0;
  let lastYield = performance.now();

  const addPair = (a: number, b: number, delta: number) => {
    const key = a * SHIFT + b;
    const c = (pairCount.get(key) ?? 0) + delta;
    if (c <= 0) pairCount.delete(key);
    else pairCount.set(key, c);
    dirty.add(key);
  };

  while (nextId < o.vocabSize) {
    // The best pair whose heap entry is current.
    let key = -1;
    while (heap.size > 0) {
      const c = heap.c[0];
      const k = heap.k[0];
      if (pairCount.get(k) !== c) {
        heap.pop();
        continue;
      }
      if (c >= minFrequency) key = k;
      break;
    }
    if (key < 0) break;
    heap.pop();
    const a = Math.floor(key / SHIFT);
    const b = key - a * SHIFT;
    const ba = tokenBytes[a] as Uint8Array;
    const bb = tokenBytes[b] as Uint8Array;
    const nb = new Uint8Array(ba.length + bb.length);
    nb.set(ba);
    nb.set(bb, ba.length);
    const sk = bytesKey(nb);
    let z = byString.get(sk);
    if (z === undefined) {
      z = nextId++;
      tokenBytes[z] = nb;
      byString.set(sk, z);
    } else reused++;
    const step = merges.length;
    merges.push([a, b, z]);

    const list = pairWords.get(key) ?? [];
    pairWords.delete(key);
    dirty.clear();
    for (const w of list) {
      if (stamp[w] === step) continue;
      stamp[w] = step;
      const s = words[w];
      let found = false;
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === a && s[i + 1] === b) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      const f = freq[w];
      for (let i = 0; i + 1 < s.length; i++) addPair(s[i], s[i + 1], -f);
      const t: number[] = [];
      for (let i = 0; i < s.length; ) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          t.push(z);
          i += 2;
        } else t.push(s[i++]);
      }
      words[w] = t;
      for (let i = 0; i + 1 < t.length; i++) {
        addPair(t[i], t[i + 1], f);
        if (t[i] === z || t[i + 1] === z) {
          const k2 = t[i] * SHIFT + t[i + 1];
          const l = pairWords.get(k2);
          if (l === undefined) pairWords.set(k2, [w]);
          else if (l[l.length - 1] !== w) l.push(w);
        }
      }
    }
    pairCount.delete(key);
    for (const k of dirty) {
      const c = pairCount.get(k);
      if (c !== undefined) heap.push(c, k);
    }
    if ((step & 63) === 0 && performance.now() - lastYield > 50) {
      o.onProgress?.(nextId, o.vocabSize);
      await new Promise<void>((r) => setImmediate(r));
      lastYield = performance.now();
    }
  }
  o.onProgress?.(nextId, o.vocabSize);
  return { merges, tokenBytes, reused };
}
