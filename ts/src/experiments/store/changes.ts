// A results folder whose runs were made under other settings than the spec now asks
// for: which runs, and which fields changed, so that the message says exactly why the
// results cannot be mixed.
import { RegurgitateError } from '../../common/errors.js';
import { canonicalJson } from '../../common/canonical.js';

export interface FieldChange {
  /** Dotted path inside the run's settings, e.g. 'student.train.lr'. */
  path: string;
  old: unknown;
  new: unknown;
}

export interface RunChange {
  id: string;
  status: string;
  oldHash: string;
  newHash: string;
  fields: FieldChange[];
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The leaves that differ between two settings objects (at most `limit`). */
export function diffSettings(a: unknown, b: unknown, limit = 20, path = ''): FieldChange[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  if (isObj(a) && isObj(b)) {
    const out: FieldChange[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (out.length >= limit) break;
      out.push(...diffSettings(a[k], b[k], limit - out.length, path ? `${path}.${k}` : k));
    }
    return out;
  }
  return [{ path: path || '(all)', old: a, new: b }];
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** The results folder was made with a different spec for some runs (code ECHANGED). */
export class SpecChangedError extends RegurgitateError {
  readonly changes: RunChange[];

  constructor(where: string, changes: RunChange[]) {
    const done = changes.filter((c) => c.status === 'done').length;
    const lines = changes.slice(0, 5).map((c) => {
      const f = c.fields.slice(0, 3).map((x) => `${x.path} ${show(x.old)} -> ${show(x.new)}`);
      return `  ${c.id} (${c.status}): ${f.join('; ')}${c.fields.length > 3 ? '; ...' : ''}`;
    });
    super(
      'ECHANGED',
      `${where} holds results of a different spec: ${changes.length} run(s) now have other settings (${done} of them done):\n` +
        lines.join('\n') +
        (changes.length > 5 ? `\n  ... and ${changes.length - 5} more` : '') +
        '\nUse a new results folder for the new spec, or restart the changed runs (their results are discarded).',
    );
    this.changes = changes;
  }

  override get name(): string {
    return 'SpecChangedError';
  }
}
