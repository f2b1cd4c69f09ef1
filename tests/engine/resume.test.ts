// A run killed mid-training and resumed from its checkpoint ends with weights identical,
// bit for bit, to an uninterrupted run; checkpoints are complete or absent, never torn.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addon, pack, synthetic, tinyConfig, tinyData, tinyTrainOptions, tinyValid } from '../helpers/native.js';

const cfg = tinyConfig;
const data = tinyData();
const valid = tinyValid();
const opts = tinyTrainOptions;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rg-resume-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const bytes = (p: Float32Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength);

describe('checkpoint and resume', () => {
  it('resumed run equals uninterrupted run bit for bit (dropout on, validation, several epochs)', async () => {
    const full = new addon.Model(JSON.stringify(cfg), 3);
    const a = await full.train(data, valid, { ...opts, checkpointDir: tmp() }, () => {});
    expect(a.steps).toBe(40);
    expect(a.epochs).toBeGreaterThan(1); // crosses epoch boundaries, so the shuffle is resumed too

    const dir = tmp();
    const killed = new addon.Model(JSON.stringify(cfg), 3);
    const b = await killed.train(data, valid, { ...opts, checkpointDir: dir, stopAfterSteps: 27 }, () => {});
    expect(b.interrupted).toBe(true);
    expect(b.steps).toBe(27);
    // "Killed" after step 27: the newest complete checkpoint is step 20.
    expect(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).step).toBe(20);

    const resumed = new addon.Model(JSON.stringify(cfg), 999); // different init: everything must come from disk
    const c = await resumed.train(data, valid, { ...opts, checkpointDir: dir, resume: true }, () => {});
    expect(c.steps).toBe(40);
    expect(bytes(resumed.getParams()).equals(bytes(full.getParams()))).toBe(true);
    expect(c.bestValidLoss).toBe(a.bestValidLoss);
  });

  it('a resumed run reports the same losses as an uninterrupted one, even from a checkpoint between reports', async () => {
    type P = { step: number; loss: number; lr: number; validLoss?: number };
    const record = (into: P[]) => (p: P) => into.push({ step: p.step, loss: p.loss, lr: p.lr, validLoss: p.validLoss });
    const o = { ...opts, checkpointEvery: 7 }; // reports every 5 steps, checkpoints at 7, 14, ...
    const a: P[] = [];
    await new addon.Model(JSON.stringify(cfg), 3).train(data, valid, { ...o, checkpointDir: tmp() }, record(a));
    const dir = tmp();
    const [b, c]: P[][] = [[], []];
    await new addon.Model(JSON.stringify(cfg), 3).train(data, valid, { ...o, checkpointDir: dir, stopAfterSteps: 17 }, record(b));
    expect(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).step).toBe(14);
    expect(b.map((p) => p.step)).toEqual([5, 10, 15]);
    await new addon.Model(JSON.stringify(cfg), 3).train(data, valid, { ...o, checkpointDir: dir, resume: true }, record(c));
    // The first run's reports up to the checkpoint, then the resumed run's: the uninterrupted run's.
    expect([...b.filter((p) => p.step <= 14), ...c]).toEqual(a);
  });

  it('checkpoints by time; the newest two are kept; a new run in an old folder and uncommitted leftovers', async () => {
    const dir = tmp();
    const steps = () => readdirSync(dir).filter((n) => n.startsWith('step-')).sort();
    const latest = () => JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    const full = new addon.Model(JSON.stringify(cfg), 3);
    // Every step is due (1 ns): a checkpoint whenever the previous write is done.
    const r = await full.train(data, null, { ...opts, maxSteps: 20, checkpointEvery: 0, checkpointSeconds: 1e-9, checkpointDir: dir }, () => {});
    expect(r.steps).toBe(20);
    expect(latest()).toEqual({ checkpoint: 'step-00000020', step: 20 });
    const two = steps();
    expect(two.length).toBe(2);
    expect(two[0] < 'step-00000020').toBe(true);
    // Leftovers of a killed run: a half-written checkpoint and one never committed.
    mkdirSync(join(dir, 'step-00000007.tmp'));
    writeFileSync(join(dir, 'step-00000007.tmp', 'model.safetensors'), 'torn');
    mkdirSync(join(dir, 'step-00000050'));
    // A new run (no resume) into the same folder ends at the step latest.json names: it does not touch that one.
    const again = new addon.Model(JSON.stringify(cfg), 3);
    await again.train(data, null, { ...opts, maxSteps: 20, checkpointEvery: 0, checkpointSeconds: 0, checkpointDir: dir }, () => {});
    expect(latest()).toEqual({ checkpoint: 'step-00000020-1', step: 20 });
    expect(steps()).toEqual(['step-00000020', 'step-00000020-1']);
    const back = new addon.Model(JSON.stringify(cfg), 99);
    const r2 = await back.train(data, null, { ...opts, maxSteps: 20, checkpointDir: dir, resume: true }, () => {});
    expect(r2.steps).toBe(20);
    expect(bytes(back.getParams()).equals(bytes(full.getParams()))).toBe(true);
  });

  it('resumes from a checkpoint of 0.2.0 (trainer.json without last_eval and the loss fields)', async () => {
    const dir = tmp();
    const full = new addon.Model(JSON.stringify(cfg), 3);
    await full.train(data, null, { ...opts, checkpointDir: tmp(), validEvery: 0 }, () => {});
    const m = new addon.Model(JSON.stringify(cfg), 3);
    await m.train(data, null, { ...opts, validEvery: 0, checkpointDir: dir, stopAfterSteps: 20 }, () => {});
    const name = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).checkpoint;
    const tj = join(dir, name, 'trainer.json');
    const t = JSON.parse(readFileSync(tj, 'utf8'));
    for (const k of ['last_eval', 'loss_sum', 'loss_tokens', 'real_tokens']) delete t[k];
    writeFileSync(tj, JSON.stringify(t));
    const back = new addon.Model(JSON.stringify(cfg), 7);
    await back.train(data, null, { ...opts, validEvery: 0, checkpointDir: dir, resume: true }, () => {});
    expect(bytes(back.getParams()).equals(bytes(full.getParams()))).toBe(true);
  });

  it('same seed gives the same weights; another seed does not', async () => {
    const run = async (seed: number) => {
      const m = new addon.Model(JSON.stringify(cfg), 1);
      await m.train(data, null, { ...opts, seed, maxSteps: 8, checkpointEvery: 0, checkpointDir: '' }, () => {});
      return bytes(m.getParams());
    };
    const [x, y, z] = [await run(4), await run(4), await run(5)];
    expect(x.equals(y)).toBe(true);
    expect(x.equals(z)).toBe(false);
  });

  it('refuses to resume with different data, and ignores torn temporary files', async () => {
    const dir = tmp();
    const m = new addon.Model(JSON.stringify(cfg), 3);
    await m.train(data, null, { ...opts, checkpointDir: dir, maxSteps: 10 }, () => {});
    // A crash mid-write leaves only a temporary file; latest.json still names a whole checkpoint.
    writeFileSync(join(dir, 'latest.json.tmp-1-0'), '{"checkpoint": "step-000');
    const other = pack(synthetic(300, 24, 3, 9, 99));
    await expect(
      new addon.Model(JSON.stringify(cfg), 3).train(other, null, { ...opts, checkpointDir: dir, resume: true }, () => {}),
    ).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/different training data/) });
    const r = await new addon.Model(JSON.stringify(cfg), 3).train(
      data, null, { ...opts, checkpointDir: dir, resume: true, maxSteps: 12 }, () => {});
    expect(r.steps).toBe(12);
    expect(readdirSync(dir).filter((n) => n.startsWith('step-')).length).toBeLessThanOrEqual(2);
  });

  it('a corrupt checkpoint file gives a clear error naming the file', async () => {
    const dir = tmp();
    const m = new addon.Model(JSON.stringify(cfg), 3);
    await m.train(data, null, { ...opts, checkpointDir: dir, maxSteps: 10 }, () => {});
    const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).checkpoint;
    const f = join(dir, latest, 'optimizer.safetensors');
    expect(existsSync(f)).toBe(true);
    writeFileSync(f, Buffer.from([1, 2, 3]));
    await expect(
      new addon.Model(JSON.stringify(cfg), 3).train(data, null, { ...opts, checkpointDir: dir, resume: true }, () => {}),
    ).rejects.toMatchObject({ code: 'EFORMAT', message: expect.stringContaining('optimizer.safetensors') });
  });

  it('saves and loads a model (safetensors + config.json) exactly', () => {
    const dir = tmp();
    const m = new addon.Model(JSON.stringify(cfg), 8);
    m.save(dir);
    const back = addon.Model.load(dir);
    expect(back.config).toEqual(m.config);
    expect(bytes(back.getParams()).equals(bytes(m.getParams()))).toBe(true);
    expect(() => addon.Model.load(join(dir, 'nope'))).toThrow(/config.json/);
  });
});

