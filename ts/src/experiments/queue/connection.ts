// The Redis a queued study runs on: `--queue redis://HOST:PORT[/DB]` (rediss:// for
// TLS), the password read from the environment variable that `--queue-password-env`
// names, never from the URL or the command line, and never shown. Errors name the URL.
import { Redis, type RedisOptions } from 'ioredis';

import { invalid, RegurgitateError } from '../../common/errors.js';

export interface QueueOptions {
  /** redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]. */
  url: string;
  /** The name of the environment variable holding the password (absent: none). */
  passwordEnv?: string;
}

export interface QueueConnection {
  /** The URL as shown in messages (it never holds a password). */
  url: string;
  options: RedisOptions;
}

/** Parses and checks the URL; the password comes from the environment. */
export function queueConnection(o: QueueOptions, env: NodeJS.ProcessEnv = process.env): QueueConnection {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw invalid(`--queue: '${o.url}' is not a URL (expected redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB])`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw invalid(`--queue: '${o.url}' must start with redis:// or rediss:// (got ${u.protocol}//)`);
  if (u.password || u.username) throw invalid(`--queue: the URL must not hold a user or password; put the password in an environment variable and name it with --queue-password-env`);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0) throw invalid(`--queue: '${u.pathname.slice(1)}' in '${o.url}' is not a database number`);
  const port = u.port === '' ? 6379 : Number(u.port);
  let password: string | undefined;
  if (o.passwordEnv !== undefined) {
    password = env[o.passwordEnv];
    if (password === undefined || password === '') throw invalid(`--queue-password-env: the environment variable ${o.passwordEnv} is not set`);
  }
  const shown = `${u.protocol}//${u.hostname}:${port}/${db}`;
  return {
    url: shown,
    // BullMQ's workers block on Redis: no per-request retry limit (its own requirement).
    options: { host: u.hostname, port, db, password, tls: u.protocol === 'rediss:' ? {} : undefined, maxRetriesPerRequest: null, lazyConnect: true },
  };
}

/** Connects once and pings, so a wrong address or password fails at once with the reason. */
export async function checkConnection(c: QueueConnection): Promise<void> {
  const r = new Redis({ ...c.options, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  // ioredis reports an AUTH refusal as an 'error' event, then fails connect() with
  // 'Connection is closed': the event says why.
  const seen: string[] = [];
  r.on('error', (e: Error) => seen.push(e.message));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    const m = [...seen, (e as Error).message].join('; ');
    if (/WRONGPASS|invalid password|invalid username-password/i.test(m)) throw new RegurgitateError('EAUTH', `Redis at ${c.url} refused the password${passwordSource(c)}`);
    if (/NOAUTH/i.test(m)) throw new RegurgitateError('EAUTH', `Redis at ${c.url} needs a password: name the environment variable holding it with --queue-password-env`);
    throw new RegurgitateError('ECONNREFUSED', `cannot reach Redis at ${c.url}: ${(seen[0] ?? m).replace(/\s+/g, ' ')}`, { cause: e });
  } finally {
    r.disconnect();
  }
}

function passwordSource(c: QueueConnection): string {
  return c.options.password === undefined ? ' (none given)' : ' given in the environment';
}
