// `regurgitate serve`: an OpenAI-compatible HTTP API over a Translator, on node:http.
//
//   POST /v1/chat/completions   translate the last user message (see chat.ts, extract.ts);
//                               a JSON body only (else 415), for the served model only
//                               (another `model` is 404 model_not_found, as OpenAI answers)
//   GET  /v1/models             the one model; GET /v1/models/{id} too
//   GET  /health                {"status":"ok"}
//
// Concurrent requests are batched (batcher.ts). Errors use OpenAI's {error: {...}} shape.
// close() stops accepting connections and lets in-flight requests finish.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { invalid, RegurgitateError } from '../common/errors.js';
import { checkInt, checkNumber, checkString } from '../common/validate.js';
import { Batcher } from './batcher.js';
import { chatCompletion, parseChatRequest } from './chat.js';
import { ApiError, MAX_BODY_BYTES, modelNotFound, readBody, requireJson, sendError, sendJson } from './http.js';
import type { RunningServer, ServerOptions, TranslatedText } from './types.js';

export type { RunningServer, ServerOptions, TranslatedText, Translator } from './types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function checkOptions(o: ServerOptions) {
  if (typeof o !== 'object' || o === null) throw invalid('serve: options must be an object');
  if (typeof o.translator?.translate !== 'function') throw invalid('serve.translator must be an object with a translate(texts) method');
  const modelName = checkString('serve.modelName', o.modelName);
  if (modelName.trim() === '') throw invalid('serve.modelName must be a non-empty string');
  if (o.log !== undefined && typeof o.log !== 'function') throw invalid('serve.log must be a function');
  return {
    modelName,
    host: o.host === undefined ? '127.0.0.1' : checkString('serve.host', o.host),
    port: o.port === undefined ? 0 : checkInt('serve.port', o.port, 0, 65535),
    maxBatch: o.maxBatch === undefined ? 32 : checkInt('serve.maxBatch', o.maxBatch, 1, 65536),
    batchWindowMs: o.batchWindowMs === undefined ? 5 : checkNumber('serve.batchWindowMs', o.batchWindowMs, { min: 0, max: 60_000 }),
    bodyTimeoutMs: o.bodyTimeoutMs === undefined ? 10_000 : checkNumber('serve.bodyTimeoutMs', o.bodyTimeoutMs, { min: 1, max: 3_600_000 }),
  };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const o = checkOptions(options);
  const log = options.log;
  const batcher = new Batcher(options.translator, o.maxBatch, o.batchWindowMs, log);
  const created = Math.floor(Date.now() / 1000);
  const model = { id: o.modelName, object: 'model', created, owned_by: 'regurgitate' };
  let closing = false;

  const chat: Handler = async (req, res) => {
    requireJson(req);
    const parsed = parseChatRequest(await readBody(req, MAX_BODY_BYTES, o.bodyTimeoutMs));
    // OpenAI's rule: a request for a model this server does not have is 404 model_not_found.
    if (parsed.model !== undefined && parsed.model !== o.modelName) throw modelNotFound(parsed.model, o.modelName);
    let out: TranslatedText;
    try {
      out = await batcher.translate(parsed.source);
    } catch (e) {
      log?.(`translation failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      throw new ApiError(500, 'translation_failed', `translation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    sendJson(res, 200, chatCompletion(o.modelName, parsed, out));
  };
  const routes: Record<string, Record<string, Handler>> = {
    '/v1/chat/completions': { POST: chat },
    '/v1/models': { GET: (_, res) => sendJson(res, 200, { object: 'list', data: [model] }) },
    '/health': { GET: (_, res) => sendJson(res, closing ? 503 : 200, { status: closing ? 'closing' : 'ok', model: o.modelName }) },
  };
  const modelRoute: Record<string, Handler> = { GET: (_, res) => sendJson(res, 200, model) };

  const server = createServer(async (req, res) => {
    const t0 = performance.now();
    res.on('close', () => {
      log?.(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(1)} ms`);
      if (closing) server.closeIdleConnections();
    });
    // While closing, every reply ends its connection, so that close() can complete.
    if (closing) res.setHeader('connection', 'close');
    try {
      const path = (req.url ?? '/').split('?')[0];
      // GET /v1/models/{id}: the id may contain '/' (org/model), escaped or not.
      let route: Record<string, Handler> | undefined;
      if (path.startsWith('/v1/models/') && path.length > 11) {
        const id = safeDecode(path.slice(11));
        if (id !== o.modelName) throw modelNotFound(id ?? path.slice(11), o.modelName);
        route = modelRoute;
      } else route = routes[path];
      if (route === undefined) throw new ApiError(404, 'unknown_url', `Invalid URL (${req.method} ${path})`);
      const method = req.method === 'HEAD' && route.GET ? 'GET' : (req.method ?? '');
      const handler = route[method];
      if (handler === undefined) {
        const allow = Object.keys(route).join(', ');
        throw new ApiError(405, 'method_not_allowed', `method ${req.method} is not allowed on ${path}; use ${allow}`, null, { allow });
      }
      await handler(req, res);
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e);
      else if (!res.headersSent && !req.destroyed) {
        log?.(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        sendError(res, new ApiError(500, 'internal_error', `internal error: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
  });
  // Node's own guards stay on as a backstop; our body timeout answers 408 first.
  server.requestTimeout = Math.max(o.bodyTimeoutMs * 2, 30_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new RegurgitateError(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? 'EBUSY' : 'EIO', `serve: cannot listen on ${o.host}:${o.port}: ${e.message}`, { cause: e })),
    );
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('serve: the server has no TCP address');
  const hostForUrl = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${hostForUrl}:${addr.port}`;
  log?.(`serving ${o.modelName} at ${url}/v1`);

  let closed: Promise<void> | undefined;
  return {
    url,
    port: addr.port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
