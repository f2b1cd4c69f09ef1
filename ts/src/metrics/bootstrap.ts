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
      throw new RangeError(`unknown metric '${String(m)}' (choose one of: bleu, chrf, chrf++, ter)`);
  }
}

/** The resample indices: nSamples rows of n indices in [0, n), flattened row-major. Shared with later calls of the same arguments: read it, do not modify it. */
export function bootstrapIndices(n: number, nSamples: number, seed = 12345, rng: 'numpy-default' | 'numpy-legacy' = 'numpy-default'): Uint32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`number of segments must be a positive integer (got ${n})`);
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new RangeError(`nSamples must be a positive integer (got ${nSamples})`);
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
  const scores = new Float64Array(nSamples);
  const sums = new Array<number>(k);
  for (let s = 0; s < nSamples; s++) {
    sums.fill(0);
    const base = s * n;
    for (let r = 0; r < n; r++) {
      const row = stats[idxs[base + r]];
      for (let c = 0; c < k; c++) sums[c] += row[c];
    }
    scores[s] = scoreFromSums(sums.slice()).score;
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
    throw new RangeError(`baseline has ${baselineHyps.length} segments, system has ${systemHyps.length}`);
  }
  const nSamples = opts.nSamples ?? 1000;
  const seed = opts.seed ?? 12345;
  const metric = makeMetric(opts);

  const bl = metric.corpusStatistics(baselineHyps, refs);
  const sy = metric.corpusStatistics(systemHyps, refs);
  const sum = (st: number[][]) => {
    const out = new Array<number>(st[0].length).fill(0);
    for (const row of st) for (let c = 0; c < out.length; c++) out[c] += row[c];
    return out;
  };
  const blScore = metric.scoreFromStats(sum(bl.stats), bl.nrefs);
  const syScore = metric.scoreFromStats(sum(sy.stats), sy.nrefs);

  const idxs = bootstrapIndices(baselineHyps.length, nSamples, seed, opts.rng ?? 'numpy-default');
  const scoresBl = resampleScores(bl.stats, idxs, nSamples, (s) => metric.scoreFromStats(s, bl.nrefs));
  const scoresSys = resampleScores(sy.stats, idxs, nSamples, (s) => metric.scoreFromStats(s, sy.nrefs));

  const blCi = estimateCi(scoresBl);
  const syCi = estimateCi(scoresSys);

  // original test statistic: absolute difference between baseline and system
  const diff = Math.abs(blScore.score - syScore.score);
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
    metric: syScore.name,
    signature: metric.signature(sy.nrefs, { bs: nSamples, seed }),
    nSamples,
    seed,
    baseline: { score: blScore.score, mean: blCi.mean, ci: blCi.ci, interval: blCi.interval },
    system: { score: syScore.score, mean: syCi.mean, ci: syCi.ci, interval: syCi.interval, pValue },
    difference: { observed: syScore.score - blScore.score, mean: d.mean, interval: d.interval },
  };
}
