import { describe, expect, it } from 'vitest';

import { canonicalJson, hashSettings } from '../../ts/src/common/canonical.js';
import { expandGrid, specHash, type StudentCell } from '../../ts/src/experiments/grid/grid.js';
import { trainingSet } from '../../ts/src/experiments/run/student.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import { generatedCount, generatedMask, poolASample, sampleIndices, shufflePrefix, Xoshiro128 } from '../../ts/src/experiments/grid/sampling.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';

const spec = (yaml: string) => parseSpec(yaml, 'g.yaml');

describe('expandGrid', () => {
  it('the demo: 2 generator jobs, then 4 conditions x 2 sizes x 2 seeds students', () => {
    const cells = expandGrid(presetSpec('demo'));
    expect(cells.length).toBe(2 + 4 * 2 * 2);
    expect(cells.slice(0, 2).map((c) => c.id)).toEqual(['generator-apertium', 'generator-low']);
    expect(cells[0]).toMatchObject({ kind: 'generator', name: 'apertium', generator: { kind: 'apertium', mode: 'spa-eng' }, generators: ['apertium'], size: null, seed: null, dependsOn: [] });
    expect(cells[1]).toMatchObject({ kind: 'generator', name: 'low', generator: { kind: 'model', trainPairs: 2000 }, size: 2000, seed: 1 });
    // all conditions of the smallest size (seed by seed) before any larger size
    expect(cells.slice(2, 10).map((c) => c.id)).toEqual([
      'real__n1000__seed1',
      'generated-apertium__n1000__seed1',
      'generated-low__n1000__seed1',
      'mix-apertium-0.5__n1000__seed1',
      'real__n1000__seed2',
      'generated-apertium__n1000__seed2',
      'generated-low__n1000__seed2',
      'mix-apertium-0.5__n1000__seed2',
    ]);
    expect(cells[10].id).toBe('real__n4000__seed1');
    expect(cells[cells.length - 1].id).toBe('mix-apertium-0.5__n4000__seed2');
    const mix = cells.find((c) => c.id === 'mix-apertium-0.5__n4000__seed1')!;
    expect(mix).toMatchObject({ kind: 'student', condition: 'mix:apertium:0.5', recipe: { kind: 'mix', generator: 'apertium', fraction: 0.5 }, generators: ['apertium'], factors: { family: 'mix', fraction: 0.5 }, sources: { apertium: 'generator-apertium' }, size: 4000, seed: 1, start: { from: 'scratch' }, dependsOn: ['generator-apertium'] });
    expect(cells.find((c) => c.id === 'real__n4000__seed1')).toMatchObject({ generators: [], factors: { family: 'real', fraction: 0 }, dependsOn: [] });
    expect(cells.find((c) => c.id === 'generated-low__n4000__seed2')).toMatchObject({ factors: { family: 'generated', fraction: 1 }, dependsOn: ['generator-low'] });
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    for (const c of cells) expect(c.settingsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the paper grid: 4 generators, 6 conditions x 10 sizes x 5 seeds', () => {
    const cells = expandGrid(presetSpec('paper'));
    expect(cells.filter((c) => c.kind === 'generator').map((c) => c.id)).toEqual(['generator-low', 'generator-high', 'generator-self', 'generator-apertium']);
    expect(cells.filter((c) => c.kind === 'student').length).toBe(6 * 10 * 5);
  });

  it('is deterministic and its hashes do not depend on the name, device, threads or key order', () => {
    const a = expandGrid(presetSpec('demo'));
    const renamed = { ...presetSpec('demo'), name: 'other', device: 'cuda' as const, threads: 7 };
    expect(expandGrid(renamed)).toEqual(a);
    expect(specHash(renamed)).toBe(specHash(presetSpec('demo')));
    const yaml1 = 'sizes: [1000]\nseeds: [1]\nstudent: { model: tiny, train: { lr: 0.001, maxSteps: 5 } }\n';
    const yaml2 = 'student: { train: { maxSteps: 5, lr: 0.001 }, model: tiny }\nseeds: [1]\nsizes: [1000]\n';
    expect(expandGrid(spec(yaml2)).map((c) => c.settingsHash)).toEqual(expandGrid(spec(yaml1)).map((c) => c.settingsHash));
  });

  it('a changed setting changes exactly the hashes of the cells it affects', () => {
    const base = 'generators: { low: {}, apertium: {} }\nconditions: [real, "generated:low", "mix:apertium:0.5"]\nsizes: [1000, 2000]\nseeds: [1]\n';
    const hashes = (yaml: string) => new Map(expandGrid(spec(yaml)).map((c) => [c.id, c.settingsHash]));
    const before = hashes(base);
    const changed = (yaml: string) => [...hashes(yaml)].filter(([id, h]) => before.has(id) && before.get(id) !== h).map(([id]) => id).sort();
    // the low generator's training: its job and the students trained on its output
    expect(changed(base.replace('low: {}', 'low: { train: { lr: 0.01 } }'))).toEqual(['generated-low__n1000__seed1', 'generated-low__n2000__seed1', 'generator-low']);
    // the students' training: every student, no generator job
    expect(changed(base + 'student: { train: { lr: 0.01 } }')).toEqual([
      'generated-low__n1000__seed1',
      'generated-low__n2000__seed1',
      'mix-apertium-0.5__n1000__seed1',
      'mix-apertium-0.5__n2000__seed1',
      'real__n1000__seed1',
      'real__n2000__seed1',
    ]);
    // the split changes everything
    expect(changed(base + 'splits: { splitSeed: 2 }').length).toBe(8);
    // more sizes or seeds add cells and change none
    const bigger = base.replace('[1000, 2000]', '[1000, 2000, 3000]').replace('seeds: [1]', 'seeds: [1, 2]');
    expect([before.size, hashes(bigger).size]).toEqual([8, 20]);
    expect(changed(bigger)).toEqual([]);
    // the tokenizer matters to model generators, not to Apertium
    expect(changed(base + 'tokenizer: { vocabSize: 4000 }')).not.toContain('generator-apertium');
    expect(changed(base + 'tokenizer: { vocabSize: 4000 }')).toContain('generator-low');
  });

  it('checkpointSeconds (how often training checkpoints) reaches the runs but no settings hash', () => {
    const base =
      'generators: { low: {}, self: {} }\nconditions: [real, "generated:low", "generated:self"]\nsizes: [1000]\nseeds: [1]\nstudent: { model: tiny, init: { finetune: { pairs: 500 } } }\n' +
      'chains:\n  - { regime: replace, generations: 1 }\n  - { regime: accumulate, generations: 1, train: { lr: 0.001 } }\n';
    const withInterval = base
      .replace('low: {}', 'low: { train: { checkpointSeconds: 5 } }')
      .replace('model: tiny,', 'model: tiny, train: { checkpointSeconds: 60 },')
      .replace('train: { lr: 0.001 }', 'train: { lr: 0.001, checkpointSeconds: 7 }');
    const [a, b] = [expandGrid(spec(base)), expandGrid(spec(withInterval))];
    expect(b.map((c) => [c.id, c.settingsHash])).toEqual(a.map((c) => [c.id, c.settingsHash]));
    expect(specHash(spec(withInterval))).toBe(specHash(spec(base)));
    const cell = (id: string) => b.find((c) => c.id === id) as unknown as { train?: Record<string, unknown>; generator?: { train?: Record<string, unknown> } };
    expect(cell('generator-low').generator!.train!.checkpointSeconds).toBe(5);
    expect(cell('generator-self').generator!.train!.checkpointSeconds).toBe(60); // self trains as the students do
    expect(cell('base-finetune-n500').train!.checkpointSeconds).toBe(60);
    expect(cell('real__n1000__seed1').train!.checkpointSeconds).toBe(60);
    expect(cell('chain-replace__g1__n1000__seed1').train!.checkpointSeconds).toBe(60); // a chain trains as the students do
    expect(cell('chain-accumulate__g1__n1000__seed1').train!.checkpointSeconds).toBe(7);
    expect(JSON.stringify(b.map((c) => c.settings))).not.toContain('checkpointSeconds');
  });

  it('self resolves to the students\' model, so a student change reaches it', () => {
    const base = 'generators: { self: {} }\nconditions: [real, "generated:self"]\nsizes: [1000]\nseeds: [1]\n';
    const job = (yaml: string) => expandGrid(spec(yaml)).find((c) => c.id === 'generator-self')!;
    expect(job(base).settings).toMatchObject({ generator: { kind: 'model', trainPairs: 'all', model: { dModel: 512 } } });
    expect(job(base + 'student: { model: tiny }').settingsHash).not.toBe(job(base).settingsHash);
  });

  it('generators no condition uses get no job; fine-tuning adds a base run', () => {
    const cells = expandGrid(spec('generators: { low: {}, high: {} }\nconditions: [real, "generated:low"]\nsizes: [1000]\nseeds: [1]\nstudent: { init: { finetune: { pairs: 2000 } } }\n'));
    expect(cells.map((c) => c.id)).toEqual(['generator-low', 'base-finetune-n2000', 'real__n1000__seed1', 'generated-low__n1000__seed1']);
    expect(cells[3].dependsOn).toEqual(['generator-low', 'base-finetune-n2000']);
    expect(cells[2].settings).toMatchObject({ student: { init: { finetune: { kind: 'base', pairs: 2000 } } } });
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
    expect(hashSettings({ a: 1, b: 2 })).toBe(hashSettings({ b: 2, a: 1 }));
    expect(hashSettings({ a: 1 })).not.toBe(hashSettings({ a: 2 }));
  });
});

describe('sampling', () => {
  it('xoshiro128** matches the reference outputs for state (1, 2, 3, 4)', () => {
    const r = new Xoshiro128(new Uint32Array([1, 2, 3, 4]));
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('below(n) is uniform enough and within range', () => {
    const r = Xoshiro128.forStream('test', 1);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.below(7)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });

  it('samples are nested across sizes, distinct, in range and seed-dependent', () => {
    const pool = 15910;
    const s4 = sampleIndices(pool, 4000, 1);
    const s2 = sampleIndices(pool, 2000, 1);
    const s1 = sampleIndices(pool, 1000, 1);
    expect(Array.from(s4.subarray(0, 2000))).toEqual(Array.from(s2));
    expect(Array.from(s2.subarray(0, 1000))).toEqual(Array.from(s1));
    expect(new Set(s4).size).toBe(4000);
    expect(Math.max(...s4)).toBeLessThan(pool);
    // the same call gives the same sample; another seed another one
    expect(Array.from(sampleIndices(pool, 1000, 1))).toEqual(Array.from(s1));
    const other = sampleIndices(pool, 1000, 2);
    const overlap = Array.from(other).filter((i) => new Set(s1).has(i)).length;
    expect(overlap).toBeLessThan(200); // about 1000 * 1000 / 15910 = 63 by chance
    // the full shuffle is a permutation
    expect(Array.from(shufflePrefix(50, 50, 'x', 3)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // streams are independent
    expect(Array.from(poolASample(pool, 100, 1))).not.toEqual(Array.from(sampleIndices(pool, 100, 1)));
  });

  it('samples are uniform over the pool', () => {
    // every index of a pool of 10 is drawn first about equally often over many seeds
    const counts = new Array(10).fill(0);
    for (let seed = 0; seed < 5000; seed++) counts[sampleIndices(10, 1, seed)[0]]++;
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(100);
  });

  it('mix masks: exact counts, nested generated and real parts', () => {
    for (const p of [0.5, 0.25, 0.1, 0.9, 1 / 3]) {
      const m = generatedMask(4000, p);
      for (const n of [1, 7, 1000, 2000, 3999, 4000]) {
        const sum = m.subarray(0, n).reduce((a, b) => a + b, 0);
        expect(sum).toBe(generatedCount(n, p));
        expect(Math.abs(sum - n * p)).toBeLessThanOrEqual(0.5);
        // the mask of a smaller size is the prefix of the larger one: both parts nested
        expect(Array.from(generatedMask(n, p))).toEqual(Array.from(m.subarray(0, n)));
      }
    }
    expect(generatedCount(1000, 0.5)).toBe(500);
    expect(Array.from(generatedMask(4, 0.5))).toEqual([1, 0, 1, 0]);
    expect(generatedMask(100, 1).every((x) => x === 1)).toBe(true);
    expect(generatedMask(100, 0).every((x) => x === 0)).toBe(true);
  });

  it('a training set is the seed\'s sample with real or generated targets per the mask, and refuses what does not fit', () => {
    const cells = expandGrid(presetSpec('demo'));
    const student = (id: string) => cells.find((c) => c.id === id) as StudentCell;
    const n = 20000;
    const poolB = { src: Array.from({ length: n }, (_, i) => `s${i}`), tgt: Array.from({ length: n }, (_, i) => `t${i}`) };
    const gen = new Map(Array.from({ length: n }, (_, i) => [i, { text: `g${i}`, scores: { logprob: -i } }]));
    const outputs = (id: string) => (id === 'generator-apertium' ? gen : undefined);
    const mix = trainingSet(student('mix-apertium-0.5__n4000__seed1'), { poolB }, outputs);
    const real = trainingSet(student('real__n4000__seed1'), { poolB }, outputs);
    expect(mix.length).toBe(4000);
    // same seed, same sources in the same order, whatever the condition
    expect(mix.map((r) => r.index)).toEqual(Array.from(sampleIndices(n, 4000, 1)));
    expect(real.map((r) => r.index)).toEqual(mix.map((r) => r.index));
    expect(real.every((r) => r.from === 'real' && r.target === `t${r.index}` && r.source === `s${r.index}` && r.scores === undefined)).toBe(true);
    // the generated positions are generatedMask's, with the generator's text and scores
    const mask = generatedMask(4000, 0.5);
    mix.forEach((r, j) => {
      if (mask[j]) expect(r).toEqual({ index: r.index, source: `s${r.index}`, target: `g${r.index}`, from: 'generator-apertium', scores: { logprob: -r.index } });
      else expect(r).toEqual({ index: r.index, source: `s${r.index}`, target: `t${r.index}`, from: 'real' });
    });
    expect(mix.filter((r) => r.from !== 'real').length).toBe(2000);
    const small = { src: poolB.src.slice(0, 3500), tgt: poolB.tgt.slice(0, 3500) };
    expect(() => trainingSet(student('mix-apertium-0.5__n4000__seed1'), { poolB: small }, outputs)).toThrow(/needs 4000 pairs but pool B has 3500/);
    expect(() => trainingSet(student('mix-apertium-0.5__n4000__seed1'), { poolB }, () => undefined)).toThrow(/outputs of generator-apertium are not available/);
  });
});
