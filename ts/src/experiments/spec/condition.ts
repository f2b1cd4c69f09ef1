// Conditions of a student run: 'real' (human targets), 'generated:G' (generator G's
// targets), 'mix:G:P' (a fraction P of the targets from G, the rest real).
import { invalid } from '../../common/errors.js';
import type { Condition } from '../types.js';

export type ParsedCondition =
  | { kind: 'real' }
  | { kind: 'generated'; generator: string }
  | { kind: 'mix'; generator: string; fraction: number };

/** Generator names: they appear in conditions (after ':') and in run ids and file names. */
export const GENERATOR_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const EXPECTED = 'expected real, generated:NAME or mix:NAME:P with 0 < P < 1';

/**
 * Parses a condition; with `generators`, the generator must be one of them. Throws
 * EINVAL with a message that does not repeat where the condition was written.
 */
export function parseCondition(text: unknown, generators?: readonly string[]): ParsedCondition {
  if (typeof text !== 'string') throw invalid(`a condition must be a string (${EXPECTED})`);
  const parts = text.trim().split(':');
  let c: ParsedCondition;
  if (parts.length === 1 && parts[0] === 'real') c = { kind: 'real' };
  else if (parts.length === 2 && parts[0] === 'generated' && GENERATOR_NAME.test(parts[1])) c = { kind: 'generated', generator: parts[1] };
  else if (parts.length === 3 && parts[0] === 'mix' && GENERATOR_NAME.test(parts[1])) {
    const p = /^(\d+(\.\d+)?|\.\d+)$/.test(parts[2]) ? Number(parts[2]) : NaN;
    if (!(p > 0 && p < 1)) throw invalid(`'${text}': the generated fraction P must be a decimal number with 0 < P < 1 (got '${parts[2]}'); for all-generated targets write generated:${parts[1]}`);
    c = { kind: 'mix', generator: parts[1], fraction: p };
  } else throw invalid(`unknown condition '${text}' (${EXPECTED})`);
  if (c.kind !== 'real' && generators && !generators.includes(c.generator)) {
    const known = generators.length ? `defined: ${generators.join(', ')}` : 'none is defined';
    throw invalid(`'${text}': no generator named '${c.generator}' in generators (${known})`);
  }
  return c;
}

/** The canonical text: 'real', 'generated:low', 'mix:apertium:0.5'. */
export function formatCondition(c: ParsedCondition): Condition {
  if (c.kind === 'real') return 'real';
  if (c.kind === 'generated') return `generated:${c.generator}`;
  return `mix:${c.generator}:${c.fraction}`;
}

/** The condition as it appears in run ids: 'real', 'generated-low', 'mix-apertium-0.5'. */
export function conditionSlug(c: ParsedCondition): string {
  return formatCondition(c).replace(/:/g, '-');
}

/** The fraction of generated targets: 0, 1 or P. */
export function generatedFraction(c: ParsedCondition): number {
  return c.kind === 'real' ? 0 : c.kind === 'generated' ? 1 : c.fraction;
}

export function conditionGenerator(c: ParsedCondition): string | null {
  return c.kind === 'real' ? null : c.generator;
}
