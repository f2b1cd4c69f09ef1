// A bounded slice of a study, as a GPU session with minutes runs it: --only picks cells
// (and the jobs they wait for), --max-runs and --time-budget stop cleanly with the
// finished runs kept; and a folder prepared elsewhere needs neither Apertium (its output
// cached) nor the SWORD modules (the data prepared) on the machine that goes on with it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { canonicalJson } from '../../ts/src/common/canonical.js';
import { expandGrid } from '../../ts/src/experiments/grid/grid.js';
import { identitySpec } from '../../ts/src/experiments/grid/identity.js';
import { runExperiment } from '../../ts/src/experiments/run/runner.js';
import { parseCellFilter, selectCells } from '../../ts/src/experiments/grid/slice.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { openStore } from '../../ts/src/experiments/store/store.js';
import { requestedIndices } from '../../ts/src/experiments/kinds/index.js';
import { cacheKey } from '../../ts/src/generators/cache.js';
import { corpusBleu } from '../../ts/src/metrics/index.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const CORPUS = `{ kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }`;

function specText(o: { steps?: number; corpus?: string } = {}): string {
  return `
name: slice-study
corpus: ${o.corpus ?? CORPUS}
splits: { poolA: 600, poolB: rest, dev: 100, test: 100, splitSeed: 3 }
tokenizer: { vocabSize: 600 }
generators:
  low: { kind: model, model: tiny, trainPairs: 300, train: { maxSteps: 10, maxEpochs: 0, maxTokens: 1500, lr: 0.003 }, decode: { method: greedy }, seed: 1 }
  apertium: { kind: apertium, mode: spa-eng }
conditions: [real, generated:low, generated:apertium]
sizes: [100, 200]
seeds: [1, 2]
student:
  model: tiny
  train: { maxSteps: ${o.steps ?? 10}, maxEpochs: 0, maxTokens: 1500, lr: 0.003, patience: 0, restoreBest: false }
  decode: { method: greedy }
device: cpu
`;
}

let tmp: string;
const spec = (o?: Parameters<typeof specText>[0]) => parseSpec(specText(o), join(tmp, 'spec.yaml'));
const only = (s: string) => parseCellFilter(s);
const PATH = process.env.PATH;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-slice-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  process.env.PATH = PATH;
});

/** A PATH without apertium, mod2imp or anything else. */
function barePath(): string {
  const d = join(tmp, 'empty-bin');
  mkdirSync(d, { recursive: true });
  return d;
}

describe('--only filters', () => {
  const cells = () => expandGrid(spec());

  it('one key: alternatives; several keys: all must hold; the jobs the picked runs wait for come along', () => {
    const ids = selectCells(cells(), only('condition=real,condition=generated:low,size=100,seed=1'));
    expect([...ids].sort()).toEqual(['generated-low__n100__seed1', 'generator-low', 'real__n100__seed1']);
    expect([...selectCells(cells(), only('id=generator-apertium'))]).toEqual(['generator-apertium']);
    expect(selectCells(cells(), only('kind=student,size=200')).size).toBe(6 + 2); // 3 conditions x 2 seeds, and both generators
    expect([...selectCells(cells(), only(' seed = 02 , size=100, condition=real '))]).toEqual(['real__n100__seed2']);
  });

  it('bad filters are errors that name the flag and the term', () => {
    expect(() => only('')).toThrow(/--only: empty filter/);
    expect(() => only('size=100,,seed=1')).toThrow(/--only: empty term/);
    expect(() => only('real')).toThrow(/--only: 'real' is not KEY=VALUE \(keys: id, kind, condition, generator, size, seed\)/);
    expect(() => only('sise=100')).toThrow(/--only: unknown key 'sise'/);
    expect(() => only('size=1e3')).toThrow(/--only: size must be an integer >= 0 \(got '1e3'\)/);
    expect(() => only('kind=teacher')).toThrow(/kind must be one of generator, base, student/);
    expect(() => only('condition=mixx:low:0.5')).toThrow(/--only: unknown condition 'mixx:low:0.5'/);
    expect(() => selectCells(cells(), only('size=300'))).toThrow(/--only matches no run of the grid \(it has conditions real, generated:low, generated:apertium; sizes 100, 200; seeds 1, 2; jobs generator-low, generator-apertium\)/);
  });
});

