import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

import { native, packageRoot, packageVersion, tryNative } from '../../ts/src/native/load.js';
import { ensureBuilt, ROOT } from '../helpers.js';

describe('native loader', () => {
  it('finds the package root from ts/src', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('loads the addon once and reports the system', () => {
    const a = native();
    expect(native()).toBe(a);
    const t = tryNative();
    expect(t.addon).toBe(a);
    expect(t.path && existsSync(t.path)).toBeTruthy();
    const s = a.systemInfo();
    expect(Array.isArray(s.cpuFeatures)).toBe(true);
    expect(['avx512', 'avx2', 'generic']).toContain(s.isa);
    expect(s.threads).toBeGreaterThan(0);
  });

  it('reports a missing addon with one actionable error', () => {
    // A package copy without build/: the compiled loader must explain and say how to fix.
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'rg-load-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'regurgitate', version: '0.0.0', type: 'module' }));
      for (const f of ['native/load.js', 'common/errors.js']) {
        mkdirSync(dirname(join(dir, 'dist', f)), { recursive: true });
        copyFileSync(join(ROOT, 'dist', f), join(dir, 'dist', f));
      }
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(dir, 'node_modules', 'node-gyp-build'));
      const script = `
        const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'dist/native/load.js')).href)});
        const r = m.tryNative();
        let thrown;
        try { m.native(); } catch (e) { thrown = e; }
        console.log(JSON.stringify({ code: r.error?.code, message: r.error?.message, same: thrown === r.error }));
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, REGURGITATE_ADDON: '' } });
      expect(r.stderr).toBe('');
      const o = JSON.parse(r.stdout);
      expect(o.code).toBe('ENOADDON');
      expect(o.same).toBe(true);
      expect(o.message).toContain('could not load the regurgitate native addon');
      expect(o.message).toContain(join(dir, 'build', 'Release', 'regurgitate.node') + ': not found');
      expect(o.message).toContain('Fix: native addon not built: run `npm rebuild regurgitate` (needs g++, make, python3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
