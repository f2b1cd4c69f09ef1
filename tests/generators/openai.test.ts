// The openai generator against small real HTTP servers (node:http on localhost): request
// shape, key handling, ordering and concurrency, retries, timeouts, rate limit, cancel.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import { DEFAULT_PROMPT, OpenAIGenerator, type OpenAIGeneratorOptions } from '../../ts/src/generators/openai.js';
import { completion, reply, sourceOf, stub, type Handle, type Stub } from './stub-server.js';

const KEY_ENV = 'REGURGITATE_TEST_OPENAI_KEY';
const KEY = 'sk-test-3f9a1c7e5b2d4860aa71';
process.env[KEY_ENV] = KEY;

const stubs: Stub[] = [];
const gens: OpenAIGenerator[] = [];
afterEach(async () => {
  await Promise.all(gens.splice(0).map((g) => g.close()));
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

async function server(handle: Handle): Promise<Stub> {
  const s = await stub(handle);
  stubs.push(s);
  return s;
}

function gen(s: Stub | string, o: Partial<OpenAIGeneratorOptions> = {}): OpenAIGenerator {
  const g = new OpenAIGenerator({ name: 'stub', baseUrl: typeof s === 'string' ? s : s.baseUrl, model: 'm1', srcLang: 'German', tgtLang: 'English', retryBaseMs: 5, ...o });
  gens.push(g);
  return g;
}

/** Echo server: the reply is the source upper-cased. */
const echo: Handle = (r, res) => reply(res, 200, completion(sourceOf(r).toUpperCase()));

async function rejection(p: Promise<unknown>): Promise<RegurgitateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegurgitateError);
    return e as RegurgitateError;
  }
  throw new Error('expected a rejection');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('openai generator: options', () => {
  const ok = { name: 'g', baseUrl: 'http://localhost:8000/v1', model: 'm', srcLang: 'de', tgtLang: 'en' };
  it('rejects bad options with EINVAL naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...ok, baseUrl: undefined }, /openai\.baseUrl is required/],
      [{ ...ok, baseUrl: 'localhost:8000' }, /openai\.baseUrl must use http or https/],
      [{ ...ok, baseUrl: 'not a url' }, /openai\.baseUrl must be an absolute http\(s\) URL/],
      [{ ...ok, baseUrl: 'http://user:pw@h/v1' }, /openai\.baseUrl must not contain credentials/],
      [{ ...ok, name: 'a:b' }, /openai\.name must be/],
      [{ ...ok, model: '' }, /openai\.model must be a non-empty string/],
      [{ ...ok, temperature: 3 }, /openai\.temperature must be a finite number in \[0, 2\] \(got 3\)/],
      [{ ...ok, concurrency: 0 }, /openai\.concurrency must be an integer in \[1, 1024\]/],
      [{ ...ok, retries: 1.5 }, /openai\.retries must be an integer/],
      [{ ...ok, timeoutMs: -1 }, /openai\.timeoutMs must be/],
      [{ ...ok, requestsPerMinute: 0 }, /openai\.requestsPerMinute must be a finite number/],
      [{ ...ok, maxTokens: 0 }, /openai\.maxTokens must be an integer/],
      [{ ...ok, seed: -1 }, /openai\.seed must be an integer/],
      [{ ...ok, logprobs: 'yes' }, /openai\.logprobs must be true or false/],
      [{ ...ok, prompt: 'Translate please' }, /openai\.prompt must contain the placeholder \{source\}/],
      [{ ...ok, temprature: 0 }, /openai\.temprature is not a known option \(did you mean openai\.temperature\?\)/],
      [{ ...ok, apiKeyEnv: 'sk-abc123 def' }, /openai\.apiKeyEnv must be the NAME of an environment variable/],
      [{ ...ok, apiKeyEnv: 'REGURGITATE_TEST_UNSET_VARIABLE' }, /environment variable REGURGITATE_TEST_UNSET_VARIABLE is not set/],
    ];
    for (const [o, re] of cases) {
      let err: unknown;
      try {
        new OpenAIGenerator(o as unknown as OpenAIGeneratorOptions);
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(RegurgitateError);
      expect((err as RegurgitateError).code).toBe('EINVAL');
      expect((err as Error).message).toMatch(re);
    }
  });

  it('identity() holds what determines the output, never the key', () => {
    const g = gen('http://localhost:8000/v1/', { apiKeyEnv: KEY_ENV, seed: 7, system: 'You translate.' });
    expect(g.kind).toBe('openai');
    expect(g.identity()).toEqual({
      kind: 'openai', baseUrl: 'http://localhost:8000/v1', model: 'm1', prompt: DEFAULT_PROMPT, system: 'You translate.',
      srcLang: 'German', tgtLang: 'English', temperature: 0, maxTokens: 256, seed: 7, logprobs: false,
    });
    for (const text of [JSON.stringify(g.identity()), JSON.stringify(g), inspect(g, { showHidden: true, depth: 5 })]) expect(text).not.toContain(KEY);
  });
});

