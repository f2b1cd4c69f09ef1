// Queue names and job ids, shared by the coordinator and the workers.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

import type { Cell } from '../grid/grid.js';

/** The Redis set where coordinators list their studies' queues, for workers to find. */
export const STUDIES_KEY = 'regurgitate:studies';

/** A study's queue: its name and a digest of its folder (two studies may share a name). */
export function queueName(studyName: string, dir: string): string {
  const slug = studyName.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60) || 'study';
  return `rg-${slug}-${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 8)}`;
}

/** One job per cell and settings: a changed cell is another job, the same one is never added twice. */
export function jobId(cell: Cell): string {
  return `${cell.id}.${cell.settingsHash.slice(0, 16)}`;
}

/** What a job carries: the study (its folder on the shared file system, its spec) and the cell. */
export interface CellJob {
  dir: string;
  /** The spec as the coordinator read it (real paths). */
  spec: unknown;
  cell: string;
  settingsHash: string;
}

/** What a worker hands back. */
export interface CellJobResult {
  host: string;
  pid: number;
  /** The handler's records (recorder.ts). */
  records: unknown[];
  versions: unknown;
}

/** What a worker reports while it runs a job (BullMQ job progress). */
export interface CellJobProgress {
  host: string;
  pid: number;
  phase: 'start' | 'train' | 'generate';
  step?: number;
  totalSteps?: number;
  loss?: number;
  done?: number;
  total?: number;
}
