// What produced a result: the package, Node, the native addon build and the sacreBLEU
// version the metrics reproduce. Recorded with the experiment and with every run.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { SACREBLEU_VERSION } from '../../metrics/helpers.js';
import { packageVersion, tryNative } from '../../native/load.js';

export interface Versions {
  regurgitate: string;
  node: string;
  /** The addon build: ISA, compiler and the first 16 hex digits of the .node file's SHA-256; null when it does not load. */
  addon: string | null;
  sacrebleu: string;
}

let cached: Versions | undefined;

function addonVersion(): string | null {
  const t = tryNative();
  if (!t.addon) return null;
  const info = t.addon.systemInfo();
  let digest = '?';
  try {
    digest = createHash('sha256').update(readFileSync(t.path)).digest('hex').slice(0, 16);
  } catch {
    // a prebuild loaded from somewhere unreadable: ISA and compiler still say a lot
  }
  return `${info.isa}; ${info.compiler}; sha256:${digest}`;
}

/** The versions of this process (computed once). */
export function currentVersions(): Versions {
  if (cached) return cached;
  let regurgitate = 'unknown';
  try {
    regurgitate = packageVersion();
  } catch {
    // outside the package tree
  }
  cached = { regurgitate, node: process.version, addon: addonVersion(), sacrebleu: SACREBLEU_VERSION };
  return cached;
}
