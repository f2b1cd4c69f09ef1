// Atomic file writes (the project's rule): write a temporary file in the same directory,
// fsync it, then rename it over the target, so a reader or a crash never sees half a
// file. The one writer every folder uses.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { RegurgitateError } from './errors.js';
import { fsReason, makeDirs } from './dirs.js';

/** A temporary name next to `path`, hidden and unique: DIR/.NAME.PID.RANDOM.tmp */
export function tempPathFor(path: string, ext = '.tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${ext}`);
}

/** Writes `data` to `path` atomically (creating its folder); EIO naming the path on failure. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  let tmp: string | null = null;
  try {
    makeDirs(dirname(path));
    tmp = tempPathFor(path);
    const fd = openSync(tmp, 'wx');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    tmp = null;
  } catch (e) {
    if (tmp !== null) rmSync(tmp, { force: true });
    throw new RegurgitateError('EIO', `cannot write ${path}: ${fsReason(e)}`, { cause: e });
  }
}
