import { describe, expect, it } from 'vitest';

import { estimateRemaining, formatEstimate, formatHours } from '../../ts/src/experiments/run/estimate.js';
import { expandGrid } from '../../ts/src/experiments/grid/grid.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import type { RunRow, StoreStatus } from '../../ts/src/experiments/store/store.js';

const cells = expandGrid(presetSpec('paper'));
const T0 = Date.parse('2024-07-01T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** The paper grid with `done` finished: id -> [wall seconds, host]. */
function status(done: Record<string, [number, string]>): StoreStatus {
  let at = 0;
  const runs = cells.map((c): RunRow => {
    const d = done[c.id];
    const row: RunRow = {
      id: c.id, kind: c.kind, condition: c.condition, generator: c.generators[0] ?? null, generatedFraction: typeof c.factors.fraction === 'number' ? c.factors.fraction : null, generators: c.generators, factors: c.factors, size: c.size, seed: c.seed,
      settingsHash: c.settingsHash, status: d ? 'done' : 'pending', pid: null, host: d ? d[1] : null, attempts: d ? 1 : 0,
      started: d ? iso(at) : null, finished: d ? iso(at + d[0]) : null, error: null, inGrid: true, bleu: null,
    };
    if (d) at += d[0];
    return row;
  });
  const n = runs.filter((r) => r.status === 'done').length;
  return { experiment: null, counts: { pending: runs.length - n, running: 0, interrupted: 0, done: n, failed: 0, total: runs.length }, runs };
}

describe('estimateRemaining (the paper grid: 4 generators, 300 students)', () => {
  it('scales the measured students by size and estimates the jobs that train the students\' model', () => {
    const st = status({ 'generator-apertium': [30, 'laptop'], 'generator-low': [50, 'gpu'], 'real__n1000__seed1': [130, 'gpu'], 'generated-apertium__n1000__seed1': [110, 'gpu'] });
    const timings = new Map([
      ['real__n1000__seed1', { train: 100, translate: 20 }],
      ['generated-apertium__n1000__seed1', { train: 80, translate: 20 }],
    ]);
    const e = estimateRemaining({ status: st, timings, cells, testSize: 2000, poolASize: 12000, poolBSize: 15910 });
    expect(e).toMatchObject({ done: 4, total: 304 });
    // 180 s of training over 2000 pairs; 30 s a run besides training; 10 ms per test sentence.
    expect(e.basis).toMatchObject({ host: 'gpu', runs: 2, sizes: [1000], secondsPerPair: 0.09, overheadSeconds: 30, secondsPerTestSentence: 0.01 });
    const students = e.parts.find((p) => p.what === 'students')!;
    // 298 students left: 0.09 s per pair over their sizes + 30 s each.
    const pairs = cells.filter((c) => c.kind === 'student').reduce((a, c) => a + c.size!, 0) - 2000;
    expect(students.runs).toBe(298);
    expect(students.seconds).toBeCloseTo(0.09 * pairs + 30 * 298, 6);
    const high = e.parts.find((p) => p.what === 'generator-high')!;
    expect(high.how).toMatch(/^as a student of 12000 pairs \+ translating \d+ pool-B sentences$/);
    const n = Number(/translating (\d+)/.exec(high.how)![1]);
    expect(n).toBeGreaterThan(15000);
    expect(high.seconds).toBeCloseTo(0.09 * 12000 + 0.01 * n, 6);
    expect(e.parts.map((p) => p.what)).toEqual(['students', 'generator-high', 'generator-self']);
    expect(e.notEstimated).toEqual([]);
    expect(e.remainingSeconds).toBeCloseTo(e.parts.reduce((a, p) => a + p.seconds, 0), 6);
    const text = formatEstimate(e);
    expect(text).toMatch(/^estimate: 4 of 304 runs done; at the measured per-run times the rest takes about \d+ h \d\d min\n/);
    expect(text).toMatch(/measured on gpu: 2 student\(s\) at n=1000: 90\.0 s of training per 1000 pairs \+ 30 s per run \(translating the test split: 10\.0 ms per sentence\)/);
    expect(text).toMatch(/one size measured/);
  });

  it('uses only the host of the latest student; without wall times, phases; lists what it cannot estimate', () => {
    const st = status({ 'real__n1000__seed1': [1000, 'cpu-box'], 'real__n2000__seed1': [40, 'gpu'] });
    const e = estimateRemaining({ status: st, timings: new Map(), cells, poolASize: 12000 });
    expect(e.basis).toMatchObject({ host: 'gpu', runs: 1, sizes: [2000], secondsPerPair: 0.02, overheadSeconds: 0, secondsPerTestSentence: null });
    expect(e.notEstimated.map((x) => x.id)).toEqual(['generator-low', 'generator-apertium']);
    expect(e.notEstimated[0].why).toMatch(/model is not the students'/);
    expect(e.parts.find((p) => p.what === 'generator-high')!.how).toMatch(/translating pool B not estimated \(sizes unknown\)/);
    expect(formatEstimate(e)).toMatch(/rest takes about .* plus what is not estimated/);
  });

  it('nothing done: no estimate yet; everything done: says so', () => {
    const none = estimateRemaining({ status: status({}), timings: new Map(), cells });
    expect(none.remainingSeconds).toBeNull();
    expect(none.notEstimated[0]).toEqual({ id: '300 student run(s)', why: 'no student has finished yet' });
    expect(formatEstimate(none)).toMatch(/^estimate: 0 of 304 runs done; at the measured per-run times the rest cannot be estimated yet/);
    const all = status(Object.fromEntries(cells.map((c) => [c.id, [1, 'gpu'] as [number, string]])));
    expect(formatEstimate(estimateRemaining({ status: all, timings: new Map(), cells }))).toBe('estimate: all 304 runs are done\n');
  });

  it('formatHours', () => {
    expect(formatHours(40)).toBe('40 s');
    expect(formatHours(720)).toBe('12 min');
    expect(formatHours(3600 + 5 * 60)).toBe('1 h 05 min');
    expect(formatHours(2 * 3600 - 10)).toBe('2 h 00 min');
  });
});
