// A slice of a study: `experiment run --only FILTER` runs the cells a filter picks (and
// the jobs they wait for), so a GPU session with minutes to spare can run the cheapest
// cells of a large grid end to end, and the rest later. Terms are KEY=VALUE separated by
// commas; terms of one key are alternatives, different keys must all hold:
//   condition=real,condition=generated:apertium,size=1000,seed=1
// condition, size and seed are students' (a generator job's size is its pool-A sample);
// generator picks a generator job and the students trained on its output.
import { invalid } from '../../common/errors.js';
import { formatCondition, parseCondition } from '../recipes/index.js';
import { HANDLERS } from '../kinds/index.js';
import type { Cell } from './grid.js';

export const FILTER_KEYS = ['id', 'kind', 'condition', 'generator', 'size', 'seed'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** Allowed values per key (strings; sizes and seeds as decimal integers). */
export type CellFilter = Partial<Record<FilterKey, string[]>>;

const KINDS: readonly string[] = HANDLERS.map((h) => h.kind);

/** Parses FILTER; errors name the term and what was expected (`what` names the flag). */
export function parseCellFilter(text: string, what = '--only'): CellFilter {
  const f: CellFilter = {};
  const terms = text.split(',').map((t) => t.trim());
  if (terms.every((t) => t === '')) throw invalid(`${what}: empty filter (expected KEY=VALUE terms separated by commas; keys: ${FILTER_KEYS.join(', ')})`);
  for (const term of terms) {
    if (term === '') throw invalid(`${what}: empty term in '${text}' (two commas in a row?)`);
    const eq = term.indexOf('=');
    if (eq < 0) throw invalid(`${what}: '${term}' is not KEY=VALUE (keys: ${FILTER_KEYS.join(', ')})`);
    const key = term.slice(0, eq).trim() as FilterKey;
    let value = term.slice(eq + 1).trim();
    if (!FILTER_KEYS.includes(key)) throw invalid(`${what}: unknown key '${key}' in '${term}' (keys: ${FILTER_KEYS.join(', ')})`);
    if (value === '') throw invalid(`${what}: '${term}' has no value`);
    if (key === 'size' || key === 'seed') {
      if (!/^\d+$/.test(value)) throw invalid(`${what}: ${key} must be an integer >= 0 (got '${value}')`);
      value = String(Number(value));
    } else if (key === 'kind') {
      if (!KINDS.includes(value)) throw invalid(`${what}: kind must be one of ${KINDS.join(', ')} (got '${value}')`);
    } else if (key === 'condition') {
      try {
        value = formatCondition(parseCondition(value)); // mix:low:0.50 -> mix:low:0.5, as in the grid
      } catch (e) {
        throw invalid(`${what}: ${(e as Error).message}`);
      }
    }
    (f[key] ??= []).push(value);
  }
  return f;
}

/** The cell's values for a key: a run may have used several generators. */
function valuesOf(cell: Cell, key: FilterKey): string[] {
  // A job's size and seed are its pool-A sample's: `size=1000` means students of 1000 pairs.
  if ((key === 'size' || key === 'seed') && cell.kind !== 'student') return [];
  if (key === 'generator') return cell.generators;
  const v = key === 'id' ? cell.id : cell[key];
  return v === null || v === undefined ? [] : [String(v)];
}

export function matchesFilter(cell: Cell, f: CellFilter): boolean {
  return FILTER_KEYS.every((k) => {
    const want = f[k];
    return !want || valuesOf(cell, k).some((v) => want.includes(v));
  });
}

/**
 * The ids to run: the cells the filter matches and every cell they wait for. A filter
 * that matches nothing is an error listing what the grid has, so a typo is not a no-op.
 */
export function selectCells(cells: readonly Cell[], f: CellFilter, what = '--only'): Set<string> {
  const byId = new Map(cells.map((c) => [c.id, c]));
  const picked = new Set<string>();
  const add = (id: string) => {
    if (picked.has(id)) return;
    picked.add(id);
    for (const d of byId.get(id)?.dependsOn ?? []) add(d);
  };
  for (const c of cells) if (matchesFilter(c, f)) add(c.id);
  if (picked.size === 0) {
    const students = cells.filter((c) => c.kind === 'student');
    const have = [
      `conditions ${[...new Set(students.map((c) => c.condition))].join(', ')}`,
      `sizes ${[...new Set(students.map((c) => c.size))].join(', ')}`,
      `seeds ${[...new Set(students.map((c) => c.seed))].join(', ')}`,
      `jobs ${cells.filter((c) => c.kind !== 'student').map((c) => c.id).join(', ') || 'none'}`,
    ];
    throw invalid(`${what} matches no run of the grid (it has ${have.join('; ')})`);
  }
  return picked;
}
