// What a local run and a queue worker share: the study's grid and workspace, the run
// folder claim, the context a handler runs in, and reopening the cells a cell waits for.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../../common/atomic.js';
import { invalid, RegurgitateError } from '../../common/errors.js';
import { cudaStatus } from '../../native/device.js';
import type { Device } from '../../native/device.js';
import type { RunProgress } from '../../rundir/train.js';
import { expandGrid, type Cell } from '../grid/grid.js';
import { identitySpec } from '../grid/identity.js';
import { handlerFor, requestedIndices } from '../kinds/index.js';
import type { CellContext, CellOutput, CellProblem } from '../kinds/types.js';
import { formatPath } from '../spec/source.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { ResultsStore } from '../store/store.js';
import { prepareWorkspace, workspaceSettings, type Workspace } from './workspace.js';

export interface Study {
  dir: string;
  spec: ExperimentSpec;
  /** The identity spec (grid/identity.ts): what is hashed. */
  hashed: ExperimentSpec;
  cells: Cell[];
  byId: Map<string, Cell>;
}

/** The grid of a spec in a study folder (no files touched). */
export function planStudy(spec: ExperimentSpec, dir: string): Study {
  // Hashes see file contents, not paths (identity.ts): a moved study keeps its runs.
  const hashed = identitySpec(spec);
  const cells = expandGrid(hashed, spec);
  return { dir, spec, hashed, cells, byId: new Map(cells.map((c) => [c.id, c])) };
}

export interface OpenStudy extends Study {
  ws: Workspace;
  /** Cells that cannot run with the prepared data (a size beyond pool B...), by id. */
  problems: Map<string, CellProblem[]>;
  /** The pool-B positions the grid's runnable cells need from cell `id`. */
  requested(id: string): number[];
}

/** The study with its data prepared (once; later calls find it prepared) and every cell checked against it. */
export async function openStudy(study: Study, log: (s: string) => void): Promise<OpenStudy> {
  const ws = await prepareWorkspace(workspaceSettings(study.spec, study.hashed), study.dir, log);
  const ctx = { spec: study.spec, poolASize: ws.poolA.src.length, poolBSize: ws.poolB.src.length };
  const problems = new Map<string, CellProblem[]>();
  for (const c of study.cells) {
    const p = handlerFor(c.kind).check?.(c, ctx) ?? [];
    if (p.length) problems.set(c.id, p);
  }
  let requested: Map<string, number[]> | undefined;
  const runnable = () => study.cells.filter((c) => !problems.has(c.id));
  return { ...study, ws, problems, requested: (id) => (requested ??= requestedIndices(runnable(), ws.poolB.src.length)).get(id) ?? [] };
}

/**
 * Before a cell runs: its folder may hold a checkpoint of the same settings (resume it)
 * or the work of settings that changed since (delete it, or it would be reused).
 */
export function claimRunDir(study: Study, cell: Cell): void {
  const rel = handlerFor(cell.kind).dir(cell);
  if (rel === null) return;
  const d = join(study.dir, rel);
  const stamp = join(d, 'cell.json');
  if (existsSync(d)) {
    let same = false;
    try {
      same = (JSON.parse(readFileSync(stamp, 'utf8')) as { settingsHash?: string }).settingsHash === cell.settingsHash;
    } catch {
      same = false;
    }
    if (!same) rmSync(d, { recursive: true, force: true });
  }
  writeFileAtomic(stamp, JSON.stringify({ settingsHash: cell.settingsHash }) + '\n');
}

export interface ContextOptions {
  device: Device;
  signal?: AbortSignal;
  log: (s: string) => void;
  onTrain: (p: RunProgress) => void;
  onGenerate: (done: number, total: number) => void;
  outputs: ReadonlyMap<string, CellOutput>;
  reopen: boolean;
  closeLater: (c: { close(): Promise<void> }) => void;
}

export function cellContext(study: OpenStudy, o: ContextOptions): CellContext {
  return { ...o, dir: study.dir, ws: study.ws, requested: study.requested };
}

/**
 * Reopens the (done) cells `cell` waits for, into `outputs`: a reopened cell gives its
 * outputs from its own files (the generation cache, a finished training), so this
 * needs nothing but the shared study folder.
 */
export async function reopenDependencies(study: OpenStudy, cell: Cell, o: Omit<ContextOptions, 'reopen' | 'outputs'>, outputs: Map<string, CellOutput>): Promise<void> {
  for (const id of cell.dependsOn) {
    if (outputs.has(id)) continue;
    const dep = study.byId.get(id)!;
    const r = await handlerFor(dep.kind).run(dep, cellContext(study, { ...o, reopen: true, outputs }));
    if (r?.output) outputs.set(id, r.output);
  }
}

/**
 * Where generators and students train and decode. `cuda` without a usable GPU fails at
 * once with the reason, instead of silently taking days on the CPU; `auto` takes the GPU
 * when there is one and says which it took.
 */
export function pickDevice(spec: Pick<ExperimentSpec, 'device'>, log: (s: string) => void): 'cpu' | 'cuda' {
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

/** A cell's problems as one message naming the spec's fields; null when it has none. */
export function problemText(problems: readonly CellProblem[] | undefined, where: (path: (string | number)[]) => string = formatPath): string | null {
  if (!problems || problems.length === 0) return null;
  return problems.map((p) => `${where(p.path)}: ${p.message}`).join('; ');
}

/**
 * Cells the prepared data rule out (not done before) fail now, in the store and in
 * `failed`, with the spec's field: the others still run.
 */
export function failRuledOut(
  study: OpenStudy,
  cells: readonly Cell[],
  o: {
    isDone: (id: string) => boolean;
    store: Pick<ResultsStore, 'markFailed'>;
    failed: Set<string>;
    log: (s: string) => void;
    emit: (cell: Cell, phase: 'failed', extra: { message: string }) => void;
    where?: (path: (string | number)[]) => string;
  },
): void {
  for (const cell of cells) {
    const msg = problemText(study.problems.get(cell.id), o.where);
    if (msg === null || o.isDone(cell.id)) continue;
    o.store.markFailed(cell.id, invalid(msg));
    o.failed.add(cell.id);
    o.log(`${cell.id} cannot run: ${msg}`);
    o.emit(cell, 'failed', { message: msg });
  }
}
