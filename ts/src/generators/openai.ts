// The openai generator: translates with any OpenAI-compatible chat-completions endpoint
// (OpenAI, vLLM, llama.cpp server, Ollama, `regurgitate serve`), one request per
// sentence, at most `concurrency` in flight, with retries, a timeout per attempt and an
// optional rate limit. The API key is held in a private field and redacted from every
// message: it never reaches identity(), errors or logs.
import { describe, invalid, RegurgitateError } from '../common/errors.js';
import { fillPrompt, oneLine } from './prompt.js';
import { RateLimiter } from './rate-limit.js';
import { backoffMs, cancelled, isRetryableStatus, jitter, retryAfterMs, sleep } from './retry.js';
import { resolveOpenAIOptions, type OpenAIGeneratorOptions, type ResolvedOpenAIOptions } from './openai-options.js';
import type { Generated, GenerateOptions, Generator } from './types.js';

export type { OpenAIGeneratorOptions } from './openai-options.js';
export { DEFAULT_PROMPT } from './prompt.js';

/** What one attempt came to: a result, or a failure that may be retried. */
type Attempt = { ok: Generated } | { error: RegurgitateError; retryable: boolean; waitMs?: number };

interface Reply {
  status: number;
  statusText: string;
  headers: Headers;
  body: string;
}

export class OpenAIGenerator implements Generator {
  readonly name: string;
  readonly kind = 'openai';
  readonly #o: ResolvedOpenAIOptions;
  readonly #key: string | undefined;
  readonly #url: string;
  readonly #limiter: RateLimiter | undefined;
  readonly #closed = new AbortController(); // aborts running generate() calls on close()

  constructor(options: OpenAIGeneratorOptions) {
    const { options: o, apiKey } = resolveOpenAIOptions(options);
    this.#o = o;
    this.#key = apiKey;
    this.name = o.name;
    this.#url = `${o.baseUrl}/chat/completions`;
    this.#limiter = o.requestsPerMinute === null ? undefined : new RateLimiter(o.requestsPerMinute);
  }

  identity(): Record<string, unknown> {
    const o = this.#o;
    return {
      kind: this.kind,
      baseUrl: o.baseUrl,
      model: o.model,
      prompt: o.prompt,
      system: o.system,
      srcLang: o.srcLang,
      tgtLang: o.tgtLang,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
      seed: o.seed,
      logprobs: o.logprobs,
    };
  }

  async generate(sources: readonly string[], options: GenerateOptions = {}): Promise<Generated[]> {
    const what = `openai generator "${this.name}"`;
    if (!Array.isArray(sources)) throw invalid(`${what}: sources must be an array of strings (got ${describe(sources)})`);
    sources.forEach((s, i) => {
      if (typeof s !== 'string') throw invalid(`${what}: sources[${i}] must be a string (got ${describe(s)})`);
    });
    if (typeof options !== 'object' || options === null) throw invalid(`${what}: generate options must be an object (got ${describe(options)})`);
    const { onProgress, signal } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid(`${what}: onProgress must be a function (got ${describe(onProgress)})`);
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid(`${what}: signal must be an AbortSignal (got ${describe(signal)})`);
    if (this.#closed.signal.aborted) throw invalid(`${what} is closed`);
    if (signal?.aborted) throw cancelled(what);

    // One signal for the whole call: the caller's, close(), or the first fatal error.
    const stop = new AbortController();
    const onStop = () => stop.abort();
    signal?.addEventListener('abort', onStop, { once: true });
    this.#closed.signal.addEventListener('abort', onStop, { once: true });

    const n = sources.length;
    const results: Generated[] = new Array(n);
    let next = 0;
    let done = 0;
    let failure: unknown;
    const worker = async () => {
      while (!stop.signal.aborted) {
        const i = next++;
        if (i >= n) return;
        try {
          results[i] = await this.#translate(sources[i], i, stop.signal);
          done++;
          onProgress?.(done, n);
        } catch (e) {
          if (failure === undefined && !stop.signal.aborted) failure = e;
          stop.abort();
          return;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, n) }, worker));
    } finally {
      signal?.removeEventListener('abort', onStop);
      this.#closed.signal.removeEventListener('abort', onStop);
    }
    if (signal?.aborted || this.#closed.signal.aborted) throw cancelled(what);
    if (failure !== undefined) throw failure;
    return results;
  }

  async close(): Promise<void> {
    this.#closed.abort();
  }

  /** One sentence: attempts until success, a non-retryable failure, or retries run out. */
  async #translate(source: string, index: number, signal: AbortSignal): Promise<Generated> {
    const body = JSON.stringify(this.#requestBody(source));
    const what = `openai generator "${this.name}"`;
    for (let attempt = 0; ; attempt++) {
      await this.#limiter?.acquire(signal, what);
      const a = await this.#attempt(body, signal);
      if ('ok' in a) return a.ok;
      const tries = attempt + 1;
      if (!a.retryable || attempt >= this.#o.retries) {
        const after = a.retryable ? ` after ${tries} attempt${tries === 1 ? '' : 's'}` : '';
        throw new RegurgitateError(a.error.code, `${what}: sentence ${index}${after}: ${a.error.message}`, { cause: a.error.cause });
      }
      const o = this.#o;
      await sleep(a.waitMs ?? backoffMs(attempt, o.retryBaseMs, o.retryMaxMs, jitter(o.seed ?? 0, index, attempt)), signal, what);
    }
  }

