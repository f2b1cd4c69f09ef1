// Output folders checked before any work: checkWritableDir / checkWritableFile make the
// folder and probe it with a small atomic write, so that a command whose output cannot be
// written fails at once with a message naming the path, not after hours of work.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { writeFileAtomic } from './atomic.js';
import { fsReason, isDir, makeDirs } from './dirs.js';
import { RegurgitateError } from './errors.js';

/**
 * Makes `dir` (and its parents) and checks that files can be written in it, by writing,
 * syncing, renaming and removing a small hidden file. Throws RegurgitateError EIO
 * `cannot write to [LABEL ]DIR: cannot create the folder: REASON` (or `cannot create
 * files in it: REASON`); `label` names the flag, e.g. '--out'. Returns the absolute path.
 */
export function checkWritableDir(dir: string, label?: string): string {
  return probeDir(resolve(dir), `${label ? `${label} ` : ''}${resolve(dir)}`, 'it');
}

function probeDir(abs: string, what: string, it: string): string {
  const fail = (stage: string, e: unknown): never => {
    throw new RegurgitateError('EIO', `cannot write to ${what}: ${stage}: ${fsReason(e)}`, { cause: e });
  };
  try {
    makeDirs(abs);
  } catch (e) {
    fail(it === 'it' ? 'cannot create the folder' : `cannot create its folder ${abs}`, e);
  }
  const probe = join(abs, `.regurgitate-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    writeFileAtomic(probe, 'probe\n');
  } catch (e) {
    fail(`cannot create files in ${it}`, (e as { cause?: unknown }).cause ?? e);
  } finally {
    rmSync(probe, { force: true });
  }
  return abs;
}

/**
 * Checks that `file` can be written: its folder is made and probed (checkWritableDir),
 * and the file itself is not a directory. Returns the absolute path.
 */
export function checkWritableFile(file: string, label?: string): string {
  const abs = resolve(file);
  const what = `${label ? `${label} ` : ''}${abs}`;
  if (isDir(abs)) throw new RegurgitateError('EIO', `cannot write to ${what}: it is a directory, not a file`);
  probeDir(dirname(abs), what, dirname(abs));
  return abs;
}
