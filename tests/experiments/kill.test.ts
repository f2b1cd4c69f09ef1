// Nothing a study finished is lost to a kill: `experiment run` on the bible sample is
// killed with SIGKILL again and again, each time a little later than the last (so the
// kills fall in data preparation, generation, training and checkpoints, scoring, the
// report), rerun after each, and ends with the results.json of an uninterrupted run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const SPEC = `
name: killed
corpus: { kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }
splits: { poolA: 300, poolB: rest, dev: 50, test: 60, splitSeed: 3 }
tokenizer: { vocabSize: 400 }
generators:
  low: { kind: model, model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }, trainPairs: 300, train: { maxSteps: 300, maxEpochs: 0, maxTokens: 1000, lr: 0.01 }, decode: { method: greedy, maxLenB: 30 }, seed: 1 }
conditions: [real, generated:low, mix:low:0.5]
sizes: [100, 200]
seeds: [1]
student:
  model: { dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 128 }
  train: { maxSteps: 400, maxEpochs: 0, maxTokens: 1000, lr: 0.01, patience: 0, restoreBest: false }
  decode: { method: greedy, maxLenB: 30 }
device: cpu
`;

let tmp: string;
beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-kill-'));
  writeFileSync(join(tmp, 'spec.yaml'), SPEC);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const args = (d: string) => [CLI, 'experiment', 'run', join(tmp, 'spec.yaml'), '--out', d];

/** results.json without its timings. */
function results(d: string): unknown {
  const rows = JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as Record<string, unknown>[];
  return rows.map(({ trainSeconds: _t, ...r }) => r);
}

describe('SIGKILL anywhere', () => {
  it('a study killed at many moments and rerun after each ends with the results of an uninterrupted run', async () => {
    const ref = join(tmp, 'ref');
    const r0 = spawnSync(process.execPath, args(ref), { encoding: 'utf8', timeout: 300_000 });
    expect(r0.status, r0.stderr).toBe(0);
    const d = join(tmp, 'killed');
    const moments: string[] = [];
    // Each run is killed a little later than the last, until one ends by itself; then the
    // reruns that find the study done and rebuild the report are killed the same way, from
    // early again, until one ends by itself with at least 10 kills in all.
    let delay = 500;
    let reporting = false;
    for (let k = 0; ; k++) {
      const child = spawn(process.execPath, args(d), { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (b: Buffer) => (log += b.toString()));
      child.stderr.on('data', (b: Buffer) => (log += b.toString()));
      const code = await new Promise<number | null>((res) => {
        const t = setTimeout(() => child.kill('SIGKILL'), delay);
        child.once('exit', (c) => {
          clearTimeout(t);
          res(c);
        });
      });
      if (code !== null) {
        // it finished before its kill: the study is done
        expect(code, log).toBe(0);
        if (reporting && moments.length >= 10) break;
        reporting = true;
        delay = 500;
        continue;
      }
      delay += 300;
      // what it was doing when killed: its last line of progress
      moments.push(`${reporting ? '(rerun of the done study) ' : ''}${log.trim().split(/[\r\n]/).filter(Boolean).pop()?.slice(0, 100) ?? '(starting)'}`);
      expect(k).toBeLessThan(80);
    }
    console.log(`killed ${moments.length} times:\n  ${moments.join('\n  ')}`);
    expect(moments.length).toBeGreaterThanOrEqual(10);
    // spread over the run (each kill's last line of progress differs), up to the report
    expect(new Set(moments).size).toBeGreaterThanOrEqual(5);
    expect(moments.some((m) => m.startsWith('(rerun'))).toBe(true);
    expect(results(d)).toEqual(results(ref));
    for (const row of JSON.parse(readFileSync(join(ref, 'results.json'), 'utf8')) as { hypotheses: string }[])
      expect(readFileSync(join(d, row.hypotheses), 'utf8')).toBe(readFileSync(join(ref, row.hypotheses), 'utf8'));
  }, 900_000);
});
