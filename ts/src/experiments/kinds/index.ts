// The cell kinds, in planning order: generators, the fine-tuning base, students, chain
// generations.
// Adding a kind: its handler file here, one entry in HANDLERS, its spec section
// (spec/) and its report section (report/); docs/experiments.md says how.
import { RegurgitateError } from '../../common/errors.js';
import type { Cell, CellKind } from '../grid/cells.js';
import { baseHandler } from './base.js';
import { generationHandler } from './generation.js';
import { generatorHandler } from './generator.js';
import { studentHandler } from './student.js';
import type { CellHandler } from './types.js';

export const HANDLERS: readonly CellHandler[] = [generatorHandler, baseHandler, studentHandler, generationHandler] as unknown as CellHandler[];

export function handlerFor(kind: CellKind | string): CellHandler {
  const h = HANDLERS.find((x) => x.kind === kind);
  if (!h) throw new RegurgitateError('EINTERNAL', `no handler for cell kind '${kind}'`);
  return h;
}

/** Cell id -> the pool-B positions (sorted, unique) that the cells of `cells` need from it. */
export function requestedIndices(cells: readonly Cell[], poolBSize: number): Map<string, number[]> {
  const sets = new Map<string, Set<number>>();
  for (const c of cells) {
    const needs = handlerFor(c.kind).needs?.(c, poolBSize);
    if (!needs) continue;
    for (const [id, idx] of needs) {
      let s = sets.get(id);
      if (!s) sets.set(id, (s = new Set()));
      for (const i of idx) s.add(i);
    }
  }
  return new Map([...sets].map(([id, s]) => [id, [...s].sort((a, b) => a - b)]));
}
