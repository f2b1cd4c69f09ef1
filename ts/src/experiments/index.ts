// Experiments: the spec, its grid of runs, and the results store.
export * from './types.js';
export * from './spec/spec.js';
export { presetSpec, SPEC_PRESET_NAMES, type SpecPresetName } from './spec/presets.js';
export { specToYaml, specInput } from './spec/yaml.js';
export { DEFAULT_PROMPT } from '../generators/prompt.js';
export { BUILTIN_GENERATORS, apertiumMode, resolveGenerator, generatorIdentity } from './spec/generators.js';
export { parseCondition, formatCondition, conditionSlug, generatedFraction, recipeGenerators, RECIPES, type ParsedCondition, type Recipe, type RecipeKind, type RecipePair } from './recipes/index.js';
export { expandGrid, specHash, SAMPLING_VERSION, type Cell, type CellKind, type Factors, type GeneratorCell, type BaseCell, type StudentCell } from './grid/grid.js';
export { HANDLERS, handlerFor, requestedIndices } from './kinds/index.js';
export type { CellHandler, CellContext, CellOutput, CellRun, PlanInput } from './kinds/types.js';
export { trainingSet, type TrainingRow } from './run/student.js';
export { Xoshiro128, shufflePrefix, sampleIndices, poolASample, generatedCount, generatedMask } from './grid/sampling.js';
export { canonicalJson, hashSettings } from '../common/canonical.js';
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
} from './store/store.js';
export { SpecChangedError, diffSettings, type RunChange, type FieldChange } from './store/changes.js';
export { DB_FILE, SCHEMA_VERSION } from './store/schema.js';
export { formatStatus, statusJson } from './run/status.js';
export { currentVersions, type Versions } from './store/versions.js';
