// Loads the native addon (build/Release/regurgitate.node or a prebuild) once, lazily.
// Like sharp's loader, every failed attempt is collected and the thrown error says what
// was tried and the one command that fixes it.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RegurgitateError } from '../common/errors.js';
import type { NativeAddon } from './types.js';

const require = createRequire(import.meta.url);

let root: string | undefined;

/**
 * The package root: the nearest directory above this file whose package.json is named
 * "regurgitate" (works from dist/native/ and from ts/src/native/ under vitest).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'regurgitate') return (root = dir);
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new RegurgitateError('ENOADDON', `cannot find the regurgitate package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The package version from package.json. */
export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}

/** What was tried and why it failed (kept for `regurgitate doctor`). */
export interface LoadAttempt {
  path: string;
  error: string;
}

interface Loaded {
  addon: NativeAddon;
  path: string;
}

let cached: Loaded | undefined;
let cachedError: RegurgitateError | undefined;

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

function fixFor(attempts: LoadAttempt[]): string {
  const text = attempts.map((a) => a.error).join('\n');
  if (/GLIBC|GLIBCXX|CXXABI/.test(text))
    return 'the addon was built against a newer C/C++ runtime than this machine has: rebuild it here with `npm rebuild regurgitate` (needs g++, make, python3)';
  if (/NODE_MODULE_VERSION|napi/i.test(text) && /version/i.test(text))
    return 'the addon was built for another Node.js: rebuild it with `npm rebuild regurgitate` (needs g++, make, python3)';
  if (/undefined symbol/.test(text))
    return 'the addon is incomplete or stale (undefined symbol): rebuild it with `npm rebuild regurgitate` (needs g++, make, python3)';
  if (/Illegal instruction|invalid ELF|wrong ELF class/.test(text))
    return 'the addon was built for another CPU or platform: rebuild it here with `npm rebuild regurgitate` (needs g++, make, python3)';
  return 'native addon not built: run `npm rebuild regurgitate` (needs g++, make, python3; in a checkout: `bash scripts/setup.sh`)';
}

function load(): Loaded {
  const attempts: LoadAttempt[] = [];
  let base: string;
  try {
    base = packageRoot();
  } catch (e) {
    throw new RegurgitateError('ENOADDON', message(e));
  }
  // 1. An explicit override, for experiments with custom builds.
  const override = process.env.REGURGITATE_ADDON;
  if (override) {
    try {
      return { addon: require(override) as NativeAddon, path: override };
    } catch (e) {
      attempts.push({ path: override, error: message(e) });
    }
  }
  // 2. Local builds by exact name (node-gyp-build alone would take the first *.node in
  //    build/Release, which may be the separate CUDA module).
  for (const kind of ['Release', 'Debug']) {
    const path = join(base, 'build', kind, 'regurgitate.node');
    if (!existsSync(path)) {
      attempts.push({ path, error: 'not found' });
      continue;
    }
    try {
      return { addon: require(path) as NativeAddon, path };
    } catch (e) {
      attempts.push({ path, error: message(e) });
    }
  }
  // 3. Prebuilds (prebuilds/<platform>-<arch>/*.node) through node-gyp-build.
  try {
    const ngb = require('node-gyp-build') as { resolve?: (dir: string) => string; path?: (dir: string) => string };
    const resolve = ngb.resolve ?? ngb.path;
    if (resolve) {
      const path = resolve(base);
      if (!/cuda/i.test(path) && !attempts.some((a) => a.path === path)) {
        try {
          return { addon: require(path) as NativeAddon, path };
        } catch (e) {
          attempts.push({ path, error: message(e) });
        }
      }
    }
  } catch (e) {
    attempts.push({ path: join(base, 'prebuilds', `${process.platform}-${process.arch}`), error: message(e) });
  }
  const lines = attempts.map((a) => `  - ${a.path}: ${a.error}`).join('\n');
  const err = new RegurgitateError(
    'ENOADDON',
    `could not load the regurgitate native addon (${process.platform}-${process.arch}, node ${process.version}).\n` +
      `Tried:\n${lines}\nFix: ${fixFor(attempts)}`,
  );
  (err as RegurgitateError & { attempts: LoadAttempt[] }).attempts = attempts;
  throw err;
}

/** The native addon; loads it on first use and throws one actionable error if it can't. */
export function native(): NativeAddon {
  if (cached) return cached.addon;
  if (cachedError) throw cachedError;
  try {
    cached = load();
    return cached.addon;
  } catch (e) {
    cachedError = e instanceof RegurgitateError ? e : new RegurgitateError('ENOADDON', message(e));
    throw cachedError;
  }
}

/** The addon, or undefined (with the reason in `error`) when it cannot be loaded. */
export function tryNative(): { addon: NativeAddon; path: string; error?: undefined } | { addon?: undefined; path?: undefined; error: RegurgitateError } {
  try {
    native();
    return { addon: cached!.addon, path: cached!.path };
  } catch (e) {
    return { error: e as RegurgitateError };
  }
}

/**
 * A named export of the addon, with an actionable error when this build lacks it (an
 * addon built from older sources than the TypeScript layer).
 */
export function nativeExport<K extends keyof NativeAddon>(name: K): NativeAddon[K] {
  const addon = native();
  const v = addon[name];
  if (v === undefined || v === null) {
    throw new RegurgitateError(
      'ENOADDON',
      `the native addon at ${cached?.path ?? '?'} has no '${String(name)}' (built from sources that predate it): rebuild it with \`npm rebuild regurgitate\``,
    );
  }
  return v;
}
