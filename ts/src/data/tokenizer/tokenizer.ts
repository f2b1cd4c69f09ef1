// A byte-level BPE tokenizer (GPT-2 style) that reads and writes Hugging Face's
// tokenizer.json and encodes exactly as @huggingface/tokenizers does with
// add_special_tokens: false.
//
// Vocabulary layout of a trained tokenizer: <pad> = 0, <s> = 1 (BOS), </s> = 2 (EOS),
// <unk> = 3 (never produced: every byte has a token), the 256 bytes at 4..259 in byte
// order, then one token per merge in the order learned.
//
// Encoding: the special strings (literal "<s>" etc. in the text) are split off first and
// become their ids, as in Hugging Face tokenizers; every other stretch is put in NFC,
// split by the GPT-2 pattern, turned into UTF-8 bytes and merged by BPE, always
// applying the lowest-ranked merge present and, among equal ranks, the leftmost.
import { readFileSync } from 'node:fs';

import { describe, invalid, RegurgitateError } from '../../common/errors.js';
import { readLineBatches } from '../../common/text.js';
import { BYTE_LEVEL_PATTERN, BYTE_TO_CHAR, bytesToTokenString, splitSpecials, tokenStringToBytes, utf8Into } from './bytelevel.js';
import { MAX_VOCAB, trainBpe } from './train.js';

export const SPECIAL_TOKENS = ['<pad>', '<s>', '</s>', '<unk>'] as const;
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
/** Id of byte b in a vocabulary we train: BYTE_OFFSET + b. */
export const BYTE_OFFSET = 4;

const SHIFT = MAX_VOCAB;

export interface TokenizerTrainOptions {
  /** Vocabulary size including the 4 specials and 256 bytes (>= 260). */
  vocabSize: number;
  /** Pairs seen fewer times are not merged (default 2). */
  minFrequency?: number;
  onProgress?: (vocab: number, vocabSize: number) => void;
}

export interface TrainStats {
  lines: number;
  words: number;
  distinctWords: number;
  merges: number;
  vocabSize: number;
  seconds: number;
}

/** Counts pre-tokenizer pieces of texts (a helper for training). */
export class WordCounter {
  readonly counts = new Map<string, number>();
  lines = 0;
  words = 0;

  add(text: string): void {
    this.lines++;
    const parts = text.indexOf('<') >= 0 || text.indexOf('>') >= 0 ? splitSpecials(text, SPECIAL_TOKENS) : [text];
    const re = BYTE_LEVEL_PATTERN;
    for (let p = 0; p < parts.length; p += 2) {
      const seg = parts[p].normalize('NFC');
      if (seg === '') continue;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(seg)) !== null) {
        const w = m[0];
        this.words++;
        this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
      }
    }
  }
}

export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[];
  normalizer: { type: 'NFC' } | null;
  pre_tokenizer: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  post_processor: null;
  decoder: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string | null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

/** Encode options. */
export interface EncodeOptions {
  /** Add BOS at the start and EOS at the end (default false). */
  addBos?: boolean;
  addEos?: boolean;
  /**
   * Whether special strings in the text ("<s>", "</s>"...) become special ids (default
   * true, as Hugging Face does). Model training data sets false: a corpus line that
   * happens to contain "</s>" is text, and must not end the sentence.
   */
  specials?: boolean;
}

export class Tokenizer {
  /** Token strings (byte-level form, or the special's text) by id. */
  readonly tokens: string[];
  /** Special (added) tokens: content -> id. */
  readonly specials: Map<string, number>;
  private readonly specialList: string[];
  /** Whether some special string does not start with '<' (then every text is searched for specials). */
  private readonly oddSpecial: boolean;
  private readonly tokenBytes: (Uint8Array | undefined)[];
  private readonly byteId: Int32Array;
  /** pair key -> rank; mergeTo[rank] = result id. */
  private readonly ranks: Map<number, number>;
  private readonly mergeTo: Int32Array;
  private readonly mergePairs: [number, number][];
  private readonly cache = new Map<string, Int32Array>();
  private readonly buf = new Uint8Array(1024);
  private readonly syms = new Int32Array(1024);
  private readonly hasNfc: boolean;
  /** Statistics of the training run (trained tokenizers only). */
  trainStats?: TrainStats;

