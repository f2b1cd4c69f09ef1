// The runs a spec asks for: each cell kind's handler plans its cells (kinds/), in the
// order generators, base, students. Each run has a readable stable id and a settings
// hash: the SHA-256 of the canonical JSON of everything that determines its result, so
// a results folder can tell a finished run of the same settings from one of a changed
// spec.
import { RegurgitateError } from '../../common/errors.js';
import { hashSettings } from '../../common/canonical.js';
import { HANDLERS } from '../kinds/index.js';
import { hashedTrain, type ExperimentSpec } from '../spec/types.js';
import type { Cell } from './cells.js';

export type { Cell, CellKind, Factors } from './cells.js';
export type { GeneratorCell } from '../kinds/generator.js';
export type { BaseCell } from '../kinds/base.js';
export type { StudentCell, StudentStart } from '../kinds/student.js';
export { SAMPLING_VERSION } from './settings.js';

/**
 * Every run of the spec, in execution order. `spec` is what is hashed (the identity
 * spec of grid/identity.ts when there are files); `real` gives the paths to run with.
 */
export function expandGrid(spec: ExperimentSpec, real: ExperimentSpec = spec): Cell[] {
  const cells: Cell[] = [];
  for (const h of HANDLERS) cells.push(...h.plan({ spec, real }, cells));
  const ids = new Set<string>();
  for (const c of cells) {
    if (ids.has(c.id)) throw new RegurgitateError('EINTERNAL', `expandGrid: duplicate run id ${c.id}`);
    ids.add(c.id);
  }
  return cells;
}

/** The hash of a whole spec (what the results folder records), less its name, device, threads and checkpoint intervals. */
export function specHash(spec: ExperimentSpec): string {
  const { name: _n, device: _d, threads: _t, ...rest } = spec;
  const generators = Object.fromEntries(
    Object.entries(rest.generators).map(([k, g]) => [k, 'train' in g && g.train ? { ...g, train: hashedTrain(g.train) } : g]),
  );
  const chains = rest.chains?.map((c) => ({ ...c, train: hashedTrain(c.train) }));
  return hashSettings({ ...rest, student: { ...rest.student, train: hashedTrain(rest.student.train) }, generators, ...(chains ? { chains } : {}) });
}
