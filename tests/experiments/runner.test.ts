// The study end to end on a 2,000-verse sample of the bible: a model generator trained
// on pool A, Apertium, students on real, generated and mixed targets, the results store,
// the report; then what a researcher relies on: nothing finished is redone, a stopped
// run resumes, a changed spec is caught, and the CLI commands around it work.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseSpec } from '../../ts/src/experiments/spec/spec.js';
import { runExperiment, type RunEvent } from '../../ts/src/experiments/run/runner.js';
import { buildReport } from '../../ts/src/experiments/report.js';
import { openStore } from '../../ts/src/experiments/store/store.js';
import type { ExperimentSpec } from '../../ts/src/experiments/spec/types.js';
import { corpusBleu } from '../../ts/src/metrics/index.js';
import { readLinesSync as lines } from '../../ts/src/common/text.js';
import { generatedCount, sampleIndices } from '../../ts/src/experiments/grid/sampling.js';
import type { TrainingRow } from '../../ts/src/experiments/run/student.js';
import { CLI, ensureBuilt, ROOT } from '../helpers.js';
import { cudaStatus } from '../../ts/src/native/device.js';

const FIX = join(ROOT, 'tests', 'fixtures');
const probe = spawnSync('apertium', ['-l'], { encoding: 'utf8' });
const HAS_APERTIUM = !probe.error && probe.stdout.includes('spa-eng');
if (!HAS_APERTIUM) console.warn('runner test: Apertium (Debian apertium-eng-spa) is not installed: its conditions are left out');

function specText(studentSteps = 20): string {
  return `
name: tiny-study
corpus: { kind: moses, srcFile: ${join(FIX, 'bible-sample.es')}, tgtFile: ${join(FIX, 'bible-sample.en')}, src: es, tgt: en }
splits: { poolA: 600, poolB: rest, dev: 100, test: 100, splitSeed: 3 }
tokenizer: { vocabSize: 600 }
generators:
  low: { kind: model, model: tiny, trainPairs: 300, train: { maxSteps: 20, maxEpochs: 0, maxTokens: 1500, lr: 0.003 }, decode: { method: greedy }, seed: 1 }
${HAS_APERTIUM ? '  apertium: { kind: apertium, mode: spa-eng }' : ''}
conditions: [real, generated:low, mix:low:0.5${HAS_APERTIUM ? ', generated:apertium' : ''}]
sizes: [100, 200]
seeds: [1, 2]
student:
  model: tiny
  train: { maxSteps: ${studentSteps}, maxEpochs: 0, maxTokens: 1500, lr: 0.003, patience: 0, restoreBest: false }
  decode: { method: greedy }
device: cpu
`;
}

