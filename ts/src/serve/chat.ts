// POST /v1/chat/completions: reading an OpenAI chat request and writing the
// chat.completion object. The server translates the last user message (see
// extract.ts); sampling fields (temperature, max_tokens, seed, ...) are accepted and
// ignored: the translator decodes with its own settings.
import { randomUUID } from 'node:crypto';

import { ApiError } from './http.js';
import { extractSource } from './extract.js';
import type { TranslatedText } from './types.js';

export interface ChatRequest {
  /** The model asked for (undefined when the request names none). */
  model: string | undefined;
  source: string;
  logprobs: boolean;
}

const bad = (message: string, param: string | null = null) => new ApiError(400, 'invalid_request_error', message, param);

function typeName(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x;
}

/** The text of a message's content: a string, or an array of parts whose text parts are joined. */
function contentText(content: unknown, param: string): string | null {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return null;
  if (!Array.isArray(content)) throw bad(`${param} must be a string or an array of content parts (got ${typeName(content)})`, param);
  return content
    .map((p, i) => {
      const part = p as { type?: unknown; text?: unknown } | null;
      if (typeof part !== 'object' || part === null) throw bad(`${param}[${i}] must be an object (got ${typeName(p)})`, `${param}[${i}]`);
      if (part.type !== 'text') throw bad(`${param}[${i}].type must be 'text' (only text parts can be translated)`, `${param}[${i}].type`);
      if (typeof part.text !== 'string') throw bad(`${param}[${i}].text must be a string (got ${typeName(part.text)})`, `${param}[${i}].text`);
      return part.text;
    })
    .join('');
}

export function parseChatRequest(bodyText: string): ChatRequest {
  let j: unknown;
  try {
    j = JSON.parse(bodyText);
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad(`the request body must be a JSON object (got ${typeName(j)})`);
  const r = j as Record<string, unknown>;
  if (r.model !== undefined && typeof r.model !== 'string') throw bad(`model must be a string (got ${typeName(r.model)})`, 'model');
  if (r.stream !== undefined && r.stream !== null && typeof r.stream !== 'boolean') throw bad(`stream must be a boolean (got ${typeName(r.stream)})`, 'stream');
  if (r.stream === true) throw bad('streaming is not supported: send stream: false (or leave it out)', 'stream');
  if (r.logprobs !== undefined && r.logprobs !== null && typeof r.logprobs !== 'boolean') throw bad(`logprobs must be a boolean (got ${typeName(r.logprobs)})`, 'logprobs');
  if (r.n !== undefined && r.n !== null && r.n !== 1) throw bad(`n must be 1 (got ${JSON.stringify(r.n)}): one translation per request`, 'n');
  if (r.messages === undefined) throw bad('messages is required', 'messages');
  if (!Array.isArray(r.messages)) throw bad(`messages must be an array (got ${typeName(r.messages)})`, 'messages');
  if (r.messages.length === 0) throw bad('messages must not be empty', 'messages');
  let source: string | null = null;
  r.messages.forEach((m, i) => {
    const p = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(`${p} must be an object (got ${typeName(m)})`, p);
    const msg = m as Record<string, unknown>;
    if (typeof msg.role !== 'string') throw bad(`${p}.role must be a string (got ${typeName(msg.role)})`, `${p}.role`);
    const text = contentText(msg.content, `${p}.content`);
    if (msg.role === 'user') {
      if (text === null) throw bad(`${p}.content must be a string (got ${typeName(msg.content)})`, `${p}.content`);
      source = text;
    }
  });
  if (source === null) throw bad('messages must contain a user message (its content is translated)', 'messages');
  return { model: r.model as string | undefined, source: extractSource(source), logprobs: r.logprobs === true };
}

/** OpenAI's rule of thumb (about 4 characters a token) where the translator gives no counts. */
function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function chatCompletion(modelName: string, req: ChatRequest, out: TranslatedText): Record<string, unknown> {
  const promptTokens = out.sourceTokens ?? approxTokens(req.source);
  const completionTokens = out.tokens ?? approxTokens(out.text);
  // Per-token log-probabilities are not known, only their sum: it is reported as one
  // entry spanning the whole reply, so clients that sum content[].logprob get it back.
  const logprobs =
    req.logprobs && out.logprob !== undefined
      ? { content: [{ token: out.text, logprob: out.logprob, bytes: [...Buffer.from(out.text, 'utf8')], top_logprobs: [] }] }
      : null;
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: modelName,
    choices: [{ index: 0, message: { role: 'assistant', content: out.text }, logprobs, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}
