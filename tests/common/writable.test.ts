// makeDirs (mkdir -p that always ends) and the output checks every writing command runs first.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import { makeDirs } from '../../ts/src/common/dirs.js';
import { checkWritableDir, checkWritableFile } from '../../ts/src/common/writable.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rg-writable-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('makeDirs', () => {
  it('makes missing parents, accepts an existing folder, refuses a file', () => {
    makeDirs(join(tmp, 'a', 'b', 'c'));
    expect(existsSync(join(tmp, 'a', 'b', 'c'))).toBe(true);
    makeDirs(join(tmp, 'a', 'b'));
    writeFileSync(join(tmp, 'f'), 'x');
    expect(() => makeDirs(join(tmp, 'f'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirs(join(tmp, 'f', 'g'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it.runIf(process.platform === 'linux')('ends with ENOENT under /proc, where a recursive mkdirSync spins forever', () => {
    const t0 = performance.now();
    expect(() => makeDirs('/proc/rg-test/deeper/still')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => makeDirs('/proc/rg-test')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('checkWritableDir / checkWritableFile', () => {
  it('create the folder, probe it, and leave nothing behind', () => {
    const d = join(tmp, 'out', 'run');
    expect(checkWritableDir(d, '--out')).toBe(d);
    expect(readdirSync(d)).toEqual([]);
    expect(checkWritableFile(join(tmp, 'out2', 'x.txt'))).toBe(join(tmp, 'out2', 'x.txt'));
    expect(readdirSync(join(tmp, 'out2'))).toEqual([]);
  });

  it('fail with EIO naming the path, the flag and the reason', () => {
    const file = join(tmp, 'plain');
    writeFileSync(file, 'x');
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as RegurgitateError;
      }
      throw new Error('no error');
    };
    const e1 = err(() => checkWritableDir(join(file, 'sub'), '--out'));
    expect(e1).toBeInstanceOf(RegurgitateError);
    expect(e1.code).toBe('EIO');
    expect(e1.message).toBe(`cannot write to --out ${join(file, 'sub')}: cannot create the folder: a part of the path is a file, not a directory (ENOTDIR)`);
    expect(err(() => checkWritableFile(tmp, '--output')).message).toBe(`cannot write to --output ${tmp}: it is a directory, not a file`);
    if (process.platform === 'linux') {
      expect(err(() => checkWritableDir('/proc/rg-out')).message).toBe('cannot write to /proc/rg-out: cannot create the folder: no such file or directory (ENOENT)');
      expect(err(() => checkWritableFile('/proc/rg-out.txt', '--output')).message).toBe('cannot write to --output /proc/rg-out.txt: cannot create files in /proc: no such file or directory (ENOENT)');
    }
  });
});
