// One student: its training set (a nested seeded sample of pool B whose targets are real
// or, for a fraction of positions, a generator's), training, translation of the test
// split, and its scores.
import { join, relative } from 'node:path';

import { decodeInput, DEFAULT_MODEL_CONFIG } from '../../engine/config.js';
import { RegurgitateError } from '../../common/errors.js';
import { diversity } from '../../metrics/diversity.js';
import { scoreCorpus, type Scores } from '../../rundir/score.js';
import { encodePairs } from '../../rundir/tokenize.js';
import { openRun } from '../../rundir/open.js';
import { trainRun, type RunProgress } from '../../rundir/train.js';
import { writeFileAtomic } from '../../common/atomic.js';
import { cellTrainingSet, type Cell } from '../grid/grid.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { Workspace } from './workspace.js';
import type { Device } from '../../native/device.js';

export interface StudentOutcome extends Scores {
  steps: number;
  trainSeconds: number;
  translateSeconds: number;
  /** Path of the test translations, relative to the experiment folder. */
  hypotheses: string;
  trainDiversity: { mtld: number; distinct_2: number };
  /** Pairs left out (empty generated target, or too long for the model). */
  dropped: number;
}

/** The pool-B positions every student of `cells` trains on that need generator `name`. */
export function neededIndices(cells: readonly Cell[], poolBSize: number, name: string): number[] {
  const need = new Set<number>();
  for (const c of cells) {
    if (c.kind !== 'student' || c.generator !== name) continue;
    const { indices, generated } = cellTrainingSet(c, poolBSize);
    for (let j = 0; j < indices.length; j++) if (generated[j]) need.add(indices[j]);
  }
  return [...need].sort((a, b) => a - b);
}

export async function runStudent(
  spec: ExperimentSpec,
  ws: Workspace,
  cell: Cell,
  generated: Map<number, string> | null,
  init: string | undefined,
  o: { signal?: AbortSignal; onTrain?: (p: RunProgress) => void; device?: Device },
): Promise<StudentOutcome | null> {
  const { indices, generated: mask } = cellTrainingSet(cell, ws.poolB.src.length);
  const src: string[] = [];
  const tgt: string[] = [];
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    let t = ws.poolB.tgt[i];
    if (mask[j]) {
      const g = generated?.get(i);
      if (g === undefined) throw new RegurgitateError('EINTERNAL', `${cell.id}: no generated target for pool-B pair ${i}`);
      t = g;
    }
    src.push(ws.poolB.src[i]);
    tgt.push(t);
  }
  const maxLen = spec.student.model.maxLen ?? DEFAULT_MODEL_CONFIG.maxLen;
  const enc = encodePairs(ws.tokenizer, { src, tgt }, maxLen);
  const dir = join(ws.dir, 'runs', cell.id);
  const t0 = performance.now();
  const r = await trainRun({
    out: dir,
    tokenizer: ws.tokenizer,
    train: enc.pairs,
    dev: ws.devPairs(maxLen),
    model: { ...spec.student.model },
    trainOptions: { ...spec.student.train },
    seed: cell.seed ?? 1,
    init,
    info: { cell: cell.id, condition: cell.condition, size: cell.size, dropped: enc.dropped },
    device: o.device,
    signal: o.signal,
    onProgress: o.onTrain,
  });
  if (r.result.cancelled) return null;
  const trainSeconds = r.reused ? r.result.seconds : (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const run = openRun(dir, { device: o.device });
  const hyps = (await run.translate(ws.test.src, decodeInput({ ...spec.student.decode, seed: cell.seed ?? 1 }), { signal: o.signal })).map((h) => h.text);
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
    trainDiversity: { mtld: d.mtld ?? NaN, distinct_2: d.distinct_2 ?? NaN },
    dropped: enc.dropped,
  };
}
