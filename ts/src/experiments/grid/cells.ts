// The cells of a study's grid: one run each, a discriminated union by kind, each kind
// with typed, resolved settings (what its handler in kinds/ needs, nothing more) beside
// the JSON that its settings hash is computed from.
import type { ModelArch, DecodeSettings, GeneratorSpec, TrainSettings } from '../spec/types.js';
import type { Recipe } from '../recipes/types.js';

/** Named factors of a run that results carry and the analysis groups by: family, fraction, ... */
export type Factors = Record<string, string | number | null>;

interface CellCommon {
  /** 'generator-low', 'base-finetune-n2000', 'mix-apertium-0.5__n2000__seed1'. */
  id: string;
  /** Students: their training pairs; model generators and the base: pool-A pairs (null: all or none). */
  size: number | null;
  seed: number | null;
  /** Students: the condition's canonical text; null for jobs. */
  condition: string | null;
  /** The generators the run used: a generator job its own name, a student those of its targets. */
  generators: string[];
  factors: Factors;
  /** What determines the result (hashed). */
  settings: Record<string, unknown>;
  settingsHash: string;
  /** Ids of the runs that must finish first. */
  dependsOn: string[];
}

export interface GeneratorCell extends CellCommon {
  kind: 'generator';
  name: string;
  /** The definition, `self` resolved to a model (real paths, not identities). */
  generator: Exclude<GeneratorSpec, { kind: 'self' }>;
  /** Language codes of the study's direction (prompts name the languages). */
  direction: { src: string; tgt: string };
}

export interface BaseCell extends CellCommon {
  kind: 'base';
  model: ModelArch;
  train: TrainSettings;
  pairs: number;
  seed: number;
}

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

export type Cell = GeneratorCell | BaseCell | StudentCell;
export type CellKind = Cell['kind'];
