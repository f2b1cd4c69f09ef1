// One student: its training set (the recipe's pairs, each target real or a generator
// cell's output), written to RUN/train.jsonl for audit; training; translation of the
// test split; its scores.
import { join } from 'node:path';

import { RegurgitateError } from '../../common/errors.js';
import { diversity } from '../../metrics/diversity.js';
import { scoreCorpus, type Scores } from '../../rundir/score.js';
import type { StudentCell } from '../kinds/student.js';
import type { CellContext } from '../kinds/types.js';
import { recipeKind } from '../recipes/index.js';
import type { GeneratedTargets } from '../recipes/types.js';
import { trainOnRows, type TrainingRow } from './trained.js';
import type { Workspace } from './workspace.js';

export type { TrainingRow } from './trained.js';

export interface StudentOutcome extends Scores {
  steps: number;
  trainSeconds: number;
  translateSeconds: number;
  /** Path of the test translations, relative to the experiment folder. */
  hypotheses: string;
  /** Path of the training set (train.jsonl), relative to the experiment folder. */
  trainingSet: string;
  trainDiversity: { mtld: number; distinct_2: number };
  /** Pairs left out (empty generated target, or too long for the model). */
  dropped: number;
}

/** The student's training set, pair by pair, from pool B and its sources' outputs. */
export function trainingSet(cell: StudentCell, ws: Pick<Workspace, 'poolB'>, outputs: (cellId: string) => GeneratedTargets | undefined): TrainingRow[] {
  const poolBSize = ws.poolB.src.length;
  if (cell.size > poolBSize) throw new RegurgitateError('ERANGE', `${cell.id} needs ${cell.size} pairs but pool B has ${poolBSize}`);
  const byName = new Map<string, GeneratedTargets>();
  for (const [name, id] of Object.entries(cell.sources)) {
    const t = outputs(id);
    if (!t) throw new RegurgitateError('EINTERNAL', `${cell.id}: the outputs of ${id} are not available`);
    byName.set(name, t);
  }
  const pairs = recipeKind(cell.recipe).select(cell.recipe, { poolBSize, size: cell.size, seed: cell.seed, outputs: byName });
  return pairs.map(({ index, target }) => {
    const source = ws.poolB.src[index];
    if ('real' in target) return { index, source, target: ws.poolB.tgt[index], from: 'real' };
    const g = byName.get(target.generator)?.get(index);
    if (g === undefined) throw new RegurgitateError('EINTERNAL', `${cell.id}: no target of generator ${target.generator} for pool-B pair ${index}`);
    const row: TrainingRow = { index, source, target: g.text, from: cell.sources[target.generator] };
    if (Object.keys(g.scores).length) row.scores = g.scores;
    return row;
  });
}

export async function runStudent(cell: StudentCell, ctx: CellContext, rows: readonly TrainingRow[], init: string | undefined): Promise<StudentOutcome | null> {
  const dir = join(ctx.ws.dir, 'runs', cell.id);
  const t = await trainOnRows({ dir, rows, model: cell.model, train: cell.train, decode: cell.decode, seed: cell.seed, init, info: { cell: cell.id, condition: cell.condition, size: cell.size } }, ctx);
  if (t === null) return null;
  const d = diversity(rows.map((r) => r.target));
  return {
    ...scoreCorpus(t.hyps, ctx.ws.test.tgt),
    steps: t.steps,
    trainSeconds: t.trainSeconds,
    translateSeconds: t.translateSeconds,
    hypotheses: t.hypotheses,
    trainingSet: t.trainingSet,
    trainDiversity: { mtld: d.mtld ?? NaN, distinct_2: d.distinct_2 ?? NaN },
    dropped: t.dropped,
  };
}
