// Reading a spec file (YAML, or JSON, which the YAML parser reads too) while keeping
// where every field was written, so that each error names file, line and field:
//   demo.yaml:14: conditions[2]: unknown condition 'mixx:low:0.5' (...)
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

import { RegurgitateError } from '../../common/errors.js';
import { isPlainObject, suggest } from '../../common/validate.js';
import { jsonSyntaxError } from './json_check.js';

export type SpecPath = readonly (string | number)[];

/** A bad spec: EINVAL, with the file, line (when known) and field path it is about. */
export class SpecError extends RegurgitateError {
  readonly file: string;
  readonly line: number | undefined;
  readonly path: string;
  readonly detail: string;

  constructor(file: string, line: number | undefined, path: string, detail: string) {
    super('EINVAL', `${file}${line !== undefined ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${detail}`);
    this.file = file;
    this.line = line;
    this.path = path;
    this.detail = detail;
  }

  override get name(): string {
    return 'SpecError';
  }
}

/** `generators.low.train.lr`, `conditions[2]`, `generators["a b"]`. */
export function formatPath(path: SpecPath): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

/** Where a spec came from, and the positions of its nodes when it came from text. */
export class SpecSource {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  /** Parses YAML or JSON text; syntax errors are SpecErrors with the line. */
  static parse(text: string, file: string): { source: SpecSource; value: unknown } {
    // YAML reads JSON too, but also what JSON forbids (trailing commas, comments):
    // a .json file must be strict JSON.
    if (/\.json$/i.test(file)) {
      const e = jsonSyntaxError(text.replace(/^\uFEFF/, ''));
      if (e) throw new SpecError(file, text.slice(0, e.offset).split('\n').length, '', `${e.message} (not valid JSON)`);
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new SpecSource(file, doc, lines);
    const e = doc.errors[0];
    if (e) throw new SpecError(file, lines.linePos(e.pos[0]).line, '', `${e.message} (not valid YAML or JSON)`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      throw new SpecError(file, undefined, '', (err as Error).message);
    }
    return { source, value };
  }

  private lineAt(offset: number | undefined): number | undefined {
    if (offset === undefined || !this.lines) return undefined;
    return this.lines.linePos(offset).line || 1;
  }

  /**
   * The line of the value at `path` (of its key with `key`); when the path does not
   * exist (a missing field), the line of the nearest written ancestor.
   */
  line(path: SpecPath, key = false): number | undefined {
    if (!this.doc) return undefined;
    let node: unknown = this.doc.contents;
    let found = this.lineAt(rangeStart(node));
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) break;
        const keyLine = this.lineAt(rangeStart(pair.key));
        if (key && i === path.length - 1) return keyLine ?? found;
        node = pair.value;
        found = this.lineAt(rangeStart(node)) ?? keyLine ?? found;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
        found = this.lineAt(rangeStart(node)) ?? found;
      } else break;
    }
    return found;
  }

  error(path: SpecPath, detail: string, key = false): SpecError {
    return new SpecError(this.file, this.line(path, key), formatPath(path), detail);
  }

  fail(path: SpecPath, detail: string, key = false): never {
    throw this.error(path, detail, key);
  }

  /** Throws unless `v` is a mapping whose keys are all in `known` (typos get a suggestion). */
  object(path: SpecPath, v: unknown, known: readonly string[], what = 'a mapping'): Record<string, unknown> {
    if (!isPlainObject(v)) this.fail(path, `must be ${what} (got ${kindOf(v)})`);
    for (const k of Object.keys(v)) {
      if (known.includes(k)) continue;
      const s = closest(k, known);
      this.fail([...path, k], `unknown field${s ? ` (did you mean '${s}'?)` : ''}; known: ${known.join(', ')}`, true);
    }
    return v;
  }

  int(path: SpecPath, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(path, `must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`} (got ${kindOf(v)})`);
    return v;
  }

  /** A finite number in (min, max) (open bounds: the paper's fractions exclude 0 and 1). */
  num(path: SpecPath, v: unknown, min: number, max: number, open = false): number {
    const ok = typeof v === 'number' && Number.isFinite(v) && (open ? v > min && v < max : v >= min && v <= max);
    if (!ok) this.fail(path, `must be a number ${open ? `with ${min} < x < ${max}` : `in [${min}, ${max}]`} (got ${kindOf(v)})`);
    return v as number;
  }

  str(path: SpecPath, v: unknown, pattern?: RegExp, expected?: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `must be a non-empty string${expected ? ` (${expected})` : ''} (got ${kindOf(v)})`);
    if (v.includes('\0')) this.fail(path, 'must not contain NUL characters');
    if (pattern && !pattern.test(v)) this.fail(path, `${JSON.stringify(v)} is not ${expected ?? `of the form ${pattern}`}`);
    return v;
  }

  oneOf<T extends string>(path: SpecPath, v: unknown, values: readonly T[]): T {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      const s = typeof v === 'string' ? closest(v, values) : undefined;
      this.fail(path, `must be one of ${values.map((x) => `'${x}'`).join(', ')} (got ${kindOf(v)})${s ? `; did you mean '${s}'?` : ''}`);
    }
    return v as T;
  }

  /** A list (a single value is not taken as a list of one: a typo would pass silently). */
  list(path: SpecPath, v: unknown, what: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be a list of ${what} (got ${kindOf(v)})`);
    if (v.length === 0) this.fail(path, `must list at least one of ${what}`);
    return v;
  }

  /**
   * Runs an engine validator (validateTrainOptions...) and re-throws its error at the
   * field it names: `train.lr must be ...` becomes `<path>.lr: must be ...`.
   */
  engine<T>(path: SpecPath, prefix: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof RegurgitateError) || e.code !== 'EINVAL') throw e;
      const m = new RegExp(`^${prefix}\\.(\\w+)\\s+(.*)$`, 's').exec(e.message);
      if (m && m[2].startsWith('must ')) this.fail([...path, m[1]], m[2]);
      if (m) this.fail([...path, m[1]], e.message);
      this.fail(path, e.message);
    }
  }
}

/**
 * The known name a typo most likely meant: the engine's suggestion, else one within two
 * edits where swapping neighbours counts as one ('trian' -> 'train').
 */
export function closest(key: string, known: readonly string[]): string | undefined {
  const s = suggest(key, known);
  if (s) return s;
  const a = key.toLowerCase();
  let best: string | undefined;
  let bestD = a.length >= 5 ? 2 : 1;
  for (const k of known) {
    const d = osaDistance(a, k.toLowerCase());
    if (d <= bestD && (best === undefined || d < bestD)) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function osaDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : undefined;
}

/** What a value is, for messages: `a number (3)`, `a list`, `nothing`. */
export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${v}`;
  if (isPlainObject(v)) return 'a mapping';
  return typeof v;
}
