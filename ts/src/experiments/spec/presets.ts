// Ready-made studies: `demo` runs on two CPU cores in minutes, `paper` is the paper's
// design at full size for a GPU; `collapse` follows regurgitation over generations on
// two CPU cores, `collapse-gpu` at full size. All are written as a user would write them
// and go through the same checks as a spec file.
import { invalid } from '../../common/errors.js';
import { normalizeSpec } from './spec.js';
import { SpecSource } from './source.js';
import type { ExperimentSpec } from './types.js';

export const SPEC_PRESET_NAMES = ['demo', 'paper', 'collapse', 'collapse-gpu'] as const;
export type SpecPresetName = (typeof SPEC_PRESET_NAMES)[number];

// A fixed small budget: tiny models, small batches and a high learning rate with a
// cosine decay (what learns most in half a minute on 2 cores), no early stopping, one
// dev evaluation at the end (for the log, not for choosing weights).
const demoTrain = (steps: number) => ({ maxSteps: steps, maxEpochs: 0, maxTokens: 2048, lr: 0.005, schedule: 'cosine', warmupSteps: Math.round(steps / 10), validEvery: steps });

const PRESET_INPUTS: Record<SpecPresetName, Record<string, unknown>> = {
  // 4 conditions x 2 sizes x 2 seeds = 16 tiny students of 1000 steps (about 30 s each
  // on 2 cores), one tiny generator of 600 steps and Apertium: about 10 minutes.
  demo: {
    name: 'demo',
    corpus: { kind: 'bible', pair: 'es-en' },
    direction: 'es-en',
    splits: { poolA: 4000, poolB: 'rest', dev: 500, test: 500, splitSeed: 1 },
    tokenizer: { vocabSize: 4000 },
    generators: {
      apertium: { kind: 'apertium', mode: 'spa-eng' },
      low: { kind: 'model', model: 'tiny', trainPairs: 2000, train: demoTrain(600), decode: { method: 'greedy' }, seed: 1 },
    },
    conditions: ['real', 'generated:apertium', 'generated:low', 'mix:apertium:0.5'],
    sizes: [1000, 4000],
    seeds: [1, 2],
    student: { model: 'tiny', train: { ...demoTrain(1000), patience: 0, restoreBest: false }, decode: { method: 'greedy' }, init: 'scratch' },
    device: 'cpu',
    threads: 0,
  },
  // The paper's design (Zhang et al. 2024, sec. 4): Transformer-base students, learning
  // curves in steps of 1,000 pairs, 5 seeds; weak, strong, self and third-party
  // generators, and a half-and-half mix.
  paper: {
    name: 'paper',
    corpus: { kind: 'bible', pair: 'es-en' },
    direction: 'es-en',
    splits: { poolA: 12000, poolB: 'rest', dev: 1000, test: 2000, splitSeed: 1 },
    tokenizer: { vocabSize: 8000 },
    generators: { low: {}, high: {}, self: {}, apertium: { kind: 'apertium', mode: 'spa-eng' } },
    conditions: ['real', 'generated:low', 'generated:high', 'generated:self', 'generated:apertium', 'mix:high:0.5'],
    sizes: { from: 1000, to: 10000, step: 1000 },
    seeds: [1, 2, 3, 4, 5],
    student: { model: 'base', train: { maxEpochs: 40, patience: 5, restoreBest: true }, decode: { method: 'beam' }, init: 'scratch' },
    device: 'cuda',
    threads: 0,
  },
  // 3 regimes x 5 generations (0..4) x 2 seeds = 30 tiny models of 400 steps on 1,000
  // pairs each (accumulate: up to 5,000), each translating its 1,000 sources for the next
  // generation: under 20 minutes on 2 cores.
  collapse: {
    name: 'collapse',
    corpus: { kind: 'bible', pair: 'es-en' },
    direction: 'es-en',
    splits: { poolA: 4000, poolB: 'rest', dev: 500, test: 500, splitSeed: 1 },
    tokenizer: { vocabSize: 4000 },
    generators: {},
    conditions: [],
    sizes: [1000],
    seeds: [1, 2],
    student: { model: 'tiny', train: { ...demoTrain(400), patience: 0, restoreBest: false }, decode: { method: 'greedy' }, init: 'scratch' },
    chains: [
      { regime: 'replace', generations: 4 },
      { regime: 'accumulate', generations: 4 },
      { regime: 'fresh:0.5', generations: 4 },
    ],
    device: 'cpu',
    threads: 0,
  },
  // The same at full size: Transformer-base generations of 10,000 pairs, 10 generations,
  // 3 seeds, trained to early stopping.
  'collapse-gpu': {
    name: 'collapse-gpu',
    corpus: { kind: 'bible', pair: 'es-en' },
    direction: 'es-en',
    splits: { poolA: 4000, poolB: 'rest', dev: 1000, test: 2000, splitSeed: 1 },
    tokenizer: { vocabSize: 8000 },
    generators: {},
    conditions: [],
    sizes: [10000],
    seeds: [1, 2, 3],
    student: { model: 'base', train: { maxEpochs: 40, patience: 5, restoreBest: true }, decode: { method: 'beam' }, init: 'scratch' },
    chains: [
      { regime: 'replace', generations: 10 },
      { regime: 'accumulate', generations: 10 },
      { regime: 'fresh:0.5', generations: 10 },
    ],
    device: 'cuda',
    threads: 0,
  },
};

/** A preset study, checked like a spec file. */
export function presetSpec(name: SpecPresetName): ExperimentSpec {
  const input = PRESET_INPUTS[name];
  if (!input) throw invalid(`unknown preset '${String(name)}'; known: ${SPEC_PRESET_NAMES.join(', ')}`);
  return normalizeSpec(structuredClone(input), new SpecSource(`<preset ${name}>`), name);
}
