// Headless Chromium, found on the machine, renders the figures to PNG. It is optional:
// without it the report simply has no PNGs (Debian package: chromium).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { findOnPath, isExecutable } from '../common/which.js';

export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;

/**
 * The Chromium binary: $REGURGITATE_CHROMIUM when set (a path, or a name looked up on
 * PATH), else chromium, chromium-browser or google-chrome on PATH; null when none is found.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const forced = env.REGURGITATE_CHROMIUM;
  if (forced) return forced.includes('/') ? (isExecutable(forced) ? forced : null) : findOnPath(forced, env);
  for (const name of CHROMIUM_NAMES) {
    const p = findOnPath(name, env);
    if (p) return p;
  }
  return null;
}

export interface ChromiumOptions {
  timeoutMs?: number;
}

/**
 * Runs headless Chromium with `args` and a throwaway profile (so runs never share or lock
 * one); resolves with stdout. --no-sandbox because CI and containers run as root.
 */
export async function runChromium(binary: string, args: string[], opts: ChromiumOptions = {}): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'regurgitate-chromium-'));
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', `--user-data-dir=${profile}`];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(binary, [...base, ...args], { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${binary} failed: ${err.message}${stderr ? `\n${String(stderr).slice(-2000)}` : ''}`));
        else resolve(String(stdout));
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Screenshot of a local HTML file at width x height CSS pixels (times `scale` device pixels). */
export async function screenshot(binary: string, htmlPath: string, pngPath: string, width: number, height: number, opts: ChromiumOptions & { scale?: number } = {}): Promise<void> {
  await runChromium(
    binary,
    [`--screenshot=${pngPath}`, `--window-size=${width},${height}`, `--force-device-scale-factor=${opts.scale ?? 1}`, pathToFileURL(htmlPath).href],
    opts,
  );
}