describe('slices of a run', () => {
  it('runs only the slice; --max-runs stops after N started runs; the rest stays pending', async () => {
    const d = join(tmp, 'exp-slice');
    const s1 = await runExperiment(spec(), d, { only: only('condition=real,condition=generated:low,size=100,seed=1'), maxRuns: 2 });
    expect(s1).toMatchObject({ total: 14, selected: 3, selectedDone: 2, done: 2, ranNow: 2, stopped: 'max-runs', cancelled: false, failed: [] });
    const s2 = await runExperiment(spec(), d, { only: only('condition=real,condition=generated:low,size=100,seed=1') });
    expect(s2).toMatchObject({ selected: 3, selectedDone: 3, done: 3, ranNow: 1, stopped: null });
    const st = openStore(d);
    const byId = new Map(st.status().runs.map((r) => [r.id, r.status]));
    st.close();
    expect([...byId].filter(([, v]) => v === 'done').map(([k]) => k).sort()).toEqual(['generated-low__n100__seed1', 'generator-low', 'real__n100__seed1']);
    expect([...byId.values()].filter((v) => v === 'pending').length).toBe(11);
  });

  it('--time-budget stops like Ctrl-C: the student under way keeps its checkpoint, nothing is left running', async () => {
    const d = join(tmp, 'exp-budget');
    // Students far too long for the budget: the first one is stopped while it trains.
    const s = await runExperiment(spec({ steps: 100000 }), d, { only: only('condition=real,size=100'), timeBudgetSeconds: 3 });
    expect(s).toMatchObject({ stopped: 'time-budget', cancelled: false, selectedDone: 0, failed: [] });
    const st = openStore(d);
    const runs = st.status().runs;
    st.close();
    const stopped = runs.filter((r) => r.status === 'interrupted');
    expect(runs.some((r) => r.status === 'running')).toBe(false);
    expect(stopped.map((r) => r.id)).toEqual(['real__n100__seed1']);
    expect(existsSync(join(d, 'runs', 'real__n100__seed1', 'checkpoints', 'latest.json'))).toBe(true);
  });

  it('limits are checked', async () => {
    await expect(runExperiment(spec(), join(tmp, 'never'), { maxRuns: 0 })).rejects.toThrow(/maxRuns must be an integer >= 1/);
    await expect(runExperiment(spec(), join(tmp, 'never'), { timeBudgetSeconds: -1 })).rejects.toThrow(/timeBudgetSeconds must be a number of seconds > 0/);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});

describe('a folder prepared elsewhere', () => {
  it('Apertium absent from PATH: its cached output is used; without a cache entry the job fails saying both', async () => {
    const d = join(tmp, 'exp-offline');
    const sp = spec();
    await runExperiment(sp, d, { only: only('id=real__n100__seed1') }); // prepares the data
    // The cache as a machine with Apertium would have left it (any identity of kind apertium, mode spa-eng).
    const src = readFileSync(join(d, 'data', 'poolB.es'), 'utf8').replace(/\n$/, '').split('\n');
    const ref = readFileSync(join(d, 'data', 'poolB.en'), 'utf8').replace(/\n$/, '').split('\n');
    const idx = requestedIndices(expandGrid(identitySpec(sp)), src.length).get('generator-apertium')!;
    const sources = idx.map((i) => src[i]);
    const texts = idx.map((i) => `cached ${ref[i].split(' ').slice(0, 3).join(' ')}`);
    const identity = { kind: 'apertium', mode: 'spa-eng', apertium: '3.8.3-test', data: 'apertium-eng-spa test' };
    const key = cacheKey(identity, sources);
    const cache = join(d, 'cache');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, `${key}.jsonl`), texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    writeFileSync(join(cache, `${key}.json`), JSON.stringify({ generator: 'apertium', identity, sources: sources.length, seconds: 12.5 }));
    // A machine without it goes on: the generator job and a student on its output.
    const bare = join(tmp, 'exp-offline-bare');
    cpSync(d, bare, { recursive: true });
    process.env.PATH = barePath();
    const logs: string[] = [];
    const s = await runExperiment(sp, d, { only: only('condition=generated:apertium,size=100,seed=1'), log: (l) => logs.push(l) });
    expect(s).toMatchObject({ failed: [], selected: 2, selectedDone: 2 });
    expect(logs.join('\n')).toMatch(/apertium: apertium is not installed .*; using its output cached in .*cache/);
    const st = openStore(d);
    const q = st.generatorQuality().find((g) => g.name === 'apertium')!;
    st.close();
    expect(q.sentences).toBe(sources.length);
    expect(q.seconds).toBe(12.5);
    expect(q.bleu).toBeCloseTo(corpusBleu(texts, [idx.map((i) => ref[i])]).score, 9);
    expect(readdirSync(cache).length).toBe(2); // nothing generated anew
    // Without the cache entry: the job fails with the reason and what is missing.
    rmSync(join(bare, 'cache'), { recursive: true, force: true });
    const f = await runExperiment(sp, bare, { only: only('condition=generated:apertium,size=100,seed=1') });
    expect(f.failed).toEqual(['generator-apertium', 'generated-apertium__n100__seed1']);
    const sb = openStore(bare);
    const err = sb.status().runs.find((r) => r.id === 'generator-apertium')!.error;
    sb.close();
    expect(err).toMatch(/apertium is not installed \(Debian: apt-get install apertium apertium-eng-spa\); and .*cache holds no cached apertium output for these \d+ sources/);
  });

  it('a bible study whose data/ is prepared needs no SWORD modules; an unprepared one says what to install', async () => {
    const bible = () => parseSpec(specText({ corpus: 'bible' }), join(tmp, 'bible.yaml'));
    // Split data as `data prepare bible` writes it (here from the fixture, also es/en), and its stamp.
    const d = join(tmp, 'exp-bible');
    await runExperiment(spec(), join(tmp, 'exp-bible-src'), { only: only('id=real__n100__seed1') });
    cpSync(join(tmp, 'exp-bible-src', 'data'), join(d, 'data'), { recursive: true });
    const sp = bible();
    writeFileSync(join(d, 'data', 'experiment-data.json'), canonicalJson({ corpus: identitySpec(sp).corpus, splits: sp.splits }));
    process.env.PATH = barePath();
    process.env.SWORD_PATH = barePath();
    try {
      const s = await runExperiment(sp, d, { only: only('id=real__n100__seed1') });
      expect(s).toMatchObject({ failed: [], selectedDone: 1 });
      await expect(runExperiment(sp, join(tmp, 'exp-bible-fresh'), { only: only('id=real__n100__seed1') })).rejects.toThrow(/mod2imp|sword/i);
    } finally {
      delete process.env.SWORD_PATH;
    }
  });
});

describe('CLI', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

  it('experiment run --only/--max-runs/--time-budget: checked before any work, exit 75 when stopped with runs left; status estimates the rest', () => {
    const file = join(tmp, 'cli.yaml');
    writeFileSync(file, specText());
    const d = join(tmp, 'exp-cli');
    for (const [args, msg] of [
      [['--only', 'size=abc'], /--only: size must be an integer >= 0 \(got 'abc'\)/],
      [['--only', 'size=300'], /--only matches no run of the grid/],
      [['--max-runs', '0'], /--max-runs expects an integer >= 1 \(got '0'\)/],
      [['--time-budget', '0'], /--time-budget expects a number >= 1 \(got '0'\)/],
      [['--time-budget', 'soon'], /--time-budget expects a number >= 1 \(got 'soon'\)/],
    ] as const) {
      const r = cli(['experiment', 'run', file, '--out', d, ...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(existsSync(d)).toBe(false);
    const r = cli(['experiment', 'run', file, '--out', d, '--only', 'condition=real,size=100', '--max-runs', '1', '--no-report']);
    expect(r.status, r.stderr).toBe(75);
    expect(r.stdout).toMatch(/^1\/14 runs done \(slice: 1\/2\)/m);
    expect(r.stderr).toMatch(/stopped: 1 run\(s\) started \(--max-runs\); 1 run\(s\) left; run the same command to go on/);
    const r2 = cli(['experiment', 'run', file, '--out', d, '--only', 'condition=real,size=100', '--no-report']);
    expect(r2.status, r2.stderr).toBe(0);
    const st = cli(['experiment', 'status', '--out', d]);
    expect(st.status, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/estimate: 2 of 14 runs done; at the measured per-run times the rest takes about .* plus what is not estimated/);
    expect(st.stdout).toMatch(/students \(10 left\): about/);
    expect(st.stdout).toMatch(/generator-low: about .* \(as a student of 300 pairs \+ translating \d+ pool-B sentences\)/);
    expect(st.stdout).toMatch(/not estimated: generator-apertium \(apertium generator: nothing measured to scale from\)/);
    const js = JSON.parse(cli(['experiment', 'status', '--out', d, '--json']).stdout);
    expect(js.estimate).toMatchObject({ done: 2, total: 14, basis: { runs: 2, sizes: [100] } });
    expect(js.estimate.remainingSeconds).toBeGreaterThan(0);
  });
});
