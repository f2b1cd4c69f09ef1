// The parts of a cell's hashed settings that several kinds share, and the hash itself.
import { hashSettings } from '../../common/canonical.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { Cell } from './cells.js';

/** Bumped when sampleIndices/generatedMask change, so old results no longer match. */
export const SAMPLING_VERSION = 1;

/** The data every cell is computed from: corpus (its identity), direction, splits. */
export function dataSettings(spec: ExperimentSpec): Record<string, unknown> {
  return { corpus: spec.corpus, direction: spec.direction, splits: spec.splits };
}

/** A cell with its settings hash filled in. */
export function withHash<C extends Cell>(c: Omit<C, 'settingsHash'>): C {
  return { ...c, settingsHash: hashSettings(c.settings) } as C;
}
