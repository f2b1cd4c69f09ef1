// The `model` generator: a trained run of our engine (RUN/model + RUN/tokenizer.json),
// decoding greedily, with beam search or by sampling.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeInput, validateDecodeOptions, type DecodeOptions } from '../engine/config.js';
import { openRun, type OpenRun } from '../rundir/open.js';
import type { Generated, GenerateOptions, Generator } from './types.js';
import type { Device } from '../native/device.js';

export interface ModelGeneratorOptions {
  name: string;
  /** A run directory made by `regurgitate train` or the experiment runner. */
  run: string;
  decode?: Partial<DecodeOptions>;
  /** Where the model decodes (default 'cpu'). Not part of the generator's identity. */
  device?: Device;
}

export class ModelGenerator implements Generator {
  readonly name: string;
  readonly kind = 'model';
  readonly #run: OpenRun;
  readonly #decode: Partial<DecodeOptions>;
  readonly #weights: string;

  constructor(o: ModelGeneratorOptions) {
    this.name = o.name;
    this.#decode = decodeInput({ ...o.decode });
    validateDecodeOptions(this.#decode);
    this.#run = openRun(o.run, { device: o.device });
    // The weights' hash, not the path, identifies the model: moving a run keeps its cache.
    const modelDir = join(this.#run.dir, 'model');
    this.#weights = createHash('sha256').update(readFileSync(join(modelDir, 'model.safetensors'))).digest('hex');
  }

  identity(): Record<string, unknown> {
    return { kind: this.kind, weights: this.#weights, decode: validateDecodeOptions(this.#decode) };
  }

  generate(sources: readonly string[], o: GenerateOptions = {}): Promise<Generated[]> {
    return this.#run.translate(sources, this.#decode, o);
  }

  async close(): Promise<void> {}
}
