// Chain generations (collapse): for every chain of the spec, seed and generation
// k = 0..K, one cell in chains/ID. Generation-major order: every chain's generation 0
// runs before any generation 1, so partial results already compare the regimes.
// Generation k's settings hash holds generation k-1's, never K: a longer chain keeps
// the generations it had.
import { join } from 'node:path';

import type { CellCommon } from '../grid/cells.js';
import { dataSettings, SAMPLING_VERSION, withHash } from '../grid/settings.js';
import { parseRegime, regimeNeeds, type Regime } from '../recipes/chains.js';
import { runGeneration } from '../run/generation.js';
import { hashedTrain, type DecodeSettings, type ModelArch, type TrainSettings } from '../spec/types.js';
import { RESULT_NAMES as N } from '../store/schema.js';
import { recordFinite, recordScores } from './record.js';
import type { CellHandler } from './types.js';

export interface GenerationCell extends CellCommon {
  kind: 'generation';
  /** The regime as the spec writes it: 'replace', 'accumulate', 'fresh:0.5'. */
  chain: string;
  regime: Regime;
  generation: number;
  size: number;
  seed: number;
  model: ModelArch;
  train: TrainSettings;
  decode: DecodeSettings;
  /** previous[j]: the id of generation j of the same chain and seed (j < generation). */
  previous: string[];
}

declare module '../grid/cells.js' {
  interface CellKinds {
    generation: GenerationCell;
  }
}

/** The names chain results and the report read. */
export const CHAIN_METRICS = Object.freeze({
  perplexity: 'perplexity',
  mtld: 'mtld',
  distinct2: 'distinct_2',
  vocabSize: 'vocab_size',
  tailCoverage: 'tail_coverage',
  meanLength: 'mean_length',
  lengthRatio: 'length_ratio',
  lengthP10: 'length_p10',
  lengthP50: 'length_p50',
  lengthP90: 'length_p90',
  dataBleu: 'data_bleu',
});

export const generationHandler: CellHandler<GenerationCell> = {
  kind: 'generation',

  plan({ spec }) {
    const chains = spec.chains ?? [];
    const byChainSeed = new Map<string, GenerationCell[]>();
    const cells: GenerationCell[] = [];
    const maxK = Math.max(-1, ...chains.map((c) => c.generations));
    for (let k = 0; k <= maxK; k++) {
      for (const c of chains) {
        if (k > c.generations) continue;
        const regime = parseRegime(c.regime);
        for (const seed of c.seeds) {
          const key = `${c.regime}\u0000${seed}`;
          const earlier = byChainSeed.get(key) ?? [];
          const prev = earlier[k - 1];
          const cell = withHash<GenerationCell>({
            id: `chain-${c.regime.replace(/:/g, '-')}__g${k}__n${c.size}__seed${seed}`,
            kind: 'generation',
            chain: c.regime,
            regime,
            generation: k,
            size: c.size,
            seed,
            model: c.model,
            train: c.train,
            decode: c.decode,
            previous: earlier.map((e) => e.id),
            condition: null,
            generators: [],
            factors: { family: 'chain', chain: c.regime, generation: k },
            settings: {
              kind: 'generation',
              data: dataSettings(spec),
              tokenizer: spec.tokenizer,
              chain: { regime: c.regime, size: c.size, model: c.model, train: hashedTrain(c.train), decode: c.decode },
              generation: k,
              seed,
              sampling: SAMPLING_VERSION,
              previous: prev ? prev.settingsHash : null,
            },
            // accumulate reads every earlier generation; the others the one before
            dependsOn: k === 0 ? [] : regime.kind === 'accumulate' ? earlier.map((e) => e.id) : [prev.id],
          });
          byChainSeed.set(key, [...earlier, cell]);
          cells.push(cell);
        }
      }
    }
    return cells;
  },

  dir: (cell) => join('chains', cell.id),

  check: (cell, { spec, poolBSize }) =>
    cell.size > poolBSize ? [{ path: ['chains', (spec.chains ?? []).findIndex((c) => c.regime === cell.chain), 'size'], message: `${cell.size} pairs, but pool B holds ${poolBSize}` }] : [],

  needs(cell, poolBSize) {
    const need = regimeNeeds(cell.regime, { poolBSize, size: cell.size, seed: cell.seed, generation: cell.generation });
    return new Map([...need].map(([j, idx]) => [cell.previous[j], idx]));
  },

  async run(cell, ctx) {
    const r = await runGeneration(cell, ctx);
    if (r === null) return null;
    const o = r.outcome;
    return {
      output: { targets: r.targets },
      record(store) {
        if (!o) return;
        recordScores(store, cell.id, o);
        recordFinite(store, cell.id, CHAIN_METRICS.perplexity, o.perplexity);
        recordFinite(store, cell.id, CHAIN_METRICS.mtld, o.mtld);
        recordFinite(store, cell.id, CHAIN_METRICS.distinct2, o.distinct2);
        recordFinite(store, cell.id, CHAIN_METRICS.vocabSize, o.vocabSize);
        recordFinite(store, cell.id, CHAIN_METRICS.tailCoverage, o.tailCoverage);
        recordFinite(store, cell.id, CHAIN_METRICS.meanLength, o.meanLength);
        recordFinite(store, cell.id, CHAIN_METRICS.lengthRatio, o.lengthRatio);
        recordFinite(store, cell.id, CHAIN_METRICS.lengthP10, o.lengthQuantiles[0]);
        recordFinite(store, cell.id, CHAIN_METRICS.lengthP50, o.lengthQuantiles[1]);
        recordFinite(store, cell.id, CHAIN_METRICS.lengthP90, o.lengthQuantiles[2]);
        recordFinite(store, cell.id, CHAIN_METRICS.dataBleu, o.dataBleu);
        store.recordMetric(cell.id, N.steps, o.steps);
        store.recordTiming(cell.id, N.trainTiming, o.trainSeconds);
        store.recordTiming(cell.id, 'translate', o.translateSeconds);
        store.recordArtifact(cell.id, N.hypotheses, o.hypotheses);
        store.recordArtifact(cell.id, N.trainingSet, o.trainingSet);
        store.recordArtifact(cell.id, 'run', join('chains', cell.id));
      },
    };
  },
};
