// Generator cells: one per generator a condition reads. A model generator trains on a
// seeded sample of pool A (generators/NAME); every generator translates the pool-B
// sources the students need (cached by content in cache/) and is scored on them
// against the real references.
import { join } from 'node:path';

import { dataSettings, withHash } from '../grid/settings.js';
import type { CellCommon } from '../grid/cells.js';
import type { GeneratorSpec } from '../spec/types.js';
import { parseCondition, recipeGenerators } from '../recipes/index.js';
import { buildGenerator, generatePool } from '../run/jobs.js';
import { generatorIdentity, resolveGenerator } from '../spec/generators.js';
import { RESULT_NAMES as N } from '../store/schema.js';
import { recordScores, recordFinite } from './record.js';
import type { CellHandler } from './types.js';

export interface GeneratorCell extends CellCommon {
  kind: 'generator';
  name: string;
  /** The definition, `self` resolved to a model (real paths, not identities). */
  generator: Exclude<GeneratorSpec, { kind: 'self' }>;
  /** Language codes of the study's direction (prompts name the languages). */
  direction: { src: string; tgt: string };
}

declare module '../grid/cells.js' {
  interface CellKinds {
    generator: GeneratorCell;
  }
}

export const generatorHandler: CellHandler<GeneratorCell> = {
  kind: 'generator',

  plan({ spec, real }) {
    const used = new Set(spec.conditions.flatMap((c) => recipeGenerators(parseCondition(c, Object.keys(spec.generators)))));
    const cells: GeneratorCell[] = [];
    for (const [name, g] of Object.entries(spec.generators)) {
      if (!used.has(name)) continue;
      const identity = generatorIdentity(g, spec.student);
      const isModel = identity.kind === 'model';
      cells.push(
        withHash<GeneratorCell>({
          id: `generator-${name}`,
          kind: 'generator',
          name,
          generator: resolveGenerator(real.generators[name], real.student) as GeneratorCell['generator'],
          direction: { ...real.direction },
          condition: null,
          generators: [name],
          factors: {},
          size: isModel && typeof identity.trainPairs === 'number' ? identity.trainPairs : null,
          seed: isModel ? (identity.seed as number) : null,
          // Model generators read tokenized text; the others see only sentences.
          settings: { kind: 'generator', data: dataSettings(spec), ...(isModel ? { tokenizer: spec.tokenizer } : {}), generator: identity },
          dependsOn: [],
        }),
      );
    }
    return cells;
  },

  dir: (cell) => join('generators', cell.name),

  check(cell, { poolASize }) {
    const g = cell.generator;
    if (g.kind !== 'model' || g.trainPairs === 'all' || g.trainPairs <= poolASize) return [];
    return [{ path: ['generators', cell.name, 'trainPairs'], message: `${g.trainPairs} pairs, but pool A holds ${poolASize}` }];
  },

  async run(cell, ctx) {
    const g = await buildGenerator(ctx, cell);
    ctx.closeLater(g);
    const pool = await generatePool(ctx, g, ctx.requested(cell.id));
    return {
      output: { targets: pool.targets },
      record(store) {
        const q = pool.quality;
        recordScores(store, cell.id, q);
        store.recordMetric(cell.id, N.sentences, q.sentences);
        recordFinite(store, cell.id, N.mtld, q.diversity.mtld);
        recordFinite(store, cell.id, N.distinct2, q.diversity.distinct_2);
        recordFinite(store, cell.id, N.ttr, q.diversity.ttr);
        store.recordTiming(cell.id, N.generateTiming, pool.seconds);
        store.recordArtifact(cell.id, 'run', cell.generator.kind === 'model' ? join('generators', cell.name) : 'cache');
      },
    };
  },
};

