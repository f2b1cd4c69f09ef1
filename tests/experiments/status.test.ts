import { describe, expect, it } from 'vitest';

import { formatStatus, statusJson } from '../../ts/src/experiments/run/status.js';
import type { RunRow, StoreStatus } from '../../ts/src/experiments/store/store.js';

function run(id: string, status: RunRow['status'], over: Partial<RunRow> = {}): RunRow {
  const m = /^(.*)__n(\d+)__seed(\d+)$/.exec(id);
  return {
    id,
    kind: m ? 'student' : 'generator',
    condition: m ? m[1].replace(/^generated-/, 'generated:').replace(/^mix-(.*)-([\d.]+)$/, 'mix:$1:$2') : null,
    generator: null,
    generatedFraction: null,
    generators: [],
    factors: {},
    size: m ? Number(m[2]) : null,
    seed: m ? Number(m[3]) : null,
    settingsHash: '0'.repeat(64),
    status,
    pid: status === 'running' || status === 'interrupted' ? 4242 : null,
    host: 'h',
    attempts: status === 'pending' ? 0 : 1,
    started: status === 'pending' ? null : '2024-07-01T10:00:00.000Z',
    finished: null,
    error: status === 'failed' ? 'EIO: disk full\nstack...' : null,
    inGrid: true,
    bleu: null,
    ...over,
  };
}

const runs = [
  run('generator-apertium', 'done'),
  run('generator-low', 'running'),
  run('real__n1000__seed1', 'done'),
  run('mix-apertium-0.5__n1000__seed1', 'done'),
  run('real__n1000__seed2', 'done'),
  run('mix-apertium-0.5__n1000__seed2', 'running'),
  run('real__n2000__seed1', 'failed'),
  run('mix-apertium-0.5__n2000__seed1', 'interrupted'),
  run('real__n2000__seed2', 'pending'),
  run('mix-apertium-0.5__n2000__seed2', 'pending'),
];
const status: StoreStatus = {
  experiment: { name: 'demo', specHash: 'abcdef0123456789'.repeat(4), spec: {}, created: '', updated: '', versions: { regurgitate: '0.1.0', node: 'v20', addon: null, sacrebleu: '2.6.0' } },
  counts: { pending: 2, running: 2, interrupted: 1, done: 4, failed: 1, total: 10 },
  runs,
};

describe('formatStatus', () => {
  it('draws conditions by sizes, with jobs above and failures below', () => {
    expect(formatStatus(status)).toBe(
      [
        'experiment demo (spec abcdef012345): 10 runs: 4 done, 2 running, 1 interrupted, 1 failed, 2 pending',
        '',
        'jobs',
        '  generator-apertium   done',
        '  generator-low        running (pid 4242 on h, since 2024-07-01T10:00:00.000Z)',
        '',
        'condition          n=1000            n=2000',
        'real               2/2 done          0/2 (1 failed)',
        'mix:apertium:0.5   1/2 (1 running)   0/2 (1 interrupted)',
        '',
        'running',
        '  generator-low                    pid 4242 on h, since 2024-07-01T10:00:00.000Z',
        '  mix-apertium-0.5__n1000__seed2   pid 4242 on h, since 2024-07-01T10:00:00.000Z',
        '',
        'failed',
        '  real__n2000__seed1: EIO: disk full',
        '',
        '1 run(s) interrupted (their process is gone); running the experiment again restarts them.',
        '',
      ].join('\n'),
    );
  });

  it('handles an empty store', () => {
    const empty: StoreStatus = { experiment: null, counts: { pending: 0, running: 0, interrupted: 0, done: 0, failed: 0, total: 0 }, runs: [] };
    expect(formatStatus(empty)).toBe('experiment (no spec recorded): 0 runs: 0 done, 0 running, 0 interrupted, 0 failed, 0 pending\n');
  });

  it('JSON carries the same data', () => {
    expect(JSON.parse(statusJson(status))).toEqual(JSON.parse(JSON.stringify(status)));
  });
});
