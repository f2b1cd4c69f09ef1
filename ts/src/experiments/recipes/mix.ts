// 'generated:G' and 'mix:G:P': the same seeded sample of pool B as 'real' (the sources
// are paired across conditions), with generator G's targets at every position or at a
// fraction P of them (the nested marks of grid/sampling.ts generatedMask).
import { invalid } from '../../common/errors.js';
import { generatedMask, sampleIndices } from '../grid/sampling.js';
import { GENERATOR_NAME } from './names.js';
import type { NeedsContext, Recipe, RecipeKind, RecipePair } from './types.js';

export interface GeneratedRecipe extends Recipe {
  kind: 'generated';
  generator: string;
}

export interface MixRecipe extends Recipe {
  kind: 'mix';
  generator: string;
  fraction: number;
}

/** Sample positions and which of them take G's target. */
function plan(fraction: number, c: NeedsContext): { indices: Uint32Array; mask: Uint8Array } {
  return { indices: sampleIndices(c.poolBSize, c.size, c.seed), mask: generatedMask(c.size, fraction) };
}

function needs(generator: string, fraction: number, c: NeedsContext): Map<string, number[]> {
  const { indices, mask } = plan(fraction, c);
  const out: number[] = [];
  for (let j = 0; j < indices.length; j++) if (mask[j]) out.push(indices[j]);
  return new Map([[generator, out.sort((a, b) => a - b)]]);
}

function select(generator: string, fraction: number, c: NeedsContext): RecipePair[] {
  const { indices, mask } = plan(fraction, c);
  return Array.from(indices, (index, j) => ({ index, target: mask[j] ? { generator } : { real: true as const } }));
}

export const generated: RecipeKind<GeneratedRecipe> = {
  kind: 'generated',
  grammar: 'generated:NAME',
  parse: (parts) => (parts.length === 2 && parts[0] === 'generated' && GENERATOR_NAME.test(parts[1]) ? { kind: 'generated', generator: parts[1] } : null),
  format: (r) => `generated:${r.generator}`,
  generators: (r) => [r.generator],
  hashed: (r, gen) => ({ condition: `generated:${r.generator}`, generator: gen(r.generator), generatedFraction: 1 }),
  factors: () => ({ family: 'generated', fraction: 1 }),
  needs: (r, c) => needs(r.generator, 1, c),
  select: (r, c) => select(r.generator, 1, c),
};

export const mix: RecipeKind<MixRecipe> = {
  kind: 'mix',
  grammar: 'mix:NAME:P with 0 < P < 1',
  parse(parts, text) {
    if (parts.length !== 3 || parts[0] !== 'mix' || !GENERATOR_NAME.test(parts[1])) return null;
    const p = /^(\d+(\.\d+)?|\.\d+)$/.test(parts[2]) ? Number(parts[2]) : NaN;
    if (!(p > 0 && p < 1)) throw invalid(`'${text}': the generated fraction P must be a decimal number with 0 < P < 1 (got '${parts[2]}'); for all-generated targets write generated:${parts[1]}`);
    return { kind: 'mix', generator: parts[1], fraction: p };
  },
  format: (r) => `mix:${r.generator}:${r.fraction}`,
  generators: (r) => [r.generator],
  hashed: (r, gen) => ({ condition: `mix:${r.generator}:${r.fraction}`, generator: gen(r.generator), generatedFraction: r.fraction }),
  factors: (r) => ({ family: 'mix', fraction: r.fraction }),
  needs: (r, c) => needs(r.generator, r.fraction, c),
  select: (r, c) => select(r.generator, r.fraction, c),
};
