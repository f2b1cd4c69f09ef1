// Deterministic splits of a corpus into named, disjoint parts, written as Moses-style
// files DIR/<part>.<lang> plus DIR/meta.json.
//
// The cleaned corpus (N pairs) is shuffled once by the seed: a Fisher-Yates
// permutation (i from N-1 down to 1, j = floor(r * (i + 1)), r from mulberry32(seed)).
// Parts take consecutive runs of that permutation in the order they are listed, a
// 'rest' part (at most one) last; so every part is a uniformly random subset, parts
// never overlap, and each part's file is in shuffled order, so that its first k lines
// are themselves a random sample (learning curves can take prefixes). Pairs not in any
// part are left out and counted as `unused`.
//
// Memory: the cleaned text goes to a temporary file in DIR, with one offset per line;
// the parts are then gathered from it. Every output file is written under a temporary
// name in DIR and renamed when complete; meta.json comes last.
import { createHash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, invalid, RegurgitateError } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import { checkWritableDir } from '../common/writable.js';
import { Cleaner, type CleanOptions, type CleanReport } from './clean.js';

export type PartSize = number | 'rest';

export interface PartSpec {
  name: string;
  /** A count (integer >= 0), a fraction of the corpus (0 < x < 1, rounded down), or 'rest'. */
  size: PartSize;
}

export interface FileInfo {
  file: string;
  bytes: number;
  sha256: string;
}

export interface CorpusMeta {
  format: 'regurgitate-corpus';
  version: 1;
  tool: string;
  /** What the pairs came from (kind, files or modules, licence...). */
  source: Record<string, unknown>;
  langs: { src: string; tgt: string };
  seed: number;
  /** Pairs after cleaning (the N that was split). */
  total: number;
  /** Cleaned pairs left out of every part. */
  unused: number;
  parts: Record<string, { count: number; requested: PartSize; files: Record<string, FileInfo> }>;
  clean: CleanReport;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Checks part names and sizes; accepts {name: size} (in insertion order) or a list. */
export function normalizeParts(parts: Record<string, PartSize> | readonly PartSpec[]): PartSpec[] {
  const list: PartSpec[] = Array.isArray(parts)
    ? parts.map((p) => ({ name: p.name, size: p.size }))
    : Object.entries(parts as Record<string, PartSize>).map(([name, size]) => ({ name, size }));
  if (list.length === 0) throw invalid('parts: give at least one part, e.g. {train: "rest", dev: 1000, test: 2000}');
  const seen = new Set<string>();
  let rest = 0;
  for (const p of list) {
    if (typeof p.name !== 'string' || !NAME.test(p.name))
      throw invalid(`part name ${describe(p.name)} is not allowed: use letters, digits, '_' and '-', starting with a letter or digit`);
    if (p.name === 'meta') throw invalid("part name 'meta' is reserved (meta.json)");
    if (seen.has(p.name)) throw invalid(`part '${p.name}' is listed twice`);
    seen.add(p.name);
    if (p.size === 'rest') rest++;
    else if (typeof p.size !== 'number' || !Number.isFinite(p.size) || p.size < 0 || (!Number.isInteger(p.size) && p.size > 1) || !Number.isSafeInteger(Math.floor(p.size)))
      throw invalid(`part '${p.name}': size must be a count (integer >= 0), a fraction in (0, 1), or 'rest' (got ${describe(p.size)})`);
  }
  if (rest > 1) throw invalid("parts: at most one part can be 'rest'");
  return list;
}

/** Parses `train=rest,dev=1000,test=0.1` (a count, a fraction with a decimal point, or rest). */
export function parsePartsText(text: string): PartSpec[] {
  const out: PartSpec[] = [];
  for (const item of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m) throw invalid(`parts: '${item}' is not NAME=SIZE (e.g. poolA=10000, dev=0.05, train=rest)`);
    const [, name, v] = m;
    let size: PartSize;
    if (v === 'rest') size = 'rest';
    else if (/^\d+$/.test(v)) size = Number(v);
    else if (/^0?\.\d*[1-9]\d*$/.test(v)) size = Number(v);
    else throw invalid(`parts: size '${v}' of '${name}' must be a count (1000), a fraction below 1 (0.1) or rest`);
    out.push({ name, size });
  }
  return normalizeParts(out);
}

