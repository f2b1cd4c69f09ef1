// Paired bootstrap resampling, as sacreBLEU 2.6.0's `--paired-bs` (sacrebleu/significance.py,
// _paired_bs_test, _bootstrap_resample, estimate_ci, _compute_p_value), which replicates
// Moses' bootstrap-hypothesis-difference-significance.pl.
//
// Resample indices are numpy's: np.random.default_rng(seed).choice(n, size=(n_samples, n),
// replace=True), reproduced bit for bit by ./rng.ts (PCG64 + SeedSequence + Lemire).
// sacreBLEU creates a fresh generator from the same seed for the baseline's confidence
// interval and for every compared system, so all of them see the same resamples.
//
// One deviation: sacreBLEU sums the resampled sufficient statistics in float32. For BLEU
// and chrF the statistics are integers and the sums are exact below 2^24 either way; TER
// statistics (average reference lengths) can be fractional with several references, and
// there our float64 sums may differ from sacreBLEU's in the last float32 bits.
import { RegurgitateError } from '../common/errors.js';
import { BLEU, type BleuOptions, type StatsMetric } from './bleu.js';
import { CHRF, type ChrfOptions } from './chrf.js';
import { numpyMean, type RefLine } from './helpers.js';
import { numpyDefaultRngChoice, numpyLegacyChoice } from './rng.js';
import { TER, type TerOptions } from './ter.js';

export type BootstrapMetricName = 'bleu' | 'chrf' | 'chrf++' | 'ter';

export interface PairedBootstrapOptions {
  /** The metric: 'bleu' (default), 'chrf', 'chrf++' or 'ter'; or a metric object. */
  metric?: BootstrapMetricName | StatsMetric;
  /** Options for the named metric. */
  bleu?: BleuOptions;
  chrf?: ChrfOptions;
  ter?: TerOptions;
  /** Number of bootstrap resamples (default 1000, sacreBLEU's default for paired-bs). */
  nSamples?: number;
  /** RNG seed (default 12345, sacreBLEU's default SACREBLEU_SEED). */
  seed?: number;
  /**
   * 'numpy-default' (default): np.random.default_rng(seed).choice, as sacreBLEU 2.x.
   * 'numpy-legacy': np.random.RandomState(seed).choice.
   */
  rng?: 'numpy-default' | 'numpy-legacy';
}

export interface BootstrapSystemResult {
  /** The metric on the full test set. */
  score: number;
  /** Mean of the bootstrap resample scores (sacreBLEU's "μ"). */
  mean: number;
  /** Half-width of the 95% confidence interval (sacreBLEU's "± ci"). */
  ci: number;
  /** [lower, upper] of the 95% interval: the 2.5th and 97.5th percentile resample scores. */
  interval: [number, number];
}

export interface PairedBootstrapResult {
  /** The metric's name, e.g. 'BLEU', 'chrF2', 'chrF2++', 'TER'. */
  metric: string;
  /** Signature with the bootstrap settings, e.g. `nrefs:1|bs:1000|seed:12345|case:mixed|...`. */
  signature: string;
  nSamples: number;
  seed: number;
  baseline: BootstrapSystemResult;
  system: BootstrapSystemResult & {
    /**
     * p-value of the null hypothesis that the systems are equally good (sacreBLEU's
     * paired-bs p-value: (c + 1) / (n_samples + 1), c = resamples whose centred absolute
     * difference exceeds the observed absolute difference).
     */
    pValue: number;
  };
  /** system - baseline: observed, mean over resamples, and the 95% percentile interval. */
  difference: { observed: number; mean: number; interval: [number, number] };
}

function makeMetric(opts: PairedBootstrapOptions): StatsMetric {
  const m = opts.metric ?? 'bleu';
  if (typeof m !== 'string') return m;
  switch (m) {
    case 'bleu':
      return new BLEU(opts.bleu);
    case 'chrf':
      return new CHRF({ ...opts.chrf, wordOrder: opts.chrf?.wordOrder ?? 0 });
    case 'chrf++':
      return new CHRF({ ...opts.chrf, wordOrder: opts.chrf?.wordOrder ?? 2 });
    case 'ter':
      return new TER(opts.ter);
    default:
      throw new RegurgitateError('EINVAL', `metric: unknown metric '${String(m)}' (choose one of: bleu, chrf, chrf++, ter)`);
  }
}

/** The resample indices: nSamples rows of n indices in [0, n), flattened row-major. Shared with later calls of the same arguments: read it, do not modify it. */
export function bootstrapIndices(n: number, nSamples: number, seed = 12345, rng: 'numpy-default' | 'numpy-legacy' = 'numpy-default'): Uint32Array {
  if (!Number.isInteger(n) || n < 1) throw new RegurgitateError('EINVAL', `bootstrapIndices: n (the number of segments) must be a positive integer (got ${n})`);
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new RegurgitateError('EINVAL', `nSamples must be a positive integer (got ${nSamples})`);
  // A report compares many pairs of systems on the same test set: the same indices every
  // time, so the last ones are kept (a third of a comparison's time at 2,000 segments).
  const key = `${n}/${nSamples}/${seed}/${rng}`;
  if (lastIndices?.key === key) return lastIndices.idxs;
  const idxs = rng === 'numpy-legacy' ? numpyLegacyChoice(seed, n, n * nSamples) : numpyDefaultRngChoice(seed, n, n * nSamples);
  lastIndices = { key, idxs };
  return idxs;
}

let lastIndices: { key: string; idxs: Uint32Array } | undefined;

