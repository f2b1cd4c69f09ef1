// Small checkers shared by the option validators. Every message names the field, says
// what was expected and shows what was given: `train.lr must be a finite number > 0
// (got NaN)`.
import { describe, invalid } from './errors.js';

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Throws unless `x` is a plain object (or undefined, which is taken as {}). */
export function requireObject(x: unknown, what: string): Record<string, unknown> {
  if (x === undefined) return {};
  if (!isPlainObject(x)) throw invalid(`${what} must be an object (got ${describe(x)})`);
  return x;
}

function norm(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The known key closest to `key`, if it is close enough to be a likely typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const n = norm(key);
  const exact = known.find((k) => norm(k) === n);
  if (exact) return exact;
  if (n.length >= 3) {
    const prefix = known.filter((k) => norm(k).startsWith(n) || n.startsWith(norm(k)));
    if (prefix.length === 1) return prefix[0];
  }
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(n, norm(k));
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return bestD <= Math.max(1, Math.floor(n.length / 4)) ? best : undefined;
}

/** Rejects keys that are not options (typos would otherwise be silently ignored). */
export function checkKeys(obj: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const s = suggest(key, known);
    throw invalid(`${prefix}.${key} is not a known option${s ? ` (did you mean ${prefix}.${s}?)` : ''}; known: ${known.join(', ')}`);
  }
}

function range(min: number, max: number, minOpen = false, maxOpen = false): string {
  const lo = minOpen ? '(' : '[';
  const hi = maxOpen ? ')' : ']';
  if (max === Infinity) return minOpen ? `> ${min}` : `>= ${min}`;
  return `in ${lo}${min}, ${max}${hi}`;
}

export function checkInt(field: string, v: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const r = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw invalid(`${field} must be an integer ${r} (got ${describe(v)})`);
  }
  return v;
}

export interface NumRange {
  min?: number;
  max?: number;
  minOpen?: boolean;
  maxOpen?: boolean;
}

export function checkNumber(field: string, v: unknown, r: NumRange = {}): number {
  const min = r.min ?? -Infinity;
  const max = r.max ?? Infinity;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (r.minOpen ? v > min : v >= min) &&
    (r.maxOpen ? v < max : v <= max);
  if (!ok) {
    const what = min === -Infinity && max === Infinity ? 'a finite number' : `a finite number ${range(min, max, r.minOpen, r.maxOpen)}`;
    throw invalid(`${field} must be ${what} (got ${describe(v)})`);
  }
  return v as number;
}

export function checkEnum<T extends string>(field: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw invalid(`${field} must be one of ${values.map((x) => `'${x}'`).join(', ')} (got ${describe(v)})`);
  }
  return v as T;
}

export function checkBool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(`${field} must be true or false (got ${describe(v)})`);
  return v;
}

export function checkString(field: string, v: unknown): string {
  if (typeof v !== 'string') throw invalid(`${field} must be a string (got ${describe(v)})`);
  if (v.includes('\0')) throw invalid(`${field} must not contain NUL characters`);
  return v;
}

/** Seeds are integers in [0, 2^53) so they survive the trip through a double. */
export function checkSeed(field: string, v: unknown): number {
  return checkInt(field, v, 0, Number.MAX_SAFE_INTEGER);
}