describe('openai generator: requests and replies', () => {
  it('sends the chat request with the Bearer key; results keep input order at the concurrency limit', async () => {
    let inflight = 0;
    let maxInflight = 0;
    const s = await server(async (r, res) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await sleep(((sourceOf(r).length * 7) % 5) * 10); // replies finish out of order
      inflight--;
      reply(res, 200, completion(sourceOf(r).toUpperCase()));
    });
    const sources = Array.from({ length: 20 }, (_, i) => `Satz ${i} ${'x'.repeat(1 + (i % 7))}`);
    const g = gen(s, { apiKeyEnv: KEY_ENV, concurrency: 3, system: 'You are a translator.', seed: 11, maxTokens: 100 });
    const progress: [number, number][] = [];
    const out = await g.generate(sources, { onProgress: (d, t) => progress.push([d, t]) });
    expect(out).toEqual(sources.map((x) => ({ text: x.toUpperCase() })));
    expect(maxInflight).toBe(3);
    expect(progress).toEqual(sources.map((_, i) => [i + 1, 20]));
    expect(s.requests).toHaveLength(20);
    const r = s.requests[0];
    expect(r.url).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({
      model: 'm1',
      messages: [
        { role: 'system', content: 'You are a translator.' },
        { role: 'user', content: DEFAULT_PROMPT.replace('{src_lang}', 'German').replace('{tgt_lang}', 'English').replace('{source}', sourceOf(r)) },
      ],
      temperature: 0,
      max_tokens: 100,
      seed: 11,
    });
  });

  it('fills a custom prompt in one pass; no Authorization header without apiKeyEnv', async () => {
    const s = await server(echo);
    const g = gen(s, { prompt: '{src_lang}>{tgt_lang}: {source}' });
    await g.generate(['a {tgt_lang} b']);
    expect(s.requests[0].body.messages).toEqual([{ role: 'user', content: 'German>English: a {tgt_lang} b' }]);
    expect(s.requests[0].headers.authorization).toBeUndefined();
  });

  it('collapses a reply to one trimmed line; sums logprobs, requested only when asked', async () => {
    const s = await server((_, res) => reply(res, 200, completion('  Erste Zeile\n  zweite  Zeile \r\n\n', [-0.5, -1.25, -0.25])));
    const [a] = await gen(s).generate(['x']);
    expect(a).toEqual({ text: 'Erste Zeile zweite  Zeile', logprob: -2 });
    expect(s.requests[0].body.logprobs).toBeUndefined();
    await gen(s, { logprobs: true }).generate(['x']);
    expect(s.requests[1].body.logprobs).toBe(true);
  });

  it('an empty source list makes no request', async () => {
    const s = await server(echo);
    expect(await gen(s).generate([])).toEqual([]);
    expect(s.requests).toHaveLength(0);
  });
});

