// The runs a spec asks for: generator jobs (and a fine-tuning base), then one student per
// (size, seed, condition). Each run has a readable stable id and a settings hash: the
// SHA-256 of the canonical JSON of everything that determines its result, so a results
// folder can tell a finished run of the same settings from one of a changed spec.
//
// Order: jobs first (students wait for their generator), then students by size, then
// seed, then condition: the smallest size of every condition finishes first, and after
// one seed pass of a size the conditions can already be compared.
import { invalid, RegurgitateError } from '../../common/errors.js';
import { hashSettings } from '../../common/canonical.js';
import { conditionGenerator, conditionSlug, generatedFraction, parseCondition } from '../spec/condition.js';
import { generatedMask, sampleIndices } from './sampling.js';
import { generatorIdentity } from '../spec/generators.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { Condition } from '../types.js';

export type CellKind = 'generator' | 'base' | 'student';

export interface Cell {
  /** 'generator-low', 'base-finetune-n2000', 'mix-apertium-0.5__n2000__seed1'. */
  id: string;
  kind: CellKind;
  /** Students only. */
  condition: Condition | null;
  /** The generator a generator job runs, or whose targets a student trains on. */
  generator: string | null;
  /** Students: fraction of generated targets (0, P or 1). */
  generatedFraction: number | null;
  /** Students: training pairs; model generators and the base: pool-A pairs (null: all). */
  size: number | null;
  seed: number | null;
  /** What determines the result (hashed). */
  settings: Record<string, unknown>;
  settingsHash: string;
  /** Ids of the runs that must finish first. */
  dependsOn: string[];
}

/** Bumped when sampleIndices/generatedMask change, so old results no longer match. */
export const SAMPLING_VERSION = 1;

function make(c: Omit<Cell, 'settingsHash'>): Cell {
  return { ...c, settingsHash: hashSettings(c.settings) };
}

/** Every run of the spec, in execution order. */
export function expandGrid(spec: ExperimentSpec): Cell[] {
  const data = { corpus: spec.corpus, direction: spec.direction, splits: spec.splits };
  const tokenizer = spec.tokenizer;
  const parsed = spec.conditions.map((c) => ({ text: c, c: parseCondition(c, Object.keys(spec.generators)) }));
  const used = new Set(parsed.map((p) => conditionGenerator(p.c)).filter((g): g is string => g !== null));
  const jobs = new Map<string, Cell>();
  for (const [name, g] of Object.entries(spec.generators)) {
    if (!used.has(name)) continue;
    const identity = generatorIdentity(g, spec.student);
    const isModel = identity.kind === 'model';
    jobs.set(
      name,
      make({
        id: `generator-${name}`,
        kind: 'generator',
        condition: null,
        generator: name,
        generatedFraction: null,
        size: isModel && typeof identity.trainPairs === 'number' ? identity.trainPairs : null,
        seed: isModel ? (identity.seed as number) : null,
        // Model generators read tokenized text; the others see only sentences.
        settings: { kind: 'generator', data, ...(isModel ? { tokenizer } : {}), generator: identity },
        dependsOn: [],
      }),
    );
  }
  const cells: Cell[] = [...jobs.values()];
  let init: unknown = spec.student.init;
  let base: Cell | undefined;
  const { init: studentInit } = spec.student;
  if (typeof studentInit === 'object' && 'pairs' in studentInit.finetune) {
    // One base for all students: trained on real pool-A pairs, seed 1.
    const pairs = studentInit.finetune.pairs;
    base = make({
      id: `base-finetune-n${pairs}`,
      kind: 'base',
      condition: null,
      generator: null,
      generatedFraction: null,
      size: pairs,
      seed: 1,
      settings: { kind: 'base', data, tokenizer, model: spec.student.model, train: spec.student.train, pairs, seed: 1 },
      dependsOn: [],
    });
    cells.push(base);
    init = { finetune: base.settings };
  }
  const student = { model: spec.student.model, train: spec.student.train, decode: spec.student.decode, init };
  for (const size of spec.sizes) {
    for (const seed of spec.seeds) {
      for (const { text, c } of parsed) {
        const gen = conditionGenerator(c);
        const job = gen === null ? undefined : jobs.get(gen);
        const fraction = generatedFraction(c);
        cells.push(
          make({
            id: `${conditionSlug(c)}__n${size}__seed${seed}`,
            kind: 'student',
            condition: text,
            generator: gen,
            generatedFraction: fraction,
            size,
            seed,
            settings: {
              kind: 'student',
              data,
              tokenizer,
              student,
              condition: text,
              generator: job ? job.settings : null,
              generatedFraction: fraction,
              size,
              seed,
              sampling: SAMPLING_VERSION,
            },
            dependsOn: [...(job ? [job.id] : []), ...(base ? [base.id] : [])],
          }),
        );
      }
    }
  }
  const ids = new Set<string>();
  for (const c of cells) {
    if (ids.has(c.id)) throw new RegurgitateError('EINTERNAL', `expandGrid: duplicate run id ${c.id}`);
    ids.add(c.id);
  }
  return cells;
}

/** The hash of a whole spec (what the results folder records), less its name, device and threads. */
export function specHash(spec: ExperimentSpec): string {
  const { name: _n, device: _d, threads: _t, ...rest } = spec;
  return hashSettings(rest);
}

/** The pool-B pairs a student cell trains on, and which of them get generated targets. */
export function cellTrainingSet(cell: Pick<Cell, 'kind' | 'size' | 'seed' | 'generatedFraction' | 'id'>, poolBSize: number): { indices: Uint32Array; generated: Uint8Array } {
  if (cell.kind !== 'student' || cell.size === null || cell.seed === null || cell.generatedFraction === null)
    throw invalid(`cellTrainingSet: ${cell.id} is not a student run`);
  if (cell.size > poolBSize) throw new RegurgitateError('ERANGE', `cellTrainingSet: ${cell.id} needs ${cell.size} pairs but pool B has ${poolBSize}`);
  return { indices: sampleIndices(poolBSize, cell.size, cell.seed), generated: generatedMask(cell.size, cell.generatedFraction) };
}
