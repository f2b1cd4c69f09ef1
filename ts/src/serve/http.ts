// HTTP plumbing of the server: errors in OpenAI's format, JSON replies, and request
// bodies read with a size cap and a time limit.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the client gets as {error: {message, type, param, code}} with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
    /** OpenAI's `type`, when not the one the status implies (404 model_not_found is an invalid_request_error). */
    readonly errorType?: string,
  ) {
    super(message);
  }

  get type(): string {
    if (this.errorType !== undefined) return this.errorType;
    if (this.status >= 500) return 'server_error';
    if (this.status === 404) return 'not_found_error';
    return 'invalid_request_error';
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;

/** OpenAI's answer to a model it does not serve: 404, invalid_request_error, param model, code model_not_found. */
export function modelNotFound(name: string, served: string): ApiError {
  return new ApiError(
    404,
    'model_not_found',
    `The model '${name}' does not exist: this server serves '${served}' (see GET /v1/models)`,
    'model',
    {},
    'invalid_request_error',
  );
}

/**
 * 415 unless the request's Content-Type is JSON: application/json (any parameters, such
 * as charset=utf-8) or a +json type.
 */
export function requireJson(req: IncomingMessage): void {
  const raw = req.headers['content-type'];
  const type = (raw ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
  throw new ApiError(
    415,
    'unsupported_media_type',
    raw === undefined
      ? 'the request has no Content-Type: send a JSON body with Content-Type: application/json'
      : `Content-Type ${JSON.stringify(raw)} is not supported: send a JSON body with Content-Type: application/json`,
  );
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ApiError): void {
  sendJson(res, e.status, e.toJSON(), e.headers);
}

/**
 * The body as UTF-8 text. Rejects with ApiError 413 past `limit` bytes (at once when
 * Content-Length says so) and 408 when it has not all arrived within `timeoutMs`; the
 * rest of an oversized body is drained by Node after the reply, on the same connection.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const tooLarge = () => new ApiError(413, 'payload_too_large', `request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) finish(tooLarge());
      else chunks.push(c);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(e);
    const onAborted = () => finish(new Error('client aborted the request'));
    const timer = setTimeout(() => finish(new ApiError(408, 'request_timeout', `request body not received within ${timeoutMs} ms`, null, { connection: 'close' })), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
