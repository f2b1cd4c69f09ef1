// Axis ticks: "nice" steps of 1, 2 or 5 times a power of ten (Heckbert, Graphics Gems 1990),
// and 1-2-5 ticks per decade for a logarithmic axis.

/** A step of 1, 2, 5 or 10 times a power of ten close to `span / count`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

// Removes float noise such as 0.30000000000000004 from tick values.
function clean(x: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(digits, 15)));
}

/**
 * About `count` evenly spaced nice ticks whose first is <= min and last >= max, so they
 * also serve as the axis domain. A zero-width range is widened by one unit each side.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) out.push(clean(lo + i * step, step));
  return out;
}

/** Ticks for a log axis over [min, max] (both > 0): 1-2-5 per decade, or decades only when dense. */
export function logTicks(min: number, max: number): number[] {
  const pick = (mults: number[]): number[] => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of mults) {
        const v = m * 10 ** e;
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
      }
    }
    return out;
  };
  const dense = pick([1, 2, 5]);
  return dense.length <= 10 ? dense : pick([1]);
}

/** A compact axis label: 500, 2k, 2.5k, 10k, 1.2M. */
export function compactNumber(x: number): string {
  const fmt = (v: number, unit: string) => `${Number(v.toPrecision(3))}${unit}`;
  if (Math.abs(x) >= 1e6) return fmt(x / 1e6, 'M');
  if (Math.abs(x) >= 1e3) return fmt(x / 1e3, 'k');
  return String(Number(x.toPrecision(6)));
}
