// Descriptive statistics over seeds: mean, sample standard deviation and a Student-t
// 95% confidence interval of the mean, plus the linear interpolation the report uses.
// Student's t quantiles are computed by inverting the t CDF (regularized incomplete beta)
// to full double precision, so they are exact for every df, not only a table's 1..30.
import { RegurgitateError } from '../common/errors.js';

function checkValues(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new RegurgitateError('EINVAL', `${what}: no values`);
  for (const x of xs) if (!Number.isFinite(x)) throw new RegurgitateError('EINVAL', `${what}: value ${String(x)} is not a finite number`);
}

/** Arithmetic mean. */
export function mean(xs: readonly number[]): number {
  checkValues(xs, 'mean');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (denominator n - 1); null for fewer than two values. */
export function sampleStd(xs: readonly number[]): number | null {
  checkValues(xs, 'sampleStd');
  if (xs.length < 2) return null;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

// Lanczos approximation as in Numerical Recipes 3rd ed. (gammln: g = 671/128, 14 terms),
// accurate to about 1e-15 for x > 0.
const LANCZOS = [
  57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199, 0.339946499848118887e-4,
  0.465236289270485756e-4, -0.983744753048795646e-4, 0.158088703224912494e-3, -0.210264441724104883e-3,
  0.217439618115212643e-3, -0.16431810653676389e-3, 0.844182239838527433e-4, -0.261908384015814087e-4,
  0.368991826595316234e-5,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  let y = x;
  const t = x + 5.2421875;
  let ser = 0.999999999999997092;
  for (const c of LANCZOS) ser += c / ++y;
  return (x + 0.5) * Math.log(t) - t + Math.log((2.5066282746310005 * ser) / x);
}

// Continued fraction of the incomplete beta (modified Lentz, Numerical Recipes betacf).
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaCf(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaCf(b, a, 1 - x)) / b;
}

/** CDF of Student's t distribution with df degrees of freedom (df > 0, may be fractional). */
export function tCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RegurgitateError('EINVAL', `tCdf: degrees of freedom must be > 0 (got ${df})`);
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Standard normal CDF Φ(z) = erfc(-z/√2) / 2: erf's Taylor series near 0, erfc's continued fraction in the tails. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  let erfcX: number;
  if (x < 2) {
    // erf series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    erfcX = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz), accurate for large x
    const tiny = 1e-300;
    let f = x;
    let c = x;
    let d = 0;
    for (let n = 1; n < 500; n++) {
      const an = n / 2;
      d = x + an * d;
      d = Math.abs(d) < tiny ? tiny : d;
      c = x + an / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      const del = c * d;
      f *= del;
      if (Math.abs(del - 1) < 1e-16) break;
    }
    erfcX = Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
  }
  return z >= 0 ? 1 - 0.5 * erfcX : 0.5 * erfcX;
}

function bisect(f: (x: number) => number, target: number, lo: number, hi: number): number {
  // f increasing; 200 halvings reach the resolution of a double on any bracket
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new RegurgitateError('EINVAL', `${what}: probability must be in (0, 1) (got ${p})`);
}

/** Quantile of the standard normal distribution. */
export function normalQuantile(p: number): number {
  checkProbability(p, 'normalQuantile');
  if (p === 0.5) return 0;
  if (p < 0.5) return -normalQuantile(1 - p);
  let hi = 1;
  while (normalCdf(hi) < p) hi *= 2;
  return bisect(normalCdf, p, 0, hi);
}

/** Quantile of Student's t distribution: the t with P(T <= t) = p. df = Infinity gives the normal quantile. */
export function tQuantile(p: number, df: number): number {
  checkProbability(p, 'tQuantile');
  if (!(df > 0)) throw new RegurgitateError('EINVAL', `tQuantile: degrees of freedom must be > 0 (got ${df})`);
  if (df === Infinity) return normalQuantile(p);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  return bisect((t) => tCdf(t, df), p, 0, hi);
}

/** Mean, sample std and the 95% confidence interval of the mean over n values. */
export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation; null when n < 2. */
  std: number | null;
  /** Half-width t(0.975, n - 1) * std / sqrt(n); null when n < 2. */
  ci95: number | null;
  /** mean - ci95 and mean + ci95; null when n < 2. */
  low: number | null;
  high: number | null;
}

/** The mean with a two-sided 95% Student-t confidence interval: mean ± t(0.975, n-1) · s / √n. */
export function summarize(xs: readonly number[]): Summary {
  const m = mean(xs);
  const s = sampleStd(xs);
  if (s === null) return { n: xs.length, mean: m, std: null, ci95: null, low: null, high: null };
  const half = (tQuantile(0.975, xs.length - 1) * s) / Math.sqrt(xs.length);
  return { n: xs.length, mean: m, std: s, ci95: half, low: m - half, high: m + half };
}

/** y on the straight line through (x0, y0) and (x1, y1) at x. */
export function lerp(x0: number, y0: number, x1: number, y1: number, x: number): number {
  if (x1 === x0) return y0;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** x on the straight line through (x0, y0) and (x1, y1) where it reaches y (inverse interpolation). */
export function inverseLerp(x0: number, y0: number, x1: number, y1: number, y: number): number {
  if (y1 === y0) return x0;
  return x0 + ((x1 - x0) * (y - y0)) / (y1 - y0);
}
