// Runs every native gradient check (native/src/testing/gradcheck.cc) with two seeds.
// Each result carries its own tolerance (FD checks 1e-3, optimized-vs-reference 1e-5 or 0 for
// bitwise ones); we also cap those tolerances here so a check cannot pass by being lax.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const addon = require('node-gyp-build')(process.cwd());

interface Result {
  name: string;
  kernel: string;
  maxRelError: number;
  maxAbsError: number;
  checked: number;
  refMaxRelError?: number;
  tolerance: number;
  refTolerance?: number;
  note?: string;
}

const NEGATIVE = 'selftest_wrong_grad';
const SEEDS = [1, 20240712];
const names: string[] = addon.gradcheckNames();

function run(name: string, seed: number): Result {
  return addon.gradcheck(name, seed) as Result;
}

describe('native gradcheck registry', () => {
  it('lists every kernel family', () => {
    for (const n of [
      'layernorm', 'attention_self_causal', 'attention_self_padding', 'attention_cross',
      'attention_incremental', 'xent', 'xent_inplace', 'embedding', 'relu', 'gelu', 'bias_grad',
      'dropout', 'dropout_rate', 'gemm_nn', 'gemm_nt', 'gemm_tn', 'gemm_tt', 'adamw',
      'layernorm_vs_ref', 'attention_vs_ref', 'xent_vs_ref', 'activation_vs_ref', 'dropout_vs_ref',
      'embedding_vs_ref',
      'adamw_vs_ref',
      'sum_squares', 'determinism', 'determinism_gemm', NEGATIVE,
    ]) {
      expect(names).toContain(n);
    }
  });

  it('rejects an unknown name with EINVAL listing the valid names', () => {
    let err: any;
    try {
      addon.gradcheck('no_such_check', 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EINVAL');
    expect(err.message).toContain('layernorm');
    expect(() => addon.gradcheck(42, 1)).toThrow(/name must be a string/);
  });
});

describe.each(names.filter((n) => n !== NEGATIVE))('%s', (name) => {
  it.each(SEEDS)('seed %i within tolerance', (seed) => {
    const r = run(name, seed);
    const where = `${name} seed ${seed}: ${JSON.stringify(r)}`;
    expect(r.checked, where).toBeGreaterThan(0);
    expect(Number.isFinite(r.maxRelError), where).toBe(true);
    // FD checks must be meaningful: a 1% gradient error gives ~5e-3.
    expect(r.tolerance, where).toBeLessThanOrEqual(name === 'dropout_rate' ? 3e-2 : 1e-3);
    expect(r.maxRelError, where).toBeLessThanOrEqual(r.tolerance);
    if (r.refMaxRelError !== undefined) {
      expect(r.refTolerance!, where).toBeLessThanOrEqual(1e-5);
      expect(r.refMaxRelError, where).toBeLessThanOrEqual(r.refTolerance!);
    }
  });
});

describe('negative control', () => {
  it.each(SEEDS)('an analytic gradient 1%% off fails the threshold (seed %i)', (seed) => {
    const r = run(NEGATIVE, seed);
    expect(r.maxRelError).toBeGreaterThan(r.tolerance);
    expect(r.maxRelError).toBeGreaterThan(2e-3);
    // ...while the same check with the correct gradient passes.
    const ok = run('layernorm', seed);
    expect(ok.maxRelError).toBeLessThanOrEqual(ok.tolerance);
  });
});
