// The package root: what other Node tools import.
import { describe, expect, it } from 'vitest';

import * as rg from '../ts/src/index.js';

describe('package root exports', () => {
  it('exposes the engine, data, runs, generators, experiments, report, serve and metrics', () => {
    for (const name of ['Transformer', 'Trainer', 'Tokenizer', 'prepareCorpus', 'trainRun', 'openRun', 'ModelGenerator', 'ApertiumGenerator', 'OpenAIGenerator', 'generateCached', 'parseSpec', 'expandGrid', 'openStore', 'runExperiment', 'buildReport', 'startServer'] as const)
      expect(typeof (rg as Record<string, unknown>)[name], name).toBe('function');
  });

  it('metrics and report are namespaces that work', () => {
    // sacreBLEU's README example: BLEU 48.530827 (13a).
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs = [['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'], ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.']];
    expect(rg.metrics.corpusBleu(hyps, refs).score).toBeCloseTo(48.530827, 5);
    expect(rg.report.tQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
  });
});
