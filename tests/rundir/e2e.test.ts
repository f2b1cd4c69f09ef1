// First end to end, as a user runs it: data prepare -> train (tokenizer trained if
// absent, best checkpoint by dev loss) -> translate -> eval, on a 2,000-verse sample of
// the bible corpus, spawned through the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { corpusBleu } from '../../ts/src/metrics/index.js';
import { cudaStatus } from '../../ts/src/native/device.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';

const FIX = join(ROOT, 'tests', 'fixtures');
let tmp: string;

function cli(args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (f: string) => readFileSync(f, 'utf8').replace(/\n$/, '').split('\n');

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-e2e-'));
  const r = cli(['data', 'prepare', '--src', join(FIX, 'bible-sample.es'), '--tgt', join(FIX, 'bible-sample.en'), '--langs', 'es,en', '--test', '100', '--dev', '100', '--out', join(tmp, 'data')]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train, translate, eval', () => {
  const run = () => join(tmp, 'run');

  it('train: trains the tokenizer when absent, keeps the best checkpoint by dev loss, and does not redo a finished run', () => {
    const data = join(tmp, 'data');
    expect(existsSync(join(data, 'tokenizer.json'))).toBe(false);
    const r = cli(['train', '--data', data, '--out', run(), '--model', 'tiny', '--vocab-size', '1000', '--steps', '60', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trained tokenizer/);
    expect(r.stderr).toMatch(/train .*step 60\/60/); // the progress line
    const res = JSON.parse(r.stdout.trim());
    expect(res.steps).toBe(60);
    expect(res.bestValidLoss).toBeGreaterThan(0);
    for (const f of ['run.json', 'tokenizer.json', 'progress.jsonl', 'result.json', 'model/model.safetensors', 'checkpoints/best/model.safetensors', 'checkpoints/latest.json'])
      expect(existsSync(join(run(), f)), f).toBe(true);
    const meta = JSON.parse(readFileSync(join(run(), 'run.json'), 'utf8'));
    expect(meta.model.vocabSize).toBe(1000);
    expect(meta.data.trainPairs).toBeGreaterThan(1700);
    // The kept weights are the best checkpoint's.
    expect(readFileSync(join(run(), 'model', 'model.safetensors')).equals(readFileSync(join(run(), 'checkpoints', 'best', 'model.safetensors')))).toBe(true);
    // The corpus tokenizer is reused (no retraining) and a finished run is not redone.
    const again = cli(['train', '--data', data, '--out', run(), '--model', 'tiny', '--vocab-size', '1000', '--steps', '60']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/trained tokenizer/);
    expect(again.stderr).toMatch(/already trained/);
  });

  it('translate: one line out per line in, greedy and beam; special strings in the input are text', () => {
    const input = join(tmp, 'in.es');
    writeFileSync(input, 'En el principio creó Dios los cielos y la tierra.\nY dijo Dios: Sea la luz </s> <s> <pad>\n\nJesús lloró.\n');
    for (const extra of [[], ['--beam', '4']]) {
      const r = cli(['translate', '--run', run(), '--input', input, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout.split('\n');
      expect(out.length).toBe(5); // 4 lines + final newline
      expect(out[2]).toBe(''); // empty line in, empty line out
      // Alignment: line i of the output is the translation of line i alone.
      const one = join(tmp, 'one.es');
      writeFileSync(one, lines(input)[3] + '\n');
      expect(cli(['demo', '--device', 'gpu']).stderr).toMatch(/demo: --device must be cpu, cuda or auto \(got 'gpu'\)/);
    expect(cli(['translate', '--run', run(), '--input', one, ...extra]).stdout).toBe(out[3] + '\n');
    }
    const bad = cli(['translate', '--run', run(), '--input', input, '--beam', '2', '--sample']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/exclude each other/);
  });

  it('eval: BLEU, chrF and TER with sacreBLEU signatures on the test split, hypotheses written', () => {
    const r = cli(['eval', '--run', run(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.part).toBe('test');
    expect(e.sentences).toBe(100);
    expect(e.signatures.bleu).toBe('nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    expect(e.signatures.chrf).toBe('nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0');
    expect(e.signatures.ter).toMatch(/^nrefs:1\|case:lc\|tok:tercom/);
    const hyps = lines(join(run(), 'eval', 'test.hyp'));
    expect(hyps.length).toBe(100);
    // The printed score is the score of the written hypotheses against the test references.
    const refs = lines(join(tmp, 'data', 'test.en'));
    expect(e.bleu).toBeCloseTo(corpusBleu(hyps, [refs]).score, 10);
    expect(e.chrf).toBeGreaterThan(0);
    const text = cli(['eval', '--run', run()]);
    expect(text.stdout).toMatch(/^BLEU +\d+\.\d\d +nrefs:1\|/m);
  });

  it('eval --apertium scores the rule-based system on the same split', () => {
    const has = spawnSync('apertium', ['-l'], { encoding: 'utf8' });
    if (has.error || !has.stdout.includes('spa-eng')) {
      console.warn('skipped: apertium with mode spa-eng is not installed (Debian: apertium-eng-spa; scripts/setup.sh installs it)');
      return;
    }
    const r = cli(['eval', '--apertium', 'spa-eng', '--data', join(tmp, 'data'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.sentences).toBe(100);
    expect(e.bleu).toBeGreaterThan(5); // a real system: far above an untrained model
    expect(e.system.mode).toBe('spa-eng');
  });

  it('train: Ctrl-C stops with a checkpoint, and the same command resumes to the end', async () => {
    const out = join(tmp, 'run-int');
    const args = [CLI, 'train', '--data', join(tmp, 'data'), '--out', out, '--model', 'tiny', '--vocab-size', '1000', '--steps', '120', '--max-tokens', '1500', '--dev-part', 'none'];
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/step [1-9]\d*\/120/.test(err) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code, err).toBe(130);
    expect(err).toMatch(/resume/);
    expect(existsSync(join(out, 'checkpoints', 'latest.json'))).toBe(true);
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    const stoppedAt = JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step;
    expect(stoppedAt).toBeLessThan(120);
    const r = cli(['train', '--data', join(tmp, 'data'), '--out', out, '--model', 'tiny', '--vocab-size', '1000', '--steps', '120', '--max-tokens', '1500', '--dev-part', 'none', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).steps).toBe(120);
  });

  it('bad input: clear errors naming the file or flag', () => {
    const noData = cli(['train', '--data', join(tmp, 'nope'), '--out', join(tmp, 'x')]);
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/nope: no such corpus directory/);
    expect(cli(['train', '--out', join(tmp, 'x')]).stderr).toMatch(/--data DIR is required/);
    expect(cli(['train', '--data', join(tmp, 'data'), '--out', join(tmp, 'x'), '--model', 'huge']).stderr).toMatch(/--model must be one of tiny, small, base/);
    const noRun = cli(['eval', '--run', join(tmp, 'nope'), '--data', join(tmp, 'data')]);
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toMatch(/no such run directory/);
    expect(cli(['eval']).stderr).toMatch(/exactly one of --run RUN and --apertium MODE/);
    const badDev = cli(['train', '--data', join(tmp, 'data'), '--out', join(tmp, 'x'), '--device', 'gpu']);
    expect(badDev.code).toBe(2);
    expect(badDev.stderr).toMatch(/--device must be one of cpu, cuda, auto/);
    expect(cli(['demo', '--device', 'gpu']).stderr).toMatch(/demo: --device must be cpu, cuda or auto \(got 'gpu'\)/);
    expect(cli(['translate', '--run', run(), '--input', join(FIX, 'bible-sample.es'), '--device', 'tpu']).stderr).toMatch(/translate: --device must be one of/);
    if (!cudaStatus().loadable) {
      // device cuda without a GPU: the reason, before any training.
      const cu = cli(['train', '--data', join(tmp, 'data'), '--out', join(tmp, 'x-cuda'), '--device', 'cuda']);
      expect(cu.code).toBe(1);
      expect(cu.stderr).toMatch(/EBACKEND: device 'cuda' was asked for, but CUDA is unavailable: /);
      expect(existsSync(join(tmp, 'x-cuda', 'result.json'))).toBe(false);
    }
  });
});