describe('openai generator: failures', () => {
  it('401 fails at once, naming URL, status and the server message, without the key', async () => {
    // The server echoes the Authorization header in its message, as some do.
    const s = await server((r, res) => reply(res, 401, JSON.stringify({ error: { message: `Incorrect API key provided: ${r.headers.authorization}`, type: 'invalid_request_error' } })));
    const g = gen(s, { apiKeyEnv: KEY_ENV, retries: 5 });
    const e = await rejection(g.generate(['a', 'b', 'c']));
    expect(e.code).toBe('EIO');
    expect(e.message).toContain(`POST ${s.baseUrl}/chat/completions`);
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toContain('Incorrect API key provided');
    expect(e.message).not.toContain(KEY);
    expect(inspect(e, { depth: 5 })).not.toContain(KEY);
    expect(s.requests.length).toBeLessThanOrEqual(3); // no retries: at most one request per sentence in flight
    expect(s.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('400, 403 and 404 are not retried', async () => {
    for (const status of [400, 403, 404]) {
      const s = await server((_, res) => reply(res, status, JSON.stringify({ error: { message: `nope ${status}` } })));
      const e = await rejection(gen(s, { concurrency: 1 }).generate(['a']));
      expect(e.message).toMatch(new RegExp(`sentence 0: POST .*: HTTP ${status} .*: nope ${status}$`));
      expect(s.requests).toHaveLength(1);
    }
  });

  it('retries 503 with backoff, then succeeds', async () => {
    const s = await server((r, res, n) => (n <= 2 ? reply(res, 503, '{"error":{"message":"overloaded"}}') : echo(r, res, n)));
    const out = await gen(s, { retryBaseMs: 40, seed: 3 }).generate(['hallo']);
    expect(out).toEqual([{ text: 'HALLO' }]);
    expect(s.requests).toHaveLength(3);
    const [a, b, c] = s.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(19); // equal jitter: at least half of 40 ms
    expect(c - b).toBeGreaterThanOrEqual(39); // then half of 80 ms
  });

  it('honours Retry-After on 429', async () => {
    const s = await server((r, res, n) => (n === 1 ? reply(res, 429, '{"error":{"message":"slow down"}}', { 'retry-after': '1' }) : echo(r, res, n)));
    const out = await gen(s, { retryBaseMs: 1 }).generate(['hallo']);
    expect(out).toEqual([{ text: 'HALLO' }]);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].at - s.requests[0].at).toBeGreaterThanOrEqual(990);
  });

  it('gives up after `retries` extra attempts, saying how many', async () => {
    const s = await server((_, res) => reply(res, 500, 'upstream exploded'));
    const e = await rejection(gen(s, { retries: 2 }).generate(['a']));
    expect(e.code).toBe('EIO');
    expect(e.message).toMatch(/sentence 0 after 3 attempts: POST .*: HTTP 500 Internal Server Error: upstream exploded/);
    expect(s.requests).toHaveLength(3);
  });

  it('times out an attempt after timeoutMs and retries it', async () => {
    const s = await server(() => undefined); // never answers
    const t0 = performance.now();
    const e = await rejection(gen(s, { timeoutMs: 100, retries: 1 }).generate(['a']));
    expect(e.code).toBe('EIO');
    expect(e.message).toMatch(/after 2 attempts: .*no complete reply within timeoutMs = 100 ms/);
    expect(s.requests).toHaveLength(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('retries network errors (connection refused)', async () => {
    const s = await server(echo);
    const url = s.baseUrl;
    await s.close();
    stubs.length = 0;
    const e = await rejection(gen(url, { retries: 1 }).generate(['a']));
    expect(e.code).toBe('EIO');
    expect(e.message).toMatch(/after 2 attempts: POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: network error: .*ECONNREFUSED/);
  });

  it('a 200 that is not a chat completion fails with EFORMAT, not retried', async () => {
    const s = await server((_, res) => reply(res, 200, '{"choices": []}'));
    const e = await rejection(gen(s).generate(['a']));
    expect(e.code).toBe('EFORMAT');
    expect(e.message).toContain('no choices[0].message.content');
    expect(s.requests).toHaveLength(1);
  });

  it('one failing sentence fails the call and names the sentence', async () => {
    const s = await server((r, res, n) => (sourceOf(r) === 'bad' ? reply(res, 400, '{"error":{"message":"bad input"}}') : echo(r, res, n)));
    const e = await rejection(gen(s, { concurrency: 1 }).generate(['ok', 'fine', 'bad', 'never']));
    expect(e.message).toMatch(/sentence 2: .*HTTP 400 .*bad input/);
    expect(s.requests.map(sourceOf)).toEqual(['ok', 'fine', 'bad']); // the rest is not sent
  });
});

describe('openai generator: rate limit and cancellation', () => {
  it('requestsPerMinute spaces request starts evenly', async () => {
    const s = await server(echo);
    await gen(s, { concurrency: 4 }).generate(['a', 'b', 'c', 'd']);
    const free = s.requests.map((r) => r.at);
    expect(Math.max(...free) - Math.min(...free)).toBeLessThan(90); // unlimited: all at once
    s.requests.length = 0;
    await gen(s, { concurrency: 4, requestsPerMinute: 600 }).generate(['a', 'b', 'c', 'd', 'e', 'f']);
    const at = s.requests.map((r) => r.at).sort((x, y) => x - y);
    // 600 a minute: one start every 100 ms. Arrival times at the server jitter with the
    // machine's load, so: no burst between two requests, and the whole span holds the spacing.
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(60);
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual((at.length - 1) * 100 - 25);
  });

  it('an AbortSignal cancels with ECANCELED: in flight, before start, and during a backoff', async () => {
    const hang = await server(() => undefined);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const t0 = performance.now();
    const e = await rejection(gen(hang, { concurrency: 2 }).generate(['a', 'b', 'c'], { signal: ctl.signal }));
    expect(e.code).toBe('ECANCELED');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(hang.requests).toHaveLength(2);

    const pre = await rejection(gen(hang).generate(['a'], { signal: AbortSignal.abort() }));
    expect(pre.code).toBe('ECANCELED');
    expect(hang.requests).toHaveLength(2);

    const busy = await server((_, res) => reply(res, 503, '{}'));
    const ctl2 = new AbortController();
    const p = gen(busy, { retryBaseMs: 60_000 }).generate(['a'], { signal: ctl2.signal });
    while (busy.requests.length === 0) await sleep(5);
    const t1 = performance.now();
    ctl2.abort();
    expect((await rejection(p)).code).toBe('ECANCELED');
    expect(performance.now() - t1).toBeLessThan(1000);
  });

  it('close() cancels a running generate(); later calls are refused', async () => {
    const hang = await server(() => undefined);
    const g = gen(hang);
    const p = g.generate(['a']);
    while (hang.requests.length === 0) await sleep(5);
    await g.close();
    await g.close(); // idempotent
    expect((await rejection(p)).code).toBe('ECANCELED');
    const e = await rejection(g.generate(['a']));
    expect([e.code, e.message]).toEqual(['EINVAL', 'openai generator "stub" is closed']);
  });
});
