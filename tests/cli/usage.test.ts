// Every command reports usage errors through the one parser: the same words, exit status 2.
// score and diversity print them from run() itself; the others throw them to main.ts.
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { UsageError, usageMessage } from '../../ts/src/cli/args.js';
import * as bench from '../../ts/src/cli/bench.js';
import * as diversity from '../../ts/src/cli/diversity.js';
import * as doctor from '../../ts/src/cli/doctor.js';
import * as score from '../../ts/src/cli/score.js';
import * as train from '../../ts/src/cli/train.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

/** What the user sees on stderr for `argv`, whichever way the command reports it. */
async function usageOf(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<string> {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    expect(await run(argv)).toBe(2);
    return err;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageMessage(e);
  }
}

const see = (cmd: string) => `\nsee 'regurgitate ${cmd} --help'\n`;
const benchTrain = (argv: string[]) => bench.run(['train', ...argv]);
const needed = { score: ['--ref', 'r', '--hyp', 'h'], diversity: ['file.txt'] };

// [command name, run, arguments that make it valid, an int flag >= 1]
const commands = [
  ['score', score.run, needed.score, 'bootstrap-samples'],
  ['diversity', diversity.run, needed.diversity, 'hdd-draws'],
  ['train', train.run, [], 'steps'],
  ['bench train', benchTrain, [], 'steps'],
] as const;

describe('usage errors are the same in every command', () => {
  it.each(commands)('%s', async (cmd, run, ok, intFlag) => {
    const range = cmd === 'bench train' ? 'in [1, 1000000]' : '>= 1';
    const cases: Array<[string[], string]> = [
      [['--bogus'], 'unknown flag --bogus (known: --'],
      [['--jsn'], 'unknown flag --jsn (did you mean --json?)'],
      [['-j'], 'unknown flag -j (flags are spelled --name)'],
      [[`--${intFlag}`], `--${intFlag} needs a value (N)`],
      [[`--${intFlag}`, '--json'], `--${intFlag} needs a value (N)`],
      [[`--${intFlag}`, '0'], `--${intFlag} expects an integer ${range} (got '0')`],
      [[`--${intFlag}=-3`], `--${intFlag} expects an integer ${range} (got '-3')`],
      [[`--${intFlag}`, '2.5'], `--${intFlag} expects an integer ${range} (got '2.5')`],
      [['--json', '--json=false'], '--json given twice'],
      [['--json=yes'], "--json expects no value (it is a switch), or =true / =false (got 'yes')"],
    ];
    for (const [argv, message] of cases) {
      const text = await usageOf(run, [...ok, ...argv]);
      expect(text, argv.join(' ')).toMatch(new RegExp(`^regurgitate ${cmd}: `));
      expect(text, argv.join(' ')).toContain(message);
      expect(text.endsWith(see(cmd)), text).toBe(true);
    }
  });

  it('an unexpected argument is named alike', async () => {
    expect(await usageOf(score.run, [...needed.score, 'extra'])).toBe(`regurgitate score: unexpected argument 'extra'${see('score')}`);
    expect(await usageOf(doctor.run, ['extra'])).toBe(`regurgitate doctor: unexpected argument 'extra'${see('doctor')}`);
  });
});

describe('the metric commands through main.ts', () => {
  beforeAll(() => ensureBuilt());
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });

  it('exit 2 with the message, help exits 0', () => {
    let r = cli(['score', '--ref', 'r', '--hyp', 'h', '--hyp', 'h2']);
    expect([r.status, r.stderr]).toEqual([2, `regurgitate score: --hyp given twice${see('score')}`]);
    r = cli(['diversity', 'f', '--mattr-window', '-1']);
    expect([r.status, r.stderr]).toEqual([2, `regurgitate diversity: --mattr-window expects an integer >= 1 (got '-1')${see('diversity')}`]);
    r = cli(['diversity', '-h']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: regurgitate diversity FILE \[flags\]\n/);
  });
});