/** Scores of every resample: the metric on the summed statistics of the resampled segments. */
export function resampleScores<S extends { score: number }>(
  stats: readonly (readonly number[])[],
  idxs: Uint32Array,
  nSamples: number,
  scoreFromSums: (sums: number[]) => S,
): Float64Array {
  const n = stats.length;
  const k = stats[0].length;
  // One flat typed array: the inner loop is n x nSamples x k additions (10^7 to 10^8 for a
  // report), and rows of boxed arrays made it several times slower.
  const flat = new Float64Array(n * k);
  for (let r = 0; r < n; r++) flat.set(stats[r], r * k);
  const scores = new Float64Array(nSamples);
  const sums = new Float64Array(k);
  for (let s = 0; s < nSamples; s++) {
    sums.fill(0);
    const base = s * n;
    for (let r = 0; r < n; r++) {
      const o = idxs[base + r] * k;
      for (let c = 0; c < k; c++) sums[c] += flat[o + c];
    }
    scores[s] = scoreFromSums(Array.from(sums)).score;
  }
  return scores;
}

/** sacreBLEU's estimate_ci: mean of the sorted scores and half the 95% percentile range. */
export function estimateCi(scores: ArrayLike<number>): { mean: number; ci: number; interval: [number, number] } {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  const lowerIdx = Math.floor(n / 40);
  const upperIdx = n - lowerIdx - 1;
  const lower = sorted[lowerIdx];
  const upper = sorted[upperIdx];
  return { mean: numpyMean(sorted), ci: 0.5 * (upper - lower), interval: [lower, upper] };
}

/**
 * One system's half of a paired bootstrap: its score on the whole test set and on every
 * resample. A report compares one real-data run with several others on the same test set;
 * computing each run's side once makes every further comparison nearly free.
 */
export interface BootstrapSide {
  metric: string;
  signature: string;
  segments: number;
  nSamples: number;
  seed: number;
  rng: 'numpy-default' | 'numpy-legacy';
  score: number;
  resampled: Float64Array;
}

export function bootstrapSide(
  hyps: readonly string[],
  refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  opts: PairedBootstrapOptions = {},
): BootstrapSide {
  const nSamples = opts.nSamples ?? 1000;
  const seed = opts.seed ?? 12345;
  const rng = opts.rng ?? 'numpy-default';
  const metric = makeMetric(opts);
  const st = metric.corpusStatistics(hyps, refs);
  const total = new Array<number>(st.stats[0].length).fill(0);
  for (const row of st.stats) for (let c = 0; c < total.length; c++) total[c] += row[c];
  const full = metric.scoreFromStats(total, st.nrefs);
  const idxs = bootstrapIndices(hyps.length, nSamples, seed, rng);
  return {
    metric: full.name,
    signature: metric.signature(st.nrefs, { bs: nSamples, seed }),
    segments: hyps.length,
    nSamples,
    seed,
    rng,
    score: full.score,
    resampled: resampleScores(st.stats, idxs, nSamples, (x) => metric.scoreFromStats(x, st.nrefs)),
  };
}

/** The paired test from two sides made with the same test set and settings. */
export function pairedBootstrapSides(bl: BootstrapSide, sy: BootstrapSide): PairedBootstrapResult {
  for (const k of ['metric', 'segments', 'nSamples', 'seed', 'rng'] as const) {
    if (bl[k] !== sy[k]) throw new RegurgitateError('EINVAL', `pairedBootstrapSides: the two sides differ in ${k}: ${String(bl[k])} vs ${String(sy[k])}`);
  }
  const { nSamples, seed } = sy;
  const scoresBl = bl.resampled;
  const scoresSys = sy.resampled;
  const blCi = estimateCi(scoresBl);
  const syCi = estimateCi(scoresSys);

  // original test statistic: absolute difference between baseline and system
  const diff = Math.abs(bl.score - sy.score);
  const sampleDiffs = new Float64Array(nSamples);
  const signedDiffs = new Float64Array(nSamples);
  for (let s = 0; s < nSamples; s++) {
    sampleDiffs[s] = Math.abs(scoresSys[s] - scoresBl[s]);
    signedDiffs[s] = scoresSys[s] - scoresBl[s];
  }
  const meanDiff = numpyMean(sampleDiffs);
  let c = 0;
  for (let s = 0; s < nSamples; s++) if (sampleDiffs[s] - meanDiff > diff) c += 1;
  const pValue = (c + 1) / (nSamples + 1);
  const d = estimateCi(signedDiffs);

  return {
    metric: sy.metric,
    signature: sy.signature,
    nSamples,
    seed,
    baseline: { score: bl.score, mean: blCi.mean, ci: blCi.ci, interval: blCi.interval },
    system: { score: sy.score, mean: syCi.mean, ci: syCi.ci, interval: syCi.interval, pValue },
    difference: { observed: sy.score - bl.score, mean: d.mean, interval: d.interval },
  };
}

/**
 * Paired bootstrap resampling test between a baseline and a system on the same test set.
 * `refs[k][i]` is the k-th reference of segment i.
 */
export function pairedBootstrap(
  baselineHyps: readonly string[],
  systemHyps: readonly string[],
  refs: ReadonlyArray<ReadonlyArray<RefLine>>,
  opts: PairedBootstrapOptions = {},
): PairedBootstrapResult {
  if (baselineHyps.length !== systemHyps.length) {
    throw new RegurgitateError('EINVAL', `pairedBootstrap: baselineHyps has ${baselineHyps.length} segments, systemHyps has ${systemHyps.length}`);
  }
  return pairedBootstrapSides(bootstrapSide(baselineHyps, refs, opts), bootstrapSide(systemHyps, refs, opts));
}
