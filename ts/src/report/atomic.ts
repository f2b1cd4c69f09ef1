// Atomic file writes (the project's rule): write a temporary file in the same directory,
// flush it, then rename over the target, so a reader or a crash never sees half a file.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RegurgitateError } from '../engine/errors.js';

/** A temporary name next to `path`, hidden and unique: DIR/.NAME.PID.RANDOM.tmp */
export function tempPathFor(path: string, ext = '.tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${ext}`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new RegurgitateError('EIO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
