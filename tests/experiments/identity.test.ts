// Settings hashes see file contents, not paths: a study (spec, corpus, fine-tuning
// checkpoint) copied to another folder keeps its hashes and its finished runs; a corpus
// edited in place changes them.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { expandGrid, specHash } from '../../ts/src/experiments/grid/grid.js';
import { fileDigest, identitySpec } from '../../ts/src/experiments/grid/identity.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import { parseSpec, resolveSpecPaths } from '../../ts/src/experiments/spec/spec.js';
import { openStore } from '../../ts/src/experiments/store/store.js';
import { ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const root = mkdtempSync(join(tmpdir(), 'rg-identity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SPEC = `
name: moved
corpus: { kind: moses, srcFile: data/c.es, tgtFile: data/c.en, src: es, tgt: en }
splits: { poolA: 600, poolB: rest, dev: 100, test: 100, splitSeed: 3 }
tokenizer: { vocabSize: 600 }
generators:
  low: { kind: model, model: tiny, trainPairs: 300, seed: 1 }
conditions: [real, generated:low]
sizes: [100, 200]
seeds: [1]
student: { model: tiny, init: { finetune: { checkpoint: base } } }
device: cpu
`;

/** A study folder: spec.yaml, its corpus in data/ and a checkpoint in base/model/. */
function study(name: string, weights = 'weights-1'): string {
  const d = join(root, name);
  mkdirSync(join(d, 'data'), { recursive: true });
  mkdirSync(join(d, 'base', 'model'), { recursive: true });
  copyFileSync(join(FIX, 'bible-sample.es'), join(d, 'data', 'c.es'));
  copyFileSync(join(FIX, 'bible-sample.en'), join(d, 'data', 'c.en'));
  writeFileSync(join(d, 'base', 'model', 'model.safetensors'), weights);
  writeFileSync(join(d, 'spec.yaml'), SPEC);
  return d;
}
const load = (d: string) => resolveSpecPaths(parseSpec(SPEC, join(d, 'spec.yaml')), d);

describe('identitySpec', () => {
  it('replaces corpus files and the checkpoint by the sha256 of their bytes', () => {
    const d = study('a');
    const h = identitySpec(load(d));
    expect(h.corpus).toMatchObject({ kind: 'moses', srcFile: `sha256:${fileDigest(join(d, 'data', 'c.es')).slice(0, 32)} c.es` });
    expect(h.student.init).toEqual({ finetune: { checkpoint: `sha256:${fileDigest(join(d, 'base', 'model', 'model.safetensors')).slice(0, 32)} model.safetensors` } });
    // The real spec is untouched: files are still read through it.
    expect(load(d).corpus).toMatchObject({ srcFile: join(d, 'data', 'c.es') });
  });

  it('a study copied to another folder has the same spec hash and the same run hashes', () => {
    const a = identitySpec(load(study('b')));
    const b = identitySpec(load(study('b-moved-elsewhere')));
    expect(specHash(b)).toBe(specHash(a));
    expect(expandGrid(b).map((c) => c.settingsHash)).toEqual(expandGrid(a).map((c) => c.settingsHash));
    // ... which paths alone would not give.
    expect(specHash(load(join(root, 'b-moved-elsewhere')))).not.toBe(specHash(load(join(root, 'b'))));
  });

  it('an edited corpus or other weights change the hashes', () => {
    const base = identitySpec(load(study('c')));
    const d = study('c-edited');
    writeFileSync(join(d, 'data', 'c.en'), 'changed\n', { flag: 'a' });
    expect(specHash(identitySpec(load(d)))).not.toBe(specHash(base));
    expect(specHash(identitySpec(load(study('c-weights', 'weights-2'))))).not.toBe(specHash(base));
  });

  it('the results store of a moved study sees no changed run', () => {
    const from = study('d');
    const s1 = openStore(join(from, 'exp'), { spec: identitySpec(load(from)) });
    s1.upsertCells(expandGrid(identitySpec(load(from))));
    s1.close();
    const to = study('d-moved');
    const s2 = openStore(join(from, 'exp'), { spec: identitySpec(load(to)) });
    expect(s2.upsertCells(expandGrid(identitySpec(load(to))), { onChange: 'error' })).toMatchObject({ unchanged: 5, added: 0, restarted: 0 });
    s2.close();
  });

  it('bible corpora and scratch students are unchanged; a missing corpus file is an ENOENT naming it', () => {
    const p = presetSpec('demo');
    expect(identitySpec(p)).toEqual(p);
    const missing = load(join(root, 'nowhere'));
    expect(() => identitySpec(missing)).toThrow(/nowhere\/data\/c\.es: cannot read it/);
  });
});
