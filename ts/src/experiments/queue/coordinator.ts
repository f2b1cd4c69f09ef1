// `experiment run SPEC --queue URL`: the coordinator of a study on several machines. It
// prepares the data, puts every cell whose dependencies are done on the study's BullMQ
// queue (one job per cell and settings: never added twice), and waits: it records what
// the workers hand back (it is the results store's one writer), marks which worker runs
// what, and enqueues the cells that become ready. Ctrl-C stops waiting and leaves the
// queue as it is; running it again attaches to the same queue. A job that fails three
// times is recorded as failed with its error.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

import { RegurgitateError } from '../../common/errors.js';
import type { RunProgress } from '../../rundir/train.js';
import type { Cell } from '../grid/grid.js';
import { selectCells } from '../grid/slice.js';
import { runSummary, type RunEvent, type RunOptions, type RunSummary } from '../run/runner.js';
import { failRuledOut, openStudy, planStudy } from '../run/study.js';
import type { ExperimentSpec } from '../spec/types.js';
import { openStore } from '../store/store.js';
import type { Versions } from '../store/versions.js';
import { checkConnection, type QueueConnection } from './connection.js';
import { jobId, queueName, STUDIES_KEY, type CellJob, type CellJobProgress, type CellJobResult } from './names.js';
import { replay, type RecordCall } from './recorder.js';

export interface QueuedRunOptions extends Omit<RunOptions, 'restartChanged'> {
  connection: QueueConnection;
  restartChanged?: boolean;
  /** How often the coordinator looks at the jobs (default 500 ms). */
  pollMs?: number;
  /** Attempts per job before it counts as failed (default 3). */
  attempts?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runQueued(spec: ExperimentSpec, dir: string, o: QueuedRunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  await checkConnection(o.connection);
  const study = planStudy(spec, dir);
  const { cells } = study;
  const slice = o.only ? selectCells(cells, o.only) : null;
  const todo = cells.filter((c) => slice === null || slice.has(c.id));
  const budget = o.timeBudgetSeconds !== undefined ? AbortSignal.timeout(Math.ceil(o.timeBudgetSeconds * 1000)) : null;
  const signal = budget && o.signal ? AbortSignal.any([o.signal, budget]) : (budget ?? o.signal);
  const store = openStore(dir, { spec: study.hashed });
  const name = queueName(spec.name, dir);
  const queue = new Queue<CellJob, CellJobResult>(name, { connection: o.connection.options });
  try {
    store.upsertCells(cells, { onChange: o.restartChanged ? 'restart' : 'error' });
    const opened = await openStudy(study, log); // the data and the tokenizer, once, before any worker needs them
    const client = (await queue.client) as unknown as Redis;
    await client.sadd(STUDIES_KEY, name);
    log(`queue ${name} on ${o.connection.url}`);
    const statusOf = () => new Map(store.status().runs.map((r) => [r.id, r]));
    let rows = statusOf();
    const gridDone = cells.filter((c) => rows.get(c.id)?.status === 'done').length;
    const startDone = todo.filter((c) => rows.get(c.id)?.status === 'done').length;
    let done = startDone;
    let added = 0;
    let stopped: RunSummary['stopped'] = null;
    const failed = new Set<string>();
    const running = new Map<string, string>(); // cell id -> host:pid marked in the store
    const emit = (cell: Cell, phase: RunEvent['phase'], extra: Partial<RunEvent> = {}) => o.onEvent?.({ done, total: todo.length, cell, phase, ...extra });
    const data = (cell: Cell): CellJob => ({ dir, spec, cell: cell.id, settingsHash: cell.settingsHash });

    // A run marked running by this worker already (by an earlier coordinator, too) is not marked again.
    const markedBy = (cell: Cell, host: string, pid: number) => {
      const row = rows.get(cell.id);
      return running.get(cell.id) === `${host}:${pid}` || (row?.status === 'running' && row.host === host && row.pid === pid);
    };
    failRuledOut(opened, todo, { isDone: (id) => rows.get(id)?.status === 'done', store, failed, log, emit, where: o.where });
    const finish = (cell: Cell, job: Job<CellJob, CellJobResult>) => {
      const r = job.returnvalue;
      const by = { pid: r.pid, host: r.host, versions: r.versions as Versions };
      if (!markedBy(cell, r.host, r.pid)) store.markRunning(cell.id, by);
      replay(r.records as RecordCall[], store);
      store.markDone(cell.id);
      running.delete(cell.id);
      done++;
      emit(cell, 'done', { message: `on ${r.host}` });
    };

    for (;;) {
      if (signal?.aborted) break;
      rows = statusOf();
      let open = 0;
      let inQueue = 0;
      for (const cell of todo) {
        const row = rows.get(cell.id);
        if (row?.status === 'done' || failed.has(cell.id)) continue;
        const blocked = cell.dependsOn.find((d) => failed.has(d));
        if (blocked) {
          failed.add(cell.id);
          emit(cell, 'skipped', { message: `${blocked} failed` });
          continue;
        }
        open++;
        const job = await queue.getJob(jobId(cell));
        if (!job) {
          if (!cell.dependsOn.every((d) => rows.get(d)?.status === 'done')) continue;
          if (o.maxRuns !== undefined && added >= o.maxRuns) {
            stopped = 'max-runs';
            continue;
          }
          await queue.add(cell.kind, data(cell), {
            jobId: jobId(cell),
            attempts: o.attempts ?? 3,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: false,
            removeOnFail: false,
          });
          added++;
          continue;
        }
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed') inQueue++;
        if (state === 'completed') finish(cell, job);
        else if (state === 'failed') {
          store.markFailed(cell.id, new RegurgitateError('EFAILED', `${job.failedReason} (after ${job.attemptsMade} attempt(s))`));
          failed.add(cell.id);
          running.delete(cell.id);
          log(`${cell.id} failed: ${job.failedReason}`);
          emit(cell, 'failed', { message: job.failedReason });
        } else if (state === 'active') {
          const p = job.progress as CellJobProgress | number;
          if (typeof p === 'object' && p !== null && typeof p.host === 'string') {
            if (!markedBy(cell, p.host, p.pid)) store.markRunning(cell.id, { pid: p.pid, host: p.host });
            running.set(cell.id, `${p.host}:${p.pid}`);
            if (p.phase === 'train' && p.step !== undefined) emit(cell, 'train', { train: { step: p.step, totalSteps: p.totalSteps ?? 0, loss: p.loss ?? 0 } as RunProgress });
            if (p.phase === 'generate' && p.done !== undefined) emit(cell, 'generate', { generated: { done: p.done, total: p.total ?? 0 } });
          }
        }
      }
      // Done when nothing is open, or when --max-runs allows no more and the queue is empty.
      if (open === 0 || (stopped === 'max-runs' && inQueue === 0)) break;
      await sleep(o.pollMs ?? 500, signal);
    }
    if (stopped === 'max-runs' && done + failed.size >= todo.length) stopped = null;
    log(`${done}/${todo.length} done${failed.size ? `, ${failed.size} failed` : ''}`);
    return runSummary({ total: cells.length, gridDone, selected: todo.length, startDone, done, failed, stopped, signal: o.signal, budget, t0 });
  } finally {
    await queue.close();
    store.close();
  }
}
