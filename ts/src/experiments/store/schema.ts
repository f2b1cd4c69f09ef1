// The results database (RESULTS_DIR/results.sqlite), schema version 2; docs/experiments.md
// describes every column. Times are ISO 8601 UTC strings. A database of an older
// schema is migrated when opened (migrations.ts).

export const SCHEMA_VERSION = 2;
export const DB_FILE = 'results.sqlite';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiment (
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  name                TEXT NOT NULL,
  spec_json           TEXT NOT NULL,
  spec_hash           TEXT NOT NULL,
  created             TEXT NOT NULL,
  updated             TEXT NOT NULL,
  regurgitate_version TEXT NOT NULL,
  node_version        TEXT NOT NULL,
  addon_version       TEXT,
  sacrebleu_version   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
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
CREATE INDEX IF NOT EXISTS runs_ord ON runs (ord);
CREATE TABLE IF NOT EXISTS metrics (
  run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name      TEXT NOT NULL,
  value     REAL NOT NULL,
  signature TEXT,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS timings (
  run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  phase   TEXT NOT NULL,
  seconds REAL NOT NULL,
  PRIMARY KEY (run_id, phase)
);
CREATE TABLE IF NOT EXISTS artifacts (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  path   TEXT NOT NULL,
  PRIMARY KEY (run_id, kind)
);
`;

/** Metric, timing and artifact names that results() and generatorQuality() read. */
export const RESULT_NAMES = Object.freeze({
  // every run that is scored on references
  bleu: 'bleu',
  chrf: 'chrf',
  ter: 'ter',
  // students
  steps: 'steps',
  trainMtld: 'train_mtld',
  trainDistinct2: 'train_distinct_2',
  trainTiming: 'train',
  hypotheses: 'hypotheses',
  trainingSet: 'train_set',
  // generators: their output on pool B
  sentences: 'sentences',
  mtld: 'mtld',
  distinct2: 'distinct_2',
  ttr: 'ttr',
  generateTiming: 'generate',
});
