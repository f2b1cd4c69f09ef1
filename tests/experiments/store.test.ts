import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import { expandGrid, specHash, type Cell } from '../../ts/src/experiments/grid/grid.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { formatStatus } from '../../ts/src/experiments/run/status.js';
import { openStore, type ResultsStore } from '../../ts/src/experiments/store/store.js';
import { SpecChangedError } from '../../ts/src/experiments/store/changes.js';
import { ROOT } from '../helpers.js';

const root = mkdtempSync(join(tmpdir(), 'rg-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `exp${++n}`);

const open: ResultsStore[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function store(dir: string, spec = presetSpec('demo')): ResultsStore {
  const s = openStore(dir, { spec });
  open.push(s);
  return s;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegurgitateError);
    return (e as RegurgitateError).code;
  }
  throw new Error('expected an error');
}

const SIG = { bleu: 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0', chrf: 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0', ter: 'nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0' };

/** Runs a student to the end as the runner would. */
function finish(s: ResultsStore, id: string, bleu: number): void {
  s.markRunning(id);
  s.recordMetric(id, 'bleu', bleu, SIG.bleu);
  s.recordMetric(id, 'chrf', bleu + 20, SIG.chrf);
  s.recordMetric(id, 'ter', 100 - bleu, SIG.ter);
  s.recordMetric(id, 'steps', 250);
  s.recordMetric(id, 'train_mtld', 80.5);
  s.recordMetric(id, 'train_distinct_2', 0.61);
  s.recordTiming(id, 'train', 12.5);
  s.recordArtifact(id, 'hypotheses', `runs/${id}/test.hyp`);
  s.markDone(id);
}

/** Starts store_child.ts; resolves with its pid once it has claimed the run. */
function child(dir: string, id: string, mode: 'crash' | 'hold'): Promise<{ proc: ChildProcess; pid: number; exited: Promise<void> }> {
  const proc = spawn(process.execPath, [join(ROOT, 'node_modules/vite-node/vite-node.mjs'), join(ROOT, 'tests/experiments/store_child.ts'), dir, id, mode], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ proc, pid: Number(m[1]), exited });
    });
    proc.on('exit', (c, sig) => {
      if (!/ready/.test(out)) reject(new Error(`child exited (${c ?? sig}) before claiming the run: ${err}`));
    });
  });
}

