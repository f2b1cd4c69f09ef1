// The recipes a condition can name, and the condition grammar over them. Adding a
// recipe: a file here with its RecipeKind, one entry in RECIPES, its section in
// docs/experiments.md.
import { invalid } from '../../common/errors.js';
import { generated, mix } from './mix.js';
import { real } from './real.js';
import type { Recipe, RecipeKind } from './types.js';

export { GENERATOR_NAME } from './names.js';
export type { GeneratedTarget, GeneratedTargets, Recipe, RecipeKind, RecipePair, SelectContext, TargetSource } from './types.js';

export const RECIPES: readonly RecipeKind[] = [real, generated, mix] as unknown as RecipeKind[];

/** A parsed condition (a recipe). */
export type ParsedCondition = Recipe;

function expected(): string {
  const g = RECIPES.map((r) => r.grammar);
  return `expected ${g.slice(0, -1).join(', ')} or ${g[g.length - 1]}`;
}

export function recipeKind(r: Recipe): RecipeKind {
  const k = RECIPES.find((x) => x.kind === r.kind);
  if (!k) throw invalid(`unknown recipe kind '${r.kind}'`);
  return k;
}

/**
 * Parses a condition; with `generators`, every generator it names must be one of them.
 * Throws EINVAL with a message that does not repeat where the condition was written.
 */
export function parseCondition(text: unknown, generators?: readonly string[]): Recipe {
  if (typeof text !== 'string') throw invalid(`a condition must be a string (${expected()})`);
  const parts = text.trim().split(':');
  let r: Recipe | null = null;
  for (const k of RECIPES) if ((r = k.parse(parts, text))) break;
  if (!r) throw invalid(`unknown condition '${text}' (${expected()})`);
  if (generators) {
    for (const g of recipeKind(r).generators(r)) {
      if (generators.includes(g)) continue;
      const known = generators.length ? `defined: ${generators.join(', ')}` : 'none is defined';
      throw invalid(`'${text}': no generator named '${g}' in generators (${known})`);
    }
  }
  return r;
}

/** The canonical text: 'real', 'generated:low', 'mix:apertium:0.5'. */
export function formatCondition(r: Recipe): string {
  return recipeKind(r).format(r);
}

/** The condition as it appears in run ids: 'real', 'generated-low', 'mix-apertium-0.5'. */
export function conditionSlug(r: Recipe): string {
  return formatCondition(r).replace(/:/g, '-');
}

/** The generators whose outputs the recipe reads. */
export function recipeGenerators(r: Recipe): string[] {
  return recipeKind(r).generators(r);
}

/** The share of generated targets (the factor 'fraction'), 0 when the recipe has none. */
export function generatedFraction(r: Recipe): number {
  const f = recipeKind(r).factors(r).fraction;
  return typeof f === 'number' ? f : 0;
}
