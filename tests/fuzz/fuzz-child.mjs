// Random bad calls against the public API (dist/index.js) and the raw native addon.
// Every call must return, or throw (or reject with) an Error; errors from the public
// API must be RegurgitateErrors with a string `code`. Run in a child process by
// tests/fuzz.test.ts so that a native crash fails the test instead of killing vitest.
//
//   node tests/fuzz/fuzz-child.mjs [--seed N] [--count N]
// Prints one JSON line at the end: {seed, count, returned, threw, skippedNative, failures}.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const api = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const { RegurgitateError, mulberry32 } = api;

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const SEED = arg('seed', 20240717);
const COUNT = arg('count', 1200);

const rnd = mulberry32(SEED);
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo)); // [lo, hi)
const pick = (a) => a[int(0, a.length)];
const chance = (p) => rnd() < p;

// Values that should never be accepted where a size, id, array or option is expected
// (a few are valid somewhere: the point is that nothing crashes).
const HUGE = [2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e20, 1e300, -1e300, -(2 ** 31) - 1];
const NUMS = [NaN, Infinity, -Infinity, -1, 0, 1, 0.5, 1.5, -0, 3, 7, ...HUGE];
const BAD = [
  undefined,
  null,
  ...NUMS,
  '',
  'abc',
  '12',
  true,
  false,
  {},
  [],
  [1, 2, 3],
  [NaN],
  [[1]],
  [null],
  () => 1,
  Symbol('x'),
  10n,
  new Int32Array(3),
  new Int32Array([-5, 2 ** 31 - 1, 7]),
  new Float32Array(3),
  new Float64Array(2),
  new Uint8Array(2),
  new ArrayBuffer(8),
  new Date(0),
  /re/,
  Object.create(null),
  { length: 3 },
  { length: -1 },
  { src: 1 },
];
const badValue = () => pick(BAD);

// ---------------------------------------------------------------------------------------
// Generators of almost-valid inputs with one or more corruptions.

const TINY = { vocabSize: 16, dModel: 16, nHeads: 2, dFF: 32, encoderLayers: 1, decoderLayers: 1, maxLen: 16, dropout: 0, labelSmoothing: 0 };
const TINY_NATIVE = { vocab_size: 16, d_model: 16, n_heads: 2, d_ff: 32, encoder_layers: 1, decoder_layers: 1, max_len: 16, dropout: 0, label_smoothing: 0, activation: 'relu', ln_eps: 1e-5, pad_id: 0, bos_id: 1, eos_id: 2 };

function mutateObject(base, extraKeys = ['bogus', 'd_model', '__proto__', 'constructor']) {
  if (chance(0.08)) return badValue();
  const o = { ...base };
  const keys = Object.keys(base);
  const n = int(1, 3);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.75) o[pick(keys)] = badValue();
    else if (r < 0.9) o[pick(extraKeys)] = badValue();
    else delete o[pick(keys)];
  }
  return o;
}

function sentence(vocab = 16) {
  const len = int(1, 6);
  return Array.from({ length: len }, () => int(3, vocab));
}

function corruptIds(ids) {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) return chance(0.5) ? ids : sentence();
  const a = Array.isArray(ids) ? ids.slice() : Array.from(ids);
  const r = rnd();
  if (r < 0.35 && a.length) a[int(0, a.length)] = pick([...NUMS, 16, 17, 0, 1, 2, 'x', null, undefined, 2 ** 31 - 1, -(2 ** 31)]);
  else if (r < 0.45) return [];
  else if (r < 0.55) return Array(int(16, 40)).fill(5); // too long for maxLen 16
  else if (r < 0.7) return badValue();
  else if (r < 0.8) return Int32Array.from(a.map((x) => (typeof x === 'number' ? x : 0)), (x) => x + pick([0, 100, -100]));
  else if (r < 0.85) {
    const sparse = a.slice();
    sparse.length += 3;
    return sparse;
  }
  return a;
}

