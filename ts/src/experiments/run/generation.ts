// One generation of a collapse chain: its training set (real pairs and earlier
// generations' outputs, per the regime), written to train.jsonl; training; translation
// of the real test split with its scores, the perplexity of the real references, the
// outputs' diversity and length; and its translations of the pool-B sources the next
// generations train on (cached by content like any generator's).
import { join } from 'node:path';

import { RegurgitateError } from '../../common/errors.js';
import { DEFAULT_MODEL_CONFIG } from '../../engine/config.js';
import { ModelGenerator } from '../../generators/model.js';
import { diversity, lexicalTokenize, tailCoverage } from '../../metrics/diversity.js';
import { scoreCorpus } from '../../rundir/score.js';
import { encodePairs } from '../../rundir/tokenize.js';
import type { GenerationCell } from '../kinds/generation.js';
import type { CellContext } from '../kinds/types.js';
import { regimeSelect } from '../recipes/chains.js';
import type { GeneratedTarget, GeneratedTargets } from '../recipes/types.js';
import { generateTargets } from './jobs.js';
import { trainOnRows, type TrainingRow } from './trained.js';

export interface GenerationOutcome {
  bleu: number;
  chrf: number;
  ter: number;
  signatures: { bleu: string; chrf: string; ter: string };
  /** exp of the mean negative log-probability per reference token (EOS included) of the real test references. */
  perplexity: number;
  /** Of the test outputs. */
  mtld: number;
  distinct2: number;
  vocabSize: number;
  tailCoverage: number;
  /** Mean words per output, its ratio to the references', and the 10th, 50th and 90th percentiles of the output lengths. */
  meanLength: number;
  lengthRatio: number;
  lengthQuantiles: [number, number, number];
  /** BLEU of the generated targets it trained on against their real references (NaN for generation 0). */
  dataBleu: number;
  steps: number;
  trainSeconds: number;
  translateSeconds: number;
  hypotheses: string;
  trainingSet: string;
}

/** The generation's training set, pair by pair. */
export function generationSet(cell: GenerationCell, ws: CellContext['ws'], outputs: (id: string) => GeneratedTargets | undefined): TrainingRow[] {
  const poolBSize = ws.poolB.src.length;
  if (cell.size > poolBSize) throw new RegurgitateError('ERANGE', `${cell.id} needs ${cell.size} pairs but pool B has ${poolBSize}`);
  const pairs = regimeSelect(cell.regime, { poolBSize, size: cell.size, seed: cell.seed, generation: cell.generation });
  return pairs.map(({ index, target }) => {
    const source = ws.poolB.src[index];
    if ('real' in target) return { index, source, target: ws.poolB.tgt[index], from: 'real' };
    const from = cell.previous[target.generation];
    const g = outputs(from)?.get(index);
    if (g === undefined) throw new RegurgitateError('EINTERNAL', `${cell.id}: no output of ${from} for pool-B pair ${index}`);
    const row: TrainingRow = { index, source, target: g.text, from };
    if (Object.keys(g.scores).length) row.scores = g.scores;
    return row;
  });
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Quantiles by linear interpolation between order statistics (numpy's default). */
function quantiles(xs: readonly number[], qs: readonly number[]): number[] {
  const s = [...xs].sort((a, b) => a - b);
  return qs.map((q) => {
    if (s.length === 0) return NaN;
    const h = (s.length - 1) * q;
    const lo = Math.floor(h);
    return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
  });
}

/** Translates the pool-B positions `indices` with the generation's model (cached). */
async function poolOutputs(cell: GenerationCell, ctx: CellContext, dir: string, indices: readonly number[]): Promise<Map<number, GeneratedTarget>> {
  if (indices.length === 0) return new Map();
  const gen = new ModelGenerator({ name: cell.id, run: dir, decode: { ...cell.decode, seed: cell.seed }, device: ctx.device });
  try {
    return (await generateTargets(ctx, gen, indices)).targets;
  } finally {
    await gen.close();
  }
}

/**
 * Runs the generation, or (`reopen`: done before) only gives its pool-B outputs. Null
 * when stopped by the signal.
 */
export async function runGeneration(cell: GenerationCell, ctx: CellContext): Promise<{ outcome: GenerationOutcome | null; targets: Map<number, GeneratedTarget> } | null> {
  const { ws } = ctx;
  const dir = join(ws.dir, 'chains', cell.id);
  if (ctx.reopen) return { outcome: null, targets: await poolOutputs(cell, ctx, dir, ctx.requested(cell.id)) };
  const rows = generationSet(cell, ws, (id) => ctx.outputs.get(id)?.targets);
  const info = { cell: cell.id, chain: cell.chain, generation: cell.generation, size: cell.size };
  const t = await trainOnRows({ dir, rows, model: cell.model, train: cell.train, decode: cell.decode, seed: cell.seed, info }, ctx);
  if (t === null) return null;
  const { run, hyps } = t;
  const maxLen = cell.model.maxLen ?? DEFAULT_MODEL_CONFIG.maxLen;
  const test = encodePairs(ws.tokenizer, ws.test, maxLen).pairs;
  const lps = await run.model.score(test);
  const tokens = test.reduce((a, p) => a + p.tgt.length + 1, 0);
  const d = diversity(hyps);
  const words = (ls: readonly string[]) => ls.map((l) => lexicalTokenize(l).length);
  const generated = rows.filter((x) => x.from !== 'real');
  const targets = await poolOutputs(cell, ctx, dir, ctx.requested(cell.id));
  return {
    targets,
    outcome: {
      ...scoreCorpus(hyps, ws.test.tgt),
      perplexity: Math.exp(-lps.reduce((a, b) => a + b, 0) / tokens),
      mtld: d.mtld ?? NaN,
      distinct2: d.distinct_2 ?? NaN,
      vocabSize: d.vocab_size ?? NaN,
      tailCoverage: tailCoverage(ws.test.tgt, hyps) ?? NaN,
      meanLength: mean(words(hyps)),
      lengthRatio: mean(words(hyps)) / mean(words(ws.test.tgt)),
      lengthQuantiles: quantiles(words(hyps), [0.1, 0.5, 0.9]) as [number, number, number],
      dataBleu: generated.length ? scoreCorpus(generated.map((x) => x.target), generated.map((x) => ws.poolB.tgt[x.index])).bleu : NaN,
      steps: t.steps,
      trainSeconds: t.trainSeconds,
      translateSeconds: t.translateSeconds,
      hypotheses: t.hypotheses,
      trainingSet: t.trainingSet,
    },
  };
}
