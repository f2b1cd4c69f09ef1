// A real Translator for the serve and openai tests: a byte-level BPE tokenizer and a tiny
// Transformer trained for a few seconds to copy synthetic sentences (enough for varied,
// sentence-specific outputs), decoding greedily.
import { Tokenizer } from '../../ts/src/data/tokenizer/tokenizer.js';
import { fit } from '../../ts/src/engine/trainer.js';
import { Transformer } from '../../ts/src/engine/transformer.js';
import type { TranslatedText, Translator } from '../../ts/src/serve/types.js';
import { rng } from '../helpers.js';

const WORDS = 'the a cat dog house tree red blue big small runs sees eats old new green river city'.split(' ');

/** n synthetic sentences of 3 to 8 words (deterministic for a seed). */
export function sentences(n: number, seed: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 3 + Math.floor(r() * 6) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' '));
}

/** A translator that also counts its calls and the texts it was given. */
export interface ToyTranslator extends Translator {
  calls: number[]; // batch sizes, one per call
}

export async function toyTranslator(): Promise<ToyTranslator> {
  const lines = sentences(400, 1);
  const tok = await Tokenizer.train(lines, { vocabSize: 300 });
  const model = Transformer.create({ preset: 'tiny', vocabSize: tok.vocabSize, maxLen: 64, dropout: 0 }, { seed: 3 });
  const pairs = lines.map((l) => ({ src: tok.encode(l), tgt: tok.encode(l) }));
  await fit(model, pairs, { maxSteps: 120, seed: 1, lr: 3e-3, warmupSteps: 10, maxSentences: 32, maxTokens: 1024 });
  const calls: number[] = [];
  return {
    calls,
    async translate(texts: string[]): Promise<TranslatedText[]> {
      calls.push(texts.length);
      const src = texts.map((t) => tok.encode(t));
      const r = await model.translate(src, { maxLenA: 1, maxLenB: 4 });
      return r.ids.map((ids, i) => ({
        text: tok.decode(ids, { skipSpecial: true }).replace(/\s+/g, ' ').trim(),
        logprob: r.logprobs[i],
        sourceTokens: src[i].length,
        tokens: ids.length,
      }));
    },
  };
}