function badPairs() {
  if (chance(0.1)) return badValue();
  const n = int(0, 5);
  const pairs = Array.from({ length: n }, () => ({ src: sentence(), tgt: sentence() }));
  const k = int(0, 3);
  for (let i = 0; i < k && n > 0; i++) {
    const j = int(0, n);
    const r = rnd();
    if (typeof pairs[j] !== 'object' || pairs[j] === null || Object.isFrozen(pairs[j])) continue;
    if (r < 0.4) pairs[j].src = corruptIds(pairs[j].src);
    else if (r < 0.8) pairs[j].tgt = corruptIds(pairs[j].tgt);
    else pairs[j] = badValue();
  }
  return pairs;
}

function packedValid(n = int(1, 4)) {
  const src = [];
  const tgt = [];
  const so = [0];
  const to = [0];
  for (let i = 0; i < n; i++) {
    src.push(...sentence(), 2);
    tgt.push(...sentence());
    so.push(src.length);
    to.push(tgt.length);
  }
  return { src: Int32Array.from(src), srcOffsets: Int32Array.from(so), tgt: Int32Array.from(tgt), tgtOffsets: Int32Array.from(to) };
}

function badPacked() {
  const p = packedValid();
  const r = rnd();
  const field = pick(['src', 'srcOffsets', 'tgt', 'tgtOffsets']);
  if (r < 0.3) p[field] = badValue();
  else if (r < 0.55) {
    const a = p[field];
    if (a.length) a[int(0, a.length)] = pick([-1, 2 ** 31 - 1, -(2 ** 31), 16, 1000, 0, 1, 2]);
  } else if (r < 0.7) p[field] = p[field].subarray(0, Math.max(0, p[field].length - int(1, 3)));
  else if (r < 0.8) p[field] = Int32Array.from([...p[field], int(0, 40)]);
  else if (r < 0.9) delete p[field];
  else p.srcOffsets = Int32Array.from(Array.from(p.srcOffsets).reverse());
  return p;
}

const TRAIN_BASE = { maxSteps: 2, maxEpochs: 1, progressEvery: 1, warmupSteps: 1, maxTokens: 256, maxSentences: 4 };
const DECODE_BASE = { method: 'greedy', maxLenA: 1, maxLenB: 4, batchSize: 4 };
const NATIVE_TRAIN_BASE = {
  seed: 1, maxTokens: 256, maxSentences: 4, maxSteps: 2, maxEpochs: 1, lr: 1e-3, warmupSteps: 1, schedule: 'constant', minLr: 0,
  beta1: 0.9, beta2: 0.98, adamEps: 1e-9, weightDecay: 0, clipNorm: 1, validEvery: 0, patience: 0, progressEvery: 1,
  checkpointDir: '', checkpointEvery: 0, resume: false, stopAfterSteps: 0,
};
const NATIVE_DECODE_BASE = { method: 'greedy', beamSize: 1, lengthPenalty: 0, temperature: 1, topK: 0, topP: 1, maxLenA: 1, maxLenB: 4, seed: 1, batchSize: 4 };

