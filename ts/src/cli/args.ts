// The one argument parser of every command: `--flag value`, `--flag=value`, switches
// (`--json`, `--json=false`), `-h`, and `--` ends flags. Unknown flags, missing or
// malformed values and repeated flags are UsageErrors (exit status 2).
import { parseArgs as tokenize } from 'node:util';
import { RegurgitateError } from '../common/errors.js';
import { suggest } from '../common/validate.js';

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
  /** The bounds themselves are excluded: (min, max). */
  open?: boolean;
  /** The values a string flag allows. */
  choices?: readonly string[];
  /** May be given more than once; the value is every one given, in order (default []). */
  multiple?: boolean;
}

export interface CommandSpec {
  /** e.g. 'doctor' or 'bench gemm'. */
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. '<gemm|train>'. */
  args?: string;
  flags: FlagSpec[];
  /** Extra help text, before the flags. */
  details?: string;
  /** Help text after the flags. */
  footer?: string;
  /** Whether positionals are allowed. */
  positionals?: boolean;
}

export type FlagValue = string | number | boolean | number[] | string[] | undefined;

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

const HELP: FlagSpec = { name: 'help', type: 'boolean', description: 'show this help' };

function rangeText(f: FlagSpec): string {
  const [lo, hi] = f.open ? ['(', ')'] : ['[', ']'];
  if (f.min !== undefined && f.max !== undefined) return ` in ${lo}${f.min}, ${f.max}${hi}`;
  if (f.min !== undefined) return ` ${f.open ? '>' : '>='} ${f.min}`;
  if (f.max !== undefined) return ` ${f.open ? '<' : '<='} ${f.max}`;
  return '';
}

function parseValue(cmd: string, f: FlagSpec, raw: string): FlagValue {
  const bad = (what: string) => new UsageError(cmd, `--${f.name} expects ${what} (got '${raw}')`);
  const inRange = (x: number) =>
    f.open
      ? (f.min === undefined || x > f.min) && (f.max === undefined || x < f.max)
      : (f.min === undefined || x >= f.min) && (f.max === undefined || x <= f.max);
  switch (f.type) {
    case 'string':
      if (raw === '') throw bad('a non-empty value');
      if (f.choices && !f.choices.includes(raw))
        throw new UsageError(cmd, `--${f.name} must be one of ${f.choices.join(', ')} (got '${raw}')`);
      return raw;
    case 'int': {
      const x = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(x) || !inRange(x)) throw bad(`an integer${rangeText(f)}`);
      return x;
    }
    case 'number': {
      const x = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(x) || !inRange(x)) throw bad(`a number${rangeText(f)}`);
      return x;
    }
    case 'intlist':
      return raw.split(',').map((p) => {
        const x = Number(p);
        if (!/^\d+$/.test(p) || !Number.isSafeInteger(x) || !inRange(x))
          throw bad(`a comma-separated list of integers${rangeText(f)}, e.g. 256,512`);
        return x;
      });
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad('no value (it is a switch), or =true / =false');
  }
}

/** A following argument that is a flag rather than a value; `-` (stdin) and `-5` are values. */
function looksLikeFlag(a: string): boolean {
  return a.length > 1 && a.startsWith('-') && !/^-\.?\d/.test(a);
}

function unknownFlag(spec: CommandSpec, name: string): UsageError {
  const names = spec.flags.map((x) => x.name);
  const near = suggest(name, names);
  const hint = near ? `did you mean --${near}?` : `known: ${names.map((n) => `--${n}`).join(', ') || 'none besides --help'}`;
  return new UsageError(spec.name, `unknown flag --${name} (${hint})`);
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const cmd = spec.name;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const f of spec.flags) options[f.name] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
  // Not strict: strict mode refuses `--json=false` and `--lr -1`, and words its errors
  // its own way; the loop below makes the same checks with messages naming the flag.
  const { tokens } = tokenize({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, FlagValue> = {};
  for (const f of spec.flags) flags[f.name] = f.multiple ? [] : f.default;
  const given = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const f = t.name === 'help' ? HELP : spec.flags.find((x) => x.name === t.name);
    if (!t.rawName.startsWith('--') && f !== HELP) throw new UsageError(cmd, `unknown flag ${argv[t.index]} (flags are spelled --name)`);
    if (!f) throw unknownFlag(spec, t.name);
    if (given.has(f.name) && !f.multiple && f !== HELP) throw new UsageError(cmd, `--${f.name} given twice`);
    given.add(f.name);
    let value: FlagValue;
    if (f.type === 'boolean') value = t.value === undefined ? true : parseValue(cmd, f, t.value);
    else if (t.value === undefined || (!t.inlineValue && looksLikeFlag(t.value)))
      throw new UsageError(cmd, `--${f.name} needs a value${f.value ? ` (${f.value})` : ''}`);
    else value = parseValue(cmd, f, t.value);
    if (f === HELP) help = value as boolean;
    else if (f.multiple) (flags[f.name] as FlagValue[]).push(value);
    else flags[f.name] = value;
  }
  if (!spec.positionals && positionals.length > 0 && !help)
    throw new UsageError(cmd, `unexpected argument '${positionals[0]}'`);
  return { flags, positionals, help };
}

/** parseArgs for a command's run(): on --help prints the help and returns null (exit 0). */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed | null {
  const a = parseArgs(spec, argv);
  if (!a.help) return a;
  process.stdout.write(helpText(spec));
  return null;
}

export function helpText(spec: CommandSpec): string {
  const lines = [`usage: regurgitate ${spec.name}${spec.args ? ' ' + spec.args : ''}${spec.flags.length ? ' [flags]' : ''}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  const rows = [...spec.flags.map((f) => {
    const left = `--${f.name}${f.type === 'boolean' ? '' : ' ' + (f.value ?? f.type.toUpperCase())}`;
    const def = f.default === undefined || f.default === false ? '' : ` (default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)})`;
    return [left, f.description + def];
  }), ['--help, -h', HELP.description]];
  const w = Math.max(...rows.map((r) => r[0].length));
  lines.push('', 'flags:');
  for (const [l, r] of rows) lines.push(`  ${l.padEnd(w)}  ${r}`);
  if (spec.footer) lines.push('', spec.footer);
  return lines.join('\n') + '\n';
}
