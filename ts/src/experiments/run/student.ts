// One student: its training set (the recipe's pairs, each target real or a generator
// cell's output), written to RUN/train.jsonl for audit; training; translation of the
// test split; its scores.
import { join, relative } from 'node:path';

import { writeFileAtomic } from '../../common/atomic.js';
import { RegurgitateError } from '../../common/errors.js';
import { decodeInput, DEFAULT_MODEL_CONFIG } from '../../engine/config.js';
import { diversity } from '../../metrics/diversity.js';
import { openRun } from '../../rundir/open.js';
import { scoreCorpus, type Scores } from '../../rundir/score.js';
import { encodePairs } from '../../rundir/tokenize.js';
import { progressLog, trainRun } from '../../rundir/train.js';
import type { StudentCell } from '../kinds/student.js';
import type { CellContext } from '../kinds/types.js';
import { recipeKind } from '../recipes/index.js';
import type { GeneratedTargets } from '../recipes/types.js';
import type { Workspace } from './workspace.js';

/** One line of RUN/train.jsonl. */
export interface TrainingRow {
  /** Its pool-B position. */
  index: number;
  source: string;
  target: string;
  /** 'real', or the id of the cell that wrote the target. */
  from: string;
  /** The generated target's per-pair scores (absent for real targets and generators without any). */
  scores?: Record<string, number>;
}

export interface StudentOutcome extends Scores {
  steps: number;
  trainSeconds: number;
  translateSeconds: number;
  /** Path of the test translations, relative to the experiment folder. */
  hypotheses: string;
  /** Path of the training set (train.jsonl), relative to the experiment folder. */
  trainingSet: string;
  trainDiversity: { mtld: number; distinct_2: number };
  /** Pairs left out (empty generated target, or too long for the model). */
  dropped: number;
}

/** The student's training set, pair by pair, from pool B and its sources' outputs. */
export function trainingSet(cell: StudentCell, ws: Pick<Workspace, 'poolB'>, outputs: (cellId: string) => GeneratedTargets | undefined): TrainingRow[] {
  const poolBSize = ws.poolB.src.length;
  if (cell.size > poolBSize) throw new RegurgitateError('ERANGE', `${cell.id} needs ${cell.size} pairs but pool B has ${poolBSize}`);
  const byName = new Map<string, GeneratedTargets>();
  for (const [name, id] of Object.entries(cell.sources)) {
    const t = outputs(id);
    if (!t) throw new RegurgitateError('EINTERNAL', `${cell.id}: the outputs of ${id} are not available`);
    byName.set(name, t);
  }
  const pairs = recipeKind(cell.recipe).select(cell.recipe, { poolBSize, size: cell.size, seed: cell.seed, outputs: byName });
  return pairs.map(({ index, target }) => {
    const source = ws.poolB.src[index];
    if ('real' in target) return { index, source, target: ws.poolB.tgt[index], from: 'real' };
    const g = byName.get(target.generator)?.get(index);
    if (g === undefined) throw new RegurgitateError('EINTERNAL', `${cell.id}: no target of generator ${target.generator} for pool-B pair ${index}`);
    const row: TrainingRow = { index, source, target: g.text, from: cell.sources[target.generator] };
    if (Object.keys(g.scores).length) row.scores = g.scores;
    return row;
  });
}

export async function runStudent(cell: StudentCell, ctx: CellContext, rows: readonly TrainingRow[], init: string | undefined): Promise<StudentOutcome | null> {
  const { ws } = ctx;
  const dir = join(ws.dir, 'runs', cell.id);
  progressLog(dir); // a 0.1.0 run's log moves out of train.jsonl before the training set goes in
  const setFile = join(dir, 'train.jsonl');
  writeFileAtomic(setFile, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  const src = rows.map((r) => r.source);
  const tgt = rows.map((r) => r.target);
  const maxLen = cell.model.maxLen ?? DEFAULT_MODEL_CONFIG.maxLen;
  const enc = encodePairs(ws.tokenizer, { src, tgt }, maxLen);
  const t0 = performance.now();
  const r = await trainRun({
    out: dir,
    tokenizer: ws.tokenizer,
    train: enc.pairs,
    dev: ws.devPairs(maxLen),
    model: { ...cell.model },
    trainOptions: { ...cell.train },
    seed: cell.seed,
    init,
    info: { cell: cell.id, condition: cell.condition, size: cell.size, dropped: enc.dropped },
    device: ctx.device,
    signal: ctx.signal,
    onProgress: ctx.onTrain,
  });
  if (r.result.cancelled) return null;
  const trainSeconds = r.reused ? r.result.seconds : (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const run = openRun(dir, { device: ctx.device });
  const hyps = (await run.translate(ws.test.src, decodeInput({ ...cell.decode, seed: cell.seed }), { signal: ctx.signal })).map((h) => h.text);
  const translateSeconds = (performance.now() - t1) / 1000;
  const hypFile = join(dir, 'test.hyp');
  writeFileAtomic(hypFile, hyps.join('\n') + '\n');
  const d = diversity(tgt);
  return {
    ...scoreCorpus(hyps, ws.test.tgt),
    steps: r.result.steps,
    trainSeconds,
    translateSeconds,
    hypotheses: relative(ws.dir, hypFile),
    trainingSet: relative(ws.dir, setFile),
    trainDiversity: { mtld: d.mtld ?? NaN, distinct_2: d.distinct_2 ?? NaN },
    dropped: enc.dropped,
  };
}
