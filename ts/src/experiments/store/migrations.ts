// Schema migrations of results.sqlite, in order. Opening a database of an older schema
// first copies it beside itself (results.sqlite.schemaN.bak), then applies every newer
// migration in one transaction, and removes the copy once that has committed: a crash
// or a kill mid-way leaves the old database as it was (SQLite rolls the transaction
// back), and the copy is there besides. A migration never changes a run's status,
// settings hash or results: every finished run stays finished.
import { existsSync, readFileSync, rmSync } from 'node:fs';

import type Database from 'better-sqlite3';

import { writeFileAtomic } from '../../common/atomic.js';
import { RegurgitateError } from '../../common/errors.js';
import { parseCondition, recipeKind } from '../recipes/index.js';

export interface Migration {
  /** The schema version it produces (from `to - 1`). */
  to: number;
  what: string;
  up(db: Database.Database): void;
}

/** Factors of a 0.1.0 student row, from its condition (unknown conditions get none). */
function legacyFactors(condition: string | null): Record<string, unknown> {
  if (condition === null) return {};
  try {
    const r = parseCondition(condition);
    return recipeKind(r).factors(r);
  } catch {
    return {};
  }
}

export const MIGRATIONS: readonly Migration[] = [
  {
    to: 2,
    what: 'runs: any cell kind (no CHECK on kind); the generators a run used and its named factors',
    up(db) {
      // SQLite cannot drop a CHECK: the table is rebuilt (foreign keys are off meanwhile).
      // The DDL is schema 2's, written out: a migration stays what it was when SCHEMA moves on.
      db.exec(`
        CREATE TABLE runs_v2 (
          id                 TEXT PRIMARY KEY,
          kind               TEXT NOT NULL,
          condition          TEXT,
          generator          TEXT,
          generated_fraction REAL,
          generators         TEXT NOT NULL DEFAULT '[]',
          factors            TEXT NOT NULL DEFAULT '{}',
          size               INTEGER,
          seed               INTEGER,
          settings_hash      TEXT NOT NULL,
          settings           TEXT NOT NULL,
          depends_on         TEXT NOT NULL DEFAULT '[]',
          ord                INTEGER,
          status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
          pid                INTEGER,
          pid_start          TEXT,
          owner              TEXT,
          host               TEXT,
          attempts           INTEGER NOT NULL DEFAULT 0,
          started            TEXT,
          finished           TEXT,
          error              TEXT,
          versions           TEXT
        );
        INSERT INTO runs_v2 (id, kind, condition, generator, generated_fraction, size, seed, settings_hash, settings, depends_on, ord, status,
                             pid, pid_start, owner, host, attempts, started, finished, error, versions)
          SELECT id, kind, condition, generator, generated_fraction, size, seed, settings_hash, settings, depends_on, ord, status,
                 pid, pid_start, owner, host, attempts, started, finished, error, versions FROM runs;
        DROP TABLE runs;
        ALTER TABLE runs_v2 RENAME TO runs;
        CREATE INDEX IF NOT EXISTS runs_ord ON runs (ord);
      `);
      const rows = db.prepare('SELECT id, kind, condition, generator FROM runs').all() as { id: string; kind: string; condition: string | null; generator: string | null }[];
      const set = db.prepare('UPDATE runs SET generators = ?, factors = ? WHERE id = ?');
      for (const r of rows) set.run(JSON.stringify(r.generator === null ? [] : [r.generator]), JSON.stringify(r.kind === 'student' ? legacyFactors(r.condition) : {}), r.id);
    },
  },
];

/** The schema version recorded in the database. */
export function schemaVersion(db: Database.Database, path: string): number {
  const v = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
  const n = v ? Number(v.value) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new RegurgitateError('EFORMAT', `${path}: no valid schema version in its meta table (got ${JSON.stringify(v?.value ?? null)})`);
  return n;
}

/** The copy of a database taken before migrating it from schema `from`. */
export function backupPath(path: string, from: number): string {
  return `${path}.schema${from}.bak`;
}

/**
 * Brings `db` (at `path`, schema `from`) to schema `to`. Tests set
 * REGURGITATE_TEST_MIGRATION_HOLD=1 to make it wait, inside the transaction, to be killed.
 */
export function migrate(db: Database.Database, path: string, from: number, to: number): void {
  const steps = MIGRATIONS.filter((m) => m.to > from && m.to <= to);
  if (steps.length !== to - from) throw new RegurgitateError('EINTERNAL', `${path}: no migration path from schema ${from} to ${to}`);
  const backup = backupPath(path, from);
  db.pragma('wal_checkpoint(TRUNCATE)'); // the main file then holds every committed write
  writeFileAtomic(backup, readFileSync(path));
  db.pragma('foreign_keys = OFF'); // a no-op inside a transaction: set before it
  try {
    db.transaction(() => {
      // Another process may have migrated it while this one waited for the lock.
      if (schemaVersion(db, path) >= to) return;
      for (const m of steps) {
        m.up(db);
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(m.to));
      }
      const bad = db.pragma('foreign_key_check') as unknown[];
      if (bad.length) throw new RegurgitateError('EFORMAT', `${path}: migration to schema ${to} broke ${bad.length} reference(s); the database is unchanged`);
      if (process.env.REGURGITATE_TEST_MIGRATION_HOLD === '1') {
        process.stderr.write('migration: holding\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      }
    }).immediate();
  } finally {
    db.pragma('foreign_keys = ON');
  }
  if (existsSync(backup)) rmSync(backup, { force: true });
}
