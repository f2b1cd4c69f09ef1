// Canonical JSON (object keys sorted at every level, undefined members dropped) and its
// SHA-256: the settings hash of a grid cell, so that the same settings always give the
// same hash whatever order the spec wrote its keys in.
import { createHash } from 'node:crypto';

import { RegurgitateError } from './errors.js';

function sortValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortValue(x)));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortValue(x);
    }
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new RegurgitateError('EINVAL', `canonicalJson: ${v} has no JSON form`);
  return v;
}

/** JSON with sorted keys and no whitespace. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortValue(v));
}

/** Hex SHA-256 of the canonical JSON of `v`. */
export function hashSettings(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
