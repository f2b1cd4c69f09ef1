// The corpus tokenizer: trained once on a corpus part (both languages) and kept beside
// the corpus as tokenizer.json, with tokenizer.meta.json recording what it was trained
// on, so a re-prepared corpus never silently reuses a stale tokenizer.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegurgitateError } from '../common/errors.js';
import type { Pair } from '../engine/pairs.js';
import { Tokenizer } from '../data/tokenizer/index.js';
import { writeFileAtomic } from '../common/atomic.js';
import { partDigest, type PreparedCorpus, type Sides } from './corpus.js';

export interface TokenizerSettings {
  /** Corpus part(s) the tokenizer learns from, both languages (default 'train'). */
  part: string | readonly string[];
  vocabSize: number;
  minFrequency: number;
}

export const DEFAULT_TOKENIZER: Readonly<TokenizerSettings> = Object.freeze({ part: 'train', vocabSize: 8000, minFrequency: 2 });

interface TokenizerMeta extends TokenizerSettings {
  files: Record<string, string>;
}

export interface CorpusTokenizer {
  tokenizer: Tokenizer;
  path: string;
  /** Whether it was trained now (false: an up-to-date one was found). */
  trained: boolean;
}

/** Loads DIR/tokenizer.json when it matches the corpus and settings, else trains and saves it. */
export async function ensureTokenizer(c: PreparedCorpus, settings: Partial<TokenizerSettings> = {}, log: (s: string) => void = () => {}): Promise<CorpusTokenizer> {
  const s: TokenizerSettings = { ...DEFAULT_TOKENIZER, ...settings };
  const path = join(c.dir, 'tokenizer.json');
  const metaPath = join(c.dir, 'tokenizer.meta.json');
  const parts = typeof s.part === 'string' ? [s.part] : [...s.part];
  const want: TokenizerMeta = { ...s, part: parts, files: Object.assign({}, ...parts.map((p) => partDigest(c, p))) };
  if (existsSync(path) && existsSync(metaPath)) {
    let have: unknown;
    try {
      have = JSON.parse(readFileSync(metaPath, 'utf8'));
    } catch {
      have = null;
    }
    if (JSON.stringify(have) === JSON.stringify(want)) return { tokenizer: Tokenizer.load(path), path, trained: false };
    log(`${path} was trained on other data or settings: training a new one`);
  }
  for (const p of parts) if (!c.meta.parts[p]) throw new RegurgitateError('ENOENT', `${c.dir}: no part '${p}' to train the tokenizer on (parts: ${c.parts.join(', ')})`);
  const files = parts.flatMap((p) => [join(c.dir, `${p}.${c.src}`), join(c.dir, `${p}.${c.tgt}`)]);
  const tokenizer = await Tokenizer.trainFiles(files, { vocabSize: s.vocabSize, minFrequency: s.minFrequency });
  writeFileAtomic(path, tokenizer.toJSONString());
  writeFileAtomic(metaPath, JSON.stringify(want, null, 2) + '\n');
  const st = tokenizer.trainStats!;
  log(`trained tokenizer on ${files.join(' + ')}: ${st.vocabSize} tokens in ${st.seconds.toFixed(1)} s -> ${path}`);
  return { tokenizer, path, trained: true };
}

/** Ids of a sentence for the model: special strings stay text; at most `limit` ids. */
export function encodeText(tok: Tokenizer, text: string, limit = Infinity): number[] {
  const ids = tok.encode(text, { specials: false });
  return ids.length > limit ? ids.slice(0, limit) : ids;
}

export interface EncodedPairs {
  pairs: Pair[];
  /** Indices (into the input) of the kept pairs. */
  kept: number[];
  /** Pairs left out because a side is empty or longer than maxLen - 1 tokens. */
  dropped: number;
}

/** Encodes sentence pairs, leaving out those the model cannot hold. */
export function encodePairs(tok: Tokenizer, s: Sides, maxLen: number): EncodedPairs {
  const pairs: Pair[] = [];
  const kept: number[] = [];
  for (let i = 0; i < s.src.length; i++) {
    const src = encodeText(tok, s.src[i]);
    const tgt = encodeText(tok, s.tgt[i]);
    if (src.length === 0 || tgt.length === 0 || src.length > maxLen - 1 || tgt.length > maxLen - 1) continue;
    pairs.push({ src, tgt });
    kept.push(i);
  }
  return { pairs, kept, dropped: s.src.length - pairs.length };
}
