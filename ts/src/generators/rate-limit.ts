// A token bucket of capacity 1 (GCRA): requests start at least 60000 / requestsPerMinute
// ms apart, evenly spaced rather than in bursts, which is what per-second limits of
// hosted APIs want. Retries take a slot too: they are requests.
import { sleep } from './retry.js';

export class RateLimiter {
  readonly intervalMs: number;
  #next = 0; // earliest start of the next request (performance.now() time)

  constructor(requestsPerMinute: number) {
    this.intervalMs = 60_000 / requestsPerMinute;
  }

  /** Waits for a slot; rejects with ECANCELED if `signal` aborts first (the slot is then lost). */
  async acquire(signal: AbortSignal | undefined, what: string): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.intervalMs;
    // setTimeout may fire up to 1 ms early (it rounds): wait until the slot has really come.
    for (let t = at - now; t > 0; t = at - performance.now()) await sleep(Math.ceil(t), signal, what);
  }
}
