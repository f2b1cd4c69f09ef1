// A study folder written by regurgitate 0.1.0 (tests/fixtures/study-0.1.0, checked in)
// after an upgrade: the store migrates in one transaction, every run stays done, `run`
// does nothing, the report comes out the same; a migration killed mid-way leaves the
// old study intact, and a store of a newer schema is refused with the reason.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore } from '../../ts/src/experiments/store/store.js';
import { SCHEMA_VERSION } from '../../ts/src/experiments/store/schema.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIXTURE = join(ROOT, 'tests', 'fixtures', 'study-0.1.0');
let tmp: string;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-upgrade-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh copy of the fixture; returns its study folder. */
function copy(name: string): string {
  cpSync(FIXTURE, join(tmp, name), { recursive: true });
  return join(tmp, name, 'study');
}

function raw(study: string) {
  const db = new Database(join(study, 'results.sqlite'), { readonly: true });
  try {
    return {
      schema: (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value,
      runs: db.prepare('SELECT id, status, settings_hash FROM runs ORDER BY id').all() as { id: string; status: string; settings_hash: string }[],
      metrics: (db.prepare('SELECT COUNT(*) AS n FROM metrics').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** Every file under `dir` with its size and mtime. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), `${st.size}:${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

const OLD = raw(join(FIXTURE, 'study'));

describe('a study folder of regurgitate 0.1.0', () => {
  it('is the fixture it claims to be: schema 1, 11 runs, all done', () => {
    expect(OLD.schema).toBe('1');
    expect(OLD.runs.length).toBe(11);
    expect(OLD.runs.every((r) => r.status === 'done')).toBe(true);
  });

  it('opens: migrated to the current schema, every run done with its results, no backup left', () => {
    const study = copy('open');
    const st = cli(['experiment', 'status', '--out', study, '--json']);
    expect(st.status, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { counts: { done: number; total: number } };
    expect(status.counts).toMatchObject({ done: 11, total: 11 });
    const now = raw(study);
    expect(now.schema).toBe(String(SCHEMA_VERSION));
    expect(now.runs).toEqual(OLD.runs); // same ids, statuses and settings hashes
    expect(now.metrics).toBe(OLD.metrics);
    expect(readdirSync(study).filter((f) => f.includes('.bak'))).toEqual([]);
    // The new columns are filled from the old ones.
    const store = openStore(study);
    const rows = new Map(store.status().runs.map((r) => [r.id, r]));
    store.close();
    expect(rows.get('mix-low-0.5__n100__seed1')).toMatchObject({ generators: ['low'], factors: { family: 'mix', fraction: 0.5 } });
    expect(rows.get('real__n200__seed1')).toMatchObject({ generators: [], factors: { family: 'real', fraction: 0 } });
    expect(rows.get('generator-apertium')).toMatchObject({ generators: ['apertium'], factors: {} });
  });

  it('experiment run does nothing: no run starts, no run folder changes', () => {
    const study = copy('run');
    const before = files(join(study, 'runs'));
    const r = cli(['experiment', 'run', join(study, 'spec.yaml'), '--out', study, '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/11\/11 runs done \(0 now/);
    expect(files(join(study, 'runs'))).toEqual(before);
    expect(raw(study).runs).toEqual(OLD.runs);
  });

  it('rebuilds the same report: results.json rows as 0.1.0 wrote them plus generators and factors, report.md the same', () => {
    const study = copy('report');
    const r = cli(['experiment', 'report', '--out', study]);
    expect(r.status, r.stderr).toBe(0);
    const old = JSON.parse(readFileSync(join(FIXTURE, 'study', 'results.json'), 'utf8')) as Record<string, unknown>[];
    const now = JSON.parse(readFileSync(join(study, 'results.json'), 'utf8')) as Record<string, unknown>[];
    expect(now.length).toBe(8);
    expect(now.map(({ generators: _g, factors: _f, ...rest }) => rest)).toEqual(old);
    for (const row of now) {
      const c = String(row.condition);
      expect(row.generators).toEqual(c === 'real' ? [] : [c.split(':')[1]]);
      expect(row.factors).toEqual({ family: c.split(':')[0], fraction: row.generatedFraction });
    }
    const versionless = (t: string) => t.replace(/^- \*\*Versions:\*\*.*$/m, '');
    expect(versionless(readFileSync(join(study, 'report.md'), 'utf8'))).toBe(versionless(readFileSync(join(FIXTURE, 'study', 'report.md'), 'utf8')));
  });

  it('a migration killed mid-way leaves the old study intact, and the next open migrates it', async () => {
    const study = copy('killed');
    const child = spawn(process.execPath, [CLI, 'experiment', 'status', '--out', study], { env: { ...process.env, REGURGITATE_TEST_MIGRATION_HOLD: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise<void>((res, rej) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('migration: holding')) res();
      });
      child.once('exit', (code) => rej(new Error(`exited (${code}) before holding: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Inside the transaction the table was rebuilt and the version set; none of it stayed.
    const after = raw(study);
    expect(after).toEqual(OLD);
    expect(existsSync(join(study, 'results.sqlite.schema1.bak'))).toBe(true);
    const st = cli(['experiment', 'status', '--out', study, '--json']);
    expect(st.status, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).counts).toMatchObject({ done: 11, total: 11 });
    expect(raw(study).schema).toBe(String(SCHEMA_VERSION));
    expect(existsSync(join(study, 'results.sqlite.schema1.bak'))).toBe(false);
  });

  it('a store of a newer schema is refused, unchanged, with what to do', () => {
    const study = copy('newer');
    const db = new Database(join(study, 'results.sqlite'));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    db.close();
    expect(() => openStore(study)).toThrow(/schema 99 was written by a newer regurgitate.*reads schemas up to \d+: upgrade regurgitate/);
    expect(raw(study).schema).toBe('99');
  });
});
