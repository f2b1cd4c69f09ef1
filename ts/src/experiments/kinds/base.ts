// The base cell: with `init: { finetune: { pairs: N } }`, one model trained on N real
// pool-A pairs (seed 1, the students' model and training) that every student starts from.
import { join } from 'node:path';

import { dataSettings, withHash } from '../grid/settings.js';
import type { CellCommon } from '../grid/cells.js';
import { hashedTrain, type ModelArch, type TrainSettings } from '../spec/types.js';
import { trainOnPoolA } from '../run/jobs.js';
import type { CellHandler } from './types.js';

export interface BaseCell extends CellCommon {
  kind: 'base';
  model: ModelArch;
  train: TrainSettings;
  pairs: number;
  seed: number;
}

declare module '../grid/cells.js' {
  interface CellKinds {
    base: BaseCell;
  }
}

export const baseHandler: CellHandler<BaseCell> = {
  kind: 'base',

  plan({ spec, real }) {
    const init = spec.student.init;
    if (typeof init !== 'object' || !('pairs' in init.finetune)) return [];
    const pairs = init.finetune.pairs;
    const { model } = spec.student;
    const train = real.student.train;
    return [
      withHash<BaseCell>({
        id: `base-finetune-n${pairs}`,
        kind: 'base',
        model,
        train,
        pairs,
        condition: null,
        generators: [],
        factors: {},
        size: pairs,
        seed: 1,
        settings: { kind: 'base', data: dataSettings(spec), tokenizer: spec.tokenizer, model, train: hashedTrain(spec.student.train), pairs, seed: 1 },
        dependsOn: [],
      }),
    ];
  },

  dir: () => 'base',

  check: (cell, { poolASize }) => (cell.pairs > poolASize ? [{ path: ['student', 'init', 'finetune', 'pairs'], message: `${cell.pairs} pairs, but pool A holds ${poolASize}` }] : []),

  async run(cell, ctx) {
    const runDir = join(ctx.dir, 'base');
    await trainOnPoolA(ctx, runDir, { ...cell.model }, { ...cell.train }, cell.pairs, cell.seed, 'base');
    if (ctx.signal?.aborted) return null;
    return { output: { runDir }, record: (store) => store.recordArtifact(cell.id, 'run', 'base') };
  },
};
