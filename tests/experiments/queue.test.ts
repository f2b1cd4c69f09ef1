// A study on several machines, for real: a redis-server started here on a free port, a
// coordinator (`experiment run --queue`) and workers (`regurgitate worker`) in separate
// processes. Results equal a local run's; a worker killed mid-training loses nothing;
// a restarted coordinator re-attaches; a wrong password and an unreachable Redis give
// clear errors that name the URL and never the password.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runExperiment } from '../../ts/src/experiments/run/runner.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { openStore } from '../../ts/src/experiments/store/store.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const HAS_REDIS = !spawnSync('redis-server', ['--version']).error;
if (!HAS_REDIS) console.warn('queue test: redis-server (Debian redis-server) is not installed; scripts/setup.sh installs it');

const specText = (steps: number) => `
name: queued
corpus: { kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }
splits: { poolA: 300, poolB: rest, dev: 50, test: 60, splitSeed: 3 }
tokenizer: { vocabSize: 400 }
generators:
  low: { kind: model, model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }, trainPairs: 300, train: { maxSteps: 60, maxEpochs: 0, maxTokens: 1000, lr: 0.01 }, decode: { method: greedy, maxLenB: 30 }, seed: 1 }
conditions: [real, generated:low, mix:low:0.5]
sizes: [100]
seeds: [1, 2]
student:
  model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }
  train: { maxSteps: ${steps}, maxEpochs: 0, maxTokens: 1000, lr: 0.01, patience: 0, restoreBest: false }
  decode: { method: greedy, maxLenB: 30 }
chains:
  - { regime: replace, generations: 1, seeds: [1] }
device: cpu
`;

