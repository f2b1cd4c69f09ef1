// Report order of conditions: real first (the baseline), then generated:G by name, then
// mix:G:P by name and fraction, then anything else alphabetically.

export const REAL = 'real';

function rank(c: string): number {
  if (c === REAL) return 0;
  if (c.startsWith('generated:')) return 1;
  if (c.startsWith('mix:')) return 2;
  return 3;
}

function mixParts(c: string): [string, number] {
  const i = c.lastIndexOf(':');
  const p = Number(c.slice(i + 1));
  return [c.slice(4, i), Number.isFinite(p) ? p : Infinity];
}

// Plain code-unit comparison: localeCompare would depend on the ICU locale.
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareConditions(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 2) {
    const [ga, pa] = mixParts(a);
    const [gb, pb] = mixParts(b);
    if (ga !== gb) return cmp(ga, gb);
    if (pa !== pb) return pa - pb;
  }
  return cmp(a, b);
}

export function sortConditions(cs: Iterable<string>): string[] {
  return [...new Set(cs)].sort(compareConditions);
}

export { cmp as compareStrings };
