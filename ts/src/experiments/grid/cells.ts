// The cells of a study's grid: one run each, a discriminated union by kind, each kind
// with typed, resolved settings (what its handler in kinds/ needs, nothing more) beside
// the JSON that its settings hash is computed from. The kinds' own fields are declared
// with their handlers (kinds/*.ts).

/** Named factors of a run that results carry and the analysis groups by: family, fraction, ... */
export type Factors = Record<string, string | number | null>;

export interface CellCommon {
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

/**
 * Kind name -> cell type. Each handler file in kinds/ adds its own cell type here by
 * declaration merging (`declare module '../grid/cells.js'`), so a new kind touches
 * only its handler and the HANDLERS list.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface CellKinds {}

export type Cell = CellKinds[keyof CellKinds];
export type CellKind = Cell['kind'];
