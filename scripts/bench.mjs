#!/usr/bin/env node
// `npm run bench`: every CPU benchmark against its peer, measured in the same run, and
// the table written to bench/RESULTS.md (section "CPU, measured by npm run bench").
//   GEMM: ours vs OpenBLAS (numpy) at square and model shapes (scripts/bench_gemm.mjs).
//   Training: the reference model, ours (`regurgitate bench train`) vs the same model in
//   PyTorch CPU (scripts/torch_model.py train-bench), alternating rounds, best of each.
// The machine may be shared: quote ratios, not absolute numbers.
//
// usage: node scripts/bench.mjs [--steps 5] [--rounds 2] [--sizes 256,512,1024,2048] [--threads 2] [--no-write]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const steps = Number(flag('steps', '5'));
const rounds = Number(flag('rounds', '2'));
const sizes = flag('sizes', '256,512,1024,2048');
const threads = Number(flag('threads', String(Math.min(os.cpus().length, 2))));
const write = !args.includes('--no-write');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function run(cmd, argv, env = {}) {
  process.stderr.write(`bench: ${cmd} ${argv.join(' ')}\n`);
  const r = spawnSync(cmd, argv, {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 1_800_000,
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}`);
  }
  return (r.stdout ?? '').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
}

const results = { date: new Date().toISOString(), machine: {}, gemm: [], train: {} };
const sys = run('node', ['dist/cli/main.js', 'doctor', '--json'])[0];
results.machine = {
  cpu: sys.cpu?.model, isa: sys.cpu?.isa, threads, cores: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version,
};

// ---- GEMM ----
const gemmLines = run('node', ['scripts/bench_gemm.mjs', '--sizes', sizes, '--threads', String(threads), '--no-decode']);
for (const l of gemmLines) if (l.impl === 'ratio') results.gemm.push(l);
for (const l of gemmLines) if (l.impl === 'regurgitate') process.stdout.write(JSON.stringify(l) + '\n');

// ---- training: alternate ours and PyTorch ----
const ours = [], torch = [];
for (let r = 0; r < rounds; r++) {
  ours.push(...run('node', ['dist/cli/main.js', 'bench', 'train', '--json', '--steps', String(steps), '--threads', String(threads)]));
  torch.push(...run(python, ['scripts/torch_model.py', 'train-bench', '--steps', String(steps), '--threads', String(threads)]));
}
const best = (xs) => xs.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
const o = best(ours), t = best(torch);
results.train = {
  ours_tokens_per_s: o.tokens_per_s, pytorch_tokens_per_s: t.tokens_per_s, ratio: o.tokens_per_s / t.tokens_per_s,
  ours_step_s: o.step_s, pytorch_step_s: t.step_s, torch: t.torch, torch_threads: t.threads, steps, rounds,
  ours_all: ours.map((x) => Math.round(x.tokens_per_s)), pytorch_all: torch.map((x) => Math.round(x.tokens_per_s)),
};
process.stdout.write(JSON.stringify({ op: 'train', ...results.train }) + '\n');

// ---- bench/RESULTS.md ----
if (write) {
  const f = (x, d = 1) => (x === undefined || x === null ? '' : Number(x).toFixed(d));
  const m = results.machine;
  const lines = [
    '## CPU, measured by `npm run bench`',
    '',
    `${results.date.slice(0, 10)}; ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ISA ${m.isa}, ${threads} threads for both sides; Node ${m.node}; PyTorch ${t.torch} (Debian, OpenBLAS). The machine is shared, so each side runs in alternating bursts and the best is kept; quote the ratios.`,
    '',
    '| GEMM (fp32) | m | n | k | ours GFLOP/s | OpenBLAS GFLOP/s | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.gemm.map((g) => `| ${g.label ?? `${g.m}^3`} | ${g.m} | ${g.n} | ${g.k} | ${f(g.ours)} | ${f(g.openblas)} | ${f(g.ratio, 2)} |`),
    '',
    '| training, reference model (d 256, 3+3 layers, vocab 8000, 256 pairs x 32+32 tokens, dropout 0.1) | tokens/s | s/step |',
    '|---|---:|---:|',
    `| regurgitate (CPU) | ${f(o.tokens_per_s, 0)} | ${f(o.step_s, 2)} |`,
    `| PyTorch ${t.torch} CPU eager | ${f(t.tokens_per_s, 0)} | ${f(t.step_s, 2)} |`,
    `| **ratio** | **${f(results.train.ratio, 2)}x** | |`,
    '',
    `All rounds, tokens/s: ours ${results.train.ours_all.join(', ')}; PyTorch ${results.train.pytorch_all.join(', ')}.`,
    '',
  ];
  const file = path.join(root, 'bench', 'RESULTS.md');
  mkdirSync(path.dirname(file), { recursive: true });
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = text.indexOf('## CPU, measured by `npm run bench`');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 5);
    text = text.slice(0, start) + (next >= 0 ? text.slice(next + 1) : '');
  }
  text = text.trimEnd() + '\n\n' + lines.join('\n');
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
  writeFileSync(path.join(root, 'bench', 'last-run.json'), JSON.stringify(results, null, 2) + '\n');
  process.stderr.write(`bench: wrote ${path.relative(root, file)}\n`);
}
