// The results of one experiment folder in SQLite (better-sqlite3; schema in schema.ts,
// migrations in migrations.ts, described in docs/experiments.md). WAL mode, so a status
// query can read while a runner writes; every write is one transaction, so a killed
// process leaves either the whole write or none of it. A run marked running by a process that
// is gone shows as 'interrupted'; runs whose settings changed under a new spec are
// reported (SpecChangedError) instead of being mixed with the new ones.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, normalize, sep } from 'node:path';

import Database from 'better-sqlite3';

import { invalid, RegurgitateError } from '../../common/errors.js';
import { makeDirs } from '../../common/dirs.js';
import type { Cell, CellKind, Factors } from '../grid/grid.js';
import { specHash } from '../grid/grid.js';
import { diffSettings, SpecChangedError, type RunChange } from './changes.js';
import { migrate, schemaVersion } from './migrations.js';
import { DB_FILE, RESULT_NAMES as N, SCHEMA, SCHEMA_VERSION } from './schema.js';
import type { ExperimentSpec } from '../spec/types.js';
import type { GeneratorQuality, StudentResult } from '../types.js';
import { currentVersions, type Versions } from './versions.js';

export type RunStatus = 'pending' | 'running' | 'done' | 'failed';
/** As status() shows it: a running run whose process is gone is 'interrupted'. */
export type ShownStatus = RunStatus | 'interrupted';
export const SHOWN_STATUSES: readonly ShownStatus[] = ['pending', 'running', 'interrupted', 'done', 'failed'];

export interface RunRow {
  id: string;
  kind: CellKind;
  condition: string | null;
  /** The one generator of a generator job or a single-generator student; null otherwise. */
  generator: string | null;
  generatedFraction: number | null;
  /** Every generator the run used. */
  generators: string[];
  factors: Factors;
  size: number | null;
  seed: number | null;
  settingsHash: string;
  status: ShownStatus;
  pid: number | null;
  host: string | null;
  attempts: number;
  started: string | null;
  finished: string | null;
  error: string | null;
  /** False for runs of an earlier spec that the current grid no longer has. */
  inGrid: boolean;
  /** Test BLEU of a done student, generator BLEU on pool B. */
  bleu: number | null;
}

/** A done run with what it recorded (doneRecords). */
export interface DoneRecord {
  id: string;
  size: number | null;
  seed: number | null;
  factors: Factors;
  metrics: Map<string, { value: number; signature: string | null }>;
  timings: Map<string, number>;
  artifacts: Map<string, string>;
}

/** Who runs a run when it is not this process: a queue worker (pid on host). */
export interface RunningOn {
  pid: number;
  host: string;
  versions?: Versions;
}

export interface ExperimentInfo {
  name: string;
  specHash: string;
  spec: unknown;
  created: string;
  updated: string;
  versions: Versions;
}

export interface StoreStatus {
  experiment: ExperimentInfo | null;
  counts: Record<ShownStatus, number> & { total: number };
  runs: RunRow[];
}

export interface UpsertReport {
  added: number;
  unchanged: number;
  /** Changed runs restarted (with onChange 'restart'). */
  restarted: number;
  /** Runs in the database that the grid no longer has (kept, left out of status and results). */
  retired: number;
}

export interface OpenStoreOptions {
  /** Records the spec (name, JSON, hash, versions) in the experiment table. */
  spec?: ExperimentSpec;
}

// This process's runs: a pid alone can be reused (by a later process, or a container's
// pid 1), so a run also records a random owner token and the process start time.
const OWNER = randomUUID();

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

interface RawRun {
  id: string;
  kind: CellKind;
  condition: string | null;
  generator: string | null;
  generated_fraction: number | null;
  generators: string;
  factors: string;
  size: number | null;
  seed: number | null;
  settings_hash: string;
  settings: string;
  ord: number | null;
  status: RunStatus;
  pid: number | null;
  pid_start: string | null;
  owner: string | null;
  host: string | null;
  attempts: number;
  started: string | null;
  finished: string | null;
  error: string | null;
}

