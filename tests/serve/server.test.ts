// regurgitate serve against a real translator (tiny trained Transformer + BPE tokenizer),
// over real sockets: the openai generator as client, batching, errors, graceful close.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OpenAIGenerator } from '../../ts/src/generators/openai.js';
import { DEFAULT_PROMPT, fillPrompt } from '../../ts/src/generators/prompt.js';
import { extractSource } from '../../ts/src/serve/extract.js';
import { startServer, type RunningServer } from '../../ts/src/serve/server.js';
import type { TranslatedText, Translator } from '../../ts/src/serve/types.js';
import { sentences, toyTranslator, type ToyTranslator } from './toy-translator.js';

let toy: ToyTranslator;
let server: RunningServer;
const logLines: string[] = [];

beforeAll(async () => {
  toy = await toyTranslator();
  server = await startServer({ translator: toy, modelName: 'toy-copy', log: (l) => logLines.push(l) });
});
afterAll(async () => {
  await server?.close();
});

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (path: string, body: unknown, init: RequestInit = {}) =>
  fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });

async function errorOf(r: Response): Promise<{ status: number; message: string; type: string; code: string; param: string | null }> {
  const j = (await r.json()) as { error: { message: string; type: string; code: string; param: string | null } };
  expect(Object.keys(j)).toEqual(['error']);
  return { status: r.status, ...j.error };
}

describe('extractSource', () => {
  it("takes the text after the last line ending with ':', else the whole content", () => {
    const src = 'Er sagte:';
    expect(extractSource(fillPrompt(DEFAULT_PROMPT, { source: src, src_lang: 'German', tgt_lang: 'English' }))).toBe(src);
    expect(extractSource('Das ist ein Haus.')).toBe('Das ist ein Haus.');
    expect(extractSource('  Ein Satz: mit Doppelpunkt.  ')).toBe('Ein Satz: mit Doppelpunkt.');
    expect(extractSource('Translate into French:\r\nthe cat\r\n\r\n')).toBe('the cat');
    expect(extractSource('line one\nline two')).toBe('line one\nline two');
  });
});

describe('serve + openai generator', () => {
  it('50 sentences at concurrency 8: in order, equal to the translator called one by one, and batched', async () => {
    const src = sentences(50, 7);
    const direct: TranslatedText[] = [];
    for (const s of src) direct.push((await toy.translate([s]))[0]);
    expect(new Set(direct.map((d) => d.text)).size).toBeGreaterThan(40); // outputs tell sentences apart
    toy.calls.length = 0;
    const gen = new OpenAIGenerator({ name: 'toy', baseUrl: `${server.url}/v1`, model: 'toy-copy', srcLang: 'Toy', tgtLang: 'Toy', concurrency: 8, logprobs: true });
    const progress: number[] = [];
    const out = await gen.generate(src, { onProgress: (d, t) => progress.push(d * 1000 + t) });
    expect(out.map((o) => o.text)).toEqual(direct.map((d) => d.text));
    out.forEach((o, i) => expect(o.logprob).toBeCloseTo(direct[i].logprob!, 3));
    expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => (i + 1) * 1000 + 50));
    // Batching: fewer translator calls than requests, some with several sentences.
    expect(toy.calls.reduce((a, b) => a + b, 0)).toBe(50);
    expect(toy.calls.length).toBeLessThan(50);
    expect(Math.max(...toy.calls)).toBeGreaterThan(1);
    expect(logLines.some((l) => /^batch of \d+ translated/.test(l))).toBe(true);
    await gen.close();
  });

  it('returns a chat.completion object with usage and, when asked, logprobs', async () => {
    const s = 'the big cat sees a river';
    const [d] = await toy.translate([s]);
    const r = await post('/v1/chat/completions', { model: 'toy-copy', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: s }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const j = (await r.json()) as any;
    expect(j.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(j.object).toBe('chat.completion');
    expect(Math.abs(j.created - Date.now() / 1000)).toBeLessThan(5);
    expect(j.model).toBe('toy-copy');
    expect(j.choices).toEqual([{ index: 0, message: { role: 'assistant', content: d.text }, logprobs: null, finish_reason: 'stop' }]);
    expect(j.usage).toEqual({ prompt_tokens: d.sourceTokens, completion_tokens: d.tokens, total_tokens: d.sourceTokens! + d.tokens! });

    // Content as text parts, logprobs asked: one entry holding the sentence's sum.
    const r2 = await post('/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Translate:\n' }, { type: 'text', text: s }] }], logprobs: true });
    const j2 = (await r2.json()) as any;
    expect(j2.choices[0].message.content).toBe(d.text);
    expect(j2.choices[0].logprobs.content).toHaveLength(1);
    expect(j2.choices[0].logprobs.content[0].logprob).toBeCloseTo(d.logprob!, 3);
  });

  it('lists the model and reports health; a port in use is EBUSY', async () => {
    const m = await fetch(`${server.url}/v1/models`);
    expect(m.status).toBe(200);
    const j = (await m.json()) as any;
    expect(j.object).toBe('list');
    expect(j.data.map((x: any) => [x.id, x.object])).toEqual([['toy-copy', 'model']]);
    expect(((await (await fetch(`${server.url}/v1/models/toy-copy`)).json()) as any).id).toBe('toy-copy');
    const other = await fetch(`${server.url}/v1/models/other`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    // A port in use: EBUSY naming the address.
    await expect(startServer({ translator: toy, modelName: 'x', port: server.port })).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining(`127.0.0.1:${server.port}`) });
    const h = await fetch(`${server.url}/health`);
    expect([h.status, ((await h.json()) as any).status]).toEqual([200, 'ok']);
  });
});

