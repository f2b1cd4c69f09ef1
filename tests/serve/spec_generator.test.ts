// A spec's openai generator at the default prompt, built as the experiment runner builds
// it, against the real `regurgitate serve` (spawned CLI) on a trained tiny run: the
// server must translate the source sentence, not the whole instruction.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Tokenizer } from '../../ts/src/data/tokenizer/index.js';
import { expandGrid, type GeneratorCell } from '../../ts/src/experiments/grid/grid.js';
import { buildGenerator, type JobContext } from '../../ts/src/experiments/run/jobs.js';
import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { fillPrompt } from '../../ts/src/generators/prompt.js';
import { openRun } from '../../ts/src/rundir/open.js';
import { encodePairs } from '../../ts/src/rundir/tokenize.js';
import { trainRun } from '../../ts/src/rundir/train.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';
import { sentences } from './toy-translator.js';

let tmp: string;
let serve: ChildProcess | undefined;
let url: string;
const runDir = () => join(tmp, 'run');

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-serve-spec-'));
  // A tiny model taught to copy synthetic sentences: outputs differ from sentence to sentence.
  const lines = sentences(400, 1);
  const tok = await Tokenizer.train(lines, { vocabSize: 300 });
  const train = encodePairs(tok, { src: lines, tgt: lines }, 64).pairs;
  const trainOptions = { maxSteps: 120, maxEpochs: 1000, lr: 3e-3, warmupSteps: 10, maxSentences: 32, maxTokens: 1024 };
  await trainRun({ out: runDir(), tokenizer: tok, train, model: { preset: 'tiny', maxLen: 64, dropout: 0 }, trainOptions, seed: 3 });

  const child = spawn(process.execPath, [CLI, 'serve', '--run', runDir(), '--port', '0', '--device', 'cpu'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = / at (http:\S+)\/v1 /.exec(stdout);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve!.on('exit', r));
    serve.kill('SIGTERM'); // graceful close
    await exited;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('spec openai generator -> regurgitate serve', () => {
  it('at the default prompt, the server translates only the source sentence', async () => {
    const spec = parseSpec(`generators:\n  served: { kind: openai, baseUrl: "${url}/v1", model: run, apiKeyEnv: null }\nconditions: [real, generated:served]\n`, 'serve.yaml');
    // The generator cell as the grid plans it; an openai generator needs nothing else from the context.
    const cell = expandGrid(spec).find((c): c is GeneratorCell => c.kind === 'generator' && c.name === 'served')!;
    const ctx = { log: () => {} } as unknown as JobContext;
    const gen = await buildGenerator(ctx, cell);
    const src = sentences(6, 11);
    const served = await gen.generate(src);
    await gen.close();

    const run = openRun(runDir(), { device: 'cpu' });
    const direct = await run.translate(src);
    expect(served.map((g) => g.text)).toEqual(direct.map((g) => g.text));
    // The check has teeth: the whole filled prompt translates to something else.
    const prompt = spec.generators.served.kind === 'openai' ? spec.generators.served.prompt : '';
    const whole = await run.translate(src.map((s) => fillPrompt(prompt, { source: s, src_lang: 'Spanish', tgt_lang: 'English' })));
    whole.forEach((w, i) => expect(w.text).not.toBe(direct[i].text));
  });
});
