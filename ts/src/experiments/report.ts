// The report of an experiment folder: results from the store, test references and
// hypotheses from disk, analysed and written by ts/src/report (report.html with SVG
// figures, report.md, results.json, analysis.json, figures/*.png when Chromium exists).
import { join } from 'node:path';

import { readLinesSync } from '../common/text.js';
import { packageVersion } from '../native/load.js';
import { SACREBLEU_VERSION } from '../metrics/index.js';
import { analyze, selectExamples, writeReport } from '../report/index.js';
import { openCorpus } from '../rundir/corpus.js';
import { analyzeChains } from '../report/chains.js';
import { CHAIN_METRICS } from './kinds/generation.js';
import { RESULT_NAMES as N } from './store/schema.js';
import type { DoneRecord } from './store/store.js';
import type { ChainResult, StudentResult } from './types.js';
import { openStore } from './store/store.js';
import type { ExperimentSpec } from './spec/types.js';

export interface BuiltReport {
  html: string;
  markdown: string;
  results: string;
  files: string[];
  warnings: string[];
}

const lines = readLinesSync;

/** A done chain generation's record as a results row (null where a measure was undefined). */
function chainResult(r: DoneRecord): ChainResult[] {
  const m = (name: string) => r.metrics.get(name)?.value ?? null;
  const bleu = r.metrics.get(N.bleu), chrf = r.metrics.get(N.chrf), ter = r.metrics.get(N.ter);
  if (!bleu || !chrf || !ter || typeof r.factors.chain !== 'string' || typeof r.factors.generation !== 'number') return [];
  const C = CHAIN_METRICS;
  return [
    {
      id: r.id,
      chain: r.factors.chain,
      generation: r.factors.generation,
      size: r.size ?? 0,
      seed: r.seed ?? 0,
      bleu: bleu.value,
      chrf: chrf.value,
      ter: ter.value,
      signatures: { bleu: bleu.signature ?? '', chrf: chrf.signature ?? '', ter: ter.signature ?? '' },
      perplexity: m(C.perplexity),
      mtld: m(C.mtld),
      distinct_2: m(C.distinct2),
      vocab_size: m(C.vocabSize),
      tail_coverage: m(C.tailCoverage),
      mean_length: m(C.meanLength),
      length_ratio: m(C.lengthRatio),
      length_p10: m(C.lengthP10),
      length_p50: m(C.lengthP50),
      length_p90: m(C.lengthP90),
      data_bleu: m(C.dataBleu),
      hypotheses: r.artifacts.get(N.hypotheses) ?? '',
      trainingSet: r.artifacts.get(N.trainingSet) ?? '',
      steps: m(N.steps) ?? 0,
      trainSeconds: r.timings.get(N.trainTiming) ?? 0,
    },
  ];
}

export async function buildReport(dir: string, spec: ExperimentSpec): Promise<BuiltReport> {
  const store = openStore(dir);
  let runs: StudentResult[];
  let chains: ChainResult[];
  let generators;
  let created: string | undefined;
  try {
    runs = store.results();
    chains = store.doneRecords('generation').flatMap(chainResult);
    generators = store.generatorQuality();
    created = store.experiment()?.created;
  } finally {
    store.close();
  }
  const corpus = openCorpus(join(dir, 'data'));
  const flip = corpus.src !== spec.direction.src;
  const test = { src: lines(join(corpus.dir, `test.${flip ? corpus.tgt : corpus.src}`)), tgt: lines(join(corpus.dir, `test.${flip ? corpus.src : corpus.tgt}`)) };
  // Each run's translations are read once, whichever part of the report asks.
  const cache = new Map<string, string[]>();
  const hyps = (r: { hypotheses: string }) => {
    let h = cache.get(r.hypotheses);
    if (!h) cache.set(r.hypotheses, (h = lines(join(dir, r.hypotheses))));
    return h;
  };
  const analysis = analyze({ runs, generators, refs: test.tgt, hyps });
  if (chains.length) {
    const b = analysis.significance;
    analysis.chains = analyzeChains({ results: chains, refs: test.tgt, hyps, samples: b.samples, seed: b.seed });
  }
  const examples = runs.length ? selectExamples({ sources: test.src, refs: test.tgt, runs, hyps, count: 4 }) : [];
  const w = await writeReport(dir, {
    analysis,
    runs,
    chains,
    meta: {
      experiment: spec.name,
      corpus: spec.corpus.kind === 'bible' ? `bible (${spec.corpus.pair}): World English Bible + Reina-Valera 1909` : `${spec.corpus.kind} corpus`,
      direction: `${spec.direction.src}-${spec.direction.tgt}`,
      sizes: spec.sizes,
      seeds: spec.seeds,
      versions: { regurgitate: packageVersion(), node: process.version, sacrebleu: SACREBLEU_VERSION },
      date: created,
      description: `Students (${spec.student.model.dModel}-dim, ${spec.student.model.encoderLayers}+${spec.student.model.decoderLayers} layers) trained on real or generated targets for pool-B sources; scored on ${test.tgt.length} real test references.`,
      examples,
    },
  });
  return { html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), results: join(dir, 'results.json'), files: w.files, warnings: w.warnings };
}