  #requestBody(source: string): Record<string, unknown> {
    const o = this.#o;
    const messages: { role: string; content: string }[] = [];
    if (o.system !== null) messages.push({ role: 'system', content: o.system });
    messages.push({ role: 'user', content: fillPrompt(o.prompt, { source, src_lang: o.srcLang, tgt_lang: o.tgtLang }) });
    const body: Record<string, unknown> = { model: o.model, messages, temperature: o.temperature, max_tokens: o.maxTokens };
    if (o.seed !== null) body.seed = o.seed;
    if (o.logprobs) body.logprobs = true;
    return body;
  }

  /** One POST, bounded by timeoutMs (headers and body). Rejects only with ECANCELED. */
  async #attempt(body: string, signal: AbortSignal): Promise<Attempt> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.#o.timeoutMs);
    const onAbort = () => ctl.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#key !== undefined) headers.authorization = `Bearer ${this.#key}`;
    let reply: Reply;
    try {
      const res = await fetch(this.#url, { method: 'POST', headers, body, signal: ctl.signal });
      reply = { status: res.status, statusText: res.statusText, headers: res.headers, body: await res.text() };
    } catch (e) {
      if (signal.aborted) throw cancelled(`openai generator "${this.name}"`);
      if (timedOut) return this.#fail('EIO', `no complete reply within timeoutMs = ${this.#o.timeoutMs} ms`, true);
      return this.#fail('EIO', `network error: ${networkMessage(e)}`, true, e);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    if (reply.status < 200 || reply.status > 299) {
      const retryable = isRetryableStatus(reply.status);
      const f = this.#fail('EIO', `HTTP ${reply.status}${reply.statusText ? ' ' + reply.statusText : ''}: ${serverMessage(reply.body)}`, retryable);
      return retryable ? { ...f, waitMs: retryAfterMs(reply.headers) } : f;
    }
    return this.#parse(reply.body);
  }

  /** A chat.completion reply: the first choice's content on one line, and its logprob if any. */
  #parse(text: string): Attempt {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      return this.#fail('EFORMAT', `the reply is not JSON: ${clip(text)}`, false);
    }
    const choice = (j as { choices?: unknown })?.choices;
    const first = Array.isArray(choice) ? (choice[0] as Record<string, unknown> | undefined) : undefined;
    const content = (first?.message as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string') {
      const reason = typeof first?.finish_reason === 'string' ? ` (finish_reason ${first.finish_reason})` : '';
      return this.#fail('EFORMAT', `the reply has no choices[0].message.content string${reason}: ${clip(text)}`, false);
    }
    const out: Generated = { text: oneLine(content) };
    const lp = sumLogprobs(first?.logprobs);
    if (lp !== undefined) out.logprob = lp;
    return { ok: out };
  }

  #fail(code: string, message: string, retryable: boolean, cause?: unknown): Attempt {
    // The URL never holds the key (credentials are refused in baseUrl); a server may echo it.
    let m = `POST ${this.#url}: ${message}`;
    if (this.#key !== undefined) m = m.split(this.#key).join('[redacted]');
    return { error: new RegurgitateError(code, m, cause === undefined ? undefined : { cause }), retryable };
  }
}

/** Creates an openai generator (same as `new OpenAIGenerator(options)`). */
export function createOpenAIGenerator(options: OpenAIGeneratorOptions): OpenAIGenerator {
  return new OpenAIGenerator(options);
}

/** Sum of choices[0].logprobs.content[].logprob, when every entry has a finite one. */
function sumLogprobs(x: unknown): number | undefined {
  const content = (x as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content) || content.length === 0) return undefined;
  let sum = 0;
  for (const t of content) {
    const lp = (t as { logprob?: unknown } | null)?.logprob;
    if (typeof lp !== 'number' || !Number.isFinite(lp)) return undefined;
    sum += lp;
  }
  return sum;
}

function clip(s: string, n = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? t.slice(0, n) + '…' : t === '' ? '(empty body)' : t;
}

/** The server's own words: {error:{message}} (OpenAI, vLLM), {error:"..."} (Ollama), {message}, {detail}, else the body. */
function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const e = j?.error;
    if (typeof e === 'string') return clip(e);
    const m = (e as { message?: unknown } | undefined)?.message ?? j?.message ?? j?.detail;
    if (typeof m === 'string') return clip(m);
  } catch {
    // not JSON: the body itself
  }
  return clip(body);
}

/** fetch() says "fetch failed"; the reason (ECONNREFUSED ...) is in its cause. */
function networkMessage(e: unknown): string {
  const c = (e as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (c && typeof c.message === 'string') return typeof c.code === 'string' && !c.message.includes(c.code) ? `${c.code} ${c.message}` : c.message;
  return e instanceof Error ? e.message : String(e);
}
