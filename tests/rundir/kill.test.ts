// `regurgitate train` killed with SIGKILL (no handler runs, nothing is flushed) resumes
// from its newest periodic checkpoint, not from step 0, and ends with the same weights,
// byte for byte, and the same progress log, each step once, as a run never stopped. A
// kill while a checkpoint is half-written leaves the one before it usable
// (REGURGITATE_TEST_CHECKPOINT_HOLD, test-only, pauses inside the write).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { trimProgressLog } from '../../ts/src/rundir/train.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
let tmp: string;
const STEPS = 150; // past one epoch (132 batches): a dev evaluation and a reshuffle on the way

function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 240_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same training each time; only the run folder differs. */
const trainArgs = (out: string) => [
  'train', '--data', join(tmp, 'data'), '--out', out, '--model', 'tiny', '--vocab-size', '1000',
  '--steps', String(STEPS), '--max-tokens', '1500', '--threads', '2', '--checkpoint-seconds', '0.3', '--json',
];

interface Line {
  step: number;
  loss: number;
  lr: number;
  validLoss?: number;
  bestValidLoss?: number;
}
const progress = (run: string): Line[] =>
  readFileSync(join(run, 'progress.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
/** What a resumed run must report as the uninterrupted one did (not the clock: speed, time). */
const reported = (run: string) => progress(run).map(({ step, loss, lr, validLoss, bestValidLoss }) => ({ step, loss, lr, validLoss, bestValidLoss }));
const latestStep = (run: string): number => JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).step;
const weights = (run: string) => readFileSync(join(run, 'model', 'model.safetensors'));
const result = (run: string) => JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')).result;

/** Starts a training; resolves once `ready(stderr, out)` holds, then kills it with SIGKILL. */
async function killWhen(out: string, ready: (stderr: string) => boolean, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...trainArgs(out)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  await new Promise<void>((res, rej) => {
    const timer = setInterval(() => {
      if (ready(err)) {
        clearInterval(timer);
        res();
      }
    }, 5);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearInterval(timer);
      rej(new Error(`training ended (${code}) before it was killed:\n${err}`));
    });
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return err;
}

let full: string;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-kill-'));
  const prep = cli(['data', 'prepare', '--src', join(FIX, 'bible-sample.es'), '--tgt', join(FIX, 'bible-sample.en'), '--langs', 'es,en', '--test', '100', '--dev', '100', '--out', join(tmp, 'data')]);
  expect(prep.code, prep.stderr).toBe(0);
  // The uninterrupted run everything is compared with.
  full = join(tmp, 'full');
  const r = cli(trainArgs(full));
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).steps).toBe(STEPS);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectSameAsFull(run: string) {
  expect(weights(run).equals(weights(full))).toBe(true);
  const [a, b] = [result(run), result(full)];
  expect(a.steps).toBe(STEPS);
  expect(a.lastLoss).toBe(b.lastLoss);
  expect(a.bestValidLoss).toBe(b.bestValidLoss);
  expect(a.bestStep).toBe(b.bestStep);
  // Every report once (a step has one, or two at the end: progress, then the last dev
  // evaluation), each with what the uninterrupted run reported.
  const keys = progress(run).map((l) => `${l.step}${l.validLoss === undefined ? '' : ' dev'}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(reported(run)).toEqual(reported(full));
}

describe('regurgitate train killed with SIGKILL', () => {
  it('resumes from the newest periodic checkpoint (not step 0) to the same weights and log as an uninterrupted run', async () => {
    const run = join(tmp, 'killed');
    // Killed once a periodic checkpoint exists and training has gone past it.
    await killWhen(run, () => {
      try {
        const at = latestStep(run);
        return at > 0 && progress(run).some((l) => l.step > at);
      } catch {
        return false; // not there yet, or a line being written
      }
    });
    expect(existsSync(join(run, 'result.json'))).toBe(false);
    const at = latestStep(run);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(STEPS);
    const before = progress(run);

    const r = cli(trainArgs(run));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resuming from the checkpoint at step ${at} `);
    // The reports up to the checkpoint are the first run's, kept as they were written.
    const kept = before.filter((l) => l.step <= at);
    expect(progress(run).slice(0, kept.length)).toEqual(kept);
    expectSameAsFull(run);
    // The last two checkpoints are kept, and nothing half-written.
    const entries = readdirSync(join(run, 'checkpoints')).filter((n) => n.startsWith('step-'));
    expect(entries.length).toBe(2);
    expect(entries.every((n) => /^step-\d{8}$/.test(n))).toBe(true);
  }, 300_000);

  it('killed while writing a checkpoint: the previous one stays usable and training resumes from it', async () => {
    const run = join(tmp, 'torn');
    let held = '';
    await killWhen(
      run,
      (err) => {
        const m = /checkpoint: holding in (step-\d+)/.exec(err);
        if (m) held = m[1];
        return m !== null;
      },
      { REGURGITATE_TEST_CHECKPOINT_HOLD: '2' },
    );
    const ck = join(run, 'checkpoints');
    const first = JSON.parse(readFileSync(join(ck, 'latest.json'), 'utf8'));
    // latest.json still names the first checkpoint, complete; the second is half-written under its temporary name.
    expect(first.checkpoint).not.toBe(held);
    expect(first.step).toBeGreaterThan(0);
    for (const f of ['model.safetensors', 'config.json', 'optimizer.safetensors', 'trainer.json']) expect(existsSync(join(ck, first.checkpoint, f)), f).toBe(true);
    expect(existsSync(join(ck, `${held}.tmp`, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(ck, `${held}.tmp`, 'trainer.json'))).toBe(false);
    expect(existsSync(join(ck, held))).toBe(false);

    const r = cli(trainArgs(run));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resuming from the checkpoint at step ${first.step} `);
    expectSameAsFull(run);
    expect(readdirSync(ck).filter((n) => n.includes('.tmp'))).toEqual([]);
  }, 300_000);
});

describe('trimProgressLog', () => {
  it('keeps the reports up to the step training goes on from, and drops a torn line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-trim-'));
    try {
      const log = join(dir, 'progress.jsonl');
      const line = (step: number) => JSON.stringify({ step, loss: step / 10 });
      writeFileSync(log, [10, 20, 30, 40].map(line).join('\n') + '\n{"step": 5');
      trimProgressLog(log, 25);
      expect(readFileSync(log, 'utf8')).toBe(line(10) + '\n' + line(20) + '\n');
      trimProgressLog(log, 25); // nothing to cut: unchanged
      expect(readFileSync(log, 'utf8')).toBe(line(10) + '\n' + line(20) + '\n');
      trimProgressLog(log, 0); // training starts over
      expect(readFileSync(log, 'utf8')).toBe('');
      trimProgressLog(join(dir, 'none.jsonl'), 3); // no log yet
      expect(existsSync(join(dir, 'none.jsonl'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
