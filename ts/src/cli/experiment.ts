// `regurgitate experiment init|run|status|report`: the regurgitative-training study over
// a spec file (docs/experiments.md), its results database and its report.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { formatPath, loadSpec, parseSpec, resolveSpecPaths, SpecSource } from '../experiments/spec/spec.js';
import { presetSpec, SPEC_PRESET_NAMES, type SpecPresetName } from '../experiments/spec/presets.js';
import { specToYaml } from '../experiments/spec/yaml.js';
import { openStore } from '../experiments/store/store.js';
import { formatStatus, statusJson } from '../experiments/run/status.js';
import { estimateRemaining, formatEstimate, type StudyEstimate } from '../experiments/run/estimate.js';
import type { ResultsStore } from '../experiments/store/store.js';
import { runExperiment, type RunEvent, type RunOptions } from '../experiments/run/runner.js';
import { expandGrid } from '../experiments/grid/grid.js';
import { FILTER_KEYS, parseCellFilter, selectCells } from '../experiments/grid/slice.js';
import type { ExperimentSpec } from '../experiments/spec/types.js';
import { buildReport } from '../experiments/report.js';
import type { QueueConnection } from '../experiments/queue/connection.js';
import { runQueued } from '../experiments/queue/coordinator.js';
import { parseCommand, helpText, UsageError, type CommandSpec } from './args.js';
import { formatDuration, ProgressBar } from './progress.js';
import { err, out } from './util.js';
import { writeFileAtomic } from '../common/atomic.js';
import { parseSpecDevice } from './device.js';
import { queueFlags } from './worker.js';
import { stopScope } from './signals.js';
import { checkWritableDir, checkWritableFile } from '../common/writable.js';

export const spec: CommandSpec = {
  name: 'experiment',
  args: '<init|run|status|report>',
  summary: 'The regurgitative-training study: real vs generated training data over sizes and seeds, with a report.',
  flags: [],
  positionals: true,
  details: "See 'regurgitate experiment run --help' and docs/experiments.md.",
};

const outFlag = { name: 'out', type: 'string' as const, value: 'DIR', description: 'experiment folder (default experiments/NAME)' };

export const initSpec: CommandSpec = {
  name: 'experiment init',
  summary: 'Writes a preset study as a commented spec file to edit.',
  flags: [
    { name: 'preset', type: 'string', value: 'NAME', default: 'demo', description: `preset: ${SPEC_PRESET_NAMES.join(', ')}` },
    { name: 'out', type: 'string', value: 'FILE', default: 'experiment.yaml', description: 'spec file to write' },
  ],
};

