#!/usr/bin/env node
// Tokenizer speed: BPE training time and encoding throughput, as JSON lines, with
// @huggingface/tokenizers (tokenizers.js) encoding the same text with the same
// tokenizer.json as the peer. Needs `npm run build:ts` first.
//
//   node scripts/bench_tokenizer.mjs --input DIR/train.es,DIR/train.en [--merges 8000] [--encode FILE,FILE]
//
// Without --input it prepares the bible corpus (needs the SWORD packages) in a
// temporary directory and trains on all of it (train + dev + test, both languages).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const { Tokenizer } = await import(dist('data/tokenizer/index.js'));
const { prepareBible } = await import(dist('data/prepare.js'));

const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const merges = Number(flag('merges', '8000'));
let tmp;
let input = flag('input')?.split(',');
if (!input) {
  tmp = mkdtempSync(join(tmpdir(), 'rg-bench-tok-'));
  await prepareBible('es-en', { out: tmp, parts: { all: 'rest' } });
  input = [join(tmp, 'all.es'), join(tmp, 'all.en')];
}
const encodeFiles = flag('encode')?.split(',') ?? input;
const lines = encodeFiles.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== ''));

const t0 = performance.now();
const tok = await Tokenizer.trainFiles(input, { vocabSize: 260 + merges });
const trainS = (performance.now() - t0) / 1000;
const s = tok.trainStats;
console.log(JSON.stringify({ op: 'tokenizer_train', lines: s.lines, words: s.words, distinct_words: s.distinctWords, merges: s.merges, vocab: s.vocabSize, seconds: +trainS.toFixed(3) }));

function encodeRate(encode, label, passes = 3) {
  let best = Infinity;
  let tokens = 0;
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    let n = 0;
    for (const l of lines) n += encode(l);
    best = Math.min(best, (performance.now() - t) / 1000);
    tokens = n;
  }
  const r = { op: 'tokenizer_encode', impl: label, lines: lines.length, tokens, seconds: +best.toFixed(3), tokens_per_s: Math.round(tokens / best) };
  console.log(JSON.stringify(r));
  return r;
}
const cold = Tokenizer.fromJSON(tok.toJSON());
const t1 = performance.now();
let coldTokens = 0;
for (const l of lines) coldTokens += cold.encode(l).length;
const coldS = (performance.now() - t1) / 1000;
console.log(JSON.stringify({ op: 'tokenizer_encode', impl: 'regurgitate (first pass, empty cache)', lines: lines.length, tokens: coldTokens, seconds: +coldS.toFixed(3), tokens_per_s: Math.round(coldTokens / coldS) }));
const ours = encodeRate((l) => tok.encode(l).length, 'regurgitate');
try {
  const { Tokenizer: Hf } = await import('@huggingface/tokenizers');
  const hf = new Hf(tok.toJSON(), {});
  const peer = encodeRate((l) => hf.encode(l, { add_special_tokens: false }).ids.length, '@huggingface/tokenizers');
  console.log(JSON.stringify({ op: 'tokenizer_encode_ratio', vs: '@huggingface/tokenizers', ratio: +(ours.tokens_per_s / peer.tokens_per_s).toFixed(2) }));
} catch (e) {
  console.log(JSON.stringify({ op: 'tokenizer_encode', impl: '@huggingface/tokenizers', error: String(e.message ?? e) }));
}
if (tmp) rmSync(tmp, { recursive: true, force: true });
