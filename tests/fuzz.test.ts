// At least 1,000 random bad calls (seeded, reproducible) against the public API and the
// raw native addon, in a child process: a native crash fails this test instead of
// killing vitest. Reproduce a failure with `node tests/fuzz/fuzz-child.mjs --seed N`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { ensureBuilt, ROOT } from './helpers.js';

beforeAll(() => ensureBuilt());

describe('fuzz', () => {
  for (const seed of [20240717, 7]) {
    it(`survives random bad calls (seed ${seed})`, () => {
      const r = spawnSync(process.execPath, [join(ROOT, 'tests', 'fuzz', 'fuzz-child.mjs'), '--seed', String(seed), '--count', '5000'], {
        encoding: 'utf8',
        timeout: 110_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const last = r.stdout.trim().split('\n').pop() ?? '';
      let report: { count: number; failures: unknown[] } | undefined;
      try {
        report = JSON.parse(last);
      } catch {
        report = undefined;
      }
      const context = `exit ${r.status} signal ${r.signal}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}`;
      expect(r.signal, context).toBeNull();
      expect(report, context).toBeDefined();
      expect(report!.failures, context).toEqual([]);
      expect(r.status, context).toBe(0);
      expect(report!.count).toBeGreaterThanOrEqual(1000);
    });
  }
});
