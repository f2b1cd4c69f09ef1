// The Apertium rule-based MT system (Debian: apertium + e.g. apertium-eng-spa, mode
// spa-eng), run as a subprocess over chunks of lines. Apertium keeps one output line per
// input line in practice; the line count is checked, and a chunk that breaks it is split
// in halves down to single lines, so alignment can never slip.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RegurgitateError } from '../common/errors.js';
import type { Generated, GenerateOptions, Generator } from './types.js';

export interface ApertiumOptions {
  name?: string;
  /** Apertium mode, e.g. 'spa-eng' (see `apertium -l`). */
  mode: string;
  /** The apertium executable (default 'apertium' on PATH). */
  command?: string;
  /** Lines per subprocess call (default 1000). */
  chunk?: number;
}

/** Debian package holding a mode's language data (apertium-eng-spa holds spa-eng and eng-spa). */
export function apertiumPackage(mode: string): string {
  const [a, b] = mode.split('-');
  return `apertium-${[a, b].sort().join('-')}`;
}

/** Installed modes, or an error message that says what to install. */
export function apertiumModes(command = 'apertium'): { modes: string[]; version: string } | { error: string } {
  const r = spawnSync(command, ['-l'], { encoding: 'utf8' });
  if (r.error) return { error: `${command} is not installed (Debian: apt-get install apertium apertium-eng-spa)` };
  const modes = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const v = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'apertium'], { encoding: 'utf8' });
  return { modes, version: v.status === 0 ? v.stdout.trim() : 'unknown' };
}

export class ApertiumGenerator implements Generator {
  readonly name: string;
  readonly kind = 'apertium';
  readonly #mode: string;
  readonly #cmd: string;
  readonly #chunk: number;
  readonly #version: string;
  readonly #pkgVersion: string;

  constructor(o: ApertiumOptions) {
    if (typeof o?.mode !== 'string' || !/^[a-z]{2,3}(_[A-Za-z]+)?-[a-z]{2,3}(_[A-Za-z]+)?$/.test(o.mode))
      throw new RegurgitateError('EINVAL', `apertium.mode must be a mode like 'spa-eng' (got ${JSON.stringify(o?.mode)})`);
    this.name = o.name ?? 'apertium';
    this.#mode = o.mode;
    this.#cmd = o.command ?? 'apertium';
    this.#chunk = o.chunk ?? 1000;
    const m = apertiumModes(this.#cmd);
    if ('error' in m) throw new RegurgitateError('ENOENT', `apertium: ${m.error}`);
    if (!m.modes.includes(o.mode))
      throw new RegurgitateError('ENOENT', `apertium: mode '${o.mode}' is not installed (installed: ${m.modes.join(', ') || 'none'}); Debian: apt-get install ${apertiumPackage(o.mode)}`);
    this.#version = m.version;
    const p = spawnSync('dpkg-query', ['-W', '-f=${Version}', apertiumPackage(o.mode)], { encoding: 'utf8' });
    this.#pkgVersion = p.status === 0 ? p.stdout.trim() : 'unknown';
  }

  identity(): Record<string, unknown> {
    return { kind: this.kind, mode: this.#mode, apertium: this.#version, data: `${apertiumPackage(this.#mode)} ${this.#pkgVersion}` };
  }

  async generate(sources: readonly string[], o: GenerateOptions = {}): Promise<Generated[]> {
    const out: Generated[] = [];
    for (let at = 0; at < sources.length; at += this.#chunk) {
      if (o.signal?.aborted) throw new RegurgitateError('ECANCELED', 'apertium: cancelled');
      const part = sources.slice(at, at + this.#chunk).map((s) => s.replace(/\s+/g, ' ').trim());
      for (const t of await this.#aligned(part, o.signal)) out.push({ text: t });
      o.onProgress?.(out.length, sources.length);
    }
    return out;
  }

  async close(): Promise<void> {}

  async #aligned(lines: string[], signal?: AbortSignal): Promise<string[]> {
    if (lines.length === 0) return [];
    const got = await this.#run(lines.join('\n') + '\n', signal);
    const outLines = got.replace(/\n$/, '').split('\n');
    if (outLines.length === lines.length) return outLines.map((s) => s.trim());
    if (lines.length === 1) return [outLines.join(' ').replace(/\s+/g, ' ').trim()];
    const mid = lines.length >> 1;
    return [...(await this.#aligned(lines.slice(0, mid), signal)), ...(await this.#aligned(lines.slice(mid), signal))];
  }

  // Input and output go through temporary files: the apertium script reads /dev/stdin,
  // which fails on the socket pairs Node uses for child stdio.
  async #run(input: string, signal?: AbortSignal): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'rg-apertium-'));
    const inFile = join(dir, 'in.txt');
    const outFile = join(dir, 'out.txt');
    writeFileSync(inFile, input);
    try {
      await new Promise<void>((resolve, reject) => {
        // -u: no '*' marks on unknown words (they would count against BLEU unfairly).
        const p = spawn(this.#cmd, ['-u', '-f', 'txt', this.#mode, inFile, outFile], { stdio: ['ignore', 'ignore', 'pipe'], signal });
        let errText = '';
        p.stderr.on('data', (d: Buffer) => {
          errText += d.toString();
        });
        p.on('error', (e) => reject(signal?.aborted ? new RegurgitateError('ECANCELED', 'apertium: cancelled') : new RegurgitateError('EIO', `apertium: ${e.message}`)));
        p.on('close', (code) => {
          if (code !== 0) reject(new RegurgitateError('EIO', `apertium ${this.#mode} exited with status ${code}: ${errText.trim().slice(0, 500)}`));
          else resolve();
        });
      });
      return readFileSync(outFile, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
