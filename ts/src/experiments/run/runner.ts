// `experiment run`: expands the spec's grid and runs every cell not yet done, in grid
// order: generator jobs (and the fine-tuning base) first, then the students. Idempotent
// and resumable: a done run is never redone, an interrupted training resumes from its
// checkpoint, Ctrl-C (the signal) stops cleanly. Results go to DIR/results.sqlite.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../../common/atomic.js';
import { invalid, RegurgitateError } from '../../common/errors.js';
import { cudaStatus } from '../../native/device.js';

import type { Generator } from '../../generators/types.js';
import type { RunProgress } from '../../rundir/train.js';
import { expandGrid, type Cell } from '../grid/grid.js';
import { identitySpec } from '../grid/identity.js';
import { buildGenerator, generatePool, trainOnPoolA, type JobContext } from './jobs.js';
import { RESULT_NAMES as N } from '../store/schema.js';
import { openStore, type ResultsStore } from '../store/store.js';
import { selectCells, type CellFilter } from '../grid/slice.js';
import { neededIndices, runStudent } from './student.js';
import type { ExperimentSpec } from '../spec/types.js';
import { prepareWorkspace } from './workspace.js';

export interface RunEvent {
  /** Cells finished (done now or before) out of all (with `only`: of the slice). */
  done: number;
  total: number;
  cell: Cell;
  phase: 'train' | 'generate' | 'translate' | 'done' | 'failed' | 'skipped';
  train?: RunProgress;
  generated?: { done: number; total: number };
  message?: string;
}

export interface RunOptions {
  /** Restart runs whose settings changed since they ran (default: stop with the list). */
  restartChanged?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onEvent?: (e: RunEvent) => void;
  /** Run only the cells this filter picks, and the jobs they wait for (slice.ts). */
  only?: CellFilter;
  /** Start at most this many runs now (done generators reopened for their output do not count). */
  maxRuns?: number;
  /** Stop as Ctrl-C does once this many seconds have passed: the training under way keeps its checkpoint. */
  timeBudgetSeconds?: number;
}

export interface RunSummary {
  /** Runs of the whole grid, and how many of them are done. */
  total: number;
  done: number;
  /** Runs of the slice (`only`; the whole grid without it), and how many of them are done. */
  selected: number;
  selectedDone: number;
  ranNow: number;
  failed: string[];
  /** Stopped by the caller's signal (Ctrl-C). */
  cancelled: boolean;
  /** Stopped by `timeBudgetSeconds` or `maxRuns` with runs of the slice left; null otherwise. */
  stopped: 'time-budget' | 'max-runs' | null;
  seconds: number;
}

function checkLimits(o: RunOptions): void {
  if (o.maxRuns !== undefined && !(Number.isInteger(o.maxRuns) && o.maxRuns >= 1)) throw invalid(`maxRuns must be an integer >= 1 (got ${String(o.maxRuns)})`);
  const b = o.timeBudgetSeconds;
  if (b !== undefined && !(typeof b === 'number' && Number.isFinite(b) && b > 0)) throw invalid(`timeBudgetSeconds must be a number of seconds > 0 (got ${String(b)})`);
}

function recordScores(store: ResultsStore, id: string, s: { bleu: number; chrf: number; ter: number; signatures: { bleu: string; chrf: string; ter: string } }): void {
  store.recordMetric(id, N.bleu, s.bleu, s.signatures.bleu);
  store.recordMetric(id, N.chrf, s.chrf, s.signatures.chrf);
  store.recordMetric(id, N.ter, s.ter, s.signatures.ter);
}

function finite(store: ResultsStore, id: string, name: string, v: number): void {
  if (Number.isFinite(v)) store.recordMetric(id, name, v);
}

/** Where a cell's training (if any) lives. */
function cellDir(dir: string, cell: Cell): string | null {
  if (cell.kind === 'student') return join(dir, 'runs', cell.id);
  if (cell.kind === 'base') return join(dir, 'base');
  return cell.generator ? join(dir, 'generators', cell.generator) : null;
}

/**
 * Before a cell runs: its folder may hold a checkpoint of the same settings (resume it)
 * or the work of settings that changed since (delete it, or it would be reused).
 */