/** Whether the process that marked a run running still runs (assumed so on another host). */
function alive(r: RawRun): boolean {
  if (r.pid === null) return false;
  if (r.host !== hostname()) return true;
  if (r.pid === process.pid) return r.owner === OWNER;
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = r.pid_start === null ? null : procStart(r.pid);
  return now === null || now === r.pid_start;
}

function shown(r: RawRun): ShownStatus {
  return r.status === 'running' && !alive(r) ? 'interrupted' : r.status;
}

const now = () => new Date().toISOString();

function errorText(e: unknown): string {
  const s = e instanceof Error ? `${(e as { code?: unknown }).code ? `${String((e as { code?: unknown }).code)}: ` : ''}${e.message}` : String(e);
  return s.length > 10_000 ? s.slice(0, 10_000) + '…' : s;
}

export class ResultsStore {
  readonly path: string;
  readonly #db: Database.Database;

  constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
  }

  #tx<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  #get(id: string): RawRun {
    const r = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RawRun | undefined;
    if (!r) throw new RegurgitateError('ERANGE', `${this.path}: no run '${id}'`);
    return r;
  }

  /** Records the spec; the first call also records when and with which versions. */
  setExperiment(spec: ExperimentSpec, versions: Versions = currentVersions()): void {
    const t = now();
    this.#tx(() => {
      this.#db
        .prepare(
          `INSERT INTO experiment (id, name, spec_json, spec_hash, created, updated, regurgitate_version, node_version, addon_version, sacrebleu_version)
           VALUES (1, @name, @spec, @hash, @t, @t, @regurgitate, @node, @addon, @sacrebleu)
           ON CONFLICT (id) DO UPDATE SET name = @name, spec_json = @spec, spec_hash = @hash, updated = @t`,
        )
        .run({ name: spec.name, spec: JSON.stringify(spec), hash: specHash(spec), t, ...versions });
    });
  }

  experiment(): ExperimentInfo | null {
    const r = this.#db.prepare('SELECT * FROM experiment WHERE id = 1').get() as Record<string, string | null> | undefined;
    if (!r) return null;
    return {
      name: r.name!,
      specHash: r.spec_hash!,
      spec: JSON.parse(r.spec_json!),
      created: r.created!,
      updated: r.updated!,
      versions: { regurgitate: r.regurgitate_version!, node: r.node_version!, addon: r.addon_version, sacrebleu: r.sacrebleu_version! },
    };
  }

  /**
   * Records the current grid: new runs are added as pending, runs with the same settings
   * keep their state, runs no longer in the grid are retired (kept, hidden). A run whose
   * settings changed throws SpecChangedError, unless `onChange: 'restart'`, which resets it
   * to pending and discards its results.
   */
  upsertCells(cells: readonly Cell[], options: { onChange?: 'error' | 'restart' } = {}): UpsertReport {
    const onChange = options.onChange ?? 'error';
    if (onChange !== 'error' && onChange !== 'restart') throw invalid(`upsertCells: onChange must be 'error' or 'restart' (got ${String(onChange)})`);
    const seen = new Set<string>();
    for (const c of cells) {
      if (typeof c.id !== 'string' || c.id === '' || seen.has(c.id)) throw invalid(`upsertCells: run ids must be unique non-empty strings (got ${JSON.stringify(c.id)})`);
      if (!/^[0-9a-f]{64}$/.test(c.settingsHash)) throw invalid(`upsertCells: ${c.id}: settingsHash must be a hex SHA-256`);
      seen.add(c.id);
    }
    return this.#tx(() => {
      const existing = new Map((this.#db.prepare('SELECT * FROM runs').all() as RawRun[]).map((r) => [r.id, r]));
      const changes: RunChange[] = [];
      for (const c of cells) {
        const e = existing.get(c.id);
        if (e && e.settings_hash !== c.settingsHash)
          changes.push({ id: c.id, status: shown(e), oldHash: e.settings_hash, newHash: c.settingsHash, fields: diffSettings(JSON.parse(e.settings), c.settings) });
      }
      if (changes.length > 0 && onChange === 'error') throw new SpecChangedError(this.path, changes);
      const busy = changes.find((c) => c.status === 'running');
      if (busy) throw new RegurgitateError('EBUSY', `${this.path}: cannot restart ${busy.id}: it is running (pid ${existing.get(busy.id)!.pid})`);
      const retired = [...existing.values()].filter((r) => r.ord !== null && !seen.has(r.id)).length;
      this.#db.prepare('UPDATE runs SET ord = NULL WHERE ord IS NOT NULL').run();
      const insert = this.#db.prepare(
        `INSERT INTO runs (id, kind, condition, generator, generated_fraction, generators, factors, size, seed, settings_hash, settings, depends_on, ord)
         VALUES (@id, @kind, @condition, @generator, @generatedFraction, @generators, @factors, @size, @seed, @settingsHash, @settings, @dependsOn, @ord)`,
      );
      const reset = this.#db.prepare(
        `UPDATE runs SET kind = @kind, condition = @condition, generator = @generator, generated_fraction = @generatedFraction, generators = @generators,
           factors = @factors, size = @size, seed = @seed, settings_hash = @settingsHash, settings = @settings, depends_on = @dependsOn, ord = @ord,
           status = 'pending', pid = NULL, pid_start = NULL, owner = NULL, host = NULL, attempts = 0, started = NULL, finished = NULL, error = NULL,
           versions = NULL
         WHERE id = @id`,
      );
      // Labels (condition, generators, factors) are not results: they follow the current grid.
      const keep = this.#db.prepare(
        'UPDATE runs SET ord = @ord, depends_on = @dependsOn, condition = @condition, generator = @generator, generated_fraction = @generatedFraction, generators = @generators, factors = @factors WHERE id = @id',
      );
      const report: UpsertReport = { added: 0, unchanged: 0, restarted: 0, retired };
      cells.forEach((c, ord) => {
        const row = {
          id: c.id,
          kind: c.kind,
          ...labelColumns(c),
          size: c.size,
          seed: c.seed,
          settingsHash: c.settingsHash,
          settings: JSON.stringify(c.settings),
          dependsOn: JSON.stringify(c.dependsOn),
          ord,
        };
        const e = existing.get(c.id);
        if (!e) {
          insert.run(row);
          report.added++;
        } else if (e.settings_hash !== c.settingsHash) {
          this.#clear(c.id);
          reset.run(row);
          report.restarted++;
        } else {
          keep.run({ id: c.id, ord, dependsOn: row.dependsOn, condition: row.condition, generator: row.generator, generatedFraction: row.generatedFraction, generators: row.generators, factors: row.factors });
          report.unchanged++;
        }
      });
      return report;
    });
  }

  #clear(id: string): void {
    for (const t of ['metrics', 'timings', 'artifacts']) this.#db.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(id);
  }

  /** Claims a run for this process; earlier partial results of the run are discarded. */
  markRunning(id: string, by?: RunningOn): void {
    this.#tx(() => {
      const r = this.#get(id);
      if (r.status === 'done') throw invalid(`${this.path}: run '${id}' is already done`);
      // A queue worker taking over a run (another worker's job came back stalled) is no clash.
      if (!by && r.status === 'running' && alive(r))
        throw new RegurgitateError('EBUSY', `${this.path}: run '${id}' is already running (pid ${r.pid} on ${r.host}, since ${r.started})`);
      this.#clear(id);
      const pid = by ? by.pid : process.pid;
      const host = by ? by.host : hostname();
      this.#db
        .prepare(
          `UPDATE runs SET status = 'running', pid = ?, pid_start = ?, owner = ?, host = ?, attempts = attempts + 1,
             started = ?, finished = NULL, error = NULL, versions = ? WHERE id = ?`,
        )
        .run(pid, host === hostname() ? procStart(pid) : null, by ? null : OWNER, host, now(), JSON.stringify(by?.versions ?? currentVersions()), id);
    });
  }

  /** A run this process stops (Ctrl-C): it shows as interrupted and can be claimed again. */
  markStopped(id: string): void {
    this.#tx(() => {
      const r = this.#get(id);
      if (r.status !== 'running') return;
      this.#db.prepare('UPDATE runs SET pid = NULL, pid_start = NULL, owner = NULL WHERE id = ?').run(id);
    });
  }

  markDone(id: string): void {
    this.#tx(() => {
      const r = this.#get(id);
      if (r.status !== 'running') throw invalid(`${this.path}: run '${id}' is ${r.status}, not running: call markRunning first`);
      this.#db.prepare("UPDATE runs SET status = 'done', finished = ? WHERE id = ?").run(now(), id);
    });
  }

  markFailed(id: string, error: unknown): void {
    this.#tx(() => {
      const r = this.#get(id);
      if (r.status === 'done') throw invalid(`${this.path}: run '${id}' is done; it cannot fail any more`);
      this.#db.prepare("UPDATE runs SET status = 'failed', finished = ?, error = ? WHERE id = ?").run(now(), errorText(error), id);
    });
  }

  recordMetric(id: string, name: string, value: number, signature: string | null = null): void {
    checkName('metric', name);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`recordMetric: ${id} ${name}: value must be a finite number (got ${String(value)})`);
    if (signature !== null && typeof signature !== 'string') throw invalid(`recordMetric: signature must be a string or null`);
    this.#tx(() => {
      this.#get(id);
      this.#db
        .prepare('INSERT INTO metrics (run_id, name, value, signature) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value, signature = excluded.signature')
        .run(id, name, value, signature);
    });
  }

  recordTiming(id: string, phase: string, seconds: number): void {
    checkName('phase', phase);
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) throw invalid(`recordTiming: ${id} ${phase}: seconds must be a finite number >= 0 (got ${String(seconds)})`);
    this.#tx(() => {
      this.#get(id);
      this.#db.prepare('INSERT INTO timings (run_id, phase, seconds) VALUES (?, ?, ?) ON CONFLICT (run_id, phase) DO UPDATE SET seconds = excluded.seconds').run(id, phase, seconds);
    });
  }

  /** A file of the run, relative to the experiment folder (stored with '/' separators). */
  recordArtifact(id: string, kind: string, path: string): void {
    checkName('artifact kind', kind);
    if (typeof path !== 'string' || path === '' || isAbsolute(path)) throw invalid(`recordArtifact: ${id} ${kind}: path must be relative to the experiment folder (got ${JSON.stringify(path)})`);
    const rel = normalize(path);
    if (rel === '..' || rel.startsWith(`..${sep}`)) throw invalid(`recordArtifact: ${id} ${kind}: path ${JSON.stringify(path)} leaves the experiment folder`);
    this.#tx(() => {
      this.#get(id);
      this.#db.prepare('INSERT INTO artifacts (run_id, kind, path) VALUES (?, ?, ?) ON CONFLICT (run_id, kind) DO UPDATE SET path = excluded.path').run(id, kind, rel.split(sep).join('/'));
    });
  }

  /** Counts and one row per run of the current grid (with `all`, retired runs too), in grid order. */
  status(options: { all?: boolean } = {}): StoreStatus {
    const raw = this.#db
      .prepare(`SELECT r.*, m.value AS bleu FROM runs r LEFT JOIN metrics m ON m.run_id = r.id AND m.name = '${N.bleu}' ${options.all ? '' : 'WHERE r.ord IS NOT NULL'} ORDER BY r.ord IS NULL, r.ord, r.id`)
      .all() as (RawRun & { bleu: number | null })[];
    const counts = { pending: 0, running: 0, interrupted: 0, done: 0, failed: 0, total: raw.length };
    const runs = raw.map((r): RunRow => {
      const status = shown(r);
      counts[status]++;
      return {
        id: r.id,
        kind: r.kind,
        condition: r.condition,
        generator: r.generator,
        generatedFraction: r.generated_fraction,
        generators: JSON.parse(r.generators) as string[],
        factors: JSON.parse(r.factors) as Factors,
        size: r.size,
        seed: r.seed,
        settingsHash: r.settings_hash,
        status,
        pid: r.pid,
        host: r.host,
        attempts: r.attempts,
        started: r.started,
        finished: r.finished,
        error: r.error,
        inGrid: r.ord !== null,
        bleu: r.status === 'done' ? r.bleu : null,
      };
    });
    return { experiment: this.experiment(), counts, runs };
  }

  #values(id: string): { metrics: Map<string, { value: number; signature: string | null }>; timings: Map<string, number>; artifacts: Map<string, string> } {
    const metrics = new Map((this.#db.prepare('SELECT name, value, signature FROM metrics WHERE run_id = ?').all(id) as { name: string; value: number; signature: string | null }[]).map((m) => [m.name, m]));
    const timings = new Map((this.#db.prepare('SELECT phase, seconds FROM timings WHERE run_id = ?').all(id) as { phase: string; seconds: number }[]).map((t) => [t.phase, t.seconds]));
    const artifacts = new Map((this.#db.prepare('SELECT kind, path FROM artifacts WHERE run_id = ?').all(id) as { kind: string; path: string }[]).map((a) => [a.kind, a.path]));
    return { metrics, timings, artifacts };
  }

  #done(kind: CellKind): RawRun[] {
    return this.#db.prepare("SELECT * FROM runs WHERE kind = ? AND status = 'done' AND ord IS NOT NULL ORDER BY ord").all(kind) as RawRun[];
  }

  /** Done students of the current grid that have BLEU, chrF and TER, in grid order. */
  results(): StudentResult[] {
    return this.#tx(() => {
      const out: StudentResult[] = [];
      for (const r of this.#done('student')) {
        const { metrics: m, timings, artifacts } = this.#values(r.id);
        const bleu = m.get(N.bleu);
        const chrf = m.get(N.chrf);
        const ter = m.get(N.ter);
        if (!bleu || !chrf || !ter) continue;
        const mtld = m.get(N.trainMtld);
        const d2 = m.get(N.trainDistinct2);
        out.push({
          id: r.id,
          condition: r.condition!,
          generator: r.generator,
          generatedFraction: r.generated_fraction!,
          generators: JSON.parse(r.generators) as string[],
          factors: JSON.parse(r.factors) as Factors,
          size: r.size!,
          seed: r.seed!,
          bleu: bleu.value,
          chrf: chrf.value,
          ter: ter.value,
          signatures: { bleu: bleu.signature ?? '', chrf: chrf.signature ?? '', ter: ter.signature ?? '' },
          hypotheses: artifacts.get(N.hypotheses) ?? '',
          ...(artifacts.has(N.trainingSet) ? { trainingSet: artifacts.get(N.trainingSet)! } : {}),
          ...(mtld && d2 ? { trainDiversity: { mtld: mtld.value, distinct_2: d2.value } } : {}),
          steps: m.get(N.steps)?.value ?? 0,
          trainSeconds: timings.get(N.trainTiming) ?? 0,
        });
      }
      return out;
    });
  }

  /** Done runs of `kind` in the current grid with their factors and all they recorded, in grid order. */
  doneRecords(kind: string): DoneRecord[] {
    return this.#tx(() =>
      this.#done(kind as CellKind).map((r) => {
        const v = this.#values(r.id);
        return { id: r.id, size: r.size, seed: r.seed, factors: JSON.parse(r.factors) as Factors, ...v };
      }),
    );
  }

  /** Done generators of the current grid, scored on pool B (BLEU, chrF, TER, diversity). */
  generatorQuality(): GeneratorQuality[] {
    return this.#tx(() => {
      const out: GeneratorQuality[] = [];
      for (const r of this.#done('generator')) {
        const { metrics: m, timings } = this.#values(r.id);
        const bleu = m.get(N.bleu);
        const chrf = m.get(N.chrf);
        const ter = m.get(N.ter);
        if (!bleu || !chrf || !ter) continue;
        const settings = JSON.parse(r.settings) as { generator?: { kind?: string } };
        out.push({
          name: r.generator!,
          kind: settings.generator?.kind ?? '?',
          sentences: m.get(N.sentences)?.value ?? 0,
          bleu: bleu.value,
          chrf: chrf.value,
          ter: ter.value,
          signatures: { bleu: bleu.signature ?? '', chrf: chrf.signature ?? '', ter: ter.signature ?? '' },
          diversity: { mtld: m.get(N.mtld)?.value ?? NaN, distinct_2: m.get(N.distinct2)?.value ?? NaN, ttr: m.get(N.ttr)?.value ?? NaN },
          seconds: timings.get(N.generateTiming) ?? 0,
        });
      }
      return out;
    });
  }

  /** Recorded timings of the current grid's runs: run id -> phase -> seconds. */
  timings(): Map<string, Record<string, number>> {
    const rows = this.#db.prepare('SELECT t.run_id, t.phase, t.seconds FROM timings t JOIN runs r ON r.id = t.run_id WHERE r.ord IS NOT NULL').all() as { run_id: string; phase: string; seconds: number }[];
    const out = new Map<string, Record<string, number>>();
    for (const t of rows) {
      let m = out.get(t.run_id);
      if (!m) out.set(t.run_id, (m = {}));
      m[t.phase] = t.seconds;
    }
    return out;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * The label columns of a cell's row. `generator` and `generated_fraction` are the 0.1.0
 * columns, kept filled for readers of the old schema: the single generator (null for
 * none or several) and the 'fraction' factor.
 */
function labelColumns(c: Cell): { condition: string | null; generator: string | null; generatedFraction: number | null; generators: string; factors: string } {
  const f = c.factors.fraction;
  return {
    condition: c.condition,
    generator: c.generators.length === 1 ? c.generators[0] : null,
    generatedFraction: typeof f === 'number' ? f : null,
    generators: JSON.stringify(c.generators),
    factors: JSON.stringify(c.factors),
  };
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/.test(name))
    throw invalid(`${what} name must be a letter, then up to 99 letters, digits, '_', '.' or '-' (got ${JSON.stringify(name)})`);
}

