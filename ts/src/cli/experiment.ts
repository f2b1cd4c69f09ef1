// `regurgitate experiment init|run|status|report`: the regurgitative-training study over
// a spec file (docs/experiments.md), its results database and its report.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { native } from '../native/load.js';
import { loadSpec, parseSpec, resolveSpecPaths } from '../experiments/spec.js';
import { presetSpec, SPEC_PRESET_NAMES, type SpecPresetName } from '../experiments/presets.js';
import { specToYaml } from '../experiments/spec_yaml.js';
import { openStore } from '../experiments/store.js';
import { formatStatus, statusJson } from '../experiments/status.js';
import { runExperiment, type RunEvent } from '../experiments/runner.js';
import type { ExperimentSpec } from '../experiments/spec_types.js';
import { buildReport } from '../experiments/report.js';
import { helpText, parseArgs, UsageError, type CommandSpec } from './args.js';
import { formatDuration, ProgressBar } from './progress.js';
import { err, out, writeFileAtomic } from './util.js';
import { parseSpecDevice } from './device.js';

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
  ],
};

export const statusSpec: CommandSpec = {
  name: 'experiment status',
  summary: 'Shows the grid of an experiment folder: done, running, interrupted, failed and pending runs.',
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

/** The spec an experiment folder was last run with (DIR/spec.yaml). */
export function folderSpec(dir: string): ExperimentSpec {
  const file = join(dir, 'spec.yaml');
  return resolveSpecPaths(parseSpec(readFileSync(file, 'utf8'), file), dir);
}

function describeEvent(e: RunEvent): string | undefined {
  if (e.phase === 'train' && e.train) return `${e.cell.id}: train ${e.train.step}/${e.train.totalSteps}${e.train.loss ? ` loss ${e.train.loss.toFixed(3)}` : ''}`;
  if (e.phase === 'generate' && e.generated) return `${e.cell.id}: generate ${e.generated.done}/${e.generated.total}`;
  return undefined;
}

export async function runStudy(spec: ExperimentSpec, dir: string, o: { restartChanged?: boolean; report?: boolean } = {}): Promise<number> {
  writeFileAtomic(join(dir, 'spec.yaml'), specToYaml(spec, `The spec of this experiment folder, as last run (${new Date().toISOString()}).`));
  const ac = new AbortController();
  const onSig = () => {
    if (ac.signal.aborted) process.exit(130);
    err('\nstopping: the current training keeps a checkpoint; run the same command to resume (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  let bar: ProgressBar | undefined;
  const t0 = performance.now();
  try {
    err(`experiment '${spec.name}' in ${dir}: ${spec.conditions.length} conditions x ${spec.sizes.length} sizes x ${spec.seeds.length} seeds`);
    const s = await runExperiment(spec, dir, {
      restartChanged: o.restartChanged,
      signal: ac.signal,
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
    bar?.done(s.cancelled ? 'stopped' : undefined);
    out(`${s.done}/${s.total} runs done (${s.ranNow} now, ${s.seconds.toFixed(0)} s)${s.failed.length ? `; failed: ${s.failed.join(', ')}` : ''}`);
    if (o.report !== false && s.done > 0) {
      const r = await buildReport(dir, spec);
      out(`report: ${r.html}${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`);
    }
    if (s.cancelled) return 130;
    return s.failed.length ? 1 : 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(helpText(spec));
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'init') {
    const a = parseArgs(initSpec, rest);
    if (a.help) return (process.stdout.write(helpText(initSpec)), 0);
    const { spec: s } = specOf(initSpec.name, undefined, a.flags.preset as string);
    const file = resolve(a.flags.out as string);
    if (existsSync(file)) throw new UsageError(initSpec.name, `${file} exists; choose another --out`);
    writeFileAtomic(file, specToYaml(s, `regurgitate experiment spec (preset ${s.name}); see docs/experiments.md. Run: regurgitate experiment run ${a.flags.out as string}`));
    out(`wrote ${file}`);
    return 0;
  }
  if (sub === 'run') {
    const a = parseArgs(runSpec, rest);
    if (a.help) return (process.stdout.write(helpText(runSpec)), 0);
    if (a.positionals.length > 1) throw new UsageError(runSpec.name, `one spec file at a time (got ${a.positionals.length})`);
    const { spec: s } = specOf(runSpec.name, a.positionals[0], a.flags.preset as string | undefined);
    if (a.flags.device !== undefined) s.device = parseSpecDevice(runSpec.name, a.flags.device);
    const threads = (a.flags.threads as number | undefined) ?? s.threads;
    if (threads) native().setThreads(threads);
    const dir = resolve((a.flags.out as string | undefined) ?? join('experiments', s.name));
    return runStudy(s, dir, { restartChanged: Boolean(a.flags['restart-changed']), report: !a.flags['no-report'] });
  }
  if (sub === 'status') {
    const a = parseArgs(statusSpec, rest);
    if (a.help) return (process.stdout.write(helpText(statusSpec)), 0);
    const store = openStore(folder(a.flags, statusSpec.name));
    try {
      const st = store.status();
      out(a.flags.json ? statusJson(st) : formatStatus(st));
    } finally {
      store.close();
    }
    return 0;
  }
  if (sub === 'report') {
    const a = parseArgs(reportSpec, rest);
    if (a.help) return (process.stdout.write(helpText(reportSpec)), 0);
    const dir = folder(a.flags, reportSpec.name);
    const r = await buildReport(dir, folderSpec(dir));
    out(`wrote ${r.html}, ${r.markdown} and ${r.results}${r.warnings.length ? ` (${r.warnings.join('; ')})` : ''}`);
    return 0;
  }
  throw new UsageError(spec.name, `unknown subcommand '${sub}' (init, run, status, report)`);
}
