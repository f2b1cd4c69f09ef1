// The command line, spawned as a user would run it (node dist/cli/main.js).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { CLI, ensureBuilt, ROOT } from '../helpers.js';

function cli(args: string[], timeout = 60_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => ensureBuilt());

describe('regurgitate CLI', () => {
  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists the commands; no command is a usage error', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['doctor', 'bench', 'demo']) expect(h.stdout).toContain(c);
    expect(cli([]).code).toBe(2);
  });

  it('every command has --help', () => {
    for (const args of [['doctor'], ['bench'], ['bench', 'gemm'], ['bench', 'train'], ['demo'], ['train'], ['translate'], ['eval'], ['serve']]) {
      const r = cli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`usage: regurgitate ${args.join(' ')}`);
    }
  });

  it('doctor --json prints one JSON object', () => {
    const r = cli(['doctor', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(o.node).toBe(process.version);
    expect(o.platform).toBe(process.platform);
    expect(o.arch).toBe(process.arch);
    expect(Array.isArray(o.cpu.features)).toBe(true);
    expect(typeof o.cpu.model).toBe('string');
    expect(['avx512', 'avx2', 'generic']).toContain(o.cpu.isa);
    expect(o.cpu.threads).toBeGreaterThan(0);
    expect(o.backends.cpu).toBe(true);
    expect(typeof o.backends.cuda.built).toBe('boolean');
    expect(typeof o.backends.cuda.loadable).toBe('boolean');
    expect(typeof o.backends.cuda.reason).toBe('string');
    expect(o.backends.cuda.reason.length).toBeGreaterThan(0);
    expect(Array.isArray(o.backends.cuda.devices)).toBe(true);
    expect(typeof o.addon.path).toBe('string');
  });

  it('doctor prints a readable report', () => {
    const r = cli(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backend cpu\s+yes/);
    expect(r.stdout).toMatch(/backend cuda\s+(yes|no) \(/);
  });

  it('unknown flags, missing values and unknown commands exit 2 with a message', () => {
    let r = cli(['doctor', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('regurgitate doctor: unknown flag --bogus (known: --json)');
    expect(r.stderr).toContain("see 'regurgitate doctor --help'");
    r = cli(['bench', 'gemm', '--sizes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sizes needs a value');
    r = cli(['bench', 'gemm', '--sizes', '12,abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--sizes expects a comma-separated list of integers in [1, 16384], e.g. 256,512 (got '12,abc')");
    r = cli(['bench', 'train', '--steps', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--steps expects an integer in [1, 1000000] (got '0')");
    r = cli(['bench', 'fft']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown benchmark 'fft' (choose gemm or train)");
    r = cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    r = cli(['--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --frobnicate');
    r = cli(['demo', '--synthetic', '--quick', 'extra']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unexpected argument 'extra'");
  });

  it('bench gemm --json prints one line per size', () => {
    const r = cli(['bench', 'gemm', '--sizes', '32,64', '--iters', '2', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.m)).toEqual([32, 64]);
    for (const l of lines) {
      expect(l.op).toBe('gemm');
      expect(l.n).toBe(l.m);
      expect(l.k).toBe(l.m);
      expect(l.gflops).toBeGreaterThan(0);
      expect(typeof l.isa).toBe('string');
    }
  });

  it('bench train --json reports throughput', () => {
    const r = cli(['bench', 'train', '--steps', '1', '--warmup', '1', '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim());
    expect(o.op).toBe('train');
    expect(o.tokens_per_step).toBe(256 * 64);
    expect(o.tokens_per_s).toBeGreaterThan(0);
    expect(o.step_s).toBeGreaterThan(0);
    expect(Number.isFinite(o.loss_last)).toBe(true);
  });

  it('demo --synthetic --quick trains, evaluates and writes demo.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-demo-'));
    try {
      const r = cli(['demo', '--synthetic', '--quick', '--steps', '30', '--out', dir, '--json'], 300_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('step 30/30');
      const o = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
      expect(o.task).toBe('reverse');
      expect(o.train.result.steps).toBe(30);
      expect(o.eval.pairs).toBe(200);
      expect(o.eval.tokenAccuracy).toBeGreaterThanOrEqual(0);
      expect(o.eval.tokenAccuracy).toBeLessThanOrEqual(1);
      expect(JSON.parse(r.stdout.trim()).eval).toEqual(o.eval);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
