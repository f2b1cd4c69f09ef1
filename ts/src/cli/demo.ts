// `regurgitate demo`: the whole regurgitative-training study on the built-in bible
// corpus, sized for a laptop (the `demo` preset: 2 CPU cores, under 15 minutes), ending
// with DIR/report.html and DIR/results.json. `--synthetic` runs the engine check instead.
import { resolve } from 'node:path';

import { presetSpec } from '../experiments/spec/presets.js';
import { native } from '../native/load.js';
import { parseCommand, type CommandSpec } from './args.js';
import { parseSpecDevice } from './device.js';
import * as synthetic from './demo_synthetic.js';
import { runStudy } from './experiment.js';

export const spec: CommandSpec = {
  name: 'demo',
  summary:
    "Runs the regurgitative-training study on the built-in bible corpus (es->en) at laptop size: generators Apertium and a small model of ours ('low'); students trained on real, generated and mixed targets at 2 sizes (1,000 and 4,000 pairs) x 2 seeds, about 10 minutes on 2 cores; then writes DIR/report.html, DIR/report.md and DIR/results.json. Resumable: run it again to continue.",
  flags: [
    { name: 'out', type: 'string', value: 'DIR', default: 'runs/demo', description: 'experiment folder' },
    { name: 'threads', type: 'int', value: 'N', min: 0, max: 1024, description: 'worker threads (0 = one per hardware thread)' },
    { name: 'device', type: 'string', value: 'DEV', default: 'cpu', description: 'cpu, cuda or auto (the GPU when one is usable)' },
    { name: 'synthetic', type: 'boolean', description: 'instead: a one-minute engine check on a synthetic task (see demo --synthetic --help)' },
  ],
  details: [
    'The study is the `demo` preset of docs/experiments.md; `regurgitate experiment init --preset demo` writes it as a spec file to edit.',
    'DIR is created and checked for writing before any work. Exit status as `experiment run`: 0 done, 1 a run failed, 130 after Ctrl-C (SIGINT), 143 after SIGTERM (the training under way keeps its checkpoint; run it again to resume).',
  ].join('\n'),
};

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--synthetic')) return synthetic.run(argv);
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  if (a.flags.threads !== undefined) native().setThreads(a.flags.threads as number);
  const s = presetSpec('demo');
  s.device = parseSpecDevice(spec.name, a.flags.device);
  return runStudy(s, resolve(a.flags.out as string));
}