describe('a real kill (SIGKILL) mid-training', () => {
  it('resumes from the last complete checkpoint to the same weights as an uninterrupted run', async () => {
    const { spawn } = await import('node:child_process');
    const o = { ...opts, maxSteps: 60, checkpointEvery: 3, validEvery: 0, checkpointDir: '' };
    const full = new addon.Model(JSON.stringify(cfg), 3);
    await full.train(data, null, o, () => {});

    const dir = tmp();
    const plain = (p: typeof data) => ({
      src: [...p.src], srcOffsets: [...p.srcOffsets], tgt: [...p.tgt], tgtOffsets: [...p.tgtOffsets],
    });
    const child = spawn(process.execPath, ['tests/fixtures/train-child.mjs', JSON.stringify([cfg, plain(data), { ...o, checkpointDir: dir }])], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Kill it once a few checkpoints exist, wherever it is (maybe mid-write).
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      const p = join(dir, 'latest.json');
      if (existsSync(p)) {
        try {
          if (JSON.parse(readFileSync(p, 'utf8')).step >= 9) break;
        } catch {
          /* being replaced: rename is atomic, so this is a read race on an old inode; retry */
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const at = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).step;
    expect(at).toBeGreaterThanOrEqual(9);
    expect(at).toBeLessThan(60); // it really was interrupted

    const resumed = new addon.Model(JSON.stringify(cfg), 1234);
    const r = await resumed.train(data, null, { ...o, checkpointDir: dir, resume: true }, () => {});
    expect(r.steps).toBe(60);
    expect(bytes(resumed.getParams()).equals(bytes(full.getParams()))).toBe(true);
  });
});

describe('paths', () => {
  it('rejects empty paths and paths with NUL characters instead of writing elsewhere', () => {
    const m = new addon.Model(JSON.stringify(cfg), 1);
    expect(() => m.save('')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => m.save('a\0b')).toThrow(/NUL/);
    expect(() => addon.Model.load('')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
