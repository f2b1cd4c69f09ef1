// `regurgitate eval`: translates a corpus part (the test split by default) with a trained
// run, or with Apertium as a reference system, and prints BLEU, chrF and TER with
// sacreBLEU signatures.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ApertiumGenerator } from '../generators/apertium.js';
import { openCorpus, readPart } from '../rundir/corpus.js';
import { openRun } from '../rundir/open.js';
import { scoreCorpus } from '../rundir/score.js';
import { parseCommand, UsageError, type CommandSpec } from './args.js';
import { ProgressBar } from './progress.js';
import { decodeFlags, decodeOptions } from './translate.js';
import { out } from './util.js';
import { writeFileAtomic } from '../common/atomic.js';
import { parseDevice } from './device.js';
import { stopScope } from './signals.js';
import { checkWritableDir } from '../common/writable.js';

export const spec: CommandSpec = {
  name: 'eval',
  summary:
    'Translates the test split of a prepared corpus with a trained run (or with Apertium, --apertium MODE) and prints BLEU, chrF and TER exactly as sacreBLEU 2.6.0, with signatures. Writes RUN/eval/PART.hyp and RUN/eval/PART.json.',
  flags: [
    { name: 'run', type: 'string', value: 'RUN', description: 'run directory made by regurgitate train' },
    { name: 'apertium', type: 'string', value: 'MODE', description: 'evaluate Apertium instead, e.g. spa-eng (needs --data)' },
    { name: 'data', type: 'string', value: 'DIR', description: 'prepared corpus (default: the one the run was trained on)' },
    { name: 'part', type: 'string', value: 'PART', default: 'test', description: 'corpus part to translate' },
    { name: 'out', type: 'string', value: 'DIR', description: 'where to write PART.hyp and PART.json (default RUN/eval; DATA/eval-apertium-MODE for Apertium)' },
    ...decodeFlags,
    { name: 'json', type: 'boolean', description: 'print the result as one JSON object' },
  ],
  details: 'The output folder is created and checked for writing before any translation. Exit status: 0 done, 1 an error, 2 a usage error; 130 after Ctrl-C (SIGINT), 143 after SIGTERM (nothing is written).',
};

export async function run(argv: string[]): Promise<number> {
  const a = parseCommand(spec, argv);
  if (!a) return 0;
  const f = a.flags;
  if ((f.run === undefined) === (f.apertium === undefined)) throw new UsageError(spec.name, 'give exactly one of --run RUN and --apertium MODE');
  let dataDir = f.data as string | undefined;
  if (dataDir === undefined && f.run !== undefined) {
    const rj = join(resolve(f.run as string), 'run.json');
    if (existsSync(rj)) dataDir = (JSON.parse(readFileSync(rj, 'utf8')) as { data?: { corpus?: string } }).data?.corpus;
  }
  if (dataDir === undefined) throw new UsageError(spec.name, '--data DIR is required (the prepared corpus to evaluate on)');
  const corpus = openCorpus(dataDir);
  const part = f.part as string;
  const sides = readPart(corpus, part);
  const bar = new ProgressBar({ total: sides.src.length, label: part });
  const t0 = performance.now();
  let system: Record<string, unknown>;
  let hyps: string[];
  let outDir: string;
  // The output folder is checked for writing before any translation (a message naming it).
  const stop = stopScope({ message: 'stopping (nothing is written)' });
  try {
    if (f.run !== undefined) {
      const dec = decodeOptions(spec.name, f);
      const r = openRun(f.run as string, { device: parseDevice(spec.name, f.device) });
      outDir = checkWritableDir((f.out as string | undefined) ?? join(r.dir, 'eval'), f.out === undefined ? undefined : '--out');
      hyps = (await r.translate(sides.src, dec, { onProgress: (d) => bar.update(d), signal: stop.signal })).map((h) => h.text);
      system = { run: r.dir, decode: dec };
    } else {
      const g = new ApertiumGenerator({ mode: f.apertium as string });
      outDir = checkWritableDir((f.out as string | undefined) ?? join(corpus.dir, `eval-apertium-${f.apertium as string}`), f.out === undefined ? undefined : '--out');
      hyps = (await g.generate(sides.src, { onProgress: (d) => bar.update(d), signal: stop.signal })).map((h) => h.text);
      system = g.identity();
    }
  } finally {
    stop.close();
  }
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const s = scoreCorpus(hyps, sides.tgt);
  const result = { corpus: corpus.dir, part, pair: `${corpus.src}-${corpus.tgt}`, sentences: hyps.length, system, ...s, seconds };
  writeFileAtomic(join(outDir, `${part}.hyp`), hyps.join('\n') + '\n');
  writeFileAtomic(join(outDir, `${part}.json`), JSON.stringify(result, null, 2) + '\n');
  if (f.json) out(JSON.stringify(result));
  else {
    out(`${part}: ${hyps.length} sentences ${corpus.src}->${corpus.tgt}, ${seconds.toFixed(1)} s`);
    out(`BLEU  ${s.bleu.toFixed(2).padStart(6)}  ${s.signatures.bleu}`);
    out(`chrF  ${s.chrf.toFixed(2).padStart(6)}  ${s.signatures.chrf}`);
    out(`TER   ${s.ter.toFixed(2).padStart(6)}  ${s.signatures.ter}`);
    out(`wrote ${join(outDir, `${part}.hyp`)} and ${part}.json`);
  }
  return 0;
}
