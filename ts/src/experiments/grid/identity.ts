// What a spec's file paths stand for in settings hashes: the files' contents. A study's
// hashes (the results store, every run's settings, the prepared-data stamp) are computed
// from `identitySpec(spec)`, where each corpus file and a fine-tuning checkpoint is
// replaced by the SHA-256 of its bytes. So a study folder moved or copied to another
// machine (a laptop's study continued on a GPU server) keeps its finished runs, and a
// corpus edited in place is seen as a change. Files are still read through the real spec.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { RegurgitateError } from '../../common/errors.js';
import type { ExperimentSpec } from '../spec/types.js';

const CHUNK = 1 << 22;

/** sha256 of a file's bytes (streamed in 4 MiB chunks), hex. */
export function fileDigest(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new RegurgitateError('ENOENT', `${path}: cannot read it (${(e as Error).message})`, { cause: e });
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** "sha256:<first 32 hex digits> <file name>": the content, plus the name for people reading it. */
function identity(path: string): string {
  return `sha256:${fileDigest(path).slice(0, 32)} ${basename(path)}`;
}

/** The weights file a fine-tuning checkpoint path stands for (as trainRun resolves it). */
function checkpointWeights(dir: string): string | null {
  for (const p of [join(dir, 'model', 'model.safetensors'), join(dir, 'model.safetensors')]) if (existsSync(p) && statSync(p).isFile()) return p;
  return null;
}

/** The spec with file paths replaced by content identities (see the header); bible corpora and scratch/pairs inits are unchanged. */
export function identitySpec(spec: ExperimentSpec): ExperimentSpec {
  const out = structuredClone(spec);
  const c = out.corpus;
  if (c.kind === 'moses') {
    c.srcFile = identity(c.srcFile);
    c.tgtFile = identity(c.tgtFile);
  } else if (c.kind !== 'bible') c.file = identity(c.file);
  const init = out.student.init;
  if (typeof init === 'object' && 'checkpoint' in init.finetune) {
    // A checkpoint that is not there yet keeps its path: the runner reports it when it reads it.
    const w = checkpointWeights(init.finetune.checkpoint);
    if (w) init.finetune.checkpoint = identity(w);
  }
  return out;
}
