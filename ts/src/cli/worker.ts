// `regurgitate worker --queue URL`: runs the cells of queued studies (experiment run
// --queue) on this machine until SIGTERM or Ctrl-C, which stop taking jobs and finish
// the ones under way (a second signal quits at once; the job then comes back to the
// queue as stalled and another worker resumes it from its checkpoint).
import { queueConnection, type QueueConnection } from '../experiments/queue/connection.js';
import { runWorker } from '../experiments/queue/worker.js';
import { parseCommand, UsageError, type CommandSpec } from './args.js';
import { parseSpecDevice } from './device.js';
import { err, out } from './util.js';
import { stopScope } from './signals.js';

export const spec: CommandSpec = {
  name: 'worker',
  summary: 'Takes the jobs of studies run with `experiment run --queue URL` and runs them here, in the study folder all machines share.',
  flags: [
    { name: 'queue', type: 'string', value: 'URL', description: 'the Redis of the queue: redis://HOST:PORT[/DB] or rediss:// (required)' },
    { name: 'queue-password-env', type: 'string', value: 'NAME', description: 'the environment variable that holds the Redis password' },
    { name: 'device', type: 'string', value: 'DEV', description: "cpu, cuda or auto (default: each study's device)" },
    { name: 'concurrency', type: 'int', value: 'N', min: 1, max: 64, default: 1, description: 'jobs at once (several small students on one GPU)' },
    { name: 'lock-seconds', type: 'int', value: 'S', min: 1, max: 3600, default: 30, description: 'job lock: a dead worker\'s job goes to another worker after about twice this' },
  ],
  details: 'SIGTERM or Ctrl-C: stop taking jobs, finish the ones under way, exit 0; a second signal quits at once (130 / 143), the job going back to the queue. See docs/experiments.md, "On several machines".',
};

/** --queue and --queue-password-env as a connection (undefined without --queue); a bad URL is a usage error. */
export function queueFlags(cmd: string, flags: Record<string, unknown>): QueueConnection | undefined {
  if (flags.queue === undefined) {
    if (flags['queue-password-env'] !== undefined) throw new UsageError(cmd, '--queue-password-env needs --queue URL');
    return undefined;
  }
  try {
    return queueConnection({ url: flags.queue as string, passwordEnv: flags['queue-password-env'] as string | undefined });
  } catch (e) {
    throw new UsageError(cmd, (e as Error).message);
  }
}

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  const connection = queueFlags(spec.name, a.flags);
  if (!connection) throw new UsageError(spec.name, '--queue URL is required');
  const device = a.flags.device === undefined ? undefined : parseSpecDevice(spec.name, a.flags.device);
  // A stopped worker finishes the jobs it took, however long they take (signals.ts).
  const stop = stopScope({ message: 'stopping: finishing the jobs under way (signal again to quit now)', graceMs: Infinity });
  try {
    out(`worker on ${connection.url}: waiting for jobs`);
    const s = await runWorker({
      connection,
      device,
      concurrency: a.flags.concurrency as number,
      lockSeconds: a.flags['lock-seconds'] as number,
      signal: stop.signal,
      log: err,
      onJob: (e) => err(`${e.phase === 'start' ? 'start  ' : e.phase === 'done' ? 'done   ' : 'FAILED '} ${e.cell}${e.message ? `: ${e.message}` : ''}`),
    });
    out(`worker stopped: ${s.done} job(s) done, ${s.failed} failed`);
    return 0;
  } finally {
    stop.close();
  }
}