/** Opens (creating if needed) DIR/results.sqlite. */
export function openStore(dir: string, options: OpenStoreOptions = {}): ResultsStore {
  if (typeof dir !== 'string' || dir === '') throw invalid(`openStore: dir must be a non-empty path (got ${JSON.stringify(dir)})`);
  const path = join(dir, DB_FILE);
  let db: Database.Database;
  try {
    makeDirs(dir);
    db = new Database(path);
  } catch (e) {
    throw new RegurgitateError('EIO', `${path}: cannot open the results database (${(e as Error).message})`, { cause: e });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    db.transaction(() => {
      // A new database gets the current schema; an existing one keeps its own until migrated.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() === undefined) db.exec(SCHEMA);
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING").run(String(SCHEMA_VERSION));
    }).immediate();
    const v = schemaVersion(db, path);
    if (v > SCHEMA_VERSION)
      throw new RegurgitateError('EFORMAT', `${path}: results database schema ${v} was written by a newer regurgitate; this one (${currentVersions().regurgitate}) reads schemas up to ${SCHEMA_VERSION}: upgrade regurgitate`);
    if (v < SCHEMA_VERSION) migrate(db, path, v, SCHEMA_VERSION);
    db.exec(SCHEMA); // indexes and tables added without a migration (IF NOT EXISTS)
  } catch (e) {
    db.close();
    if (e instanceof RegurgitateError) throw e;
    throw new RegurgitateError('EFORMAT', `${path}: not a regurgitate results database (${(e as Error).message})`, { cause: e });
  }
  const store = new ResultsStore(path, db);
  if (options.spec) store.setExperiment(options.spec);
  return store;
}
