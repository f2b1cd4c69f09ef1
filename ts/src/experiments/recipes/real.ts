// 'real': the students' sample of pool B with its real translations.
import { sampleIndices } from '../grid/sampling.js';
import type { Recipe, RecipeKind } from './types.js';

export interface RealRecipe extends Recipe {
  kind: 'real';
}

export const real: RecipeKind<RealRecipe> = {
  kind: 'real',
  grammar: 'real',
  parse: (parts) => (parts.length === 1 && parts[0] === 'real' ? { kind: 'real' } : null),
  format: () => 'real',
  generators: () => [],
  hashed: () => ({ condition: 'real', generator: null, generatedFraction: 0 }),
  factors: () => ({ family: 'real', fraction: 0 }),
  needs: () => new Map(),
  select: (_r, c) => Array.from(sampleIndices(c.poolBSize, c.size, c.seed), (index) => ({ index, target: { real: true } })),
};
