// Small helpers shared by the commands.
import { InputFileError } from '../metrics/textfile.js';
import { parseCommand, UsageError, usageMessage, type CommandSpec, type Parsed } from './args.js';

export { mulberry32 } from '../data/split.js';

export function out(line: string): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

/** A random integer in [lo, hi). */
export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo));
}

/**
 * run() of the metric commands (score, diversity): `body` returns what to print. Usage
 * errors are printed here too, as main.ts would, since their tests call run() directly;
 * unreadable or inconsistent input exits 1.
 */
export async function runMetricCommand<T>(spec: CommandSpec, argv: string[], options: (a: Parsed) => T, body: (o: T) => Promise<string>): Promise<number> {
  let o: T;
  try {
    const a = parseCommand(spec, argv);
    if (!a) return 0;
    o = options(a);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(usageMessage(e));
    return 2;
  }
  try {
    process.stdout.write(await body(o));
    return 0;
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    process.stderr.write(`regurgitate ${spec.name}: ${e.message}\n`);
    return 1;
  }
}