let tmp: string;
const redis: ChildProcess[] = [];
const procs: ChildProcess[] = [];

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function startRedis(extra: string[] = []): Promise<string> {
  const port = await freePort();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  redis.push(p);
  await new Promise<void>((res, rej) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) res();
    });
    p.once('exit', (c) => rej(new Error(`redis-server exited ${c}: ${out}`)));
  });
  return `redis://127.0.0.1:${port}/0`;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { log: () => string } {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }) as ChildProcess & { log: () => string };
  let log = '';
  p.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  p.log = () => log;
  procs.push(p);
  return p;
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));
async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What must be the same wherever a study ran: every run's scores and files. */
function outcome(dir: string): Record<string, unknown> {
  const st = openStore(dir);
  const runs = st.status().runs;
  st.close();
  const out: Record<string, unknown> = {};
  for (const r of runs) {
    expect(r.status, r.id).toBe('done');
    const folder = r.kind === 'student' ? join(dir, 'runs', r.id) : r.kind === 'generation' ? join(dir, 'chains', r.id) : null;
    out[r.id] = { bleu: r.bleu, files: folder ? ['train.jsonl', 'test.hyp', 'model/model.safetensors'].map((f) => readFileSync(join(folder, f)).toString('base64').slice(0, 4000)) : null };
  }
  return out;
}

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-queue-'));
});
afterAll(async () => {
  for (const p of [...procs, ...redis]) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAS_REDIS)(`a study on a queue${HAS_REDIS ? '' : ' (skipped: redis-server is not installed; scripts/setup.sh installs Debian redis-server)'}`, () => {
  let local: Record<string, unknown>;
  let url: string;
  const file = () => join(tmp, 'spec.yaml');

  beforeAll(async () => {
    writeFileSync(file(), specText(150));
    await runExperiment(parseSpec(specText(150), file()), join(tmp, 'local'));
    local = outcome(join(tmp, 'local'));
    url = await startRedis();
  }, 300_000);

  it('a coordinator and three workers give the results of a local run; a worker killed mid-training loses nothing', async () => {
    const d = join(tmp, 'queued');
    // one of them takes two jobs at once
    const workers = [1, 1, 2].map((n) => start(['worker', '--queue', url, '--lock-seconds', '2', '--concurrency', String(n)]));
    const coord = start(['experiment', 'run', file(), '--out', d, '--queue', url, '--no-report']);
    // Kill one worker once it is training a student.
    await until('a worker training a student', () => workers.some((w) => /start +(real|generated|mix)/.test(w.log())));
    const victim = workers.find((w) => /start +(real|generated|mix)/.test(w.log()))!;
    await new Promise((r) => setTimeout(r, 300));
    victim.kill('SIGKILL');
    expect(await exited(coord), coord.log()).toBe(0);
    expect(coord.log()).toMatch(/9\/9 runs done/);
    expect(outcome(d)).toEqual(local);
    // The killed worker's job was taken up again: some run has two attempts.
    const st = openStore(d);
    const attempts = st.status().runs.map((r) => r.attempts);
    st.close();
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    for (const w of workers.filter((x) => x !== victim)) {
      w.kill('SIGTERM');
      expect(await exited(w), w.log()).toBe(0);
    }
  }, 600_000);

  it('a coordinator stopped mid-study re-attaches, enqueues nothing twice and finishes', async () => {
    const d = join(tmp, 'reattach');
    const w = start(['worker', '--queue', url, '--lock-seconds', '2']);
    const c1 = start(['experiment', 'run', file(), '--out', d, '--queue', url, '--no-report']);
    await until('a first run done', () => /done +\S+/.test(c1.log()));
    c1.kill('SIGINT');
    expect(await exited(c1)).toBe(130);
    const c2 = start(['experiment', 'run', file(), '--out', d, '--queue', url, '--no-report']);
    expect(await exited(c2), c2.log()).toBe(0);
    expect(outcome(d)).toEqual(local);
    const st = openStore(d);
    expect(st.status().runs.every((r) => r.attempts === 1)).toBe(true);
    st.close();
    w.kill('SIGTERM');
    expect(await exited(w)).toBe(0);
  }, 600_000);

  it('a worker sent SIGTERM mid-job finishes that job, takes no other and exits 0', async () => {
    const d = join(tmp, 'sigterm');
    const w1 = start(['worker', '--queue', url, '--lock-seconds', '2']);
    const c = start(['experiment', 'run', file(), '--out', d, '--queue', url, '--no-report']);
    await until('a student started', () => /start +(real|generated|mix)\S+/.test(w1.log()));
    const job = /start +((real|generated|mix)\S+)/.exec(w1.log())![1];
    w1.kill('SIGTERM');
    expect(await exited(w1), w1.log()).toBe(0);
    expect(w1.log()).toMatch(new RegExp(`done +${job.replace(/[.]/g, '\\.')}`));
    expect(w1.log().match(/^start /gm)!.length).toBe(w1.log().match(/^done /gm)!.length); // nothing taken after the signal is left
    const w2 = start(['worker', '--queue', url, '--lock-seconds', '2']);
    expect(await exited(c), c.log()).toBe(0);
    expect(outcome(d)).toEqual(local);
    w2.kill('SIGTERM');
    expect(await exited(w2)).toBe(0);
  }, 600_000);

  it('a job that fails three times is recorded as failed with its error, not retried forever; the rest of the study runs', async () => {
    const d = join(tmp, 'failing');
    // An endpoint nobody listens on: the generator fails on every attempt.
    const dead = join(tmp, 'dead.yaml');
    writeFileSync(
      dead,
      specText(30)
        .replace('conditions: [real, generated:low, mix:low:0.5]', 'conditions: [real, generated:dead]')
        .replace('generators:\n', `generators:\n  dead: { kind: openai, baseUrl: "http://127.0.0.1:${await freePort()}/v1", model: m, apiKeyEnv: null, retries: 0, timeoutMs: 2000 }\n`)
        .replace(/chains:\n.*\n/, ''),
    );
    const w = start(['worker', '--queue', url, '--lock-seconds', '2']);
    const c = start(['experiment', 'run', dead, '--out', d, '--queue', url, '--no-report']);
    expect(await exited(c), c.log()).toBe(1);
    const st = openStore(d);
    const rows = new Map(st.status().runs.map((r) => [r.id, r]));
    st.close();
    expect(rows.get('generator-dead')).toMatchObject({ status: 'failed', error: expect.stringMatching(/after 3 attempt\(s\)/) });
    expect(rows.get('real__n100__seed1')!.status).toBe('done');
    expect(rows.get('real__n100__seed2')!.status).toBe('done');
    expect(c.log()).toMatch(/skipped +generated-dead__n100__seed1: generator-dead failed/);
    w.kill('SIGTERM');
    expect(await exited(w)).toBe(0);
  }, 300_000);

  it('a wrong or missing password and an unreachable Redis fail at once, naming the URL and never the password', async () => {
    const secured = await startRedis(['--requirepass', 's3cret-pw']);
    const run = (u: string, env: NodeJS.ProcessEnv, extra: string[] = []) =>
      spawnSync(process.execPath, [CLI, 'experiment', 'run', file(), '--out', join(tmp, 'never'), '--queue', u, ...extra], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    const wrong = run(secured, { RG_PW: 'not-it' }, ['--queue-password-env', 'RG_PW']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`Redis at ${secured} refused the password`);
    expect(wrong.stderr).not.toContain('not-it');
    const none = run(secured, {});
    expect(none.stderr).toContain(`Redis at ${secured} needs a password`);
    const down = `redis://127.0.0.1:${await freePort()}/0`;
    const r = run(down, {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach Redis at ${down}`);
    const inUrl = run(secured.replace('redis://', 'redis://:s3cret-pw@'), {});
    expect(inUrl.status).toBe(2);
    expect(inUrl.stderr).toMatch(/must not hold a user or password/);
    expect(inUrl.stderr).not.toContain('s3cret-pw');
  }, 120_000);
});
