// Training budgets that go with the model presets when a corpus is trained from the
// command line. `tiny` is sized to finish on the bible corpus (28k pairs) on 2 CPU
// cores in under 10 minutes (README); the others are for larger machines.
import type { PresetName, TrainOptions } from '../engine/config.js';

export const TRAIN_PRESETS: Readonly<Record<PresetName, Readonly<Partial<TrainOptions>>>> = Object.freeze({
  tiny: Object.freeze({ maxEpochs: 8, lr: 2e-3, maxTokens: 6000, maxSentences: 256, schedule: 'cosine' as const, warmupSteps: 200 }),
  small: Object.freeze({ maxEpochs: 20, lr: 7e-4, maxTokens: 8000, maxSentences: 256, warmupSteps: 1000 }),
  base: Object.freeze({ maxEpochs: 30, lr: 5e-4, maxTokens: 25000, maxSentences: 1024, warmupSteps: 4000 }),
});
