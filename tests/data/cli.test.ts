// `regurgitate data prepare` and `regurgitate tokenizer train|encode|decode`, spawned as
// a user runs them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-datacli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt());

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ES = readFileSync(join(ROOT, 'tests', 'fixtures', 'bible-sample.es'), 'utf8').split('\n').filter(Boolean).slice(0, 300);
const EN = readFileSync(join(ROOT, 'tests', 'fixtures', 'bible-sample.en'), 'utf8').split('\n').filter(Boolean).slice(0, 300);

describe('help', () => {
  it('every new command has --help', () => {
    for (const args of [['data'], ['data', 'prepare'], ['tokenizer'], ['tokenizer', 'train'], ['tokenizer', 'encode'], ['tokenizer', 'decode']]) {
      const r = cli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`usage: regurgitate ${args.join(' ')}`);
    }
    expect(cli(['--help']).stdout).toMatch(/data .*\n.*tokenizer/s);
    expect(cli(['data', 'frobnicate']).code).toBe(2);
  });
});

describe('data prepare', () => {
  const es = join(dir, 'corpus.es');
  const en = join(dir, 'corpus.en');
  beforeAll(() => {
    writeFileSync(es, ES.join('\n') + '\n');
    writeFileSync(en, EN.join('\n') + '\n');
  });

  it('Moses pair with named parts', () => {
    const out = join(dir, 'moses');
    const r = cli(['data', 'prepare', '--src', es, '--tgt', en, '--out', out, '--parts', 'poolA=100,poolB=0.3,dev=20,test=30', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/poolA\s+100\s+poolA\.es poolA\.en/);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.seed).toBe(7);
    expect(meta.langs).toEqual({ src: 'es', tgt: 'en' });
    expect(Object.keys(meta.parts)).toEqual(['poolA', 'poolB', 'dev', 'test']);
    expect(meta.parts.poolB.count).toBe(Math.floor(0.3 * meta.total));
    expect(readFileSync(join(out, 'poolA.es'), 'utf8').split('\n').length - 1).toBe(100);
  });

  it('TSV, JSONL and TMX, with --langs and --json', () => {
    const tsv = join(dir, 'c.tsv');
    writeFileSync(tsv, ES.map((s, i) => `${s}\t${EN[i]}`).join('\n') + '\n');
    const jsonl = join(dir, 'c.jsonl');
    writeFileSync(jsonl, ES.map((s, i) => JSON.stringify({ src: s, tgt: EN[i] })).join('\n') + '\n');
    const tmx = join(dir, 'c.tmx');
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    writeFileSync(tmx, `<tmx version="1.4"><header/><body>\n${ES.map((s, i) => `<tu><tuv xml:lang="es"><seg>${esc(s)}</seg></tuv><tuv xml:lang="en"><seg>${esc(EN[i])}</seg></tuv></tu>`).join('\n')}\n</body></tmx>\n`);
    const results: string[] = [];
    for (const [flag, file] of [['--tsv', tsv], ['--jsonl', jsonl], ['--tmx', tmx]]) {
      const out = join(dir, flag.slice(2));
      const r = cli(['data', 'prepare', flag, file, '--langs', 'es,en', '--out', out, '--dev', '10', '--test', '0.1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const meta = JSON.parse(r.stdout);
      expect(meta.parts.test.count).toBe(Math.floor(meta.total * 0.1));
      expect(meta.parts.dev.count).toBe(10);
      results.push(readFileSync(join(out, 'test.en'), 'utf8'));
    }
    // Same pairs, same seed: the same test set whatever the format.
    expect(results[1]).toBe(results[0]);
    expect(results[2]).toBe(results[0]);
  });

  it('usage errors exit 2, data errors exit 1 with file and line', () => {
    const usage: [string[], RegExp][] = [
      [['data', 'prepare', '--out', dir], /give a corpus/],
      [['data', 'prepare', '--tsv', es], /--out DIR is required/],
      [['data', 'prepare', '--tsv', es, '--jsonl', es, '--out', dir], /give one corpus/],
      [['data', 'prepare', '--tmx', es, '--out', dir], /--tmx needs --langs/],
      [['data', 'prepare', '--src', es, '--out', dir], /--src and --tgt go together/],
      [['data', 'prepare', '--tsv', es, '--out', dir, '--parts', 'a=5', '--dev', '3'], /--parts replaces --dev and --test/],
      [['data', 'prepare', '--tsv', es, '--out', dir, '--dev', '2.5'], /--dev expects a count/],
      [['data', 'prepare', 'wikipedia', '--out', dir], /unknown corpus 'wikipedia'/],
      [['data', 'prepare', 'bible', '--pair', 'es-fr', '--out', dir], /--pair must be two different languages/],
      [['data', 'prepare', '--tsv', es, '--out', dir, '--length-unit', 'bytes'], /--length-unit must be words or chars/],
    ];
    for (const [args, re] of usage) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    const short = join(dir, 'short.en');
    writeFileSync(short, EN.slice(0, 10).join('\n') + '\n');
    const r = cli(['data', 'prepare', '--src', es, '--tgt', short, '--out', join(dir, 'never')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`line counts differ: ${es} has 300 lines but ${short} has 10 lines`);
    const tsv = join(dir, 'bad.tsv');
    writeFileSync(tsv, 'a\tb\nc\n');
    const r2 = cli(['data', 'prepare', '--tsv', tsv, '--out', join(dir, 'never')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`${tsv}:2: expected 2 tab-separated fields`);
    expect(existsSync(join(dir, 'never', 'meta.json'))).toBe(false);
    const big = cli(['data', 'prepare', '--src', es, '--tgt', en, '--out', join(dir, 'never'), '--test', '5000']);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/the parts need 6000 pairs \(test 5000 \+ dev 1000\) but the corpus has only 300 after cleaning/);
  });
});

describe('tokenizer CLI', () => {
  it('train, encode --ids, decode round trip; encode shows tokens', () => {
    const a = join(dir, 'tok.es');
    const b = join(dir, 'tok.en');
    writeFileSync(a, ES.join('\n') + '\n');
    writeFileSync(b, EN.join('\n') + '\n');
    const tj = join(dir, 'tokenizer.json');
    const t = cli(['tokenizer', 'train', '--input', `${a},${b}`, '--vocab-size', '600', '--out', tj, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const stats = JSON.parse(t.stdout);
    expect(stats).toMatchObject({ lines: 600, vocabSize: 600 });
    const input = ['EN el principio crió Dios los cielos y la tierra.', 'In the beginning, God created the heavens and the earth.', '  spaces  😀 Cafe\u0301'];
    const enc = cli(['tokenizer', 'encode', '--tokenizer', tj, '--ids'], input.join('\n') + '\n');
    expect(enc.code, enc.stderr).toBe(0);
    const idLines = enc.stdout.trimEnd().split('\n');
    expect(idLines.length).toBe(3);
    const dec = cli(['tokenizer', 'decode', '--tokenizer', tj], enc.stdout);
    expect(dec.code, dec.stderr).toBe(0);
    expect(dec.stdout).toBe(input.map((s) => s.normalize('NFC')).join('\n') + '\n');
    const toks = cli(['tokenizer', 'encode', '--tokenizer', tj, '--bos', '--eos'], 'In the beginning\n');
    expect(toks.stdout).toMatch(/^<s> .*Ġthe .*<\/s>\n$/);
    const bad = cli(['tokenizer', 'decode', '--tokenizer', tj], '5 6 99999\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("stdin:1: '99999' is not a token id in [0, 600)");
    expect(cli(['tokenizer', 'encode']).code).toBe(2);
    expect(cli(['tokenizer', 'train', '--input', a, '--vocab-size', '10']).code).toBe(2);
    const missing = cli(['tokenizer', 'encode', '--tokenizer', join(dir, 'none.json')], 'x\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.json: no such file/);
  });
});
