#!/usr/bin/env node
// What periodic checkpoints cost training (docs/training.md#checkpoints). Two measures:
//   components: the copy the training loop waits for (params + two AdamW moments) and
//     the write that runs beside it (three files' bytes, fsynced), per preset;
//   paired runs: the same training (a preset on random pairs, 1 thread) without periodic
//     checkpoints and with one every --stress seconds (far more often than the default
//     20, so that the cost shows above the noise), run at the same time so that both see
//     the same load on a shared machine, in --rounds rounds.
// Prints one JSON object.
//
// usage: node scripts/bench_checkpoint.mjs [--model tiny] [--steps 300] [--stress 0.25]
//          [--rounds 3] [--components tiny,small,base]
//        node scripts/bench_checkpoint.mjs --child PRESET STEPS INTERVAL   (one run)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { setThreads, Trainer, Transformer } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

/** One training; the checkpoints counted as latest.json changes. */
async function child(preset, steps, interval) {
  setThreads(1);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const side = () => Array.from({ length: 10 + Math.floor(rand() * 31) }, () => 3 + Math.floor(rand() * 7997));
  const pairs = Array.from({ length: 4000 }, () => ({ src: side(), tgt: side() }));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rg-bench-ckpt-'));
  try {
    const model = Transformer.create({ preset, vocabSize: 8000 }, { seed: 1 });
    const seen = new Set();
    const poll = setInterval(() => {
      try {
        seen.add(JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8')).checkpoint);
      } catch {
        /* not there yet, or being replaced */
      }
    }, 20);
    const trainer = new Trainer(model, { seed: 1, maxSteps: steps, maxTokens: 4096, checkpointDir: dir, checkpointSeconds: interval, progressEvery: 1000 });
    const r = await trainer.fit(pairs);
    clearInterval(poll);
    console.log(JSON.stringify({ interval, seconds: r.seconds, checkpoints: seen.size }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function components(preset) {
  const m = Transformer.create({ preset, vocabSize: 8000 }, { seed: 1 });
  const n = m.numParams;
  const src = new Float32Array(n).fill(1);
  const bufs = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const copy = [];
  const write = [];
  for (let i = 0; i < 5; i++) {
    let t = process.hrtime.bigint();
    for (const b of bufs) b.set(src); // the snapshot: three copies into buffers kept between checkpoints
    copy.push(ms(t));
    const d = mkdtempSync(path.join(os.tmpdir(), 'rg-bench-ckpt-'));
    t = process.hrtime.bigint();
    for (let k = 0; k < 3; k++) m.save(path.join(d, String(k))); // as many bytes as a checkpoint, each file fsynced
    write.push(ms(t));
    rmSync(d, { recursive: true, force: true });
  }
  const c = med(copy);
  return { preset, params: n, checkpointMB: +((n * 12) / 1e6).toFixed(1), snapshotMs: +c.toFixed(1), backgroundWriteMs: +med(write).toFixed(1), snapshotPercentAt20s: +((c / 20000) * 100).toFixed(3) };
}

function runChild(preset, steps, interval) {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', preset, String(steps), String(interval)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? res(JSON.parse(out.trim().split('\n').pop())) : rej(new Error(`child exited ${code}`))));
  });
}

if (args[0] === '--child') {
  await child(args[1], Number(args[2]), Number(args[3]));
} else {
  const preset = flag('model', 'tiny');
  const steps = Number(flag('steps', '300'));
  const stress = Number(flag('stress', '0.25'));
  const rounds = Number(flag('rounds', '3'));
  const comps = flag('components', 'tiny,small,base').split(',').filter(Boolean).map(components);
  const pairs = [];
  for (let r = 0; r < rounds; r++) {
    const [none, often] = await Promise.all([runChild(preset, steps, 0), runChild(preset, steps, stress)]);
    const periodic = Math.max(0, often.checkpoints - 1); // less the final one
    pairs.push({ none: +none.seconds.toFixed(3), withCheckpoints: +often.seconds.toFixed(3), periodicCheckpoints: periodic, overheadPercent: +(((often.seconds - none.seconds) / none.seconds) * 100).toFixed(2) });
    process.stderr.write(`bench_checkpoint: round ${r + 1}: ${JSON.stringify(pairs[r])}\n`);
  }
  const overhead = med(pairs.map((p) => p.overheadPercent));
  const every = med(pairs.map((p) => p.withCheckpoints / Math.max(1, p.periodicCheckpoints)));
  console.log(JSON.stringify({
    bench: 'checkpoint',
    components: comps,
    paired: { model: preset, steps, stressSeconds: stress, threadsEach: 1, rounds: pairs, medianOverheadPercent: overhead, secondsBetweenCheckpoints: +every.toFixed(3) },
    // The paired overhead scaled from one checkpoint every `every` seconds to one every 20 s.
    estimatedOverheadAt20sPercent: +((Math.max(0, overhead) * every) / 20).toFixed(3),
  }));
}
