// `regurgitate worker --queue URL`: takes the jobs of every queued study (the studies'
// queues are listed in Redis by their coordinators) and runs each cell with the same
// handlers as a local run, in the study folder the machines share. It returns the
// cell's records to the coordinator, which alone writes the results store. A worker
// killed mid-job loses nothing: BullMQ finds the job stalled and hands it to another
// worker, which resumes from the last checkpoint in the shared folder.
import { hostname } from 'node:os';

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';

import { RegurgitateError } from '../../common/errors.js';
import type { Device } from '../../native/device.js';
import type { Cell } from '../grid/grid.js';
import { handlerFor } from '../kinds/index.js';
import type { CellOutput } from '../kinds/types.js';
import { cellContext, claimRunDir, openStudy, pickDevice, planStudy, reopenDependencies, type OpenStudy } from '../run/study.js';
import type { ExperimentSpec } from '../spec/types.js';
import { currentVersions } from '../store/versions.js';
import { checkConnection, type QueueConnection } from './connection.js';
import { STUDIES_KEY, type CellJob, type CellJobProgress, type CellJobResult } from './names.js';
import { RecordingStore } from './recorder.js';

export interface WorkerOptions {
  connection: QueueConnection;
  /** cpu, cuda or auto; default: each study's device. */
  device?: 'cpu' | 'cuda' | 'auto';
  /** Jobs at once (several small students on one GPU). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal: a dead worker's job comes back after about twice this. */
  lockSeconds?: number;
  log?: (line: string) => void;
  /** Aborting stops taking jobs; the jobs under way finish first. */
  signal?: AbortSignal;
  /** Called when a job starts and when it ends. */
  onJob?: (e: { cell: string; queue: string; phase: 'start' | 'done' | 'failed'; message?: string }) => void;
}

export interface WorkerSummary {
  done: number;
  failed: number;
}

const host = hostname();

/** Runs a worker until `signal` aborts (then waits for the jobs under way). */
export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  await checkConnection(o.connection);
  const log = o.log ?? (() => {});
  const lock = Math.max(1, o.lockSeconds ?? 30) * 1000;
  const studies = new Map<string, Promise<OpenStudy>>();
  const summary: WorkerSummary = { done: 0, failed: 0 };

  const study = (data: CellJob): Promise<OpenStudy> => {
    const key = `${data.dir}\u0000${JSON.stringify(data.spec)}`;
    let s = studies.get(key);
    if (!s) studies.set(key, (s = openStudy(planStudy(data.spec as ExperimentSpec, data.dir), log)));
    return s;
  };

  const runJob = async (job: Job<CellJob, CellJobResult>, queue: string): Promise<CellJobResult> => {
    const data = job.data;
    const s = await study(data);
    const cell: Cell | undefined = s.byId.get(data.cell);
    if (!cell) throw new UnrecoverableError(`${data.dir}: the spec has no run ${data.cell}`);
    if (cell.settingsHash !== data.settingsHash) throw new UnrecoverableError(`${data.cell}: its settings in the job differ from the spec's (the spec changed); rerun the coordinator`);
    o.onJob?.({ cell: cell.id, queue, phase: 'start' });
    let last = 0;
    const report = (p: Omit<CellJobProgress, 'host' | 'pid'>, force = false) => {
      const now = Date.now();
      if (!force && now - last < 1000) return;
      last = now;
      void job.updateProgress({ host, pid: process.pid, ...p }).catch(() => {});
    };
    report({ phase: 'start' }, true);
    const device: Device = pickDevice({ device: o.device ?? (data.spec as ExperimentSpec).device }, log);
    const closers: { close(): Promise<void> }[] = [];
    const base = {
      device,
      log,
      onTrain: (p: { step: number; totalSteps: number; loss: number }) => report({ phase: 'train', step: p.step, totalSteps: p.totalSteps, loss: p.loss }),
      onGenerate: (done: number, total: number) => report({ phase: 'generate', done, total }),
      closeLater: (c: { close(): Promise<void> }) => closers.push(c),
    };
    try {
      const outputs = new Map<string, CellOutput>();
      await reopenDependencies(s, cell, base, outputs);
      claimRunDir(s, cell);
      const r = await handlerFor(cell.kind).run(cell, cellContext(s, { ...base, reopen: false, outputs }));
      if (r === null) throw new RegurgitateError('ECANCELED', `${cell.id}: stopped before it finished`);
      const rec = new RecordingStore();
      r.record(rec);
      return { host, pid: process.pid, records: rec.calls, versions: currentVersions() };
    } finally {
      for (const c of closers) await c.close();
    }
  };

  const workers = new Map<string, Worker>();
  const registry = new Redis(o.connection.options);
  registry.on('error', (e) => log(`redis: ${e.message}`));
  const watch = async () => {
    for (const name of await registry.smembers(STUDIES_KEY)) {
      if (workers.has(name)) continue;
      const w = new Worker<CellJob, CellJobResult>(name, (job) => runJob(job, name), {
        connection: o.connection.options,
        concurrency: o.concurrency ?? 1,
        lockDuration: lock,
        stalledInterval: lock,
        maxStalledCount: 2,
      });
      w.on('completed', (job) => {
        summary.done++;
        o.onJob?.({ cell: job.data.cell, queue: name, phase: 'done' });
      });
      w.on('failed', (job, e) => {
        summary.failed++;
        o.onJob?.({ cell: job?.data.cell ?? '?', queue: name, phase: 'failed', message: e.message });
      });
      w.on('error', (e) => log(`worker ${name}: ${e.message}`));
      workers.set(name, w);
      log(`taking jobs of ${name}`);
    }
  };
  await registry.connect();
  try {
    await watch();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => void watch().catch((e: Error) => log(`redis: ${e.message}`)), 2000);
      const stop = () => {
        clearInterval(t);
        resolve();
      };
      if (o.signal?.aborted) stop();
      else o.signal?.addEventListener('abort', stop, { once: true });
      if (!o.signal) return; // runs until the process ends
    });
  } finally {
    // close() waits for the jobs under way: a stopped worker finishes what it took.
    await Promise.all([...workers.values()].map((w) => w.close()));
    registry.disconnect();
  }
  return summary;
}
