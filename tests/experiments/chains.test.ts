// Collapse chains end to end on the 2,000-verse bible sample: each regime's training sets
// are exactly what it promises (replace: the previous generation's translations of the
// same sources; accumulate: the real pairs and every earlier generation's; fresh:P: a
// share P of new real pairs), results and report have the chains, a run killed in
// generation 2 resumes to byte-identical outputs, and a longer chain keeps its generations.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readLinesSync as lines } from '../../ts/src/common/text.js';
import { buildReport } from '../../ts/src/experiments/report.js';
import { runExperiment } from '../../ts/src/experiments/run/runner.js';
import type { TrainingRow } from '../../ts/src/experiments/run/student.js';
import { sampleIndices } from '../../ts/src/experiments/grid/sampling.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { lexicalTokenize } from '../../ts/src/metrics/diversity.js';
import { openRun } from '../../ts/src/rundir/open.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const specText = (k = 2) => `
name: chains
corpus: { kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }
splits: { poolA: 300, poolB: rest, dev: 50, test: 60, splitSeed: 3 }
tokenizer: { vocabSize: 400 }
generators: {}
conditions: []
sizes: [100]
seeds: [1]
student:
  model: { dModel: 32, nHeads: 2, dFF: 64, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }
  train: { maxSteps: 30, maxEpochs: 0, maxTokens: 1500, lr: 0.01, patience: 0, restoreBest: false }
  decode: { method: greedy, maxLenB: 30 }
chains:
  - { regime: replace, generations: ${k} }
  - { regime: accumulate, generations: 2 }
  - { regime: fresh:0.5, generations: 2 }