describe('results store', () => {
  it('creates the database in WAL mode with the experiment and its versions', () => {
    const dir = freshDir();
    const s = store(dir);
    const info = s.experiment()!;
    expect(info.name).toBe('demo');
    expect(info.specHash).toBe(specHash(presetSpec('demo')));
    expect(info.spec).toEqual(JSON.parse(JSON.stringify(presetSpec('demo'))));
    expect(info.versions).toMatchObject({ node: process.version, sacrebleu: '2.6.0' });
    expect(info.versions.regurgitate).toMatch(/^\d+\.\d+\.\d+/);
    const raw = new Database(join(dir, 'results.sqlite'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect((raw.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').all('table') as { name: string }[]).map((r) => r.name)).toEqual(
        ['artifacts', 'experiment', 'meta', 'metrics', 'runs', 'timings'],
      );
    } finally {
      raw.close();
    }
  });

  it('adds the grid as pending runs, marks them, and returns the results of finished students', () => {
    const s = store(freshDir());
    const cells = expandGrid(presetSpec('demo'));
    expect(s.upsertCells(cells)).toEqual({ added: 18, unchanged: 0, restarted: 0, retired: 0 });
    expect(s.status().counts).toEqual({ pending: 18, running: 0, interrupted: 0, done: 0, failed: 0, total: 18 });
    expect(s.status().runs.map((r) => r.id)).toEqual(cells.map((c) => c.id));

    s.markRunning('generator-apertium');
    s.recordMetric('generator-apertium', 'bleu', 21.5, SIG.bleu);
    s.recordMetric('generator-apertium', 'chrf', 48, SIG.chrf);
    s.recordMetric('generator-apertium', 'ter', 66, SIG.ter);
    s.recordMetric('generator-apertium', 'sentences', 7000);
    s.recordMetric('generator-apertium', 'mtld', 70);
    s.recordMetric('generator-apertium', 'distinct_2', 0.5);
    s.recordMetric('generator-apertium', 'ttr', 0.1);
    s.recordTiming('generator-apertium', 'generate', 9);
    s.markDone('generator-apertium');
    finish(s, 'real__n1000__seed1', 10.5);
    finish(s, 'mix-apertium-0.5__n1000__seed1', 8.25);
    s.markRunning('real__n1000__seed2');
    s.markRunning('generated-low__n1000__seed1');
    s.markFailed('generated-low__n1000__seed1', new RegurgitateError('EIO', 'disk full'));

    const st = s.status();
    expect(st.counts).toEqual({ pending: 13, running: 1, interrupted: 0, done: 3, failed: 1, total: 18 });
    const row = (id: string) => st.runs.find((r) => r.id === id)!;
    expect(row('real__n1000__seed2')).toMatchObject({ status: 'running', pid: process.pid, attempts: 1, finished: null });
    expect(row('generated-low__n1000__seed1')).toMatchObject({ status: 'failed', error: 'EIO: disk full' });
    expect(row('real__n1000__seed1')).toMatchObject({ status: 'done', bleu: 10.5 });
    expect(Date.parse(row('real__n1000__seed1').finished!)).toBeGreaterThanOrEqual(Date.parse(row('real__n1000__seed1').started!));

    expect(s.results()).toEqual([
      {
        id: 'real__n1000__seed1',
        condition: 'real',
        generator: null,
        generatedFraction: 0,
        generators: [],
        factors: { family: 'real', fraction: 0 },
        size: 1000,
        seed: 1,
        bleu: 10.5,
        chrf: 30.5,
        ter: 89.5,
        signatures: SIG,
        hypotheses: 'runs/real__n1000__seed1/test.hyp',
        trainDiversity: { mtld: 80.5, distinct_2: 0.61 },
        steps: 250,
        trainSeconds: 12.5,
      },
      expect.objectContaining({ id: 'mix-apertium-0.5__n1000__seed1', condition: 'mix:apertium:0.5', generator: 'apertium', generatedFraction: 0.5, generators: ['apertium'], factors: { family: 'mix', fraction: 0.5 }, bleu: 8.25 }),
    ]);
    expect(s.generatorQuality()).toEqual([
      { name: 'apertium', kind: 'apertium', sentences: 7000, bleu: 21.5, chrf: 48, ter: 66, signatures: SIG, diversity: { mtld: 70, distinct_2: 0.5, ttr: 0.1 }, seconds: 9 },
    ]);
  });

  it('rejects bad calls with precise codes', () => {
    const s = store(freshDir());
    s.upsertCells(expandGrid(presetSpec('demo')));
    expect(code(() => s.markRunning('nope'))).toBe('ERANGE');
    expect(code(() => s.recordMetric('nope', 'bleu', 1))).toBe('ERANGE');
    expect(code(() => s.markDone('real__n1000__seed1'))).toBe('EINVAL'); // pending, not running
    expect(code(() => s.recordMetric('real__n1000__seed1', 'bleu', NaN))).toBe('EINVAL');
    expect(code(() => s.recordMetric('real__n1000__seed1', 'bad name', 1))).toBe('EINVAL');
    expect(code(() => s.recordTiming('real__n1000__seed1', 'train', -1))).toBe('EINVAL');
    expect(code(() => s.recordArtifact('real__n1000__seed1', 'hypotheses', '/abs/x'))).toBe('EINVAL');
    expect(code(() => s.recordArtifact('real__n1000__seed1', 'hypotheses', 'a/../../x'))).toBe('EINVAL');
    s.markRunning('real__n1000__seed1');
    expect(code(() => s.markRunning('real__n1000__seed1'))).toBe('EBUSY'); // this process holds it
    s.markDone('real__n1000__seed1');
    expect(code(() => s.markRunning('real__n1000__seed1'))).toBe('EINVAL'); // done
    expect(code(() => s.markFailed('real__n1000__seed1', 'x'))).toBe('EINVAL');
    const dup = expandGrid(presetSpec('demo'));
    expect(code(() => s.upsertCells([dup[0], dup[0]]))).toBe('EINVAL');
  });

  it('a run whose process was killed shows as interrupted after reopening, and can run again', async () => {
    const dir = freshDir();
    const s = store(dir);
    s.upsertCells(expandGrid(presetSpec('demo')));
    finish(s, 'real__n1000__seed1', 10);
    s.close();

    const c = await child(dir, 'real__n1000__seed2', 'crash');
    await c.exited;
    const again = store(dir);
    const st = again.status();
    expect(st.runs.find((r) => r.id === 'real__n1000__seed2')).toMatchObject({ status: 'interrupted', pid: c.pid, attempts: 1 });
    expect(st.counts).toMatchObject({ done: 1, interrupted: 1, running: 0 });
    expect(formatStatus(st)).toMatch(/real\s+1\/2 \(1 interrupted\)/);
    // finished work survived; the interrupted run starts over without its partial results
    expect(again.results().map((r) => r.id)).toEqual(['real__n1000__seed1']);
    again.markRunning('real__n1000__seed2');
    const row = again.status().runs.find((r) => r.id === 'real__n1000__seed2')!;
    expect(row).toMatchObject({ status: 'running', pid: process.pid, attempts: 2 });
    again.recordMetric('real__n1000__seed2', 'bleu', 3, SIG.bleu);
    again.recordMetric('real__n1000__seed2', 'chrf', 3, SIG.chrf);
    again.recordMetric('real__n1000__seed2', 'ter', 3, SIG.ter);
    again.markDone('real__n1000__seed2');
    const raw = new Database(join(dir, 'results.sqlite'), { readonly: true });
    try {
      expect(raw.prepare("SELECT name FROM metrics WHERE run_id = 'real__n1000__seed2' ORDER BY name").all()).toEqual([{ name: 'bleu' }, { name: 'chrf' }, { name: 'ter' }]);
    } finally {
      raw.close();
    }
  }, 60_000);

  it('a run held by a live process is running, and cannot be claimed twice', async () => {
    const dir = freshDir();
    const s = store(dir);
    s.upsertCells(expandGrid(presetSpec('demo')));
    const c = await child(dir, 'generator-low', 'hold');
    expect(s.status().runs[1]).toMatchObject({ id: 'generator-low', status: 'running', pid: c.pid });
    expect(code(() => s.markRunning('generator-low'))).toBe('EBUSY');
    expect(formatStatus(s.status())).toMatch(new RegExp(`generator-low\\s+running \\(pid ${c.pid}`));
    c.proc.kill('SIGKILL');
    await c.exited;
    expect(s.status().runs[1].status).toBe('interrupted');
    s.markRunning('generator-low');
  }, 60_000);

  it('a changed spec is reported with the fields that changed, and nothing is written', () => {
    const dir = freshDir();
    const s = store(dir);
    const demo = presetSpec('demo');
    s.upsertCells(expandGrid(demo));
    finish(s, 'real__n1000__seed1', 10);
    finish(s, 'mix-apertium-0.5__n1000__seed1', 9);
    const before = s.status();

    const changed = { ...demo, student: { ...demo.student, train: { ...demo.student.train, lr: 0.002 } } };
    let err: unknown;
    try {
      s.upsertCells(expandGrid(changed));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecChangedError);
    const e = err as SpecChangedError;
    expect(e.code).toBe('ECHANGED');
    expect(e.changes.length).toBe(16); // every student; the generators did not change
    expect(e.changes[0]).toMatchObject({ id: 'real__n1000__seed1', status: 'done', fields: [{ path: 'student.train.lr', old: 0.005, new: 0.002 }] });
    expect(e.message).toContain('holds results of a different spec: 16 run(s) now have other settings (2 of them done)');
    expect(e.message).toContain('real__n1000__seed1 (done): student.train.lr 0.005 -> 0.002');
    expect(s.status()).toEqual(before);

    // restarting: the changed runs start over, the unchanged generator jobs keep their state
    s.markRunning('generator-apertium');
    s.markDone('generator-apertium');
    expect(s.upsertCells(expandGrid(changed), { onChange: 'restart' })).toEqual({ added: 0, unchanged: 2, restarted: 16, retired: 0 });
    const st = s.status();
    expect(st.counts).toMatchObject({ done: 1, pending: 17 });
    expect(st.runs.find((r) => r.id === 'real__n1000__seed1')).toMatchObject({ status: 'pending', attempts: 0, bleu: null });
    expect(s.results()).toEqual([]);
  });

  it('cells dropped from the spec are retired: kept, but left out of status and results', () => {
    const s = store(freshDir());
    const demo = presetSpec('demo');
    s.upsertCells(expandGrid(demo));
    finish(s, 'real__n4000__seed2', 12);
    const smaller = parseSpec(JSON.stringify({ ...JSON.parse(JSON.stringify(demo)) }), 'x.json');
    smaller.sizes = [1000];
    expect(s.upsertCells(expandGrid(smaller))).toEqual({ added: 0, unchanged: 10, restarted: 0, retired: 8 });
    expect(s.status().counts.total).toBe(10);
    expect(s.results()).toEqual([]);
    const all = s.status({ all: true });
    expect(all.counts.total).toBe(18);
    expect(all.runs.find((r) => r.id === 'real__n4000__seed2')).toMatchObject({ inGrid: false, status: 'done' });
    // putting the size back brings its finished run back
    expect(s.upsertCells(expandGrid(demo))).toMatchObject({ unchanged: 18, retired: 0 });
    expect(s.results().map((r) => r.id)).toEqual(['real__n4000__seed2']);
  });

  it('reads its own schema only', () => {
    const dir = freshDir();
    store(dir).close();
    const raw = new Database(join(dir, 'results.sqlite'));
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    raw.close();
    expect(code(() => openStore(dir))).toBe('EFORMAT');
    const junk = freshDir();
    rmSync(junk, { recursive: true, force: true });
    openStore(junk).close();
    writeFileSync(join(junk, 'results.sqlite'), 'this is not a database, just some text that is long enough to have a header');
    for (const f of ['results.sqlite-wal', 'results.sqlite-shm']) rmSync(join(junk, f), { force: true });
    expect(code(() => openStore(junk))).toBe('EFORMAT');
  });

  it('upsertCells checks its input', () => {
    const s = store(freshDir());
    const cell: Cell = expandGrid(presetSpec('demo'))[0];
    expect(code(() => s.upsertCells([{ ...cell, settingsHash: 'abc' }]))).toBe('EINVAL');
    expect(code(() => s.upsertCells([cell], { onChange: 'merge' as never }))).toBe('EINVAL');
  });
});
