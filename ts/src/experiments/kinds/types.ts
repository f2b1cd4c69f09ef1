// The handler seam: each cell kind is one handler that says what cells a spec asks for
// and what they wait for (plan), where their artifacts live (dir), which pool-B
// positions they need translated by the cells they wait for (needs), how they run and
// what they record (run). The runner loops over cells and calls their kind's handler;
// it knows no kind by name.
import type { Device } from '../../native/device.js';
import type { RunProgress } from '../../rundir/train.js';
import type { GeneratedTargets } from '../recipes/types.js';
import type { Workspace } from '../run/workspace.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { ResultsStore } from '../store/store.js';
import type { Cell } from '../grid/cells.js';

/** What a finished cell hands to the cells that wait for it. */
export interface CellOutput {
  /** A generator's outputs, by pool-B position, with their scores. */
  targets?: GeneratedTargets;
  /** A trained model's run folder (absolute). */
  runDir?: string;
}

export interface PlanInput {
  /** The spec with file paths replaced by content identities (grid/identity.ts): what is hashed. */
  spec: ExperimentSpec;
  /** The spec as written: real paths, for running. */
  real: ExperimentSpec;
}

export interface CellContext {
  /** The study folder. */
  dir: string;
  ws: Workspace;
  device: Device;
  signal?: AbortSignal;
  log(line: string): void;
  onTrain(p: RunProgress): void;
  onGenerate(done: number, total: number): void;
  /** The cell is done and reopened only for its outputs (what it records is kept from before). */
  reopen: boolean;
  /** Outputs of the cells run (or reopened) so far, by cell id. */
  outputs: ReadonlyMap<string, CellOutput>;
  /** The pool-B positions the grid's cells need from cell `id` (sorted). */
  requested(id: string): number[];
  /** Something to close when the study run ends (a generator's process or connection). */
  closeLater(c: { close(): Promise<void> }): void;
}

/** What a cell records: the store's writes (a worker on another machine collects them for the coordinator). */
export type RunRecorder = Pick<ResultsStore, 'recordMetric' | 'recordTiming' | 'recordArtifact'>;

/** A cell that ran: what it hands on, and how to record it (skipped for a done cell reopened). */
export interface CellRun {
  output?: CellOutput;
  record(store: RunRecorder): void;
}

/** A field of the spec a cell cannot run with, found once the data are split. */
export interface CellProblem {
  /** Where in the spec: ['sizes', 1], ['generators', 'low', 'trainPairs']. */
  path: (string | number)[];
  message: string;
}

export interface CheckContext {
  spec: ExperimentSpec;
  poolASize: number;
  poolBSize: number;
}

export interface CellHandler<C extends Cell = Cell> {
  kind: C['kind'];
  /** The cells of this kind, given the cells of the kinds planned before it. */
  plan(p: PlanInput, prior: readonly Cell[]): C[];
  /** Its folder relative to the study, or null when it trains nothing. */
  dir(cell: C): string | null;
  /** What makes the cell impossible with the prepared data (checked before any run starts). */
  check?(cell: C, ctx: CheckContext): CellProblem[];
  /** Cell id -> the pool-B positions this cell needs from it. */
  needs?(cell: C, poolBSize: number): Map<string, number[]>;
  /** Runs (or, when done, reopens) the cell; null when stopped by the signal (its checkpoint stays). */
  run(cell: C, ctx: CellContext): Promise<CellRun | null>;
}
