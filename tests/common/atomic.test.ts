// The one atomic writer: a reader, a failure or a kill never leaves half a file.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { writeFileAtomic } from '../../ts/src/common/atomic.js';
import { RegurgitateError } from '../../ts/src/common/errors.js';
import { ensureBuilt, ROOT } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'rg-atomic-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates the folder, writes the bytes and leaves no temporary file', () => {
    const path = join(tmp, 'a', 'b', 'file.txt');
    writeFileAtomic(path, 'héllo\n');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(join(tmp, 'a', 'b'))).toEqual(['file.txt']);
  });

  it('on failure removes its temporary file, leaves the target alone and says which file', () => {
    const target = join(tmp, 'is-a-dir');
    mkdirSync(join(target, 'inside'), { recursive: true });
    let err: unknown;
    try {
      writeFileAtomic(target, 'data');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegurgitateError);
    expect(err).toMatchObject({ code: 'EIO', message: expect.stringContaining(`cannot write ${target}`) });
    expect(readdirSync(target)).toEqual(['inside']);
    expect(readdirSync(tmp).filter((n) => n.startsWith('.is-a-dir'))).toEqual([]);
  });

  it('a writer killed (SIGKILL) mid-way leaves the old file or a whole new one, never a part', async () => {
    ensureBuilt();
    const path = join(tmp, 'killed.txt');
    const old = 'old\n'.repeat(1000);
    writeFileSync(path, old);
    const mod = pathToFileURL(join(ROOT, 'dist', 'common', 'atomic.js')).href;
    // The child rewrites the file with 8 MiB versions as fast as it can until killed.
    const code = `const { writeFileAtomic } = await import(${JSON.stringify(mod)});
      for (let i = 0; ; i++) { writeFileAtomic(${JSON.stringify(path)}, String(i % 10).repeat(8 << 20)); if (i === 0) process.stdout.write('go\\n'); }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const got = readFileSync(path, 'utf8');
    expect(got.length).toBe(8 << 20);
    expect(new Set(got).size).toBe(1);
  });
});
