// `regurgitate serve`: a trained run behind an OpenAI-compatible chat-completions API
// (ts/src/serve), until Ctrl-C, which closes gracefully.
import { basename } from 'node:path';

import { openRun } from '../rundir/open.js';
import { startServer } from '../serve/server.js';
import type { TranslatedText, Translator } from '../serve/types.js';
import { parseCommand, UsageError, type CommandSpec } from './args.js';
import { decodeFlags, decodeOptions } from './translate.js';
import { err, out } from './util.js';
import { parseDevice } from './device.js';
import { stopScope } from './signals.js';

export const spec: CommandSpec = {
  name: 'serve',
  summary: 'Serves a trained run over an OpenAI-compatible API (POST /v1/chat/completions, GET /v1/models, GET /health); concurrent requests are batched.',
  flags: [
    { name: 'run', type: 'string', value: 'RUN', description: 'run directory made by regurgitate train (required)' },
    { name: 'port', type: 'int', value: 'P', min: 0, max: 65535, default: 8000, description: 'TCP port (0: any free port)' },
    { name: 'host', type: 'string', value: 'H', default: '127.0.0.1', description: 'interface to listen on' },
    { name: 'max-batch', type: 'int', value: 'N', min: 1, max: 65536, default: 32, description: 'most sentences translated in one model call' },
    { name: 'model-name', type: 'string', value: 'NAME', description: "the served model's name: what /v1/models lists and requests must name (default: the run directory's name)" },
    ...decodeFlags,
  ],
  details: [
    "A request naming another model gets 404 model_not_found; a body that is not JSON (Content-Type other than application/json) gets 415.",
    'Ctrl-C (SIGINT) or SIGTERM stops accepting connections, finishes the requests in flight (at most 10 s) and exits with status 0.',
    'See docs/cli.md (regurgitate serve) and docs/generators.md.',
  ].join('\n'),
};

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  if (a.flags.run === undefined) throw new UsageError(spec.name, '--run RUN is required');
  const dec = decodeOptions(spec.name, a.flags);
  const r = openRun(a.flags.run as string, { device: parseDevice(spec.name, a.flags.device) });
  const translator: Translator = {
    async translate(texts: string[]): Promise<TranslatedText[]> {
      return (await r.translate(texts, dec)).map((g, i) => ({ ...g, sourceTokens: r.tokenizer.encode(texts[i], { specials: false }).length, tokens: r.tokenizer.encode(g.text, { specials: false }).length }));
    },
  };
  const modelName = (a.flags['model-name'] as string | undefined) ?? basename(r.dir);
  if (modelName.trim() === '') throw new UsageError(spec.name, '--model-name must not be blank');
  const server = await startServer({ translator, modelName, host: a.flags.host as string, port: a.flags.port as number, maxBatch: a.flags['max-batch'] as number, log: err });
  out(`serving ${r.dir} as '${modelName}' at ${server.url}/v1 (Ctrl-C to stop)`);
  // A signal is how a server is stopped: it closes gracefully and the status is 0.
  let closed!: (p: Promise<void>) => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const stop = stopScope({ message: 'closing: finishing the requests in flight', onStop: () => closed(server.close()) });
  try {
    await done;
  } finally {
    stop.close();
  }
  return 0;
}
