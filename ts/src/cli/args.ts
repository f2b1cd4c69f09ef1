// A small argument parser: `--flag value`, `--flag=value`, boolean `--flag`, `-h`,
// `--` ends flags. Unknown flags, missing or malformed values are UsageErrors (exit 2).
import { RegurgitateError } from '../common/errors.js';

export type FlagType = 'boolean' | 'string' | 'int' | 'number' | 'intlist';

export interface FlagSpec {
  name: string; // without dashes
  type: FlagType;
  description: string;
  /** Placeholder shown in help: --out DIR. */
  value?: string;
  default?: string | number | boolean | number[];
  /** Smallest allowed value for int/number/intlist. */
  min?: number;
  max?: number;
}

export interface CommandSpec {
  /** e.g. 'doctor' or 'bench gemm'. */
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. '<gemm|train>'. */
  args?: string;
  flags: FlagSpec[];
  /** Extra help text. */
  details?: string;
  /** Whether positionals are allowed. */
  positionals?: boolean;
}

export type FlagValue = string | number | boolean | number[] | undefined;

export interface Parsed {
  flags: Record<string, FlagValue>;
  positionals: string[];
  help: boolean;
}

export class UsageError extends RegurgitateError {
  readonly command: string;
  constructor(command: string, message: string) {
    super('EUSAGE', message);
    this.command = command;
  }
  override get name(): string {
    return 'UsageError';
  }
}

/** The message main.ts prints for a usage error (exit status 2). */
export function usageMessage(e: UsageError): string {
  return `regurgitate ${e.command}: ${e.message}\nsee 'regurgitate ${e.command} --help'\n`;
}

/**
 * For commands with their own flag parser: runs `parse`; on a UsageError prints it as
 * main.ts would and returns null, so `run()` can return 2 when called directly too.
 */
export function parseOrReport<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(usageMessage(e));
    return null;
  }
}

function parseValue(cmd: string, f: FlagSpec, raw: string): FlagValue {
  const bad = (what: string) => new UsageError(cmd, `--${f.name} expects ${what} (got '${raw}')`);
  const bounds = (x: number) =>
    (f.min === undefined || x >= f.min) && (f.max === undefined || x <= f.max);
  const rangeText = () =>
    f.min !== undefined && f.max !== undefined ? ` in [${f.min}, ${f.max}]` : f.min !== undefined ? ` >= ${f.min}` : '';
  switch (f.type) {
    case 'string':
      if (raw === '') throw bad('a non-empty value');
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw bad(`an integer${rangeText()}`);
      const x = Number(raw);
      if (!Number.isSafeInteger(x) || !bounds(x)) throw bad(`an integer${rangeText()}`);
      return x;
    }
    case 'number': {
      const x = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(x) || !bounds(x)) throw bad(`a number${rangeText()}`);
      return x;
    }
    case 'intlist': {
      const parts = raw.split(',');
      const out: number[] = [];
      for (const p of parts) {
        const x = Number(p);
        if (!/^\d+$/.test(p) || !Number.isSafeInteger(x) || !bounds(x))
          throw bad(`a comma-separated list of integers${rangeText()}, e.g. 256,512`);
        out.push(x);
      }
      return out;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad('no value (it is a switch), or =true / =false');
  }
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const cmd = spec.name;
  const flags: Record<string, FlagValue> = {};
  for (const f of spec.flags) flags[f.name] = f.default;
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      if (!a.startsWith('--')) throw new UsageError(cmd, `unknown flag ${a} (flags are spelled --name)`);
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const f = spec.flags.find((x) => x.name === name);
      if (!f) {
        const known = spec.flags.map((x) => `--${x.name}`).join(', ') || 'none besides --help';
        throw new UsageError(cmd, `unknown flag --${name} (known: ${known})`);
      }
      if (f.type === 'boolean') {
        flags[f.name] = eq < 0 ? true : parseValue(cmd, f, a.slice(eq + 1));
        continue;
      }
      let raw: string;
      if (eq >= 0) raw = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2))
          throw new UsageError(cmd, `--${f.name} needs a value${f.value ? ` (${f.value})` : ''}`);
        raw = next;
        i++;
      }
      flags[f.name] = parseValue(cmd, f, raw);
      continue;
    }
    positionals.push(a);
  }
  if (!spec.positionals && positionals.length > 0 && !help)
    throw new UsageError(cmd, `unexpected argument '${positionals[0]}'`);
  return { flags, positionals, help };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`usage: regurgitate ${spec.name}${spec.args ? ' ' + spec.args : ''}${spec.flags.length ? ' [flags]' : ''}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  const rows = [...spec.flags.map((f) => {
    const left = `--${f.name}${f.type === 'boolean' ? '' : ' ' + (f.value ?? f.type.toUpperCase())}`;
    const def = f.default === undefined || f.default === false ? '' : ` (default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)})`;
    return [left, f.description + def];
  }), ['--help, -h', 'show this help']];
  const w = Math.max(...rows.map((r) => r[0].length));
  lines.push('', 'flags:');
  for (const [l, r] of rows) lines.push(`  ${l.padEnd(w)}  ${r}`);
  return lines.join('\n') + '\n';
}
