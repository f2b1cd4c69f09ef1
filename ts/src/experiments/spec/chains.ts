// The `chains` section: collapse chains (docs/experiments.md, "Chains"). Each entry has a
// regime (replace, accumulate, fresh:P), K generations, a training size per generation,
// seeds, and model, train and decode (default: the students').
import { RegurgitateError } from '../../common/errors.js';
import { formatRegime, parseRegime } from '../recipes/chains.js';
import { readDecode, readModel, readTrain } from './options.js';
import type { SpecSource } from './source.js';
import type { ChainSpec, PoolSize, StudentSpec } from './types.js';

export const CHAIN_FIELDS = ['regime', 'generations', 'size', 'seeds', 'model', 'train', 'decode'] as const;
export const MAX_GENERATIONS = 20;
const DEFAULT_GENERATIONS = 5;

export interface ChainContext {
  student: StudentSpec;
  vocabSize: number;
  poolB: PoolSize;
  sizes: number[];
  seeds: number[];
}

export function readChains(src: SpecSource, v: unknown, ctx: ChainContext): ChainSpec[] | undefined {
  if (v === undefined) return undefined;
  const list = src.list(['chains'], v, 'chains ({ regime, generations, size, seeds, model, train, decode })');
  const out: ChainSpec[] = [];
  list.forEach((x, i) => {
    const p = ['chains', i];
    const o = src.object(p, x, CHAIN_FIELDS, 'a mapping with regime, generations, size, seeds, model, train, decode');
    if (o.regime === undefined) src.fail(p, 'needs a regime: replace, accumulate or fresh:P');
    let regime: string;
    try {
      regime = formatRegime(parseRegime(o.regime));
    } catch (e) {
      if (!(e instanceof RegurgitateError)) throw e;
      src.fail([...p, 'regime'], e.message);
    }
    if (out.some((c) => c.regime === regime)) src.fail([...p, 'regime'], `'${regime}' is listed twice (a chain is named by its regime)`);
    const generations = src.int([...p, 'generations'], o.generations ?? DEFAULT_GENERATIONS, 1, MAX_GENERATIONS);
    const size = src.int([...p, 'size'], o.size ?? ctx.sizes[0], 1);
    if (typeof ctx.poolB === 'number' && size > ctx.poolB) src.fail([...p, 'size'], `${size} is more than pool B holds (splits.poolB = ${ctx.poolB})`);
    let seeds = ctx.seeds;
    if (o.seeds !== undefined) {
      seeds = src.list([...p, 'seeds'], o.seeds, 'integer seeds').map((s, j) => src.int([...p, 'seeds', j], s, 0));
      seeds.forEach((s, j) => {
        if (seeds.indexOf(s) !== j) src.fail([...p, 'seeds', j], `seed ${s} is listed twice`);
      });
    }
    out.push({
      regime,
      generations,
      size,
      seeds: [...seeds],
      model: o.model === undefined ? ctx.student.model : readModel(src, [...p, 'model'], o.model, ctx.vocabSize),
      train: o.train === undefined ? ctx.student.train : readTrain(src, [...p, 'train'], o.train, ctx.student.train),
      decode: o.decode === undefined ? ctx.student.decode : readDecode(src, [...p, 'decode'], o.decode, ctx.student.decode),
    });
  });
  return out;
}
