// `regurgitate diversity FILE`: lexical diversity of a text file (one segment per line),
// compatible with the Python package lexicalrichness, plus distinct-n, vocabulary size and
// hapax ratio. Undefined measures (e.g. MSTTR of a text shorter than its window) are null.
import { diversity, type DiversityOptions, type DiversityResult } from '../metrics/diversity.js';
import { readTextLines } from '../metrics/textfile.js';
import { UsageError, type CommandSpec, type Parsed } from './args.js';
import { runMetricCommand } from './util.js';

const windowFlag = (name: string, description: string) => ({ name, type: 'int' as const, value: 'N', min: 1, default: 100, description });

export const spec: CommandSpec = {
  name: 'diversity',
  args: 'FILE',
  summary: `Lexical diversity of FILE (UTF-8, one segment per line), with lexicalrichness's
tokenisation (lowercase; ASCII digits, hyphens and dashes removed; ASCII punctuation to
spaces; split on whitespace) and formulas. n-grams for distinct-n stay within lines.`,
  details: `measures: ttr rttr cttr herdan summer dugast maas yulek yulei herdanvm simpsond msttr
mattr mtld hdd distinct_1 distinct_2 distinct_3 vocab_size hapax_ratio words terms`,
  positionals: true,
  flags: [
    windowFlag('msttr-window', 'MSTTR segment length'),
    windowFlag('mattr-window', 'MATTR window length'),
    { name: 'mtld-threshold', type: 'number', value: 'X', min: 0, max: 1, open: true, default: 0.72, description: 'MTLD factor threshold in (0, 1)' },
    { name: 'hdd-draws', type: 'int', value: 'N', min: 1, default: 42, description: 'HD-D sample size' },
    { name: 'json', type: 'boolean', description: 'print one JSON object with every measure by name' },
  ],
  footer: 'exit status: 0 on success, 1 for an unreadable file, 2 for bad flags.',
};

interface Options {
  file: string;
  json: boolean;
  div: DiversityOptions;
}

function options({ flags: f, positionals: p }: Parsed): Options {
  if (p.length === 0) throw new UsageError(spec.name, 'FILE is required');
  if (p.length > 1) throw new UsageError(spec.name, `expected one FILE, got '${p[0]}' and '${p[1]}'`);
  const div: DiversityOptions = {
    msttrWindow: f['msttr-window'] as number,
    mattrWindow: f['mattr-window'] as number,
    mtldThreshold: f['mtld-threshold'] as number,
    hddDraws: f['hdd-draws'] as number,
  };
  return { file: p[0], json: Boolean(f.json), div };
}

function formatText(file: string, r: DiversityResult): string {
  const w = Math.max(...Object.keys(r).map((k) => k.length));
  const lines = [`${file}`];
  for (const [k, v] of Object.entries(r)) lines.push(`  ${k.padEnd(w)}  ${v === null ? 'n/a' : String(v)}`);
  return lines.join('\n') + '\n';
}

export function run(argv: string[]): Promise<number> {
  return runMetricCommand(spec, argv, options, async (o) => {
    const r = diversity(await readTextLines(o.file), o.div);
    return o.json ? JSON.stringify(r, null, 1) + '\n' : formatText(o.file, r);
  });
}