function claimRunDir(d: string | null, hash: string): void {
  if (d === null) return;
  const stamp = join(d, 'cell.json');
  if (existsSync(d)) {
    let same = false;
    try {
      same = (JSON.parse(readFileSync(stamp, 'utf8')) as { settingsHash?: string }).settingsHash === hash;
    } catch {
      same = false;
    }
    if (!same) rmSync(d, { recursive: true, force: true });
  }
  writeFileAtomic(stamp, JSON.stringify({ settingsHash: hash }) + '\n');
}

/**
 * Where generators and students train and decode. `cuda` without a usable GPU fails at
 * once with the reason, instead of silently taking days on the CPU; `auto` takes the GPU
 * when there is one and says which it took.
 */
function pickDevice(spec: ExperimentSpec, log: (s: string) => void): 'cpu' | 'cuda' {
  if (spec.device === 'cpu') return 'cpu';
  const st = cudaStatus();
  if (st.loadable) {
    if (spec.device === 'auto') log(`device auto: training on the GPU (${st.reason})`);
    return 'cuda';
  }
  if (spec.device === 'cuda')
    throw new RegurgitateError('EBACKEND', `device: cuda was asked for, but CUDA is unavailable: ${st.reason}; set device: cpu (or auto) in the spec to train on the CPU`);
  log(`device auto: training on the CPU; CUDA is unavailable: ${st.reason}`);
  return 'cpu';
}