describe('serve errors', () => {
  it('400 for bad JSON, missing or mistyped fields, no user message, stream: true', async () => {
    const cases: [unknown, RegExp, string | null][] = [
      ['{"messages": [', /not valid JSON/, null],
      ['[1, 2]', /must be a JSON object \(got array\)/, null],
      [{}, /messages is required/, 'messages'],
      [{ messages: 'hello' }, /messages must be an array \(got string\)/, 'messages'],
      [{ messages: [] }, /messages must not be empty/, 'messages'],
      [{ messages: [{ role: 'user', content: 42 }] }, /messages\[0\]\.content must be a string or an array/, 'messages[0].content'],
      [{ messages: [{ content: 'hi' }] }, /messages\[0\]\.role must be a string/, 'messages[0].role'],
      [{ messages: [{ role: 'system', content: 'hi' }] }, /must contain a user message/, 'messages'],
      [{ model: 7, messages: [{ role: 'user', content: 'hi' }] }, /model must be a string/, 'model'],
      [{ messages: [{ role: 'user', content: 'hi' }], stream: true }, /streaming is not supported/, 'stream'],
      [{ messages: [{ role: 'user', content: 'hi' }], n: 3 }, /n must be 1/, 'n'],
    ];
    for (const [body, msg, param] of cases) {
      const e = await errorOf(await post('/v1/chat/completions', body));
      expect(e.status, String(msg)).toBe(400);
      expect(e.message).toMatch(msg);
      expect(e.type).toBe('invalid_request_error');
      expect(e.param).toBe(param);
    }
  });

  it('404 model_not_found for a model the server does not serve, in OpenAI\'s shape; a missing model is the served one', async () => {
    const r = await post('/v1/chat/completions', { model: 'gpt-9', messages: [{ role: 'user', content: 'a cat' }] });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const j = (await r.json()) as any;
    expect(Object.keys(j)).toEqual(['error']);
    expect(j.error).toEqual({ message: expect.stringMatching(/'gpt-9' does not exist.*'toy-copy'/), type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    // The name /v1/models lists is accepted; so is a request naming none.
    expect((await post('/v1/chat/completions', { model: 'toy-copy', messages: [{ role: 'user', content: 'a cat' }] })).status).toBe(200);
    expect((await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'a cat' }] })).status).toBe(200);
  });

  it('415 for a body that is not declared JSON, in OpenAI\'s shape', async () => {
    const body = JSON.stringify({ model: 'toy-copy', messages: [{ role: 'user', content: 'a cat' }] });
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'multipart/form-data; boundary=x' }]) {
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers, body });
      expect(r.status, headers['content-type']).toBe(415);
      const j = (await r.json()) as any;
      expect(j.error).toEqual({ message: expect.stringContaining(headers['content-type']), type: 'invalid_request_error', param: null, code: 'unsupported_media_type' });
    }
    // fetch with a string body and no headers sends text/plain.
    expect((await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body })).status).toBe(415);
    // No Content-Type at all (a raw request).
    const bare = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/v1/chat/completions`, { method: 'POST' }, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: t }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(bare.status).toBe(415);
    expect(JSON.parse(bare.body).error.message).toMatch(/no Content-Type/);
    // JSON with parameters, or a +json type, is JSON.
    for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json'])
      expect((await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': type }, body })).status, type).toBe(200);
  });

  it('404 for an unknown route, 405 for a wrong method', async () => {
    const e404 = await errorOf(await fetch(`${server.url}/v1/completions`, { method: 'POST', body: '{}' }));
    expect([e404.status, e404.type]).toEqual([404, 'not_found_error']);
    expect(e404.message).toContain('/v1/completions');
    const r = await fetch(`${server.url}/v1/chat/completions`);
    expect(r.headers.get('allow')).toBe('POST');
    const e405 = await errorOf(r);
    expect(e405.status).toBe(405);
    expect(e405.message).toMatch(/GET is not allowed/);
  });

  it('413 for a body over 1 MB, declared or streamed, and the server stays up', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] });
    const e = await errorOf(await post('/v1/chat/completions', big));
    expect(e.status).toBe(413);
    // Chunked (no Content-Length): the cap applies while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(100_000));
      req.end();
    });
    expect(status).toBe(413);
    expect((await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'a cat' }] })).status).toBe(200);
  });

  it('500 when the translator fails; the server stays up', async () => {
    const failing: Translator = {
      translate: async (texts) => {
        if (texts.some((t) => t.includes('boom'))) throw new Error('the model exploded');
        return toy.translate(texts);
      },
    };
    const s = await startServer({ translator: failing, modelName: 'm' });
    try {
      const e = await errorOf(await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ messages: [{ role: 'user', content: 'boom' }] }) }));
      expect([e.status, e.type]).toEqual([500, 'server_error']);
      expect(e.message).toContain('the model exploded');
      const ok = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ messages: [{ role: 'user', content: 'a dog' }] }) });
      expect(ok.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('408 when the body does not arrive in time', async () => {
    const s = await startServer({ translator: toy, modelName: 'm', bodyTimeoutMs: 200 });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const sock = connect(s.port, '127.0.0.1', () => {
          sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"messages"');
        });
        let text = '';
        sock.on('data', (d) => (text += d.toString()));
        sock.on('close', () => resolve(text));
        sock.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(reply).toContain('request_timeout');
    } finally {
      await s.close();
    }
  });
});

describe('serve batching and close', () => {
  it('never puts more than maxBatch sentences in one call', async () => {
    const sizes: number[] = [];
    const s = await startServer({ translator: { translate: (t) => (sizes.push(t.length), toy.translate(t)) }, modelName: 'm', maxBatch: 4, batchWindowMs: 20 });
    try {
      const src = sentences(20, 3);
      const rs = await Promise.all(src.map((x) => fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ messages: [{ role: 'user', content: x }] }) })));
      expect(rs.every((r) => r.status === 200)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
      expect(Math.max(...sizes)).toBe(4);
    } finally {
      await s.close();
    }
  });

  it('close() lets in-flight requests finish, then refuses connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inTranslator = new Promise<void>((r) => (started = r));
    const slow: Translator = { translate: async (t) => (started(), await gate, toy.translate(t)) };
    const s = await startServer({ translator: slow, modelName: 'm' });
    const pending = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ messages: [{ role: 'user', content: 'a red tree' }] }) });
    await inTranslator;
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false); // waits for the request
    await expect(fetch(`${s.url}/health`)).rejects.toThrow(); // no new connections
    release();
    const r = await pending;
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).choices[0].message.content).toBe((await toy.translate(['a red tree']))[0].text);
    // Keep-alive connections are closed as soon as they are idle: close() does not wait
    // for the client to drop them (that took seconds).
    await Promise.race([closing, new Promise((r) => setTimeout(r, 1500))]);
    expect(closed).toBe(true);
    expect(s.close()).toBe(s.close()); // idempotent
  });
});
