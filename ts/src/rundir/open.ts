// A trained run, opened for translation: RUN/model + RUN/tokenizer.json. Text in, text
// out; sentences are translated in length-sorted chunks so progress can be reported
// and cancellation takes effect between chunks.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { validateDecodeOptions, type DecodeOptions } from '../engine/config.js';
import { RegurgitateError } from '../common/errors.js';
import { Transformer } from '../engine/transformer.js';
import { Tokenizer } from '../data/tokenizer/index.js';
import type { Generated, GenerateOptions } from '../generators/types.js';
import type { Device } from '../native/device.js';
import { encodeText } from './tokenize.js';

export interface OpenRun {
  dir: string;
  model: Transformer;
  tokenizer: Tokenizer;
  /** Translates texts; result[i] translates texts[i]. */
  translate(texts: readonly string[], decode?: Partial<DecodeOptions>, o?: GenerateOptions): Promise<Generated[]>;
}

/** Opens RUN (a run directory) or a bare model directory with a tokenizer.json beside it. */
export function openRun(dir: string, o: { device?: Device } = {}): OpenRun {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new RegurgitateError('ENOENT', `${abs}: no such run directory`);
  const modelDir = existsSync(join(abs, 'model', 'model.safetensors')) ? join(abs, 'model') : abs;
  const tokPath = [join(abs, 'tokenizer.json'), join(modelDir, 'tokenizer.json')].find((p) => existsSync(p));
  if (!existsSync(join(modelDir, 'model.safetensors')))
    throw new RegurgitateError('ENOENT', `${abs}: no trained model (expected ${join(abs, 'model', 'model.safetensors')}; is training finished? 'regurgitate train' resumes it)`);
  if (!tokPath) throw new RegurgitateError('ENOENT', `${abs}: no tokenizer.json`);
  const model = Transformer.load(modelDir, { device: o.device });
  const tokenizer = Tokenizer.load(tokPath);
  if (tokenizer.vocabSize !== model.config.vocabSize)
    throw new RegurgitateError('EFORMAT', `${tokPath} has ${tokenizer.vocabSize} tokens but the model's vocabulary has ${model.config.vocabSize}: they do not belong together`);
  return { dir: abs, model, tokenizer, translate: (t, d, o) => translateTexts(model, tokenizer, t, d, o) };
}

const CHUNK = 512;

export async function translateTexts(
  model: Transformer,
  tok: Tokenizer,
  texts: readonly string[],
  decode: Partial<DecodeOptions> = {},
  o: GenerateOptions = {},
): Promise<Generated[]> {
  validateDecodeOptions(decode); // bad options fail before any work
  const limit = model.config.maxLen - 1; // longer sources are cut (the model cannot read more)
  const ids = texts.map((t) => encodeText(tok, t, limit));
  const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
  const out: Generated[] = new Array(texts.length);
  let done = 0;
  for (let at = 0; at < order.length; at += CHUNK) {
    if (o.signal?.aborted) throw new RegurgitateError('ECANCELED', 'translation cancelled');
    const part = order.slice(at, at + CHUNK).filter((i) => ids[i].length > 0);
    if (part.length) {
      const r = await model.translate(part.map((i) => ids[i]), decode);
      part.forEach((i, k) => {
        // One line per translation, whatever bytes the model emits.
        out[i] = { text: tok.decode(r.ids[k], { skipSpecial: true }).replace(/\s+/g, ' ').trim(), logprob: r.logprobs[k] };
      });
    }
    for (const i of order.slice(at, at + CHUNK)) if (!out[i]) out[i] = { text: '' }; // empty source, empty output
    done = Math.min(order.length, at + CHUNK);
    o.onProgress?.(done, texts.length);
  }
  return out;
}