// Directories for load(): missing, files, garbage.
const tmp = mkdtempSync(join(tmpdir(), 'rg-fuzz-'));
// Relative paths (strings like 'abc' used as directories, checkpointDir) land in tmp.
process.chdir(tmp);
const dirs = [];
function makeDir(name, files) {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(d, f), content);
  dirs.push(d);
  return d;
}
makeDir('empty', {});
makeDir('badjson', { 'config.json': '{"vocab_size": ', 'model.safetensors': 'x' });
makeDir('notobject', { 'config.json': '[1,2,3]', 'model.safetensors': '' });
makeDir('nullcfg', { 'config.json': 'null', 'model.safetensors': Buffer.alloc(8) });
makeDir('hugecfg', { 'config.json': JSON.stringify({ ...TINY_NATIVE, vocab_size: 2 ** 40, d_model: 1e300 }), 'model.safetensors': Buffer.alloc(16) });
makeDir('nanbytes', { 'config.json': '{"vocab_size": NaN}', 'model.safetensors': Buffer.alloc(16) });
makeDir('noweights', { 'config.json': JSON.stringify(TINY_NATIVE) });
makeDir('garbageweights', { 'config.json': JSON.stringify(TINY_NATIVE), 'model.safetensors': Buffer.from('not a safetensors file at all') });
{
  // A safetensors header claiming a huge length, and one with a valid-looking header but no data.
  const h1 = Buffer.alloc(8);
  h1.writeBigUInt64LE(2n ** 62n);
  makeDir('hugeheader', { 'config.json': JSON.stringify(TINY_NATIVE), 'model.safetensors': h1 });
  const header = Buffer.from(JSON.stringify({ 'embed.weight': { dtype: 'F32', shape: [16, 16], data_offsets: [0, 1024] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  makeDir('truncated', { 'config.json': JSON.stringify(TINY_NATIVE), 'model.safetensors': Buffer.concat([len, header, Buffer.alloc(10)]) });
  const wrong = Buffer.from(JSON.stringify({ 'embed.weight': { dtype: 'F64', shape: [1e12, -3], data_offsets: [5, 2] } }));
  const len2 = Buffer.alloc(8);
  len2.writeBigUInt64LE(BigInt(wrong.length));
  makeDir('wrongheader', { 'config.json': JSON.stringify(TINY_NATIVE), 'model.safetensors': Buffer.concat([len2, wrong]) });
}
writeFileSync(join(tmp, 'a-file'), 'x');
// Never '/' or another real directory: a successful save would write there.
const badPaths = () => [join(tmp, 'does-not-exist'), join(tmp, 'a-file'), join(tmp, 'a-file', 'below'), '', '/proc/self', '/dev/null/x', 'relative/nowhere', 'a\0b', ...BAD];
const badDir = () => pick([...dirs, ...badPaths()]);
const badSaveDir = () => pick([...badPaths(), join(tmp, 'saved', String(int(0, 3)))]);
const safeJson = (x) => {
  try {
    return JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
  } catch {
    return '{';
  }
};
const badConfigJson = () =>
  pick([
    '', '{', 'null', '[]', '"x"', '1', '{"vocab_size": -1}', '{"vocab_size": 1e300}', '{"vocab_size": 16, "d_model": 15}',
    '{"vocab_size": 16, "n_heads": 0}', '{"vocab_size": 16, "activation": "tanh"}', '{"vocab_size": 16, "pad_id": 99}',
    '{"vocab_size": 16, "max_len": 0}', '{"vocab_size": 16, "dropout": 2}', '{"vocab_size": 16, "d_model": 16, "n_heads": 2, "d_ff": 4294967296}',
    safeJson(mutateObject(TINY_NATIVE)), safeJson(mutateObject(TINY_NATIVE)), 'x'.repeat(1000), '{"a":'.repeat(10000),
    ...BAD,
  ]);

// ---------------------------------------------------------------------------------------
// The harness.

process.on('unhandledRejection', (e) => {
  failures.push({ index: count, call: '(unhandled rejection)', args: '', problem: String(e && e.stack ? e.stack : e) });
});

let count = 0;
let returned = 0;
let threw = 0;
let skippedNative = 0;
const failures = [];
const rootHadConfig = existsSync('/config.json');
const byCall = {}; // name -> [returned, threw]

function show(x, depth = 0) {
  try {
    if (typeof x === 'bigint') return `${x}n`;
    if (typeof x === 'symbol' || typeof x === 'function') return String(x);
    if (x instanceof Date || x instanceof RegExp) return String(x);
    if (ArrayBuffer.isView(x)) return `${x.constructor.name}[${Array.from(x.slice ? x.slice(0, 8) : []).join(',')}${x.length > 8 ? ',…' : ''}]`;
    if (x === undefined) return 'undefined';
    if (typeof x === 'number') return String(x);
    if (depth > 2) return '…';
    if (Array.isArray(x)) return `[${x.slice(0, 6).map((y) => show(y, depth + 1)).join(',')}${x.length > 6 ? ',…' : ''}]`;
    if (x && typeof x === 'object') return `{${Object.entries(x).slice(0, 8).map(([k, v]) => `${k}:${show(v, depth + 1)}`).join(',')}}`;
    return JSON.stringify(x);
  } catch {
    return '?';
  }
}

async function call(name, ours, fn, args) {
  if (process.env.FUZZ_TRACE) process.stderr.write(`${count + 1} ${name} ${show(args)}\n`);
  count++;
  const index = count;
  let outcome;
  try {
    let r = fn();
    if (r && typeof r.then === 'function') r = await r;
    returned++;
    (byCall[name] ??= [0, 0])[0]++;
    outcome = undefined;
  } catch (e) {
    threw++;
    (byCall[name] ??= [0, 0])[1]++;
    if (!(e instanceof Error)) outcome = `threw a non-Error: ${show(e)}`;
    else if (ours && !(e instanceof RegurgitateError)) outcome = `threw ${e.name} (not a RegurgitateError): ${e.message}`;
    else if (ours && (typeof e.code !== 'string' || e.code === '')) outcome = `threw without a code: ${e.message}`;
    else if (typeof e.message !== 'string' || e.message.length === 0) outcome = 'threw an Error without a message';
  }
  if (!rootHadConfig && existsSync('/config.json')) {
    failures.push({ index, call: name, args: show(args), problem: 'wrote /config.json' });
    rmSync('/config.json', { force: true });
    rmSync('/model.safetensors', { force: true });
  }
  if (outcome && failures.length < 30) failures.push({ index, call: name, args: show(args), problem: outcome });
}

// ---------------------------------------------------------------------------------------
// Targets.

const native = api.tryNative().addon;
const HAS_MODEL = typeof native?.Model === 'function';
let model; // a real tiny model through the facade
let nmodel; // a raw native model
if (HAS_MODEL) {
  try {
    model = api.Transformer.create(TINY, { seed: 3 });
    nmodel = new native.Model(JSON.stringify(TINY_NATIVE), 3);
  } catch (e) {
    failures.push({ index: 0, call: 'setup', args: '', problem: `could not create a tiny model: ${e.message}` });
  }
}
const vocab = api.validateModelConfig(TINY);

const facade = [
  () => { const a = mutateObject(TINY); return call('validateModelConfig', true, () => api.validateModelConfig(a), [a]); },
  () => { const a = mutateObject(TRAIN_BASE); return call('validateTrainOptions', true, () => api.validateTrainOptions(a), [a]); },
  () => { const a = mutateObject(DECODE_BASE); return call('validateDecodeOptions', true, () => api.validateDecodeOptions(a), [a]); },
  () => { const a = badValue(); return call('fromNative', true, () => api.fromNative(a), [a]); },
  () => { const a = mutateObject(TINY_NATIVE); return call('fromNative', true, () => api.fromNative(a), [a]); },
  () => { const p = badPairs(); const v = chance(0.1) ? badValue() : chance(0.1) ? mutateObject(vocab) : vocab; return call('packPairs', true, () => api.packPairs(p, v), [p, v]); },
  () => { const p = badPacked(); const v = chance(0.1) ? mutateObject(vocab) : vocab; return call('validatePackedPairs', true, () => api.validatePackedPairs(p, v), [p, v]); },
  () => { const s = chance(0.5) ? badPairs() : [sentence(), corruptIds(sentence())]; const v = chance(0.1) ? mutateObject(vocab) : vocab; return call('packSources', true, () => api.packSources(s, v), [s, v]); },
  () => { const c = chance(0.5) ? mutateObject(TINY) : badValue(); const o = chance(0.7) ? { seed: 1 } : mutateObject({ seed: 1 }); return call('Transformer.create', true, () => api.Transformer.create(c, o), [c, o]); },
  () => { const d = badDir(); return call('Transformer.load', true, () => api.Transformer.load(d), [d]); },
  () => { const n = badValue(); return call('setThreads', true, () => api.setThreads(n), [n]); },
  () => { const m = badValue(); const s = [sentence()]; return call('translate(notAModel)', true, () => api.translate(m, s), [m]); },
  () => { const m = badValue(); return call('score(notAModel)', true, () => api.score(m, []), [m]); },
  () => { const m = badValue(); const o = mutateObject(TRAIN_BASE); return call('new Trainer(notAModel)', true, () => new api.Trainer(m, o), [m, o]); },
];

if (model) {
  facade.push(
    () => {
      const s = chance(0.7) ? [sentence(), corruptIds(sentence())] : badPairs();
      const o = chance(0.5) ? mutateObject(DECODE_BASE) : DECODE_BASE;
      return call('model.translate', true, () => model.translate(s, o), [s, o]);
    },
    () => {
      const p = chance(0.5) ? badPairs() : badPacked();
      const o = chance(0.3) ? mutateObject({ batchSize: 4 }) : {};
      return call('model.score', true, () => model.score(p, o), [p, o]);
    },
    () => {
      const o = mutateObject(TRAIN_BASE);
      const t = chance(0.6) ? badPairs() : chance(0.5) ? badPacked() : [{ src: sentence(), tgt: sentence() }];
      const v = chance(0.7) ? null : chance(0.5) ? badPairs() : badValue();
      const f = chance(0.8) ? {} : mutateObject({ onProgress: () => {}, signal: new AbortController().signal });
      return call('Trainer.fit', true, () => new api.Trainer(model, o).fit(t, v, f), [o, t, v, f]);
    },
    () => { const p = pick([...BAD, new Float32Array(5), new Float32Array(0)]); return call('model.setParameters', true, () => model.setParameters(p), [p]); },
    () => { const d = badSaveDir(); return call('model.save', true, () => model.save(d), [d]); },
    () => {
      // Overlapping calls: training while translating must be refused, not raced.
      const t = new api.Trainer(model, { maxSteps: 1, warmupSteps: 1, maxTokens: 256, maxSentences: 4 });
      const s = [sentence()];
      return call('fit + translate', true, async () => {
        const rs = await Promise.allSettled([t.fit([{ src: sentence(), tgt: sentence() }]), model.translate(s)]);
        const bad = rs.find((r) => r.status === 'rejected');
        if (bad) throw bad.reason;
      }, []);
    },
  );
}

const raw = [];
if (native) {
  raw.push(
    () => { const n = badValue(); return call('addon.setThreads', false, () => native.setThreads(n), [n]); },
    () => { const a = [badValue()]; return call('addon.systemInfo', false, () => native.systemInfo(...a), a); },
  );
  for (const fname of ['gemm', 'gemmRef']) {
    if (typeof native[fname] !== 'function') continue;
    raw.push(() => {
      const M = chance(0.5) ? int(1, 6) : pick(NUMS.concat(BAD));
      const N = chance(0.5) ? int(1, 6) : pick(NUMS.concat(BAD));
      const K = chance(0.5) ? int(1, 6) : pick(NUMS.concat(BAD));
      const mk = () => (chance(0.6) ? new Float32Array(int(0, 40)) : badValue());
      const args = [mk(), mk(), M, N, K, chance(0.8) ? chance(0.5) : badValue(), chance(0.8) ? chance(0.5) : badValue()].slice(0, chance(0.9) ? 7 : int(0, 7));
      return call(`addon.${fname}`, false, () => native[fname](...args), args);
    });
  }
  if (typeof native.benchGemm === 'function') {
    raw.push(() => {
      const args = [0, 0, 0, 0].map(() => (chance(0.5) ? int(1, 8) : badValue()));
      // Only clearly invalid calls: a valid one would be a real (if tiny) benchmark run.
      if (args.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0 && x < 8)) args[int(0, 4)] = pick(HUGE.concat([NaN, -1, 0]));
      return call('addon.benchGemm', false, () => native.benchGemm(...args), args);
    });
  }
  if (typeof native.gradcheck === 'function') {
    raw.push(() => {
      const args = [pick(['', 'nope', ...BAD]), badValue()];
      return call('addon.gradcheck', false, () => native.gradcheck(...args), args);
    });
  }
  if (HAS_MODEL) {
    raw.push(
      () => { const j = badConfigJson(); const s = chance(0.7) ? 1 : badValue(); return call('new addon.Model', false, () => new native.Model(j, s), [j, s]); },
      () => { const j = JSON.stringify(TINY_NATIVE); const s = badValue(); return call('new addon.Model(seed)', false, () => new native.Model(j, s), [s]); },
      () => { const a = [badValue(), badValue()].slice(0, int(0, 3)); return call('addon.Model(...)', false, () => new native.Model(...a), a); },
      () => { const d = badDir(); return call('addon.Model.load', false, () => native.Model.load(d), [d]); },
      () => { const d = pick(dirs); return call('addon.Model.load(dir)', false, () => native.Model.load(d), [d]); },
    );
    if (nmodel) {
      raw.push(
        () => {
          const p = packedValid();
          const src = chance(0.6) ? p.src : badPacked().src;
          const off = chance(0.5) ? p.srcOffsets : badPacked().srcOffsets;
          const o = chance(0.7) ? mutateObject(NATIVE_DECODE_BASE) : NATIVE_DECODE_BASE;
          return call('nativeModel.decode', false, () => nmodel.decode(src, off, o), [src, off, o]);
        },
        () => {
          const p = chance(0.7) ? badPacked() : badValue();
          const b = chance(0.6) ? 4 : badValue();
          return call('nativeModel.score', false, () => nmodel.score(p, b), [p, b]);
        },
        () => {
          const t = chance(0.5) ? badPacked() : chance(0.5) ? packedValid() : badValue();
          const v = chance(0.6) ? null : chance(0.5) ? badPacked() : badValue();
          const o = chance(0.8) ? mutateObject(NATIVE_TRAIN_BASE) : NATIVE_TRAIN_BASE;
          const cb = chance(0.8) ? () => {} : badValue();
          return call('nativeModel.train', false, () => nmodel.train(t, v, o, cb), [t, v, o]);
        },
        () => {
          const p = chance(0.7) ? badPacked() : badValue();
          const o = chance(0.5) ? mutateObject({ dropoutSeed: 1, step: 0, train: false }) : { dropoutSeed: 1, step: 0, train: false };
          return call('nativeModel.lossAndGrads', false, () => nmodel.lossAndGrads(p, o), [p, o]);
        },
        () => { const p = pick([...BAD, new Float32Array(3), new Float32Array(1e5)]); return call('nativeModel.setParams', false, () => nmodel.setParams(p), [p]); },
        () => {
          // Not '': the native save('') writes /config.json (reported; the facade rejects '').
          let d = badSaveDir();
          if (d === '') d = join(tmp, 'saved', 'empty-name');
          return call('nativeModel.save', false, () => nmodel.save(d), [d]);
        },
        () => call('nativeModel.cancel', false, () => nmodel.cancel(badValue()), []),
      );
    }
  }
}

const start = performance.now();
try {
  while (count < COUNT) {
    // Two thirds facade, one third raw native (when loaded).
    const target = raw.length > 0 && chance(1 / 3) ? pick(raw) : pick(facade);
    await target();
  }
} finally {
  process.chdir(ROOT);
  rmSync(tmp, { recursive: true, force: true });
}
if (!native) skippedNative = 1;
console.log(
  JSON.stringify({ seed: SEED, count, returned, threw, native: Boolean(native), model: HAS_MODEL, skippedNative, seconds: (performance.now() - start) / 1000, failures, byCall: argv.includes('--by-call') ? byCall : undefined }),
);
process.exitCode = failures.length > 0 ? 1 : 0;
