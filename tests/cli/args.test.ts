import { describe, expect, it } from 'vitest';

import { helpText, parseArgs, UsageError, type CommandSpec } from '../../ts/src/cli/args.js';
import { formatDuration, formatRate, ProgressBar } from '../../ts/src/cli/progress.js';

const spec: CommandSpec = {
  name: 'bench gemm',
  summary: 'test',
  flags: [
    { name: 'sizes', type: 'intlist', min: 1, default: [256] },
    { name: 'steps', type: 'int', min: 1, max: 100 },
    { name: 'lr', type: 'number', min: 0 },
    { name: 'out', type: 'string' },
    { name: 'json', type: 'boolean' },
  ].map((f) => ({ description: f.name, ...f })) as CommandSpec['flags'],
};

function usage(argv: string[]): string {
  try {
    parseArgs(spec, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('parses flags in both spellings, with defaults', () => {
    const a = parseArgs(spec, ['--sizes', '64,128', '--steps=5', '--json', '--lr', '1e-3', '--out', 'x']);
    expect(a.flags).toEqual({ sizes: [64, 128], steps: 5, lr: 1e-3, out: 'x', json: true });
    expect(parseArgs(spec, []).flags).toEqual({ sizes: [256], steps: undefined, lr: undefined, out: undefined, json: undefined });
    expect(parseArgs(spec, ['-h']).help).toBe(true);
    expect(parseArgs(spec, ['--json=false']).flags.json).toBe(false);
  });

  it('gives precise errors', () => {
    expect(usage(['--bogus'])).toBe('unknown flag --bogus (known: --sizes, --steps, --lr, --out, --json)');
    expect(usage(['-x'])).toBe('unknown flag -x (flags are spelled --name)');
    expect(usage(['--steps'])).toBe('--steps needs a value');
    expect(usage(['--steps', '--json'])).toBe('--steps needs a value');
    expect(usage(['--steps', '0'])).toBe("--steps expects an integer in [1, 100] (got '0')");
    expect(usage(['--steps', '2.5'])).toBe("--steps expects an integer in [1, 100] (got '2.5')");
    expect(usage(['--lr', 'abc'])).toBe("--lr expects a number >= 0 (got 'abc')");
    expect(usage(['--sizes', '1,,2'])).toBe("--sizes expects a comma-separated list of integers >= 1, e.g. 256,512 (got '1,,2')");
    expect(usage(['--json=yes'])).toBe("--json expects no value (it is a switch), or =true / =false (got 'yes')");
    expect(usage(['extra'])).toBe("unexpected argument 'extra'");
  });

  it('takes values that start with a dash only where they cannot be a flag', () => {
    const dashed: CommandSpec = { name: 'x', summary: 'x', flags: [...spec.flags, { name: 'offset', type: 'number', description: 'o' }] };
    expect(parseArgs(dashed, ['--offset', '-2.5']).flags.offset).toBe(-2.5);
    expect(parseArgs(dashed, ['--offset', '-.5']).flags.offset).toBe(-0.5);
    expect(usage(['--lr', '-1'])).toBe("--lr expects a number >= 0 (got '-1')");
    expect(usage(['--steps', '-5'])).toBe("--steps expects an integer in [1, 100] (got '-5')");
    expect(parseArgs(spec, ['--out', '-']).flags.out).toBe('-'); // stdin
    expect(usage(['--out', '-x'])).toBe('--out needs a value');
    expect(usage(['--out', '--'])).toBe('--out needs a value');
    expect(parseArgs(spec, ['--out=-x']).flags.out).toBe('-x');
  });

  it('`--` ends the flags', () => {
    const withArgs = { ...spec, positionals: true };
    const a = parseArgs(withArgs, ['a', '--json', '--', '--steps', '-h']);
    expect(a.positionals).toEqual(['a', '--steps', '-h']);
    expect(a.help).toBe(false);
    expect(a.flags.json).toBe(true);
    expect(usage(['--', 'x'])).toBe("unexpected argument 'x'");
  });

  it('repeats only the flags marked multiple', () => {
    const multi: CommandSpec = { name: 'x', summary: 'x', flags: [{ name: 'ref', type: 'string', multiple: true, description: 'r' }] };
    expect(parseArgs(multi, []).flags.ref).toEqual([]);
    expect(parseArgs(multi, ['--ref', 'a', '--ref=b', '--ref', '-']).flags.ref).toEqual(['a', 'b', '-']);
    expect(usage(['--steps', '1', '--steps=2'])).toBe('--steps given twice');
    expect(usage(['--json', '--json'])).toBe('--json given twice');
    expect(parseArgs(spec, ['-h', '--help']).help).toBe(true);
  });

  it('checks choices and open or one-sided ranges', () => {
    const s: CommandSpec = {
      name: 'x',
      summary: 'x',
      flags: [
        { name: 'tok', type: 'string', choices: ['13a', 'char'], description: 't' },
        { name: 'p', type: 'number', min: 0, max: 1, open: true, description: 'p' },
        { name: 'k', type: 'int', max: 9, description: 'k' },
      ],
    };
    const parsing = (argv: string[]) => () => parseArgs(s, argv);
    expect(parseArgs(s, ['--tok', 'char', '--p', '0.5', '--k', '-3']).flags).toEqual({ tok: 'char', p: 0.5, k: -3 });
    expect(parsing(['--tok', 'zh'])).toThrow("--tok must be one of 13a, char (got 'zh')");
    for (const v of ['0', '1']) expect(parsing(['--p', v])).toThrow(`--p expects a number in (0, 1) (got '${v}')`);
    expect(parsing(['--k', '10'])).toThrow("--k expects an integer <= 9 (got '10')");
  });

  it('names unknown flags with a suggestion when one is close', () => {
    expect(usage(['--step', '3'])).toBe('unknown flag --step (did you mean --steps?)');
    expect(usage(['--sizez', '3'])).toBe('unknown flag --sizez (did you mean --sizes?)');
    expect(usage(['-json'])).toBe('unknown flag -json (flags are spelled --name)');
    expect(usage(['-hx'])).toBe('unknown flag -hx (flags are spelled --name)');
    expect(() => parseArgs({ name: 'x', summary: 'x', flags: [] }, ['--json'])).toThrow('unknown flag --json (known: none besides --help)');
  });

  it('renders help with every flag', () => {
    const h = helpText(spec);
    expect(h).toContain('usage: regurgitate bench gemm [flags]');
    for (const f of spec.flags) expect(h).toContain(`--${f.name}`);
    expect(h).toContain('(default 256)');
    expect(h).toMatch(/--help, -h\s+show this help\n$/);
    expect(helpText({ ...spec, footer: 'exit status: 2 for bad flags.' })).toMatch(/show this help\n\nexit status: 2 for bad flags\.\n$/);
  });
});

describe('ProgressBar', () => {
  function sink() {
    const chunks: string[] = [];
    return { chunks, stream: { write: (s: string) => (chunks.push(s), true), columns: 100 } as unknown as NodeJS.WritableStream };
  }

  it('updates one line in place on a TTY', () => {
    let t = 0;
    const s = sink();
    const bar = new ProgressBar({ total: 100, label: 'train', stream: s.stream, tty: true, now: () => t });
    t = 1000;
    bar.update(10, { loss: 2.5, tokensPerSec: 12345 });
    t = 1050;
    bar.update(11); // throttled
    t = 2000;
    bar.update(20, { loss: 2 });
    bar.done();
    expect(s.chunks.length).toBe(3);
    expect(s.chunks[0].startsWith('\r\x1b[2K')).toBe(true);
    expect(s.chunks[0]).toContain('step 10/100');
    expect(s.chunks[0]).toContain('loss 2.5000');
    expect(s.chunks[0]).toContain('12.3k tok/s');
    expect(s.chunks[0]).toContain('ETA 0:09');
    expect(s.chunks[2].endsWith('\n')).toBe(true);
    expect(s.chunks.every((c) => c.replace(/\r\x1b\[2K|\n/g, '').length < 100)).toBe(true);
  });

  it('prints periodic plain lines otherwise', () => {
    let t = 0;
    const s = sink();
    const bar = new ProgressBar({ total: 10, stream: s.stream, tty: false, intervalMs: 5000, now: () => t });
    for (let i = 1; i <= 10; i++) {
      t = i * 1000;
      bar.update(i, { loss: 1 / i });
    }
    bar.done();
    expect(s.chunks.every((c) => !c.includes('\r') && c.endsWith('\n'))).toBe(true);
    expect(s.chunks.length).toBe(3); // step 1 (first), step 6 (5 s later), done (step 10)
    expect(s.chunks[1]).toContain('step 6/10');
    expect(s.chunks[2]).toContain('step 10/10');
  });

  it('formats durations and rates', () => {
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
    expect(formatRate(999)).toBe('999');
    expect(formatRate(2.5e6)).toBe('2.50M');
  });
});
