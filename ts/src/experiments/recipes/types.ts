// The recipe seam: a student's training set, pair by pair. A recipe is a condition of
// the spec ('real', 'generated:G', 'mix:G:P', ...) parsed into typed settings; its
// definition says which generators' outputs it reads, which pool-B positions it needs
// them to translate, and how it picks (pool-B position, target source) pairs at a
// training size and seed. Selection may use the outputs' per-pair scores.
import type { Factors } from '../grid/cells.js';

/** Where a training pair's target comes from: the real translation or a generator's output. */
export type TargetSource = { real: true } | { generator: string };

/** One pair of a training set: pool-B position `index`, its target from `target`. */
export interface RecipePair {
  index: number;
  target: TargetSource;
}

/** A generator's output for one pool-B position: the text and its per-pair scores (higher is better). */
export interface GeneratedTarget {
  text: string;
  scores: Record<string, number>;
}

/** Every output of one generator, by pool-B position. */
export type GeneratedTargets = ReadonlyMap<number, GeneratedTarget>;

export interface SelectContext {
  poolBSize: number;
  size: number;
  seed: number;
  /** The outputs of the generators the recipe reads (by name): what `needs` asked for, at least. */
  outputs: ReadonlyMap<string, GeneratedTargets>;
}

export type NeedsContext = Omit<SelectContext, 'outputs'>;

/** A parsed condition: its kind's name and typed fields. */
export interface Recipe {
  kind: string;
  [field: string]: unknown;
}

/** One kind of recipe: its grammar and what it selects. */
export interface RecipeKind<R extends Recipe = Recipe> {
  kind: R['kind'];
  /** The grammar, for error messages: 'mix:NAME:P with 0 < P < 1'. */
  grammar: string;
  /**
   * `parts` is the condition split on ':'; returns null when the text is not of this
   * kind, throws EINVAL when it is but is malformed.
   */
  parse(parts: readonly string[], text: string): R | null;
  /** The canonical text (parse(format(r)) equals r). */
  format(r: R): string;
  /** The generators whose outputs it reads, in the order the condition names them. */
  generators(r: R): string[];
  /** The fields of the student's settings hash that describe the recipe (besides size and seed). */
  hashed(r: R, generatorSettings: (name: string) => Record<string, unknown>): Record<string, unknown>;
  /** The factors result rows carry (the analysis groups by them). */
  factors(r: R): Factors;
  /** The pool-B positions each generator must translate, sorted. */
  needs(r: R, ctx: NeedsContext): Map<string, number[]>;
  /** The training set, in training order. */
  select(r: R, ctx: SelectContext): RecipePair[];
}
