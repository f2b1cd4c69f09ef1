// Creating folders safely. makeDirs is `mkdir -p` that always ends. Node's own
// `mkdirSync(p, { recursive: true })` (and fs.promises.mkdir) loops forever, at full CPU and with the event loop blocked, on
// a path whose parent exists but refuses new entries with ENOENT, as /proc does
// (`mkdir /proc/d` is ENOENT although /proc exists): it climbs to the parent, finds it,
// retries the child, gets ENOENT again, and so on. Here each level is tried once.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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

/** Whether `p` is a directory (false when it cannot be read). */
export function isDir(p: string): boolean {
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
