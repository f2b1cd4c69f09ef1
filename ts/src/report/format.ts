// Number formatting for sentences, tables and charts. Written out rather than
// toLocaleString so that the output never depends on the machine's locale or ICU data.

/** An integer with thousands separators: 12000 -> '12,000'. Non-integers are rounded. */
export function formatInt(x: number): string {
  const r = Math.round(x);
  const s = String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return r < 0 ? `-${s}` : s;
}

/** A score with `digits` decimals (default 1); -0 prints as 0. */
export function formatScore(x: number, digits = 1): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A signed difference: '+1.2', '-0.4', '0.0'. */
export function formatDelta(x: number, digits = 1): string {
  const s = formatScore(x, digits);
  return x > 0 && Number(s) !== 0 ? `+${s}` : s;
}

/** A fraction as a percentage: whole percent, one decimal below 10%. */
export function formatPercent(f: number): string {
  const p = f * 100;
  return p < 10 && p !== Math.round(p) ? `${formatScore(p, 1)}%` : `${formatInt(p)}%`;
}

/** A p-value with three decimals, '<0.001' below that. */
export function formatP(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}
