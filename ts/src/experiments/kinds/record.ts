// Recording helpers the handlers share.
import { RESULT_NAMES as N } from '../store/schema.js';
import type { RunRecorder } from './types.js';

export interface CorpusScores {
  bleu: number;
  chrf: number;
  ter: number;
  signatures: { bleu: string; chrf: string; ter: string };
}

/** BLEU, chrF and TER with their signatures. */
export function recordScores(store: RunRecorder, id: string, s: CorpusScores): void {
  store.recordMetric(id, N.bleu, s.bleu, s.signatures.bleu);
  store.recordMetric(id, N.chrf, s.chrf, s.signatures.chrf);
  store.recordMetric(id, N.ter, s.ter, s.signatures.ter);
}

/** A metric that may be undefined (NaN) for degenerate text: recorded only when finite. */
export function recordFinite(store: RunRecorder, id: string, name: string, v: number): void {
  if (Number.isFinite(v)) store.recordMetric(id, name, v);
}
