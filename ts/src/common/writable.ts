// Output folders: created safely and checked before any work.
//
// makeDirs is `mkdir -p` that always ends. Node's own `mkdirSync(p, { recursive: true })`
// (and fs.promises.mkdir) loops forever, at full CPU and with the event loop blocked, on
// a path whose parent exists but refuses new entries with ENOENT, as /proc does
// (`mkdir /proc/d` is ENOENT although /proc exists): it climbs to the parent, finds it,
// retries the child, gets ENOENT again, and so on. Here each level is tried once.
//
// checkWritableDir / checkWritableFile make the folder and probe it with a small atomic
// write (temporary file, fsync, rename, remove), so that a command whose output cannot
// be written fails at once with a message naming the path, not after hours of work.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { RegurgitateError } from './errors.js';

function errnoOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** A short reason for a failed file-system call: `no such file or directory (ENOENT)`. */
export function fsReason(e: unknown): string {
  const code = errnoOf(e);
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EEXIST: 'exists and is not a directory',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links',
    EISDIR: 'is a directory',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `mkdir -p path`: creates the folder and its missing parents. Throws the file-system
 * error (with its code) of the level that failed; never loops (see the file comment).
 */
export function makeDirs(path: string): void {
  const abs = resolve(path);
  try {
    mkdirSync(abs);
    return;
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'EEXIST') {
      if (isDir(abs)) return;
      throw Object.assign(new Error(`${abs} exists and is not a directory`), { code: 'ENOTDIR', path: abs });
    }
    if (code !== 'ENOENT') throw e;
    const parent = dirname(abs);
    if (parent === abs || isDir(parent)) throw e; // the parent is there: ENOENT is this folder's own answer
    makeDirs(parent);
  }
  // The parents exist now: one more try, whose error is final.
  try {
    mkdirSync(abs);
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST' || !isDir(abs)) throw e;
  }
}

/** makeDirs whose failure is a RegurgitateError (EIO) naming the folder. */
export function makeDirsOrThrow(path: string, what = 'cannot create'): void {
  try {
    makeDirs(path);
  } catch (e) {
    throw new RegurgitateError('EIO', `${what} ${resolve(path)}: ${fsReason(e)}`, { cause: e });
  }
}

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
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(abs, `.regurgitate-probe.${tag}.tmp`);
  const probe = join(abs, `.regurgitate-probe.${tag}`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, 'probe\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, probe);
  } catch (e) {
    fail(`cannot create files in ${it}`, e);
  } finally {
    rmSync(tmp, { force: true });
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
