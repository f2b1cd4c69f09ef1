// The three corpus scores every evaluation reports, exactly as sacreBLEU computes them
// with its defaults (BLEU 13a/exp, chrF, TER), with signatures.
import { corpusBleu, corpusChrf, corpusTer } from '../metrics/index.js';

export interface Scores {
  bleu: number;
  chrf: number;
  ter: number;
  signatures: { bleu: string; chrf: string; ter: string };
}

export function scoreCorpus(hyps: readonly string[], refs: readonly string[]): Scores {
  if (hyps.length !== refs.length) throw new Error(`scoreCorpus: ${hyps.length} hypotheses for ${refs.length} references`);
  const b = corpusBleu(hyps, [refs]);
  const c = corpusChrf(hyps, [refs]);
  const t = corpusTer(hyps, [refs]);
  return { bleu: b.score, chrf: c.score, ter: t.score, signatures: { bleu: b.signature, chrf: c.signature, ter: t.signature } };
}
