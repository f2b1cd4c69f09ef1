// Retry policy of the HTTP generators: which failures are worth another attempt, how long
// to wait (the server's Retry-After, else exponential backoff with jitter) and an
// abortable sleep.
import { RegurgitateError } from '../common/errors.js';

/** 408, 409, 429 and 5xx are transient; other 4xx mean the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The wait a response asks for, in ms: `retry-after-ms` (OpenAI, Azure) or `retry-after`
 * as delta-seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const v = headers.get('retry-after');
  if (v === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * A number in [0, 1) from (seed, sentence, attempt): the jitter of a retry depends only on
 * these, never on timing, so a run's retry schedule is reproducible from its seed.
 */
export function jitter(seed: number, index: number, attempt: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.floor(seed / 0x100000000)) >>> 0;
  for (const x of [index, attempt]) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h / 4294967296;
}

/** "Equal jitter" backoff: half of min(max, base * 2^attempt) fixed, half random. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, u: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return cap * (0.5 + 0.5 * u);
}

export function cancelled(what: string): RegurgitateError {
  return new RegurgitateError('ECANCELED', `${what}: cancelled`);
}

/** Resolves after `ms`, or rejects with ECANCELED as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelled(what));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