device: cpu
`;

let tmp: string;
const spec = (k?: number) => parseSpec(specText(k), join(tmp, 'spec.yaml'));
const rows = (dir: string, id: string) => lines(join(dir, 'chains', id, 'train.jsonl')).map((l) => JSON.parse(l) as TrainingRow);
const id = (regime: string, g: number) => `chain-${regime}__g${g}__n100__seed1`;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-chains-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('collapse chains', () => {
  const dir = () => join(tmp, 'exp');

  it('runs every generation of every regime; each training set is what its regime says', async () => {
    const s = await runExperiment(spec(), dir());
    expect(s).toMatchObject({ total: 9, done: 9, failed: [] });
    const poolB = { src: lines(join(dir(), 'data', 'poolB.es')), tgt: lines(join(dir(), 'data', 'poolB.en')) };
    const S = Array.from(sampleIndices(poolB.src.length, 100, 1));
    for (const r of ['replace', 'accumulate', 'fresh-0.5']) {
      const g0 = rows(dir(), id(r, 0));
      // generation 0: the real sample, as a student of that size and seed has it
      expect(g0.map((x) => [x.index, x.from, x.source, x.target])).toEqual(S.map((i) => [i, 'real', poolB.src[i], poolB.tgt[i]]));
    }
    // replace: generation k+1's targets are generation k's translations of the same sources
    for (const k of [0, 1]) {
      const next = rows(dir(), id('replace', k + 1));
      expect(next.map((x) => x.index)).toEqual(S);
      expect(next.every((x) => x.from === id('replace', k))).toBe(true);
      const own = await openRun(join(dir(), 'chains', id('replace', k))).translate(S.map((i) => poolB.src[i]), { method: 'greedy', maxLenB: 30, seed: 1 });
      expect(next.map((x) => x.target)).toEqual(own.map((o) => o.text));
    }
    // accumulate: the real pairs and every earlier generation's pairs; the set grows
    const a1 = rows(dir(), id('accumulate', 1));
    const a2 = rows(dir(), id('accumulate', 2));
    expect(a1.length).toBe(200);
    expect(a2.length).toBe(300);
    expect(a2.slice(0, 200)).toEqual(a1);
    expect(a2.slice(200).every((x) => x.from === id('accumulate', 1))).toBe(true);
    expect(a2.filter((x) => x.from === 'real').map((x) => x.index)).toEqual(S);
    // fresh:0.5: half real pairs new to the chain, half the previous generation's output
    for (const k of [1, 2]) {
      const f = rows(dir(), id('fresh-0.5', k));
      const real = f.filter((x) => x.from === 'real');
      expect(real.length).toBe(50);
      expect(f.length - real.length).toBe(50);
      expect(real.every((x) => !S.includes(x.index) && x.target === poolB.tgt[x.index])).toBe(true);
      expect(f.filter((x) => x.from !== 'real').every((x) => x.from === id('fresh-0.5', k - 1) && S.includes(x.index))).toBe(true);
      if (k === 2) expect(real.map((x) => x.index)).not.toEqual(rows(dir(), id('fresh-0.5', 1)).filter((x) => x.from === 'real').map((x) => x.index));
    }
  });

  it('results.json has one row per generation, the report its curves, figures and tests', async () => {
    const r = await buildReport(dir(), spec());
    const res = JSON.parse(readFileSync(r.results, 'utf8')) as Record<string, unknown>[];
    expect(res.length).toBe(9);
    for (const x of res) {
      expect(['replace', 'accumulate', 'fresh:0.5']).toContain(x.chain);
      expect([0, 1, 2]).toContain(x.generation);
      expect(x.seed).toBe(1);
      for (const k of ['bleu', 'chrf', 'ter', 'perplexity', 'mtld']) expect(typeof x[k], k).toBe('number');
      expect(x.perplexity as number).toBeGreaterThan(1);
      expect(x.data_bleu === null).toBe(x.generation === 0);
      // the median output length is that of the stored translations
      const words = lines(join(dir(), x.hypotheses as string)).map((h) => lexicalTokenize(h).length).sort((a, b) => a - b);
      const mid = (words.length - 1) / 2;
      expect(x.length_p50).toBeCloseTo((words[Math.floor(mid)] + words[Math.ceil(mid)]) / 2, 9);
      expect(x.length_p10 as number).toBeLessThanOrEqual(x.length_p50 as number);
      expect(x.length_p50 as number).toBeLessThanOrEqual(x.length_p90 as number);
    }
    const md = readFileSync(r.markdown, 'utf8');
    expect(md).toMatch(/## Collapse over generations/);
    expect(md).toMatch(/\| replace \| Perplexity of the real references \|/);
    expect(md).not.toMatch(/## Learning curves/); // no students in this study
    const figs = readdirSync(join(dir(), 'figures'));
    expect(figs).toContain('chain-bleu.svg');
    expect(figs).toContain('chain-rank-frequency-fresh-0-5.svg');
    const svg = readFileSync(join(dir(), 'figures', 'chain-perplexity.svg'), 'utf8');
    expect(svg.match(/class="series"/g)!.length).toBe(3);
  });

  it('a run killed (SIGKILL) in generation 2 resumes there and ends byte-identical to the uninterrupted one', async () => {
    const d = join(tmp, 'exp-kill');
    const file = join(tmp, 'kill.yaml');
    writeFileSync(file, specText());
    const child = spawn(process.execPath, [CLI, 'experiment', 'run', file, '--out', d, '--no-report'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    await new Promise<void>((res, rej) => {
      const watch = (b: Buffer) => {
        seen += b.toString();
        // the last generation-1 cell is done: generation 2 starts now
        if (/done +chain-fresh-0\.5__g1__/.test(seen)) res();
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.once('exit', (c) => rej(new Error(`exited (${c}) before generation 2: ${seen.slice(-500)}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const again = await runExperiment(spec(), d);
    expect(again.ranNow).toBeGreaterThan(0);
    expect(again.ranNow).toBeLessThan(9); // generations 0 and 1 were kept
    for (const r of ['replace', 'accumulate', 'fresh-0.5']) {
      for (const g of [0, 1, 2]) {
        for (const f of ['train.jsonl', 'test.hyp', 'model/model.safetensors']) {
          const a = readFileSync(join(d, 'chains', id(r, g), f));
          const b = readFileSync(join(dir(), 'chains', id(r, g), f));
          expect(a.equals(b), `${id(r, g)}/${f}`).toBe(true);
        }
      }
    }
  }, 300_000);

  it('a longer chain keeps the generations it had and runs only the new ones', async () => {
    const s = await runExperiment(spec(3), dir());
    expect(s).toMatchObject({ total: 10, done: 10, ranNow: 1, failed: [] });
    expect(existsSync(join(dir(), 'chains', id('replace', 3), 'test.hyp'))).toBe(true);
    expect(rows(dir(), id('replace', 3)).every((x) => x.from === id('replace', 2))).toBe(true);
  });
});
