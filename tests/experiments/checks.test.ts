// What the split data rule out is found before any run starts, named by the spec's file,
// line and field, and never keeps the valid cells from running.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore } from '../../ts/src/experiments/store/store.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
let tmp: string;
beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-checks-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('checks against the split data', () => {
  const write = (name: string, splits: string, bigPairs: number, last: number) => {
    const file = join(tmp, name);
    writeFileSync(
      file,
      [
        'name: checks',
        `corpus: { kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }`,
        `splits: ${splits}`,
        'tokenizer: { vocabSize: 400 }',
        'generators:',
        '  low:',
        '    kind: model',
        '    model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }',
        '    trainPairs: 299',
        '    train: { maxSteps: 5, maxEpochs: 0, maxTokens: 1000 }',
        '    seed: 1',
        '  big:',
        '    kind: model',
        '    model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }',
        `    trainPairs: ${bigPairs}`,
        '    seed: 1',
        'conditions: [real, generated:low, generated:big]',
        'sizes:',
        '  - 100',
        `  - ${last}`,
        'seeds: [1]',
        'student:',
        '  model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }',
        '  train: { maxSteps: 5, maxEpochs: 0, maxTokens: 1000, patience: 0, restoreBest: false }',
        '  decode: { method: greedy, maxLenB: 20 }',
        'device: cpu',
        '',
      ].join('\n'),
    );
    return file;
  };
  const run = (file: string, d: string) => spawnSync(process.execPath, [CLI, 'experiment', 'run', file, '--out', d, '--no-report'], { encoding: 'utf8', timeout: 300_000 });
  const statuses = (d: string) => {
    const st = openStore(d);
    const m = new Map(st.status().runs.map((x) => [x.id, x.status]));
    st.close();
    return m;
  };

  it('a size beyond pool B (poolB: rest) fails with file:line and field; the valid cells run', () => {
    const file = write('a.yaml', '{ poolA: 300, poolB: rest, dev: 50, test: 60, splitSeed: 3 }', 200, 99999);
    const d = join(tmp, 'exp-a');
    const r = run(file, d);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:20: sizes\\[1\\]: 99999 pairs, but pool B holds \\d+`));
    const status = statuses(d);
    // the valid cells of size 100 ran, with the generators they need
    for (const id of ['generator-low', 'generator-big', 'real__n100__seed1', 'generated-low__n100__seed1', 'generated-big__n100__seed1']) expect(status.get(id), id).toBe('done');
    for (const id of ['real__n99999__seed1', 'generated-low__n99999__seed1']) expect(status.get(id), id).toBe('failed');
  }, 300_000);

  it('a generator asking more than pool A holds (poolA: rest) fails with file:line and field; what waits for it is skipped, the rest runs', () => {
    const file = write('b.yaml', '{ poolA: rest, poolB: 1000, dev: 50, test: 60, splitSeed: 3 }', 5000, 200);
    const d = join(tmp, 'exp-b');
    const r = run(file, d);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`b\\.yaml:15: generators\\.big\\.trainPairs: 5000 pairs, but pool A holds \\d+`));
    const status = statuses(d);
    expect(status.get('generator-big')).toBe('failed');
    // what waits for it is skipped (pending: the next run tries again)
    expect(status.get('generated-big__n100__seed1')).toBe('pending');
    expect(r.stderr).toMatch(/skipped +generated-big__n100__seed1: generator-big failed/);
    for (const id of ['generator-low', 'real__n100__seed1', 'generated-low__n100__seed1', 'real__n200__seed1']) expect(status.get(id), id).toBe('done');
  }, 300_000);
});
