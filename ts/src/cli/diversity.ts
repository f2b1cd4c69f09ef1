// `regurgitate diversity FILE`: lexical diversity of a text file (one segment per line),
// compatible with the Python package lexicalrichness, plus distinct-n, vocabulary size and
// hapax ratio. Undefined measures (e.g. MSTTR of a text shorter than its window) are null.
import { diversity, type DiversityOptions, type DiversityResult } from '../metrics/diversity.js';
import { parseOrReport, UsageError as SharedUsageError } from './args.js';
import { InputFileError, readTextLines } from '../metrics/textfile.js';

const COMMAND = 'diversity';

const HELP = `usage: regurgitate diversity FILE [flags]

Lexical diversity of FILE (UTF-8, one segment per line), with lexicalrichness's
tokenisation (lowercase; ASCII digits, hyphens and dashes removed; ASCII punctuation to
spaces; split on whitespace) and formulas. n-grams for distinct-n stay within lines.

measures: ttr rttr cttr herdan summer dugast maas yulek yulei herdanvm simpsond msttr
mattr mtld hdd distinct_1 distinct_2 distinct_3 vocab_size hapax_ratio words terms

flags:
  --msttr-window N     MSTTR segment length (default 100)
  --mattr-window N     MATTR window length (default 100)
  --mtld-threshold X   MTLD factor threshold in (0, 1) (default 0.72)
  --hdd-draws N        HD-D sample size (default 42)
  --json               print one JSON object with every measure by name
  --help, -h           show this help

exit status: 0 on success, 1 for an unreadable file, 2 for bad flags.
`;

class UsageError extends SharedUsageError {
  constructor(message: string) {
    super(COMMAND, message);
  }
}

interface Options {
  file: string | undefined;
  json: boolean;
  help: boolean;
  div: DiversityOptions;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { file: undefined, json: false, help: false, div: {} };
  const ints: Record<string, 'msttrWindow' | 'mattrWindow' | 'hddDraws'> = {
    'msttr-window': 'msttrWindow',
    'mattr-window': 'mattrWindow',
    'hdd-draws': 'hddDraws',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      o.help = true;
      continue;
    }
    if (arg === '--json') {
      o.json = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (ints[name] === undefined && name !== 'mtld-threshold') throw new UsageError(`unknown flag --${name}`);
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`--${name} expects a value`);
        value = argv[++i];
      }
      const x = Number(value);
      if (name === 'mtld-threshold') {
        if (value === '' || !(x > 0 && x < 1)) throw new UsageError(`--mtld-threshold expects a number in (0, 1) (got '${value}')`);
        o.div.mtldThreshold = x;
      } else {
        if (value === '' || !Number.isInteger(x) || x < 1) throw new UsageError(`--${name} expects a positive integer (got '${value}')`);
        o.div[ints[name]] = x;
      }
      continue;
    }
    if (o.file !== undefined) throw new UsageError(`expected one FILE, got '${o.file}' and '${arg}'`);
    o.file = arg;
  }
  if (!o.help && o.file === undefined) throw new UsageError('FILE is required');
  return o;
}

function formatText(file: string, r: DiversityResult): string {
  const w = Math.max(...Object.keys(r).map((k) => k.length));
  const lines = [`${file}`];
  for (const [k, v] of Object.entries(r)) lines.push(`  ${k.padEnd(w)}  ${v === null ? 'n/a' : String(v)}`);
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOrReport(() => parseArgs(argv));
  if (o === null) return 2;
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = o.file as string;
  try {
    const lines = await readTextLines(file);
    const r = diversity(lines, o.div);
    process.stdout.write(o.json ? JSON.stringify(r, null, 1) + '\n' : formatText(file, r));
    return 0;
  } catch (e) {
    if (e instanceof InputFileError) {
      process.stderr.write(`regurgitate ${COMMAND}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