export async function runExperiment(spec: ExperimentSpec, dir: string, o: RunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  // Hashes see file contents, not paths (identity.ts): a moved study keeps its runs.
  const hashed = identitySpec(spec);
  const cells = expandGrid(hashed);
  checkLimits(o);
  const slice = o.only ? selectCells(cells, o.only) : null;
  const inSlice = (c: Cell) => slice === null || slice.has(c.id);
  const device = pickDevice(spec, log);
  // The budget aborts like Ctrl-C; one signal carries both to every training and generator.
  const budget = o.timeBudgetSeconds !== undefined ? AbortSignal.timeout(Math.ceil(o.timeBudgetSeconds * 1000)) : null;
  const signal = budget && o.signal ? AbortSignal.any([o.signal, budget]) : (budget ?? o.signal);
  const store = openStore(dir, { spec: hashed });
  try {
    store.upsertCells(cells, { onChange: o.restartChanged ? 'restart' : 'error' });
    const ws = await prepareWorkspace(spec, dir, log, hashed);
    const statusOf = new Map(store.status().runs.map((r) => [r.id, r.status]));
    const gridDone = cells.filter((c) => statusOf.get(c.id) === 'done').length;
    const todo = cells.filter(inSlice);
    let done = todo.filter((c) => statusOf.get(c.id) === 'done').length;
    const startDone = done;
    let started = 0;
    let stopped: RunSummary['stopped'] = null;
    const pendingNeeds = new Set(todo.filter((c) => statusOf.get(c.id) !== 'done').flatMap((c) => c.dependsOn));
    const failed = new Set<string>();
    const generated = new Map<string, Map<number, string>>();
    const generators: Generator[] = [];
    // Students fine-tune from the base cell's run or from a given checkpoint.
    const init = spec.student.init;
    let baseDir: string | undefined = typeof init === 'object' && 'checkpoint' in init.finetune ? init.finetune.checkpoint : undefined;
    const logFile = join(dir, 'log.jsonl');
    const emit = (cell: Cell, phase: RunEvent['phase'], extra: Partial<RunEvent> = {}) => {
      // The experiment's own log: one line per run that ends (progress stays on screen).
      if (phase === 'done' || phase === 'failed' || phase === 'skipped')
        appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), run: cell.id, event: phase, message: extra.message }) + '\n');
      o.onEvent?.({ done, total: todo.length, cell, phase, ...extra });
    };
    const ctxFor = (cell: Cell): JobContext => ({
      spec,
      ws,
      signal,
      log,
      device,
      onTrain: (p) => emit(cell, 'train', { train: p }),
      onGenerate: (d, t) => emit(cell, 'generate', { generated: { done: d, total: t } }),
    });

    for (const cell of todo) {
      if (signal?.aborted) break;
      const wasDone = statusOf.get(cell.id) === 'done';
      const blocked = cell.dependsOn.find((d) => failed.has(d));
      if (blocked) {
        failed.add(cell.id);
        emit(cell, 'skipped', { message: `${blocked} failed` });
        continue;
      }
      // Done students need nothing; done generators and the base are reopened for their
      // outputs (the generation cache and the finished training make that cheap), but
      // only when a student still to run depends on them.
      if (wasDone && (cell.kind === 'student' || !pendingNeeds.has(cell.id))) continue;
      if (!wasDone) {
        if (o.maxRuns !== undefined && started >= o.maxRuns) {
          stopped = 'max-runs';
          break;
        }
        started++;
        store.markRunning(cell.id);
        claimRunDir(cellDir(dir, cell), cell.settingsHash);
      }
      try {
        const ctx = ctxFor(cell);
        if (cell.kind === 'generator') {
          const name = cell.generator!;
          const g = await buildGenerator(ctx, name, spec.generators[name]);
          generators.push(g);
          const idx = neededIndices(cells, ws.poolB.src.length, name);
          const pool = await generatePool(ctx, g, idx);
          generated.set(name, pool.texts);
          if (!wasDone) {
            recordScores(store, cell.id, pool.quality);
            store.recordMetric(cell.id, N.sentences, pool.quality.sentences);
            finite(store, cell.id, N.mtld, pool.quality.diversity.mtld);
            finite(store, cell.id, N.distinct2, pool.quality.diversity.distinct_2);
            finite(store, cell.id, N.ttr, pool.quality.diversity.ttr);
            store.recordTiming(cell.id, N.generateTiming, pool.seconds);
            store.recordArtifact(cell.id, 'run', cell.generator && spec.generators[name].kind !== 'apertium' && spec.generators[name].kind !== 'openai' ? join('generators', name) : 'cache');
          }
        } else if (cell.kind === 'base') {
          const s = cell.settings as { model: Record<string, unknown>; train: Record<string, unknown>; pairs: number; seed: number };
          baseDir = join(dir, 'base');
          await trainOnPoolA(ctx, baseDir, { ...s.model }, { ...s.train }, s.pairs, s.seed, 'base');
          if (signal?.aborted) {
            if (!wasDone) store.markStopped(cell.id);
            break;
          }
          if (!wasDone) store.recordArtifact(cell.id, 'run', 'base');
        } else {
          const gen = cell.generator ? (generated.get(cell.generator) ?? null) : null;
          const r = await runStudent(spec, ws, cell, gen, baseDir, { signal, onTrain: ctx.onTrain, device });
          if (r === null) {
            store.markStopped(cell.id); // the checkpoint stays for the next run
            break;
          }
          recordScores(store, cell.id, r);
          store.recordMetric(cell.id, N.steps, r.steps);
          finite(store, cell.id, N.trainMtld, r.trainDiversity.mtld);
          finite(store, cell.id, N.trainDistinct2, r.trainDiversity.distinct_2);
          store.recordMetric(cell.id, 'dropped_pairs', r.dropped);
          store.recordTiming(cell.id, N.trainTiming, r.trainSeconds);
          store.recordTiming(cell.id, 'translate', r.translateSeconds);
          store.recordArtifact(cell.id, N.hypotheses, r.hypotheses);
          store.recordArtifact(cell.id, 'run', join('runs', cell.id));
        }
        if (!wasDone) {
          store.markDone(cell.id);
          done++;
        }
        emit(cell, 'done');
      } catch (e) {
        if (signal?.aborted || (e as { code?: string }).code === 'ECANCELED') {
          if (!wasDone) store.markStopped(cell.id);
          break;
        }
        store.markFailed(cell.id, e);
        failed.add(cell.id);
        log(`${cell.id} failed: ${(e as Error).message}`);
        emit(cell, 'failed', { message: (e as Error).message });
      }
    }
    for (const g of generators) await g.close();
    const cancelled = Boolean(o.signal?.aborted);
    if (!cancelled && budget?.aborted && done < todo.length) stopped = 'time-budget';
    return {
      total: cells.length,
      done: gridDone + done - startDone,
      selected: todo.length,
      selectedDone: done,
      ranNow: done - startDone,
      failed: [...failed],
      cancelled,
      stopped,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}

