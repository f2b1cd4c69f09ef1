// `experiment run`: expands the spec's grid and runs every cell not yet done, in grid
// order, each through its kind's handler (kinds/): the runner knows no kind by name.
// Idempotent and resumable: a done run is never redone (a done run others still need is
// reopened for its outputs), an interrupted training resumes from its checkpoint, Ctrl-C
// (the signal) stops cleanly. Results go to DIR/results.sqlite.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

import { invalid } from '../../common/errors.js';
import { applyThreads } from '../../native/device.js';
import type { RunProgress } from '../../rundir/train.js';
import type { Cell } from '../grid/grid.js';
import { selectCells, type CellFilter } from '../grid/slice.js';
import { handlerFor } from '../kinds/index.js';
import type { CellContext, CellOutput } from '../kinds/types.js';
import { openStore } from '../store/store.js';
import type { ExperimentSpec } from '../spec/types.js';
import { cellContext, claimRunDir, failRuledOut, openStudy, pickDevice, planStudy } from './study.js';

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
  /** Where a spec field was written, for messages: 'study.yaml:12: sizes[1]' (default: the field alone). */
  where?: (path: (string | number)[]) => string;
}

/** The summary of a run of the grid (local or queued). */
export function runSummary(s: {
  total: number;
  gridDone: number;
  selected: number;
  startDone: number;
  done: number;
  failed: ReadonlySet<string>;
  stopped: RunSummary['stopped'];
  signal?: AbortSignal;
  budget: AbortSignal | null;
  t0: number;
}): RunSummary {
  const cancelled = Boolean(s.signal?.aborted);
  const stopped = !cancelled && s.budget?.aborted && s.done < s.selected ? 'time-budget' : s.stopped;
  return {
    total: s.total,
    done: s.gridDone + s.done - s.startDone,
    selected: s.selected,
    selectedDone: s.done,
    ranNow: s.done - s.startDone,
    failed: [...s.failed],
    cancelled,
    stopped,
    seconds: (performance.now() - s.t0) / 1000,
  };
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

export async function runExperiment(spec: ExperimentSpec, dir: string, o: RunOptions = {}): Promise<RunSummary> {
  if (spec.threads > 0) applyThreads(spec.threads); // 0: leave the process's setting
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const study = planStudy(spec, dir);
  const { hashed, cells } = study;
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
    const open = await openStudy(study, log);
    const statusOf = new Map(store.status().runs.map((r) => [r.id, r.status]));
    const gridDone = cells.filter((c) => statusOf.get(c.id) === 'done').length;
    const todo = cells.filter(inSlice);
    let done = todo.filter((c) => statusOf.get(c.id) === 'done').length;
    const startDone = done;
    let started = 0;
    let stopped: RunSummary['stopped'] = null;
    const pendingNeeds = new Set(todo.filter((c) => statusOf.get(c.id) !== 'done').flatMap((c) => c.dependsOn));
    const failed = new Set<string>();
    const outputs = new Map<string, CellOutput>();
    const closers: { close(): Promise<void> }[] = [];
    const logFile = join(dir, 'log.jsonl');
    const emit = (cell: Cell, phase: RunEvent['phase'], extra: Partial<RunEvent> = {}) => {
      // The experiment's own log: one line per run that ends (progress stays on screen).
      if (phase === 'done' || phase === 'failed' || phase === 'skipped')
        appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), run: cell.id, event: phase, message: extra.message }) + '\n');
      o.onEvent?.({ done, total: todo.length, cell, phase, ...extra });
    };
    const ctxFor = (cell: Cell): CellContext =>
      cellContext(open, {
        reopen: statusOf.get(cell.id) === 'done',
        signal,
        log,
        device,
        onTrain: (p) => emit(cell, 'train', { train: p }),
        onGenerate: (d, t) => emit(cell, 'generate', { generated: { done: d, total: t } }),
        outputs,
        closeLater: (c) => closers.push(c),
      });

    failRuledOut(open, todo, { isDone: (id) => statusOf.get(id) === 'done', store, failed, log, emit, where: o.where });

    try {
      for (const cell of todo) {
        if (signal?.aborted) break;
        if (failed.has(cell.id)) continue;
        const wasDone = statusOf.get(cell.id) === 'done';
        const blocked = cell.dependsOn.find((d) => failed.has(d));
        if (blocked) {
          failed.add(cell.id);
          emit(cell, 'skipped', { message: `${blocked} failed` });
          continue;
        }
        // A done cell is reopened for its outputs (the generation cache and the finished
        // training make that cheap) only when a cell still to run waits for it.
        if (wasDone && !pendingNeeds.has(cell.id)) continue;
        const handler = handlerFor(cell.kind);
        if (!wasDone) {
          if (o.maxRuns !== undefined && started >= o.maxRuns) {
            stopped = 'max-runs';
            break;
          }
          started++;
          store.markRunning(cell.id);
          claimRunDir(study, cell);
        }
        try {
          const r = await handler.run(cell, ctxFor(cell));
          if (r === null) {
            if (!wasDone) store.markStopped(cell.id); // the checkpoint stays for the next run
            break;
          }
          if (r.output) outputs.set(cell.id, r.output);
          if (!wasDone) {
            r.record(store);
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
    } finally {
      for (const c of closers) await c.close();
    }
    return runSummary({ total: cells.length, gridDone, selected: todo.length, startDone, done, failed, stopped, signal: o.signal, budget, t0 });
  } finally {
    store.close();
  }
}