let tmp: string;
const spec = (steps?: number): ExperimentSpec => parseSpec(specText(steps), join(tmp, 'spec.yaml'));
const nConditions = HAS_APERTIUM ? 4 : 3;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rg-study-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('experiment runner', () => {
  const dir = () => join(tmp, 'exp');

  it('runs every cell: generators first, students scored on the real test references, results in the store', async () => {
    const events: RunEvent[] = [];
    const s = await runExperiment(spec(), dir(), { onEvent: (e) => events.push(e) });
    const students = nConditions * 2 * 2;
    const generators = HAS_APERTIUM ? 2 : 1;
    expect(s).toMatchObject({ total: students + generators, done: students + generators, ranNow: students + generators, failed: [], cancelled: false });
    // Progress: training steps of the generator and the students, then one 'done' per cell.
    expect(events.some((e) => e.phase === 'train' && e.cell.id === 'generator-low' && e.train!.totalSteps === 20)).toBe(true);
    expect(events.filter((e) => e.phase === 'done').map((e) => e.cell.id).slice(0, generators).sort()).toEqual(HAS_APERTIUM ? ['generator-apertium', 'generator-low'] : ['generator-low']);
    const store = openStore(dir());
    const results = store.results();
    const quality = store.generatorQuality();
    store.close();
    expect(results.length).toBe(students);
    const refs = readFileSync(join(dir(), 'data', 'test.en'), 'utf8').replace(/\n$/, '').split('\n');
    expect(refs.length).toBe(100);
    for (const r of results) {
      // The stored BLEU is the BLEU of the stored hypotheses against the test references.
      const hyps = readFileSync(join(dir(), r.hypotheses), 'utf8').replace(/\n$/, '').split('\n');
      expect(hyps.length).toBe(100);
      expect(r.bleu).toBeCloseTo(corpusBleu(hyps, [refs]).score, 9);
      expect(r.signatures.bleu).toMatch(/^nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0$/);
      expect(r.steps).toBe(20);
      // (The 20-step generator writes too little text for MTLD; real targets always have it.)
      if (r.condition === 'real') expect(r.trainDiversity!.mtld).toBeGreaterThan(0);
    }
    // Every student's training set is in its run folder, pair by pair, as it trained on it.
    const poolB = { src: lines(join(dir(), 'data', 'poolB.es')), tgt: lines(join(dir(), 'data', 'poolB.en')) };
    for (const r of results) {
      expect(r.trainingSet).toBe(`runs/${r.id}/train.jsonl`);
      const rows = lines(join(dir(), r.trainingSet!)).map((l) => JSON.parse(l) as TrainingRow);
      expect(rows.map((x) => x.index)).toEqual(Array.from(sampleIndices(poolB.src.length, r.size, r.seed)));
      const want = r.condition === 'real' ? 0 : r.condition.startsWith('mix:') ? generatedCount(r.size, 0.5) : r.size;
      expect(rows.filter((x) => x.from !== 'real').length).toBe(want);
      for (const x of rows) {
        expect(x.source).toBe(poolB.src[x.index]);
        if (x.from === 'real') expect(x.target).toBe(poolB.tgt[x.index]);
        else {
          expect(x.from).toBe(`generator-${r.generators[0]}`);
          // our model generator reports a log-probability per pair; Apertium none
          if (r.generators[0] === 'low') expect(x.scores!.logprob).toBeLessThanOrEqual(0);
          else expect(x.scores).toBeUndefined();
        }
      }
      expect(r.factors.family).toBe(r.condition.split(':')[0]);
    }
    // The training log of a run is progress.jsonl, not train.jsonl.
    expect(readFileSync(join(dir(), 'runs', results[0].id, 'progress.jsonl'), 'utf8')).toMatch(/"step":/);
    // Generator quality is measured on the pool-B sentences it translated.
    const low = quality.find((q) => q.name === 'low')!;
    expect(low.sentences).toBeGreaterThan(0);
    expect(low.sentences).toBeLessThanOrEqual(400); // at most the union of two seeds' 200-pair samples
    if (HAS_APERTIUM) expect(quality.find((q) => q.name === 'apertium')!.bleu).toBeGreaterThan(low.bleu);
    // The experiment log: one JSON line per finished run.
    const log = readFileSync(join(dir(), 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((l) => l.event === 'done').length).toBe(students + generators);
    // The model generator's run directory is kept (a checkpoint of its own).
    expect(existsSync(join(dir(), 'generators', 'low', 'model', 'model.safetensors'))).toBe(true);
  });

  it('writes the report: results.json with one object per student run, report.html and report.md', async () => {
    const r = await buildReport(dir(), spec());
    const results = JSON.parse(readFileSync(r.results, 'utf8'));
    expect(results.length).toBe(nConditions * 4);
    for (const x of results) {
      expect(typeof x.condition).toBe('string');
      expect([100, 200]).toContain(x.size);
      expect([1, 2]).toContain(x.seed);
      expect(Number.isFinite(x.bleu) && Number.isFinite(x.chrf)).toBe(true);
    }
    expect(new Set(results.map((x: { condition: string }) => x.condition))).toEqual(new Set(['real', 'generated:low', 'mix:low:0.5', ...(HAS_APERTIUM ? ['generated:apertium'] : [])]));
    const html = readFileSync(r.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('generated:low');
    expect(readFileSync(r.markdown, 'utf8')).toMatch(/\| *real *\|/);
  });

  it('is idempotent: a finished experiment runs nothing again', async () => {
    const t0 = performance.now();
    const s = await runExperiment(spec(), dir());
    expect(s.ranNow).toBe(0);
    expect(s.done).toBe(s.total);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('a changed spec is caught with the changed fields; restartChanged reruns exactly the changed runs', async () => {
    await expect(runExperiment(spec(25), dir())).rejects.toMatchObject({ code: 'ECHANGED', message: expect.stringMatching(/student\.train\.maxSteps/) });
    const s = await runExperiment(spec(25), dir(), { restartChanged: true });
    expect(s.ranNow).toBe(nConditions * 4); // every student, no generator
    const store = openStore(dir());
    expect(store.results().every((r) => r.steps === 25)).toBe(true);
    store.close();
  });

  it('a stopped run resumes: cells done before are kept and the rest finish on the next run', async () => {
    const d = join(tmp, 'exp-stop');
    const ac = new AbortController();
    let doneBefore = 0;
    const s1 = await runExperiment(spec(), d, {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.phase === 'done') doneBefore = e.done;
        if (e.phase === 'train' && e.cell.kind === 'student' && e.done >= 3 && e.train!.step >= 10) ac.abort();
      },
    });
    expect(s1.cancelled).toBe(true);
    expect(s1.done).toBeLessThan(s1.total);
    const st = openStore(d);
    const interrupted = st.status().runs.filter((r) => r.status === 'interrupted' || r.status === 'running');
    st.close();
    expect(interrupted.length).toBe(1); // the student that was training
    expect(existsSync(join(d, 'runs', interrupted[0].id, 'checkpoints', 'latest.json'))).toBe(true);
    const s2 = await runExperiment(spec(), d);
    expect(s2.done).toBe(s2.total);
    expect(s2.ranNow).toBe(s2.total - doneBefore);
    // The resumed student equals the same student in the uninterrupted experiment.
    const a = openStore(d);
    const resumed = a.results().find((r) => r.id === interrupted[0].id)!;
    a.close();
    const ref = join(tmp, 'exp-ref');
    await runExperiment(spec(), ref);
    const b = openStore(ref);
    const full = b.results().find((r) => r.id === interrupted[0].id)!;
    b.close();
    expect(resumed.bleu).toBe(full.bleu);
    expect(readFileSync(join(d, resumed.hypotheses), 'utf8')).toBe(readFileSync(join(ref, full.hypotheses), 'utf8'));
  }, 300_000); // three studies: slow on a busy 2-core machine

  it('fine-tuning: students start from a base trained on real pool-A pairs, or from a given checkpoint', async () => {
    const d = join(tmp, 'exp-ft');
    const text = specText(10)
      .replace('conditions: [real, generated:low, mix:low:0.5' + (HAS_APERTIUM ? ', generated:apertium' : '') + ']', 'conditions: [real]')
      .replace('sizes: [100, 200]', 'sizes: [100]')
      .replace('seeds: [1, 2]', 'seeds: [1]')
      .replace('decode: { method: greedy }\ndevice', 'decode: { method: greedy }\n  init: { finetune: { pairs: 200 } }\ndevice');
    const s = await runExperiment(parseSpec(text, join(tmp, 'ft.yaml')), d);
    expect(s.failed).toEqual([]);
    expect(s.total).toBe(2); // the base and one student (no generator is used)
    const run = JSON.parse(readFileSync(join(d, 'runs', 'real__n100__seed1', 'run.json'), 'utf8'));
    expect(run.init).toBe(join(d, 'base'));
    expect(existsSync(join(d, 'base', 'model', 'model.safetensors'))).toBe(true);
    // The same student from a checkpoint folder given in the spec.
    const d2 = join(tmp, 'exp-ft2');
    const s2 = await runExperiment(parseSpec(text.replace('init: { finetune: { pairs: 200 } }', `init: { finetune: { checkpoint: ${join(d, 'base')} } }`), join(tmp, 'ft2.yaml')), d2);
    expect(s2.total).toBe(1);
    expect(JSON.parse(readFileSync(join(d2, 'runs', 'real__n100__seed1', 'run.json'), 'utf8')).init).toBe(join(d, 'base'));
    // Same start, same data, same seed: the same student.
    expect(readFileSync(join(d2, 'runs', 'real__n100__seed1', 'model', 'model.safetensors')).equals(readFileSync(join(d, 'runs', 'real__n100__seed1', 'model', 'model.safetensors')))).toBe(true);
  });

  const gpu = cudaStatus().loadable;
  it.skipIf(gpu)(`device: cuda without a usable GPU fails at once with the reason, before any work${gpu ? ' (skipped: a GPU is usable here)' : ''}`, async () => {
    const d = join(tmp, 'exp-cuda');
    const s = parseSpec(specText().replace('device: cpu', 'device: cuda'), join(tmp, 'spec.yaml'));
    await expect(runExperiment(s, d)).rejects.toMatchObject({ code: 'EBACKEND', message: expect.stringMatching(/device: cuda .*set device: cpu/) });
    expect(existsSync(join(d, 'results.sqlite'))).toBe(false);
  });

  it('CLI: experiment status shows the grid; report rebuilds; errors name the problem', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    writeFileSync(join(dir(), 'spec.yaml'), specText(25));
    const st = cli(['experiment', 'status', '--out', dir()]);
    expect(st.status, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/real/);
    expect(st.stdout).toMatch(/done/);
    const js = JSON.parse(cli(['experiment', 'status', '--out', dir(), '--json']).stdout);
    expect(js.counts.done).toBe(js.counts.total);
    const rep = cli(['experiment', 'report', '--out', dir()]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/report\.html/);
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, specText().replace('conditions: [real,', 'conditions: [reel,'));
    const r = cli(['experiment', 'run', bad, '--out', join(tmp, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+: conditions\[0\]/);
    expect(cli(['experiment', 'status', '--out', join(tmp, 'none')]).stderr).toMatch(/holds no experiment/);
    const good = join(tmp, 'good.yaml');
    writeFileSync(good, specText());
    const dev = cli(['experiment', 'run', good, '--device', 'gpu', '--out', join(tmp, 'never')]);
    expect(dev.status).toBe(2);
    expect(dev.stderr).toMatch(/--device must be cpu, cuda or auto \(got 'gpu'\)/);
    if (!gpu) {
      // --device overrides the spec's device: cuda without a GPU stops before any work.
      const cu = cli(['experiment', 'run', good, '--device', 'cuda', '--out', join(tmp, 'never-cuda')]);
      expect(cu.status).toBe(1);
      expect(cu.stderr).toMatch(/device: cuda was asked for, but CUDA is unavailable/);
      expect(existsSync(join(tmp, 'never-cuda', 'results.sqlite'))).toBe(false);
    }
    const init = join(tmp, 'init.yaml');
    expect(cli(['experiment', 'init', '--preset', 'demo', '--out', init]).status).toBe(0);
    expect(readFileSync(init, 'utf8')).toMatch(/name: demo/);
  });

  it('serve: a trained run answers chat completions like translate does; Ctrl-C closes it', async () => {
    const run = join(dir(), 'generators', 'low');
    const child = spawn(process.execPath, [CLI, 'serve', '--run', run, '--port', '0'], { cwd: ROOT });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/\S+)\/v1/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('close', (c) => reject(new Error(`serve exited ${c}`)));
    });
    const sentence = 'Y dijo Dios: Sea la luz.';
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'low', messages: [{ role: 'user', content: sentence }] }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    const input = join(tmp, 'one.es');
    writeFileSync(input, sentence + '\n');
    const tr = spawnSync(process.execPath, [CLI, 'translate', '--run', run, '--input', input], { encoding: 'utf8' });
    expect(body.choices[0].message.content).toBe(tr.stdout.trim());
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
  });
});