  private constructor(tokens: string[], specials: Map<string, number>, merges: [number, number, number][], nfc: boolean) {
    this.tokens = tokens;
    this.specials = specials;
    this.specialList = [...specials.keys()].filter((s) => s !== '');
    this.oddSpecial = this.specialList.some((s) => s[0] !== '<');
    this.hasNfc = nfc;
    this.tokenBytes = tokens.map((t, id) => ([...specials.values()].includes(id) ? undefined : tokenStringToBytes(t)));
    this.byteId = new Int32Array(256).fill(-1);
    const byStr = new Map<string, number>();
    tokens.forEach((t, id) => {
      if (!specials.has(t) || specials.get(t) !== id) byStr.set(t, id);
    });
    for (let b = 0; b < 256; b++) {
      const id = byStr.get(BYTE_TO_CHAR[b]);
      if (id === undefined) throw new RegurgitateError('EFORMAT', `tokenizer: the vocabulary has no token for byte 0x${b.toString(16)} ('${BYTE_TO_CHAR[b]}'): not a byte-level vocabulary`);
      this.byteId[b] = id;
    }
    this.ranks = new Map();
    this.mergeTo = new Int32Array(merges.length);
    this.mergePairs = [];
    merges.forEach(([a, b, z], r) => {
      const key = a * SHIFT + b;
      this.ranks.set(key, r); // a pair listed twice: the last rank counts, as in HF tokenizers
      this.mergeTo[r] = z;
      this.mergePairs.push([a, b]);
    });
  }

  /** Number of tokens (ids are 0 .. vocabSize-1). */
  get vocabSize(): number {
    return this.tokens.length;
  }

  get numMerges(): number {
    return this.mergeTo.length;
  }

  /** Trains on lines of text (both languages together). */
  static async train(lines: Iterable<string> | AsyncIterable<string>, o: TokenizerTrainOptions): Promise<Tokenizer> {
    const t0 = performance.now();
    const wc = new WordCounter();
    for await (const l of lines) wc.add(l);
    return Tokenizer.fromCounts(wc, o, t0);
  }

  /** Trains on text files, one sentence per line (read strictly: invalid UTF-8 names file and line). */
  static async trainFiles(files: readonly string[], o: TokenizerTrainOptions): Promise<Tokenizer> {
    const t0 = performance.now();
    if (files.length === 0) throw invalid('tokenizer: give at least one training file');
    const wc = new WordCounter();
    for (const f of files) for await (const batch of readLineBatches(f)) for (const l of batch) wc.add(l);
    return Tokenizer.fromCounts(wc, o, t0);
  }

  private static async fromCounts(wc: WordCounter, o: TokenizerTrainOptions, t0: number): Promise<Tokenizer> {
    if (typeof o !== 'object' || o === null) throw invalid(`tokenizer train options must be an object (got ${describe(o)})`);
    const first = SPECIAL_TOKENS.length + 256;
    if (!Number.isSafeInteger(o.vocabSize) || o.vocabSize < first || o.vocabSize > MAX_VOCAB)
      throw invalid(`vocabSize must be an integer in [${first}, ${MAX_VOCAB}] (4 special tokens + 256 bytes + merges); got ${describe(o.vocabSize)}`);
    // Words in a fixed order (sorted), so that nothing depends on input order.
    const distinct = [...wc.counts.keys()].sort();
    const words: Int32Array[] = [];
    const counts = new Float64Array(distinct.length);
    const enc = new TextEncoder();
    distinct.forEach((w, i) => {
      const b = enc.encode(w);
      const ids = new Int32Array(b.length);
      for (let k = 0; k < b.length; k++) ids[k] = BYTE_OFFSET + b[k];
      words.push(ids);
      counts[i] = wc.counts.get(w) as number;
    });
    const tokenBytes: (Uint8Array | undefined)[] = [undefined, undefined, undefined, undefined];
    for (let b = 0; b < 256; b++) tokenBytes.push(Uint8Array.of(b));
    const r = await trainBpe({ words, counts, tokenBytes }, { vocabSize: o.vocabSize, minFrequency: o.minFrequency, onProgress: o.onProgress });
    const tokens = r.tokenBytes.map((b, id) => (b ? bytesToTokenString(b) : SPECIAL_TOKENS[id]));
    const specials = new Map<string, number>(SPECIAL_TOKENS.map((s, i) => [s, i]));
    const tok = new Tokenizer(tokens, specials, r.merges, true);
    tok.trainStats = {
      lines: wc.lines,
      words: wc.words,
      distinctWords: distinct.length,
      merges: r.merges.length,
      vocabSize: tokens.length,
      seconds: (performance.now() - t0) / 1000,
    };
    return tok;
  }

