// Student cells: one per (size, seed, condition), in that order (the smallest size of
// every condition finishes first; after one seed pass of a size the conditions can be
// compared). Each trains on its recipe's training set in runs/ID and is scored on the
// real test references.
import { join } from 'node:path';

import { RegurgitateError } from '../../common/errors.js';
import type { CellCommon } from '../grid/cells.js';
import type { Recipe } from '../recipes/types.js';
import { hashedTrain, type DecodeSettings, type ModelArch, type TrainSettings } from '../spec/types.js';
import type { BaseCell } from './base.js';
import type { GeneratorCell } from './generator.js';
import { dataSettings, SAMPLING_VERSION, withHash } from '../grid/settings.js';
import { conditionSlug, formatCondition, parseCondition, recipeKind } from '../recipes/index.js';
import { runStudent, trainingSet } from '../run/student.js';
import { RESULT_NAMES as N } from '../store/schema.js';
import { recordFinite, recordScores } from './record.js';
import type { CellHandler } from './types.js';

/** Where a student's weights start: from scratch, the base cell's run, or a saved model. */
export type StudentStart = { from: 'scratch' } | { from: 'cell'; cell: string } | { from: 'checkpoint'; path: string };

export interface StudentCell extends CellCommon {
  kind: 'student';
  condition: string;
  recipe: Recipe;
  size: number;
  seed: number;
  model: ModelArch;
  train: TrainSettings;
  decode: DecodeSettings;
  start: StudentStart;
  /** Generator name -> the id of the cell whose outputs stand for it. */
  sources: Record<string, string>;
}

declare module '../grid/cells.js' {
  interface CellKinds {
    student: StudentCell;
  }
}

export const studentHandler: CellHandler<StudentCell> = {
  kind: 'student',

  plan({ spec, real }, prior) {
    const jobs = new Map(prior.filter((c): c is GeneratorCell => c.kind === 'generator').map((c) => [c.name, c]));
    const base = prior.find((c): c is BaseCell => c.kind === 'base');
    const realInit = real.student.init;
    const start: StudentStart = base
      ? { from: 'cell', cell: base.id }
      : typeof realInit === 'object' && 'checkpoint' in realInit.finetune
        ? { from: 'checkpoint', path: realInit.finetune.checkpoint }
        : { from: 'scratch' };
    // Hashed: a base's own settings stand for the weights it gives.
    const init = base ? { finetune: base.settings } : spec.student.init;
    const student = { model: spec.student.model, train: hashedTrain(spec.student.train), decode: spec.student.decode, init };
    const recipes = spec.conditions.map((text) => parseCondition(text, Object.keys(spec.generators)));
    const cells: StudentCell[] = [];
    for (const size of spec.sizes) {
      for (const seed of spec.seeds) {
        for (const recipe of recipes) {
          const kind = recipeKind(recipe);
          const names = kind.generators(recipe);
          const job = (name: string) => {
            const j = jobs.get(name);
            if (!j) throw new RegurgitateError('EINTERNAL', `no generator cell for '${name}'`);
            return j;
          };
          const condition = formatCondition(recipe);
          cells.push(
            withHash<StudentCell>({
              id: `${conditionSlug(recipe)}__n${size}__seed${seed}`,
              kind: 'student',
              condition,
              recipe,
              generators: names,
              factors: kind.factors(recipe),
              size,
              seed,
              model: real.student.model,
              train: real.student.train,
              decode: real.student.decode,
              start,
              sources: Object.fromEntries(names.map((n) => [n, job(n).id])),
              settings: {
                kind: 'student',
                data: dataSettings(spec),
                tokenizer: spec.tokenizer,
                student,
                ...kind.hashed(recipe, (n) => job(n).settings),
                size,
                seed,
                sampling: SAMPLING_VERSION,
              },
              dependsOn: [...names.map((n) => job(n).id), ...(base ? [base.id] : [])],
            }),
          );
        }
      }
    }
    return cells;
  },

  dir: (cell) => join('runs', cell.id),

  check: (cell, { spec, poolBSize }) => (cell.size > poolBSize ? [{ path: ['sizes', spec.sizes.indexOf(cell.size)], message: `${cell.size} pairs, but pool B holds ${poolBSize}` }] : []),

  needs(cell, poolBSize) {
    const need = recipeKind(cell.recipe).needs(cell.recipe, { poolBSize, size: cell.size, seed: cell.seed });
    return new Map([...need].map(([name, idx]) => [cell.sources[name], idx]));
  },

  async run(cell, ctx) {
    const rows = trainingSet(cell, ctx.ws, (id) => ctx.outputs.get(id)?.targets);
    let init: string | undefined;
    if (cell.start.from === 'checkpoint') init = cell.start.path;
    else if (cell.start.from === 'cell') {
      init = ctx.outputs.get(cell.start.cell)?.runDir;
      if (init === undefined) throw new RegurgitateError('EINTERNAL', `${cell.id}: the run of ${cell.start.cell} is not available`);
    }
    const r = await runStudent(cell, ctx, rows, init);
    if (r === null) return null;
    return {
      record(store) {
        recordScores(store, cell.id, r);
        store.recordMetric(cell.id, N.steps, r.steps);
        recordFinite(store, cell.id, N.trainMtld, r.trainDiversity.mtld);
        recordFinite(store, cell.id, N.trainDistinct2, r.trainDiversity.distinct_2);
        store.recordMetric(cell.id, 'dropped_pairs', r.dropped);
        store.recordTiming(cell.id, N.trainTiming, r.trainSeconds);
        store.recordTiming(cell.id, 'translate', r.translateSeconds);
        store.recordArtifact(cell.id, N.hypotheses, r.hypotheses);
        store.recordArtifact(cell.id, N.trainingSet, r.trainingSet);
        store.recordArtifact(cell.id, 'run', join('runs', cell.id));
      },
    };
  },
};
