// Some suites skip when the addon is absent (so a checkout without a compiler can still run
// the pure TypeScript tests). This one makes sure the skips never hide a broken build:
// the addon must load, with every part of the native surface.
import { describe, expect, it } from 'vitest';
import { HAS_ADDON, HAS_GEMM, HAS_MODEL } from '../helpers.js';
import { addon } from '../helpers/native.js';

describe('the native addon is built and complete', () => {
  it('loads with the model, GEMM and gradcheck entry points', () => {
    expect(HAS_ADDON).toBe(true);
    expect(HAS_MODEL).toBe(true);
    expect(HAS_GEMM).toBe(true);
    expect(addon.gradcheckNames().length).toBeGreaterThan(20);
    expect(addon.systemInfo().cpuFeatures).toBeInstanceOf(Array);
  });
});
