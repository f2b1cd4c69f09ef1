// The one interface every generator implements: source sentences in, target sentences
// out (aligned by index), with a per-sentence log-probability where the generator has one.

export interface Generated {
  text: string;
  /** Sum of token log-probabilities (natural log), when the generator reports one. */
  logprob?: number;
}

export interface GenerateOptions {
  /** Called as sentences finish (done counts sentences, in any order). */
  onProgress?: (done: number, total: number) => void;
  /** Aborting stops the work; the promise rejects with a RegurgitateError ECANCELED. */
  signal?: AbortSignal;
}

export interface Generator {
  /** Short name used in conditions and reports, e.g. 'low', 'apertium', 'gpt4'. */
  readonly name: string;
  /** The kind: 'model' | 'apertium' | 'openai'. */
  readonly kind: string;
  /**
   * Everything that determines the output (weights hash, decoding settings, endpoint
   * model and prompt...), never secrets. With the sources it forms the cache key.
   */
  identity(): Record<string, unknown>;
  /** Translates every source; result[i] translates sources[i]. */
  generate(sources: readonly string[], options?: GenerateOptions): Promise<Generated[]>;
  /** Releases processes, sockets or models. Idempotent. */
  close(): Promise<void>;
}
