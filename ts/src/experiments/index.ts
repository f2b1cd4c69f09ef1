// Experiments: the spec, its grid of runs, and the results store.
export * from './types.js';
export * from './spec.js';
export { presetSpec, SPEC_PRESET_NAMES, type SpecPresetName } from './presets.js';
export { specToYaml, specInput } from './spec_yaml.js';
export { BUILTIN_GENERATORS, DEFAULT_PROMPT, apertiumMode, resolveGenerator, generatorIdentity } from './spec_generators.js';
export { parseCondition, formatCondition, conditionSlug, generatedFraction, type ParsedCondition } from './condition.js';
export { expandGrid, specHash, cellTrainingSet, SAMPLING_VERSION, type Cell, type CellKind } from './grid.js';
export { Xoshiro128, shufflePrefix, sampleIndices, poolASample, generatedCount, generatedMask } from './sampling.js';
export { canonicalJson, hashSettings } from './canonical.js';
export {
  openStore,
  ResultsStore,
  SHOWN_STATUSES,
  type RunStatus,
  type ShownStatus,
  type RunRow,
  type StoreStatus,
  type ExperimentInfo,
  type UpsertReport,
  type OpenStoreOptions,
} from './store.js';
export { SpecChangedError, diffSettings, type RunChange, type FieldChange } from './store_changes.js';
export { DB_FILE, SCHEMA_VERSION } from './store_schema.js';
export { formatStatus, statusJson } from './status.js';
export { currentVersions, type Versions } from './versions.js';