export const runSpec: CommandSpec = {
  name: 'experiment run',
  args: '[SPEC]',
  positionals: true,
  summary:
    'Runs every run of the spec not yet done (generators, then students by size, seed and condition), with progress and ETA; resumable (a done run is never redone, an interrupted one resumes from its checkpoint; Ctrl-C stops cleanly), then writes the report.',
  flags: [
    { name: 'preset', type: 'string', value: 'NAME', description: `run a preset instead of a spec file: ${SPEC_PRESET_NAMES.join(', ')}` },
    outFlag,
    { name: 'restart-changed', type: 'boolean', description: 'rerun runs whose settings changed since they ran (default: stop and list them)' },
    { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (default: the spec\'s; 0 = all)' },
    { name: 'device', type: 'string', value: 'DEV', description: "cpu, cuda or auto (default: the spec's; not part of any settings hash)" },
    { name: 'no-report', type: 'boolean', description: 'do not write the report at the end' },
    { name: 'only', type: 'string', value: 'FILTER', description: `run a slice: KEY=VALUE terms separated by commas (keys ${FILTER_KEYS.join(', ')}; one key's terms are alternatives, different keys must all hold), plus the jobs those runs wait for` },
    { name: 'max-runs', type: 'int', value: 'N', min: 1, description: 'start at most N runs, then stop' },
    { name: 'time-budget', type: 'number', value: 'SECONDS', min: 1, description: 'stop as Ctrl-C does after SECONDS (the training under way keeps its checkpoint); exit status 75 when runs are left' },
    { name: 'queue', type: 'string', value: 'URL', description: 'run on several machines: put the cells on a BullMQ queue on Redis at redis://HOST:PORT[/DB] (rediss:// for TLS) for `regurgitate worker`s, and wait (docs/experiments.md, "On several machines")' },
    { name: 'queue-password-env', type: 'string', value: 'NAME', description: 'the environment variable that holds the Redis password (never on the command line)' },
  ],
  details:
    'The folder is created and checked for writing before any work. Exit status: 0 when every run asked for is done, 1 when a run failed, 2 a usage error, 75 when --time-budget or --max-runs stopped it with runs left (run it again to go on), 130 after Ctrl-C (SIGINT), 143 after SIGTERM (the training under way keeps its checkpoint).',
};

export const statusSpec: CommandSpec = {
  name: 'experiment status',
  summary: 'Shows the grid of an experiment folder: done, running, interrupted, failed and pending runs, and how long the rest takes at the measured per-run times.',
  flags: [{ ...outFlag, description: 'experiment folder (required)' }, { name: 'json', type: 'boolean', description: 'print JSON' }],
};

export const reportSpec: CommandSpec = {
  name: 'experiment report',
  summary: 'Builds DIR/report.html (SVG figures), DIR/report.md, DIR/results.json and DIR/analysis.json from the results so far.',
  flags: [{ ...outFlag, description: 'experiment folder (required)' }],
};

function specOf(cmd: string, positional: string | undefined, preset: string | undefined): { spec: ExperimentSpec; file: string | null } {
  if ((positional === undefined) === (preset === undefined)) throw new UsageError(cmd, 'give a spec file or --preset NAME (one of them)');
  if (preset !== undefined) {
    if (!SPEC_PRESET_NAMES.includes(preset as SpecPresetName)) throw new UsageError(cmd, `--preset must be one of ${SPEC_PRESET_NAMES.join(', ')} (got '${preset}')`);
    return { spec: presetSpec(preset as SpecPresetName), file: null };
  }
  const file = resolve(positional!);
  return { spec: resolveSpecPaths(loadSpec(file), dirname(file)), file };
}

function folder(flags: Record<string, unknown>, cmd: string): string {
  if (flags.out === undefined) throw new UsageError(cmd, '--out DIR is required (the experiment folder)');
  const dir = resolve(flags.out as string);
  if (!existsSync(join(dir, 'results.sqlite'))) throw new UsageError(cmd, `${dir} holds no experiment (no results.sqlite); start one with: regurgitate experiment run SPEC --out ${flags.out as string}`);
  return dir;
}

/** 'study.yaml:12: sizes[1]': where a field of the spec file is written. */
function locate(file: string | null): RunOptions['where'] {
  if (file === null) return undefined;
  const { source } = SpecSource.parse(readFileSync(file, 'utf8'), file);
  return (p) => `${file}:${source.line(p) ?? '?'}: ${formatPath(p)}`;
}

/** The spec an experiment folder was last run with (DIR/spec.yaml). */
export function folderSpec(dir: string): ExperimentSpec {
  const file = join(dir, 'spec.yaml');
  return resolveSpecPaths(parseSpec(readFileSync(file, 'utf8'), file), dir);
}

/** The time the rest of the study takes, from its finished runs (estimate.ts). */
function studyEstimate(store: ResultsStore, dir: string): StudyEstimate {
  const status = store.status();
  const spec = status.experiment?.spec as ExperimentSpec | undefined;
  let cells;
  try {
    cells = spec ? expandGrid(spec) : undefined;
  } catch {
    cells = undefined; // a spec of another version: jobs are then listed as not estimated
  }
  // Part sizes as prepared (a 'rest' part is known only there), else as the spec gives them.
  let parts: Record<string, { count: number }> = {};
  try {
    parts = (JSON.parse(readFileSync(join(dir, 'data', 'meta.json'), 'utf8')) as { parts: typeof parts }).parts ?? {};
  } catch {
    parts = {};
  }
  const size = (p: 'test' | 'poolA' | 'poolB') => {
    const v = parts[p]?.count ?? spec?.splits?.[p];
    return typeof v === 'number' ? v : null;
  };
  return estimateRemaining({ status, timings: store.timings(), cells, testSize: size('test'), poolASize: size('poolA'), poolBSize: size('poolB') });
}

function describeEvent(e: RunEvent): string | undefined {
  if (e.phase === 'train' && e.train) return `${e.cell.id}: train ${e.train.step}/${e.train.totalSteps}${e.train.loss ? ` loss ${e.train.loss.toFixed(3)}` : ''}`;
  if (e.phase === 'generate' && e.generated) return `${e.cell.id}: generate ${e.generated.done}/${e.generated.total}`;
  return undefined;
}

type Limits = Pick<RunOptions, 'only' | 'maxRuns' | 'timeBudgetSeconds'>;

/** The slice and limit flags of `experiment run`, checked against the spec's grid before any work. */
function limitsOf(flags: Record<string, unknown>, s: ExperimentSpec): Limits {
  const l: Limits = { maxRuns: flags['max-runs'] as number | undefined, timeBudgetSeconds: flags['time-budget'] as number | undefined };
  if (flags.only !== undefined) {
    try {
      l.only = parseCellFilter(flags.only as string);
      selectCells(expandGrid(s), l.only);
    } catch (e) {
      throw new UsageError(runSpec.name, (e as Error).message);
    }
  }
  return l;
}

export async function runStudy(spec: ExperimentSpec, dir: string, o: { restartChanged?: boolean; report?: boolean; queue?: QueueConnection; where?: RunOptions['where'] } & Limits = {}): Promise<number> {
  // Before any work: a folder that cannot be written fails now, naming it.
  checkWritableDir(dir, '--out');
  writeFileAtomic(join(dir, 'spec.yaml'), specToYaml(spec, `The spec of this experiment folder, as last run (${new Date().toISOString()}).`));
  const stop = stopScope({ message: 'stopping: the current training keeps a checkpoint; run the same command to resume (Ctrl-C again to quit now)' });
  let bar: ProgressBar | undefined;
  const t0 = performance.now();
  try {
    err(`experiment '${spec.name}' in ${dir}: ${spec.conditions.length} conditions x ${spec.sizes.length} sizes x ${spec.seeds.length} seeds`);
    const s = await (o.queue ? (d: string, x: RunOptions) => runQueued(spec, d, { ...x, connection: o.queue! }) : (d: string, x: RunOptions) => runExperiment(spec, d, x))(dir, {
      restartChanged: o.restartChanged,
      where: o.where,
      only: o.only,
      maxRuns: o.maxRuns,
      timeBudgetSeconds: o.timeBudgetSeconds,
      signal: stop.signal,
      log: (l) => {
        bar?.clear();
        err(l);
      },
      onEvent: (e) => {
        bar ??= new ProgressBar({ total: e.total, label: 'runs' });
        if (e.phase === 'done' || e.phase === 'failed' || e.phase === 'skipped') {
          bar.clear();
          err(`${e.phase === 'done' ? 'done   ' : e.phase === 'failed' ? 'FAILED ' : 'skipped'} ${e.cell.id}${e.message ? `: ${e.message}` : ''}  [${e.done}/${e.total}, ${formatDuration((performance.now() - t0) / 1000)}]`);
        }
        bar.update(e.done, { note: describeEvent(e) });
      },
    });
    bar?.done(s.cancelled || s.stopped ? 'stopped' : undefined);
    const slice = s.selected < s.total ? ` (slice: ${s.selectedDone}/${s.selected})` : '';
    out(`${s.done}/${s.total} runs done${slice} (${s.ranNow} now, ${s.seconds.toFixed(0)} s)${s.failed.length ? `; failed: ${s.failed.join(', ')}` : ''}`);
    if (s.stopped)
      err(`stopped: ${s.stopped === 'time-budget' ? `the time budget of ${o.timeBudgetSeconds} s is used` : `${o.maxRuns} run(s) started (--max-runs)`}; ${s.selected - s.selectedDone} run(s) left; run the same command to go on`);
    if (o.report !== false && s.done > 0) {
      const r = await buildReport(dir, spec);
      out(`report: ${r.html}${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`);
    }
    if (s.cancelled) return stop.status ?? 130;
    if (s.failed.length) return 1;
    return s.stopped ? 75 : 0;
  } finally {
    stop.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(helpText(spec));
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'init') {
    const a = parseCommand(initSpec, rest);
    if (!a) return 0;
    const { spec: s } = specOf(initSpec.name, undefined, a.flags.preset as string);
    const file = resolve(a.flags.out as string);
    if (existsSync(file)) throw new UsageError(initSpec.name, `${file} exists; choose another --out`);
    checkWritableFile(file, '--out');
    writeFileAtomic(file, specToYaml(s, `regurgitate experiment spec (preset ${s.name}); see docs/experiments.md. Run: regurgitate experiment run ${a.flags.out as string}`));
    out(`wrote ${file}`);
    return 0;
  }
  if (sub === 'run') {
    const a = parseCommand(runSpec, rest);
    if (!a) return 0;
    if (a.positionals.length > 1) throw new UsageError(runSpec.name, `one spec file at a time (got ${a.positionals.length})`);
    const { spec: s, file } = specOf(runSpec.name, a.positionals[0], a.flags.preset as string | undefined);
    if (a.flags.device !== undefined) s.device = parseSpecDevice(runSpec.name, a.flags.device);
    if (a.flags.threads !== undefined) s.threads = a.flags.threads as number; // runExperiment applies it
    const limits = limitsOf(a.flags, s);
    const dir = resolve((a.flags.out as string | undefined) ?? join('experiments', s.name));
    const queue = queueFlags(runSpec.name, a.flags);
    return runStudy(s, dir, { restartChanged: Boolean(a.flags['restart-changed']), report: !a.flags['no-report'], queue, where: locate(file), ...limits });
  }
  if (sub === 'status') {
    const a = parseCommand(statusSpec, rest);
    if (!a) return 0;
    const dir = folder(a.flags, statusSpec.name);
    const store = openStore(dir);
    try {
      const st = store.status();
      const e = studyEstimate(store, dir);
      out(a.flags.json ? statusJson({ ...st, estimate: e }) : `${formatStatus(st)}\n${formatEstimate(e).trimEnd()}`);
    } finally {
      store.close();
    }
    return 0;
  }
  if (sub === 'report') {
    const a = parseCommand(reportSpec, rest);
    if (!a) return 0;
    const dir = folder(a.flags, reportSpec.name);
    checkWritableDir(dir, '--out'); // before the analysis
    const r = await buildReport(dir, folderSpec(dir));
    out(`wrote ${r.html}, ${r.markdown} and ${r.results}${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`);
    return 0;
  }
  throw new UsageError(spec.name, `unknown subcommand '${sub}' (init, run, status, report)`);
}
