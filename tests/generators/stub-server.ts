// A small real HTTP server for the openai generator tests: `handle` decides each reply;
// every request (time, headers, parsed body) is recorded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Recorded {
  at: number; // performance.now() at arrival
  headers: IncomingMessage['headers'];
  body: any;
  url: string;
}

export interface Stub {
  baseUrl: string; // http://127.0.0.1:PORT/v1
  requests: Recorded[];
  close(): Promise<void>;
}

export type Handle = (req: Recorded, res: ServerResponse, n: number) => void | Promise<void>;

/** A chat.completion reply with `content` (and per-token logprobs if given). */
export function completion(content: string, logprobs?: number[]): string {
  return JSON.stringify({
    id: 'chatcmpl-x',
    object: 'chat.completion',
    created: 0,
    model: 'stub',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: logprobs ? { content: logprobs.map((lp, i) => ({ token: `t${i}`, logprob: lp })) } : null }],
  });
}

export function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/** The source sentence of a request made with the default prompt (its last line). */
export function sourceOf(r: Recorded): string {
  const m = r.body.messages as { role: string; content: string }[];
  return m[m.length - 1].content.split('\n').pop()!;
}

export async function stub(handle: Handle): Promise<Stub> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const at = performance.now();
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const r: Recorded = { at, headers: req.headers, body: text ? JSON.parse(text) : null, url: req.url ?? '' };
      requests.push(r);
      void handle(r, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // drops requests a test left hanging on purpose
        server.close(() => resolve());
      }),
  };
}