/** Resolves sizes to counts for a corpus of `total` pairs; throws if they do not fit. */
export function resolveParts(parts: readonly PartSpec[], total: number): { name: string; count: number; requested: PartSize }[] {
  const fixed = parts.map((p) => (p.size === 'rest' ? 0 : Number.isInteger(p.size) ? p.size : Math.floor(p.size * total)));
  const sum = fixed.reduce((a, b) => a + b, 0);
  if (sum > total) {
    const terms = parts.map((p, i) => (p.size === 'rest' ? '' : `${p.name} ${fixed[i]}`)).filter(Boolean).join(' + ');
    throw invalid(`the parts need ${sum} pairs (${terms}) but the corpus has only ${total} after cleaning`);
  }
  return parts.map((p, i) => ({ name: p.name, count: p.size === 'rest' ? total - sum : fixed[i], requested: p.size }));
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const r = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Index lists (into the cleaned corpus, in file order of each part) for every part.
 * Parts are taken from the permutation in order, 'rest' last.
 */
export function assignParts(total: number, parts: readonly PartSpec[], seed: number): { name: string; count: number; requested: PartSize; indices: Uint32Array }[] {
  const resolved = resolveParts(parts, total);
  const perm = permutation(total, seed);
  const order = [...resolved.filter((p) => p.requested !== 'rest'), ...resolved.filter((p) => p.requested === 'rest')];
  const out = new Map<string, Uint32Array>();
  let at = 0;
  for (const p of order) {
    out.set(p.name, perm.slice(at, at + p.count));
    at += p.count;
  }
  return resolved.map((p) => ({ ...p, indices: out.get(p.name) as Uint32Array }));
}

/** Buffered writes to a file handle, hashing what is written. */
class HashedWriter {
  private parts: Buffer[] = [];
  private pending = 0;
  bytes = 0;
  private readonly h = createHash('sha256');
  constructor(private readonly fh: FileHandle) {}

  async write(b: Buffer): Promise<void> {
    this.parts.push(b);
    this.pending += b.length;
    if (this.pending >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const b = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    this.h.update(b);
    this.bytes += b.length;
    let off = 0;
    while (off < b.length) off += (await this.fh.write(b, off, b.length - off)).bytesWritten;
  }

  digest(): string {
    return this.h.digest('hex');
  }
}

/** Offsets (in bytes) of line starts, growable. */
class Offsets {
  a = new Float64Array(1024);
  n = 1; // a[0] = 0
  push(end: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = end;
  }
}

const READ_CHUNK = 4 << 20;

async function readFully(fh: FileHandle, buf: Buffer, at: number, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, at + done, len - done, pos + done);
    if (bytesRead === 0) throw new RegurgitateError('EIO', 'the temporary corpus file is shorter than what was written to it');
    done += bytesRead;
  }
}

/**
 * Writes lines `indices` (in that order) of the temporary file `fh` (line i spans bytes
 * off[i] .. off[i+1]) to `w`. With `whole` (the file in memory) it copies; otherwise
 * it works in windows of at most `budget` bytes of output: each window's lines are
 * collected by one sequential sweep over the file (in large reads), then written.
 */
async function gather(fh: FileHandle, off: Float64Array, indices: Uint32Array, budget: number, w: HashedWriter, whole: Buffer | undefined): Promise<void> {
  if (whole) {
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      await w.write(whole.subarray(off[i], off[i + 1]));
    }
    return;
  }
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  let start = 0;
  while (start < indices.length) {
    let end = start;
    let bytes = 0;
    while (end < indices.length) {
      const i = indices[end];
      const len = off[i + 1] - off[i];
      if (end > start && bytes + len > budget) break;
      bytes += len;
      end++;
    }
    const m = end - start;
    const outBuf = Buffer.allocUnsafe(bytes);
    const slot = new Float64Array(m);
    for (let k = 0, at = 0; k < m; k++) {
      slot[k] = at;
      const i = indices[start + k];
      at += off[i + 1] - off[i];
    }
    const order = Array.from({ length: m }, (_, k) => k).sort((x, y) => indices[start + x] - indices[start + y]);
    let cFrom = 0;
    let cTo = 0; // chunk holds file bytes [cFrom, cTo)
    for (const k of order) {
      const i = indices[start + k];
      const from = off[i];
      const to = off[i + 1];
      if (to - from > READ_CHUNK) {
        await readFully(fh, outBuf, slot[k], to - from, from);
        continue;
      }
      if (from < cFrom || to > cTo) {
        const fileEnd = off[off.length - 1];
        cFrom = from;
        cTo = Math.min(fileEnd, from + READ_CHUNK);
        await readFully(fh, chunk, 0, cTo - cFrom, cFrom);
      }
      chunk.copy(outBuf, slot[k], from - cFrom, to - cFrom);
    }
    await w.write(outBuf);
    start = end;
  }
}

export interface WriteSplitsOptions {
  /** Output directory (created if missing). */
  out: string;
  /** Language codes of source and target: the file extensions. */
  langs: readonly [string, string];
  parts: Record<string, PartSize> | readonly PartSpec[];
  seed: number;
  clean?: CleanOptions;
  /** Description of where the pairs came from, stored in meta.json. */
  source: Record<string, unknown>;
  /** Version string stored in meta.json (default 'regurgitate'). */
  tool?: string;
  /**
   * Memory for gathering parts (default 256 MiB, at least 1 MiB): a cleaned side up to
   * this size is read into memory whole; a larger one is gathered in windows of this size.
   */
  inMemoryBytes?: number;
  /** Stops the work: the call rejects with ECANCELED and removes its temporary files. */
  signal?: AbortSignal;
}

function checkStop(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RegurgitateError('ECANCELED', 'corpus preparation stopped; nothing was written under a real name');
}

