// Synthetic experiments for the report tests: real reference sentences, and for each
// student run a hypothesis file made by corrupting the references with a chosen
// probability, scored with the project's own metrics, so that the scores in the
// StudentResult records, the hypotheses and the bootstrap all agree.
import type { GeneratorQuality, StudentResult } from '../../ts/src/experiments/types.js';
import { corpusBleu } from '../../ts/src/metrics/bleu.js';
import { corpusChrf } from '../../ts/src/metrics/chrf.js';
import { corpusTer } from '../../ts/src/metrics/ter.js';
import { rng } from '../helpers.js';

/** mulberry32: a small seeded PRNG (the tests' shared one). */
export const prng = rng;

const WORDS = (
  'the a house river green small old new parliament council member state law vote report we they she he it ' +
  'must should will can not today tomorrow debate question answer europe country people work time year ' +
  'important clear good bad first last many few every policy budget court right freedom trade energy water'
).split(' ');

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function makeRefs(n: number, seed = 7): string[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => {
    const len = 8 + Math.floor(r() * 7);
    return Array.from({ length: len }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ') + ' .';
  });
}

/** Keeps each reference word with probability `keep`, else replaces it; deterministic per key. */
export function corrupt(refs: readonly string[], keep: number, key: string): string[] {
  const r = prng(hash(key));
  return refs.map((line) =>
    line
      .split(' ')
      .map((w) => (r() < keep ? w : WORDS[Math.floor(r() * WORDS.length)]))
      .join(' '),
  );
}

export interface Experiment {
  refs: string[];
  runs: StudentResult[];
  files: Map<string, string[]>;
  hyps: (run: StudentResult) => string[];
}

export interface RunSpec {
  condition: string;
  size: number;
  seed: number;
  /** Word-keep probability of the hypotheses. */
  keep: number;
  /** Use exactly these hypotheses instead. */
  hyps?: string[];
  /** Record this BLEU instead of the hypotheses' (for tests of the curve logic alone). */
  bleu?: number;
}

function generatorOf(condition: string): { generator: string | null; fraction: number } {
  if (condition === 'real') return { generator: null, fraction: 0 };
  if (condition.startsWith('generated:')) return { generator: condition.slice(10), fraction: 1 };
  const parts = condition.split(':');
  return { generator: parts[1] ?? null, fraction: Number(parts[2] ?? 1) };
}

export function experiment(specs: RunSpec[], refs = makeRefs(60)): Experiment {
  const files = new Map<string, string[]>();
  const runs = specs.map((s): StudentResult => {
    const id = `${s.condition.replace(/:/g, '_')}-s${s.size}-seed${s.seed}`;
    const hyps = s.hyps ?? corrupt(refs, s.keep, id);
    const path = `students/${id}/test.hyp`;
    files.set(path, hyps);
    const b = corpusBleu(hyps, [refs]);
    const c = corpusChrf(hyps, [refs]);
    const t = corpusTer(hyps, [refs]);
    const { generator, fraction } = generatorOf(s.condition);
    return {
      id,
      condition: s.condition,
      generator,
      generatedFraction: fraction,
      generators: generator === null ? [] : [generator],
      factors: { family: s.condition.split(':')[0], fraction },
      size: s.size,
      seed: s.seed,
      bleu: s.bleu ?? b.score,
      chrf: c.score,
      ter: t.score,
      signatures: { bleu: 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0', chrf: 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0', ter: 'nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0' },
      hypotheses: path,
      steps: 100,
      trainSeconds: 1,
    };
  });
  return {
    refs,
    runs,
    files,
    hyps: (run) => {
      const h = files.get(run.hypotheses);
      if (!h) throw new Error(`no hypotheses for ${run.hypotheses}`);
      return h;
    },
  };
}

/** A grid: every condition x size x seed, with keep = quality(condition, size) plus a little seed noise. */
export function grid(conditions: string[], sizes: number[], seeds: number[], quality: (condition: string, size: number) => number, refs?: string[]): Experiment {
  const specs: RunSpec[] = [];
  for (const condition of conditions) for (const size of sizes) for (const seed of seeds) specs.push({ condition, size, seed, keep: Math.min(1, quality(condition, size) + 0.01 * seed) });
  return experiment(specs, refs);
}

export function generatorQuality(name: string, bleu: number, chrf: number): GeneratorQuality {
  return {
    name,
    kind: 'model',
    sentences: 1000,
    bleu,
    chrf,
    ter: 100 - bleu,
    signatures: { bleu: 'b', chrf: 'c', ter: 't' },
    diversity: { mtld: 50, distinct_2: 0.5, ttr: 0.3 },
    seconds: 12.5,
  };
}
