// Nothing lost, nothing hangs (issue 18), through the real CLI as a user, a scheduler or
// a shell pipeline meets it:
// - an output path that cannot be written (/proc/..., under a file) fails at once with a
//   message naming it, before any work, for every command that writes;
// - SIGTERM and SIGINT stop train and data prepare within seconds with status 143 / 130,
//   keeping the checkpoint, leaving no temporary files;
// - a reader that goes away (`| head -1`) ends the command quietly with status 0;
// - serve answers an unknown model 404 model_not_found, serves --model-name, stops on SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
let tmp: string;

function cli(args: string[], timeout = 60_000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

const prepare = (out: string) =>
  cli(['data', 'prepare', '--src', join(FIX, 'bible-sample.es'), '--tgt', join(FIX, 'bible-sample.en'), '--langs', 'es,en', '--test', '100', '--dev', '100', '--out', out]);

/** Spawns the CLI; `stderr` accumulates; `exit` resolves with the status, the signal and the time since `mark()`. */
function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const s = { child, stderr: '', stdout: '', t0: 0 };
  child.stderr!.on('data', (d: Buffer) => (s.stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (s.stdout += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, ms: performance.now() - s.t0 })),
  );
  return { ...s, get err() { return s.stderr; }, get out() { return s.stdout; }, exit, kill(sig: NodeJS.Signals) { s.t0 = performance.now(); child.kill(sig); } };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const RUN_ARGS = ['--model', 'tiny', '--vocab-size', '600', '--dev-part', 'none', '--max-tokens', '1500'];

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-robust-'));
  expect(prepare(join(tmp, 'data')).code).toBe(0);
  // A small trained run, for the commands that need one (translate, eval, serve).
  const r = cli(['train', '--data', join(tmp, 'data'), '--out', join(tmp, 'run'), ...RUN_ARGS, '--steps', '20'], 120_000);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('an output that cannot be written fails at once, naming it', () => {
  it('every command that writes: /proc paths (mkdir there is ENOENT; Node\'s recursive mkdir spun on it)', () => {
    const data = join(tmp, 'data');
    const fresh = join(tmp, 'fresh');
    expect(prepare(fresh).code).toBe(0);
    const run = join(tmp, 'run');
    const input = join(FIX, 'bible-sample.es');
    const cases: [string[], string][] = [
      [['data', 'prepare', '--src', input, '--tgt', join(FIX, 'bible-sample.en'), '--out', '/proc/d'], '--out /proc/d'],
      [['data', 'prepare', '--tsv', input, '--out', '/proc/deep/er/d'], '--out /proc/deep/er/d'],
      [['tokenizer', 'train', '--input', input, '--out', '/proc/t/tokenizer.json'], '--out /proc/t/tokenizer.json'],
      [['train', '--data', fresh, '--out', '/proc/run', ...RUN_ARGS, '--steps', '5'], '--out /proc/run'],
      [['translate', '--run', run, '--input', input, '--output', '/proc/out.txt'], '--output /proc/out.txt'],
      [['eval', '--run', run, '--data', data, '--out', '/proc/eval'], '--out /proc/eval'],
      [['experiment', 'run', '--preset', 'demo', '--out', '/proc/exp'], '--out /proc/exp'],
      [['experiment', 'init', '--out', '/proc/exp.yaml'], '--out /proc/exp.yaml'],
      [['demo', '--out', '/proc/demo'], '--out /proc/demo'],
      [['demo', '--synthetic', '--quick', '--out', '/proc/demo-synthetic'], '--out /proc/demo-synthetic'],
      // Under a regular file: ENOTDIR.
      [['data', 'prepare', '--tsv', input, '--out', join(input, 'd')], `--out ${join(input, 'd')}`],
    ];
    for (const [args, path] of cases) {
      const r = cli(args, 30_000);
      const what = args.slice(0, 2).join(' ');
      expect(r.signal, `${what}: timed out`).toBe(null);
      expect(r.code, `${what}: ${r.stderr}`).toBe(1);
      expect(r.ms, what).toBeLessThan(15_000);
      expect(r.stderr, what).toContain(`cannot write to ${path}: `);
      expect(r.stderr, what).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    // Before any work: train did not train the tokenizer of the fresh corpus.
    expect(existsSync(join(fresh, 'tokenizer.json'))).toBe(false);
  });
});

describe('SIGTERM and SIGINT are honoured within seconds', () => {
  for (const [sig, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`train: ${sig} while training stops after the step with a checkpoint, status ${status}`, async () => {
      const out = join(tmp, `run-${sig}`);
      const p = start(['train', '--data', join(tmp, 'data'), '--out', out, ...RUN_ARGS, '--steps', '100000']);
      await until('training progress', () => /step [1-9]\d*\//.test(p.err));
      p.kill(sig);
      const e = await p.exit;
      expect([e.code, e.signal], p.err).toEqual([status, null]);
      expect(e.ms).toBeLessThan(15_000);
      expect(p.err).toContain(`${sig}: stopping after this step`);
      expect(p.err).toMatch(/stopped at step \d+; resume with the same command/);
      expect(existsSync(join(out, 'checkpoints', 'latest.json'))).toBe(true);
      expect(existsSync(join(out, 'result.json'))).toBe(false);
    });
  }

  it('data prepare: SIGTERM / SIGINT mid-way exits 143 / 130 and leaves no files behind', async () => {
    // A corpus that takes a few seconds to prepare.
    const tsv = join(tmp, 'big.tsv');
    const w = (i: number) => `w${(i * 2654435761) % 100003}`;
    const lines: string[] = [];
    for (let i = 0; i < 300_000; i++) lines.push(`${w(i)} ${w(i + 1)} ${w(i + 2)} ${i}\t${w(i + 3)} ${w(i + 4)} ${i}`);
    writeFileSync(tsv, lines.join('\n') + '\n');
    for (const [sig, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const out = join(tmp, `big-${sig}`);
      const p = start(['data', 'prepare', '--tsv', tsv, '--out', out]);
      // Once the cleaned text is being written, the work is under way.
      await until('the temporary files', () => existsSync(out) && readdirSync(out).some((f) => f.startsWith('.clean-')));
      p.kill(sig);
      const e = await p.exit;
      expect([e.code, e.signal], p.err).toEqual([status, null]);
      expect(e.ms).toBeLessThan(10_000);
      expect(p.err).toContain(`stopped by ${sig}`);
      expect(readdirSync(out)).toEqual([]); // no part, no meta.json, no temporary file
    }
  });
});

describe('a closed pipe (| head -1) ends quietly with status 0', () => {
  /** Runs the CLI with its stdout's read end closed at once: every write meets EPIPE. */
  async function closedStdout(args: string[], stdin?: string) {
    const p = start(args);
    p.child.stdout!.destroy();
    if (stdin !== undefined) p.child.stdin!.end(stdin);
    else p.child.stdin!.end();
    const e = await p.exit;
    return { ...e, stderr: p.err };
  }

  it('data prepare writes its files and exits 0 without a stack trace', async () => {
    const out = join(tmp, 'piped');
    const e = await closedStdout(['data', 'prepare', '--src', join(FIX, 'bible-sample.es'), '--tgt', join(FIX, 'bible-sample.en'), '--langs', 'es,en', '--test', '100', '--dev', '100', '--out', out]);
    expect([e.code, e.signal], e.stderr).toEqual([0, null]);
    expect(e.stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(existsSync(join(out, 'meta.json'))).toBe(true);
  });

  it('every kind of output: help, JSON results, streamed tokens, translations', async () => {
    const text = readFileSync(join(FIX, 'bible-sample.es'), 'utf8');
    const cases: [string[], string | undefined][] = [
      [['--help'], undefined],
      [['data', 'prepare', '--help'], undefined],
      [['doctor', '--json'], undefined],
      [['tokenizer', 'encode', '--tokenizer', join(tmp, 'data', 'tokenizer.json')], text.repeat(20)],
      [['translate', '--run', join(tmp, 'run'), '--input', '-'], text.split('\n').slice(0, 20).join('\n') + '\n'],
      [['score', '--ref', join(FIX, 'bible-sample.en'), '--hyp', join(FIX, 'bible-sample.en')], undefined],
    ];
    for (const [args, stdin] of cases) {
      const e = await closedStdout(args, stdin);
      expect([e.code, e.signal], `${args.join(' ')}: ${e.stderr}`).toEqual([0, null]);
      expect(e.stderr, args.join(' ')).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    }
  });
});

describe('serve: the served name, unknown models, SIGTERM', () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  });

  it('--model-name NAME is listed and required of requests; another name is 404 model_not_found; SIGTERM closes it with status 0', async () => {
    const p = start(['serve', '--run', join(tmp, 'run'), '--port', '0', '--model-name', 'my-model']);
    server = p.child;
    await until('the server', () => / at http:\S+\/v1 /.test(p.out), 30_000);
    const url = / at (http:\S+)\/v1 /.exec(p.out)![1];
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['my-model']);
    const ask = (model: string, type = 'application/json') =>
      fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Sea la luz.' }] }) });
    expect((await ask('my-model')).status).toBe(200);
    const r = await ask('gpt-9');
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    expect((await ask('run')).status).toBe(404); // the run folder's name is not served under another name
    expect((await ask('my-model', 'text/plain')).status).toBe(415);
    p.kill('SIGTERM');
    const e = await p.exit;
    expect([e.code, e.signal], p.err).toEqual([0, null]);
    expect(e.ms).toBeLessThan(10_000);
  });
});