function checkLang(l: unknown, what: string): string {
  if (typeof l !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(l))
    throw invalid(`${what} language ${describe(l)} is not a valid code (letters, digits, '_' or '-'), e.g. 'es'`);
  return l;
}

/**
 * Cleans a stream of pairs and writes its parts and meta.json to `out`. Returns the
 * meta. Nothing is left under a real name unless the whole run succeeded.
 */
export async function writeSplits(pairs: AsyncIterable<{ src: string; tgt: string }>, o: WriteSplitsOptions): Promise<CorpusMeta> {
  const [sl, tl] = [checkLang(o.langs[0], 'source'), checkLang(o.langs[1], 'target')];
  if (sl === tl) throw invalid(`source and target languages are both '${sl}': the part files would collide`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw invalid(`seed must be an integer in [0, 4294967295] (got ${describe(o.seed)})`);
  const parts = normalizeParts(o.parts);
  checkStop(o.signal);
  const cleaner = new Cleaner(o.clean);
  checkWritableDir(o.out);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const tmpSrc = join(o.out, `.clean-${tag}.${sl}`);
  const tmpTgt = join(o.out, `.clean-${tag}.${tl}`);
  const temps: string[] = [tmpSrc, tmpTgt];
  const fhs: FileHandle[] = [];
  try {
    // Pass 1: clean into the temporary files.
    const fs = await open(tmpSrc, 'w+');
    fhs.push(fs);
    const ft = await open(tmpTgt, 'w+');
    fhs.push(ft);
    const ws = new HashedWriter(fs);
    const wt = new HashedWriter(ft);
    const os = new Offsets();
    const ot = new Offsets();
    let bs = 0;
    let bt = 0;
    let n = 0;
    for await (const p of pairs) {
      if ((++n & 1023) === 0) checkStop(o.signal);
      const c = cleaner.add(p.src, p.tgt);
      if (!c) continue;
      const a = Buffer.from(c.src + '\n');
      const b = Buffer.from(c.tgt + '\n');
      bs += a.length;
      bt += b.length;
      os.push(bs);
      ot.push(bt);
      await ws.write(a);
      await wt.write(b);
    }
    await ws.flush();
    await wt.flush();
    checkStop(o.signal);
    const report = cleaner.report();
    const total = report.kept;
    if (total === 0) {
      const d = report.dropped;
      throw new RegurgitateError(
        'EFORMAT',
        `no pairs left after cleaning: ${report.input} read, dropped ${d.emptySource} with an empty source, ${d.emptyTarget} with an empty target, ${d.tooShort} too short, ${d.tooLong} too long, ${d.ratio} by length ratio, ${d.duplicate} duplicates`,
      );
    }
    // Pass 2: gather every part from the temporary files.
    const assigned = assignParts(total, parts, o.seed);
    const limit = Math.max(1 << 20, o.inMemoryBytes ?? 256 << 20);
    const sides = [
      { fh: fs, off: os.a.subarray(0, os.n), size: bs },
      { fh: ft, off: ot.a.subarray(0, ot.n), size: bt },
    ];
    const wholes: (Buffer | undefined)[] = [];
    for (const sd of sides) {
      if (sd.size > limit || sd.size === 0) wholes.push(undefined);
      else {
        const b = Buffer.allocUnsafe(sd.size);
        await readFully(sd.fh, b, 0, sd.size, 0);
        wholes.push(b);
      }
    }
    const meta: CorpusMeta = {
      format: 'regurgitate-corpus',
      version: 1,
      tool: o.tool ?? 'regurgitate',
      source: o.source,
      langs: { src: sl, tgt: tl },
      seed: o.seed,
      total,
      unused: total - assigned.reduce((a, p) => a + p.count, 0),
      parts: {},
      clean: report,
    };
    const renames: [string, string][] = [];
    for (const p of assigned) {
      if (p.count === 0) continue;
      const files: Record<string, FileInfo> = {};
      for (const [side, lang] of [sl, tl].entries()) {
        const name = `${p.name}.${lang}`;
        const tmp = join(o.out, `.${name}.tmp-${tag}`);
        temps.push(tmp);
        checkStop(o.signal);
        const fh = await open(tmp, 'w');
        try {
          const w = new HashedWriter(fh);
          await gather(sides[side].fh, sides[side].off, p.indices, limit, w, wholes[side]);
          await w.flush();
          await fh.sync();
          files[lang] = { file: name, bytes: w.bytes, sha256: w.digest() };
        } finally {
          await fh.close();
        }
        renames.push([tmp, join(o.out, name)]);
      }
      meta.parts[p.name] = { count: p.count, requested: p.requested, files };
    }
    checkStop(o.signal);
    for (const [from, to] of renames) await rename(from, to);
    writeFileAtomic(join(o.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    return meta;
  } finally {
    for (const fh of fhs) await fh.close().catch(() => undefined);
    for (const t of temps) await rm(t, { force: true }).catch(() => undefined);
  }
}