  /** The Hugging Face tokenizer.json object. */
  toJSON(): TokenizerJson {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      vocab[t] = id;
    });
    const specialIds = new Set(this.specials.values());
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specials].map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: this.hasNfc ? { type: 'NFC' } : null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.specials.has('<unk>') && specialIds.has(UNK_ID) ? '<unk>' : null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: this.mergePairs.map(([a, b]) => `${this.tokens[a]} ${this.tokens[b]}`),
      },
    };
  }

  /** tokenizer.json text (vocabulary in id order). */
  toJSONString(): string {
    return JSON.stringify(this.toJSON(), null, 2) + '\n';
  }

  /**
   * Loads a byte-level BPE tokenizer.json (ours, or any with a ByteLevel pre-tokenizer
   * without prefix space, an NFC or no normalizer, and no post-processor).
   */
  static fromJSON(j: unknown, where = 'tokenizer.json'): Tokenizer {
    const bad = (msg: string) => new RegurgitateError('EFORMAT', `${where}: ${msg}`);
    if (typeof j !== 'object' || j === null) throw bad('not a JSON object');
    const o = j as Partial<TokenizerJson> & Record<string, unknown>;
    const m = o.model as TokenizerJson['model'] | undefined;
    if (!m || m.type !== 'BPE') throw bad(`model.type must be "BPE" (got ${describe(m?.type)})`);
    const pt = o.pre_tokenizer as TokenizerJson['pre_tokenizer'] | null | undefined;
    if (!pt || pt.type !== 'ByteLevel' || pt.add_prefix_space || pt.use_regex === false)
      throw bad('pre_tokenizer must be ByteLevel with add_prefix_space false and use_regex true');
    const n = o.normalizer as { type?: string } | null | undefined;
    if (n && n.type !== 'NFC') throw bad(`normalizer must be NFC or null (got ${describe(n.type)})`);
    if (o.post_processor !== null && o.post_processor !== undefined) {
      const pp = o.post_processor as { type?: string; add_prefix_space?: boolean };
      if (pp.type !== 'ByteLevel') throw bad(`post_processor must be null (got ${describe(pp.type)})`);
    }
    if (m.continuing_subword_prefix || m.end_of_word_suffix || m.byte_fallback) throw bad('BPE options continuing_subword_prefix, end_of_word_suffix and byte_fallback are not supported');
    if (m.ignore_merges) throw bad('BPE ignore_merges is not supported');
    if (typeof m.vocab !== 'object' || m.vocab === null) throw bad('model.vocab is missing');
    const tokens: string[] = [];
    for (const [t, id] of Object.entries(m.vocab)) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= MAX_VOCAB) throw bad(`vocab id of ${JSON.stringify(t)} is ${describe(id)}`);
      if (tokens[id] !== undefined) throw bad(`vocab id ${id} is used twice`);
      tokens[id] = t;
    }
    const specials = new Map<string, number>();
    for (const a of (o.added_tokens as TokenizerJson['added_tokens'] | undefined) ?? []) {
      if (tokens[a.id] !== undefined && tokens[a.id] !== a.content) throw bad(`added token ${JSON.stringify(a.content)} has id ${a.id}, which the vocabulary gives to ${JSON.stringify(tokens[a.id])}`);
      tokens[a.id] = a.content;
      specials.set(a.content, a.id);
    }
    for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) throw bad(`no token has id ${i} (ids must be 0..${tokens.length - 1})`);
    const idOf = new Map<string, number>();
    tokens.forEach((t, id) => {
      if (!specials.has(t)) idOf.set(t, id);
    });
    if (!Array.isArray(m.merges)) throw bad('model.merges must be an array');
    const merges: [number, number, number][] = [];
    (m.merges as unknown[]).forEach((x, r) => {
      let a: string;
      let b: string;
      if (typeof x === 'string') {
        const sp = x.indexOf(' ');
        if (sp <= 0 || x.indexOf(' ', sp + 1) >= 0) throw bad(`merge ${r} ${JSON.stringify(x)} is not "A B"`);
        a = x.slice(0, sp);
        b = x.slice(sp + 1);
      } else if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string') [a, b] = x as [string, string];
      else throw bad(`merge ${r} is neither "A B" nor ["A", "B"]`);
      const ia = idOf.get(a);
      const ib = idOf.get(b);
      const iz = idOf.get(a + b);
      if (ia === undefined || ib === undefined || iz === undefined) throw bad(`merge ${r} (${JSON.stringify(a)}, ${JSON.stringify(b)}) uses a token missing from the vocabulary`);
      merges.push([ia, ib, iz]);
    });
    return new Tokenizer(tokens, specials, merges, Boolean(n));
  }

  static load(path: string): Tokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new RegurgitateError(code === 'ENOENT' ? 'ENOENT' : 'EIO', `${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw new RegurgitateError('EFORMAT', `${path}: invalid JSON: ${(e as Error).message}`);
    }
    return Tokenizer.fromJSON(j, path);
  }

  /** BPE of one piece's UTF-8 bytes buf[0..n) (ranks and positions as in HF tokenizers). */
  private bpe(n: number): Int32Array {
    const s = n <= this.syms.length ? this.syms : new Int32Array(n);
    for (let i = 0; i < n; i++) s[i] = this.byteId[this.buf[i]];
    let len = n;
    const ranks = this.ranks;
    while (len > 1) {
      let best = 0x7fffffff;
      let at = -1;
      for (let i = 0; i + 1 < len; i++) {
        const r = ranks.get(s[i] * SHIFT + s[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      s[at] = this.mergeTo[best];
      for (let i = at + 1; i + 1 < len; i++) s[i] = s[i + 1];
      len--;
    }
    return s.slice(0, len);
  }

  private piece(w: string, out: number[]): void {
    let ids = this.cache.get(w);
    if (ids === undefined) {
      let n: number;
      if (w.length * 3 <= this.buf.length) n = utf8Into(w, this.buf);
      else {
        const big = new TextEncoder().encode(w);
        return this.pieceBytes(big, out);
      }
      ids = this.bpe(n);
      if (this.cache.size >= 1 << 20) this.cache.clear();
      this.cache.set(w, ids);
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /** A piece too long for the scratch buffer (over 341 UTF-16 units): BPE with a heap-free O(n^2) scan. */
  private pieceBytes(bytes: Uint8Array, out: number[]): void {
    const s = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) s[i] = this.byteId[bytes[i]];
    let len = s.length;
    while (len > 1) {
      let best = 0x7fffffff;
      let at = -1;
      for (let i = 0; i + 1 < len; i++) {
        const r = this.ranks.get(s[i] * SHIFT + s[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      s[at] = this.mergeTo[best];
      s.copyWithin(at + 1, at + 2, len);
      len--;
    }
    for (let i = 0; i < len; i++) out.push(s[i]);
  }

  private plain(text: string, out: number[]): void {
    if (text === '') return;
    const t = this.hasNfc ? text.normalize('NFC') : text;
    const re = BYTE_LEVEL_PATTERN;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) this.piece(m[0], out);
  }

  /** Token ids of a text (no BOS/EOS unless asked). */
  encode(text: string, o: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw invalid(`encode expects a string (got ${describe(text)})`);
    const out: number[] = [];
    if (o.addBos) out.push(BOS_ID);
    let hasSpecial = false;
    if (o.specials !== false && (this.oddSpecial || text.indexOf('<') >= 0)) for (const s of this.specialList) if (text.includes(s)) hasSpecial = true;
    if (!hasSpecial) this.plain(text, out);
    else {
      const parts = splitSpecials(text, this.specialList);
      for (let i = 0; i < parts.length; i++) {
        if (i % 2 === 1) out.push(this.specials.get(parts[i]) as number);
        else this.plain(parts[i], out);
      }
    }
    if (o.addEos) out.push(EOS_ID);
    return out;
  }

  /** Byte-level token strings of a text (e.g. ['Hello', 'Ġworld']). */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.tokens[id]);
  }

  /**
   * Text of token ids: bytes joined and decoded as UTF-8 (invalid sequences become
   * U+FFFD). Special tokens appear as their text unless skipSpecial.
   */
  decode(ids: ArrayLike<number>, o: { skipSpecial?: boolean } = {}): string {
    const parts: string[] = [];
    let bytes: number[] = [];
    const dec = new TextDecoder('utf-8');
    const flush = () => {
      if (bytes.length) parts.push(dec.decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) throw invalid(`decode: id ${describe(id)} at index ${i} is outside the vocabulary [0, ${this.tokens.length})`);
      const b = this.tokenBytes[id];
      if (b === undefined) {
        if (o.skipSpecial) continue;
        flush();
        parts.push(this.tokens[id]);
      } else for (let k = 0; k < b.length; k++) bytes.push(b[k]);
    }
    flush();
    return parts.join('');
  }

  /** Id of a token string (byte-level form or special), or undefined. */
  tokenToId(token: string): number | undefined {
    const s = this.specials.get(token);
    if (s !== undefined) return s;
    const i = this.tokens.indexOf(token);
    return i < 0 ? undefined : i;
  }
}
