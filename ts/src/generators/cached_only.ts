// A generator that cannot run here but whose output was cached where it could: Apertium
// is a Debian package, and a GPU server may have no Apertium (or no network to install
// it). An experiment folder prepared elsewhere holds Apertium's output in DIR/cache; this
// stand-in serves exactly that output and fails, with the reason it could not open, for
// sources it does not hold.
import { RegurgitateError } from '../common/errors.js';
import { findCached, type CachedResult } from './cache.js';
import type { Generated, Generator } from './types.js';

export class CachedOnlyGenerator implements Generator {
  readonly name: string;
  readonly kind: string;
  readonly #accept: (identity: Record<string, unknown>) => boolean;
  readonly #reason: RegurgitateError;

  /** `accept` says which cached identities are this generator's (e.g. kind apertium, mode spa-eng). */
  constructor(o: { name: string; kind: string; accept: (identity: Record<string, unknown>) => boolean; reason: RegurgitateError }) {
    this.name = o.name;
    this.kind = o.kind;
    this.#accept = o.accept;
    this.#reason = o.reason;
  }

  /** The cached output for exactly these sources; fails with the reason the generator is missing. */
  fromCache(dir: string, sources: readonly string[]): CachedResult {
    const r = findCached(dir, sources, this.#accept);
    if (r) return r;
    throw new RegurgitateError(this.#reason.code, `${this.#reason.message}; and ${dir} holds no cached ${this.kind} output for these ${sources.length} sources`, { cause: this.#reason });
  }

  identity(): Record<string, unknown> {
    throw this.#reason;
  }

  async generate(): Promise<Generated[]> {
    throw this.#reason;
  }

  async close(): Promise<void> {}
}
