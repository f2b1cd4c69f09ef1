import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { RegurgitateError } from '../../ts/src/common/errors.js';
import { DEFAULT_PROMPT } from '../../ts/src/generators/prompt.js';
import { presetSpec } from '../../ts/src/experiments/spec/presets.js';
import { loadSpec, parseSpec, resolveSpecPaths, SpecError, type ExperimentSpec } from '../../ts/src/experiments/spec/spec.js';
import { jsonSyntaxError } from '../../ts/src/experiments/spec/json_check.js';
import { specToYaml } from '../../ts/src/experiments/spec/yaml.js';
import { ROOT } from '../helpers.js';

/** The error parseSpec throws for `text` (fails the test when it does not throw). */
function specError(text: string, file = 'demo.yaml'): SpecError {
  try {
    parseSpec(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    expect((e as SpecError).code).toBe('EINVAL');
    return e as SpecError;
  }
  throw new Error('expected parseSpec to throw');
}

const lines = (...l: string[]) => l.join('\n') + '\n';

// A valid spec; line numbers matter below (line 1 is 'name: demo').
const DEMO = [
  'name: demo', // 1
  'corpus: bible', // 2
  'direction: es-en', // 3
  'splits:', // 4
  '  poolA: 4000', // 5
  '  poolB: rest', // 6
  '  dev: 500', // 7
  '  test: 500', // 8
  'generators:', // 9
  '  apertium: {}', // 10
  '  low:', // 11
  '    train: { maxSteps: 100 }', // 12
  'conditions:', // 13
  '  - real', // 14
  '  - generated:low', // 15
  '  - mix:apertium:0.5', // 16
  'sizes: [1000, 2000]', // 17
  'seeds: [1, 2]', // 18
  'student:', // 19
  '  model: tiny', // 20
  '  train:', // 21
  '    lr: 0.001', // 22
  '    maxSteps: 200', // 23
];

/** DEMO with line `n` (1-based) replaced by `text` (or several lines). */
function demoWith(n: number, ...text: string[]): string {
  const l = [...DEMO];
  l.splice(n - 1, 1, ...text);
  return lines(...l);
}

describe('parseSpec: a valid spec', () => {
  it('reads YAML and fills every default', () => {
    const s = parseSpec(lines(...DEMO), 'demo.yaml');
    expect(s.name).toBe('demo');
    expect(s.corpus).toEqual({ kind: 'bible', pair: 'es-en' });
    expect(s.direction).toEqual({ src: 'es', tgt: 'en' });
    expect(s.splits).toEqual({ poolA: 4000, poolB: 'rest', dev: 500, test: 500, splitSeed: 1 });
    expect(s.tokenizer).toEqual({ vocabSize: 8000 });
    expect(s.conditions).toEqual(['real', 'generated:low', 'mix:apertium:0.5']);
    expect(s.sizes).toEqual([1000, 2000]);
    expect(s.seeds).toEqual([1, 2]);
    expect(s.device).toBe('auto');
    expect(s.threads).toBe(0);
    // apertium: the mode follows the direction
    expect(s.generators.apertium).toEqual({ kind: 'apertium', mode: 'spa-eng' });
    // low: the built-in definition, its train merged with the fields given
    expect(s.generators.low).toMatchObject({ kind: 'model', trainPairs: 1000, seed: 1, train: { maxEpochs: 5, maxSteps: 100 } });
    expect(s.generators.low.kind === 'model' && s.generators.low.model.dModel).toBe(64);
    expect(s.generators.low.kind === 'model' && s.generators.low.decode).toMatchObject({ method: 'greedy', beamSize: 1 });
    // the student: tiny, paper training defaults merged with the fields given, beam search
    expect(s.student.model).toMatchObject({ dModel: 64, nHeads: 4, dFF: 256, encoderLayers: 2, decoderLayers: 2, maxLen: 256 });
    expect(s.student.model).not.toHaveProperty('vocabSize');
    expect(s.student.train).toEqual({ maxEpochs: 40, maxSteps: 200, lr: 0.001, patience: 5, restoreBest: true });
    expect(s.student.decode).toMatchObject({ method: 'beam', beamSize: 4, lengthPenalty: 0.6 });
    expect(s.student.decode).not.toHaveProperty('seed');
    expect(s.student.init).toBe('scratch');
  });

  it('gives the same spec for the same content in JSON', () => {
    const yaml = parseSpec(lines(...DEMO), 'demo.yaml');
    const json = JSON.stringify({
      name: 'demo',
      corpus: 'bible',
      direction: 'es-en',
      splits: { poolA: 4000, poolB: 'rest', dev: 500, test: 500 },
      generators: { apertium: {}, low: { train: { maxSteps: 100 } } },
      conditions: ['real', 'generated:low', 'mix:apertium:0.5'],
      sizes: [1000, 2000],
      seeds: [1, 2],
      student: { model: 'tiny', train: { lr: 0.001, maxSteps: 200 } },
    }, null, '\t');
    expect(parseSpec(json, 'demo.json')).toEqual(yaml);
  });

  it('mirrors the paper when only a name is given', () => {
    const s = parseSpec('name: x\n', 'x.yaml');
    expect(s.corpus).toEqual({ kind: 'bible', pair: 'es-en' });
    expect(s.splits).toEqual({ poolA: 12000, poolB: 'rest', dev: 1000, test: 2000, splitSeed: 1 });
    expect(s.sizes).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(Object.keys(s.generators)).toEqual(['low', 'high', 'self']);
    expect(s.generators.self).toEqual({ kind: 'self', trainPairs: 'all', seed: 1 });
    expect(s.generators.high).toMatchObject({ kind: 'model', trainPairs: 'all', model: { dModel: 512, encoderLayers: 6 } });
    expect(s.conditions).toEqual(['real', 'generated:low', 'generated:high', 'generated:self']);
    expect(s.student.model).toMatchObject({ dModel: 512, nHeads: 8, dFF: 2048, encoderLayers: 6, decoderLayers: 6 });
  });

  it('takes the name from the file when none is given', () => {
    expect(parseSpec('corpus: bible\n', 'runs/my-study.yaml').name).toBe('my-study');
  });

  it('reads user corpora, directions, size ranges and fine-tuning', () => {
    const s = parseSpec(
      lines(
        'corpus: { kind: moses, srcFile: data/train.de, tgtFile: data/train.en }',
        'direction: en->de',
        'splits: { poolA: 5000, poolB: 20000, dev: 500, test: 1000 }',
        'generators: { apertium: { kind: apertium, mode: eng-deu } }',
        'sizes: { from: 2000, to: 8000, step: 2000 }',
        'student: { model: { preset: small, dropout: 0.3 }, init: { finetune: { pairs: 3000 } } }',
      ),
      'de.yaml',
    );
    expect(s.corpus).toEqual({ kind: 'moses', srcFile: 'data/train.de', tgtFile: 'data/train.en', src: 'de', tgt: 'en' });
    expect(s.direction).toEqual({ src: 'en', tgt: 'de' });
    expect(s.sizes).toEqual([2000, 4000, 6000, 8000]);
    expect(s.student.model).toMatchObject({ dModel: 256, dropout: 0.3 });
    expect(s.student.init).toEqual({ finetune: { pairs: 3000 } });
    const t = parseSpec('corpus: { kind: tsv, file: p.tsv, src: pt-BR, tgt: en }\ndirection: { src: en, tgt: pt-BR }\ngenerators: { a: { kind: apertium, mode: eng-por } }\n', 't.yaml');
    expect(t.direction).toEqual({ src: 'en', tgt: 'pt-BR' });
    expect(parseSpec('corpus: { kind: bible, pair: es-en }\ndirection: en-es\ngenerators: { apertium: {} }\n', 'r.yaml').generators.apertium).toEqual({ kind: 'apertium', mode: 'eng-spa' });
  });

  it('merges fields into a built-in generator (model fields keep its preset)', () => {
    const s = parseSpec('generators:\n  low: { model: { dropout: 0 }, trainPairs: 500 }\n', 'g.yaml');
    expect(s.generators.low).toMatchObject({ kind: 'model', trainPairs: 500, model: { dModel: 64, dropout: 0 }, train: { maxEpochs: 5 } });
  });

  it('self: train merges over the students\' train; another decode method starts from its own defaults', () => {
    const s = parseSpec(
      lines(
        'generators: { self: { train: { maxEpochs: 3 }, decode: { method: greedy } } }',
        'student: { model: small, train: { lr: 0.002 }, decode: { beamSize: 6, maxLenA: 3 } }',
      ),
      's.yaml',
    );
    expect(s.generators.self).toMatchObject({ kind: 'self', train: { lr: 0.002, maxEpochs: 3, patience: 5 } });
    expect(s.generators.self.kind === 'self' && s.generators.self.decode).toMatchObject({ method: 'greedy', beamSize: 1, lengthPenalty: 0, maxLenA: 3 });
  });

  it('fills OpenAI-compatible generators with defaults and keeps only the key variable name', () => {
    const s = parseSpec('generators:\n  gpt: { kind: openai, model: gpt-4o-mini }\n', 'o.yaml');
    expect(s.generators.gpt).toEqual({
      kind: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKeyEnv: 'OPENAI_API_KEY',
      prompt: DEFAULT_PROMPT, // the generator's, with the marker line serve looks for
      concurrency: 4,
      retries: 5,
      timeoutMs: 60000,
      requestsPerMinute: 0,
      temperature: 0,
      maxTokens: 512,
    });
    const local = parseSpec('generators:\n  vllm: { kind: openai, baseUrl: "http://localhost:8000/v1", model: m, apiKeyEnv: null }\n', 'o.yaml');
    expect(local.generators.vllm).toMatchObject({ apiKeyEnv: null, baseUrl: 'http://localhost:8000/v1' });
  });
});

describe('parseSpec: every error names file, line and field', () => {
  it('an unknown condition (the message of the docs)', () => {
    const e = specError(demoWith(16, '  - mixx:low:0.5'));
    expect(e.message).toBe("demo.yaml:16: conditions[2]: unknown condition 'mixx:low:0.5' (expected real, generated:NAME or mix:NAME:P with 0 < P < 1)");
    expect([e.file, e.line, e.path]).toEqual(['demo.yaml', 16, 'conditions[2]']);
  });

  it('conditions naming a missing generator, a bad fraction, or repeated', () => {
    expect(specError(demoWith(15, '  - generated:high')).message).toBe(
      "demo.yaml:15: conditions[1]: 'generated:high': no generator named 'high' in generators (defined: apertium, low)",
    );
    expect(specError(demoWith(16, '  - mix:apertium:1.5')).message).toMatch(/^demo\.yaml:16: conditions\[2\]: 'mix:apertium:1\.5': the generated fraction P must be a decimal number with 0 < P < 1/);
    expect(specError(demoWith(16, '  - mix:apertium:0')).message).toMatch(/^demo\.yaml:16: conditions\[2\]: .*0 < P < 1/);
    expect(specError(demoWith(16, '  - real')).message).toBe("demo.yaml:16: conditions[2]: 'real' is listed twice");
    expect(specError(demoWith(16, '  - mix:apertium:0.50', '  - mix:apertium:.5')).message).toBe("demo.yaml:17: conditions[3]: 'mix:apertium:0.5' is listed twice");
  });

  it('unknown fields, with a suggestion when close', () => {
    expect(specError(demoWith(17, 'sizez: [1000, 2000]')).message).toMatch(/^demo\.yaml:17: sizez: unknown field \(did you mean 'sizes'\?\); known: name, corpus, /);
    expect(specError(demoWith(12, '    trian: { maxSteps: 100 }')).message).toMatch(/^demo\.yaml:12: generators\.low\.trian: unknown field \(did you mean 'train'\?\)/);
    expect(specError(demoWith(23, '    maxStep: 200')).message).toMatch(/^demo\.yaml:23: student\.train\.maxStep: unknown field \(did you mean 'maxSteps'\?\)/);
    expect(specError(demoWith(23, '    colour: red')).message).toMatch(/^demo\.yaml:23: student\.train\.colour: unknown field; known: maxTokens/);
  });

  it('engine option errors at the field (train, decode, model)', () => {
    expect(specError(demoWith(22, '    lr: -1')).message).toBe('demo.yaml:22: student.train.lr: must be a finite number in (0, 10] (got -1)');
    expect(specError(demoWith(20, '  model: { dModel: 100, nHeads: 3 }')).message).toMatch(/^demo\.yaml:20: student\.model\.dModel: must be a positive integer divisible by nHeads/);
    expect(specError(demoWith(20, '  model: huge')).message).toBe("demo.yaml:20: student.model: must be one of 'tiny', 'small', 'base' (got the string \"huge\")");
    expect(specError(demoWith(20, '  model: { preset: tiny, vocabSize: 100 }')).message).toMatch(/^demo\.yaml:20: student\.model\.vocabSize: is not set here: set tokenizer\.vocabSize/);
    expect(specError(demoWith(23, '    seed: 3')).message).toMatch(/^demo\.yaml:23: student\.train\.seed: is set by the runner, not the spec/);
    expect(specError(demoWith(23, '    checkpointEvery: 3')).message).toMatch(/^demo\.yaml:23: student\.train\.checkpointEvery: is set by the runner, not the spec/);
    expect(specError(demoWith(23, '    checkpointSeconds: -1')).message).toMatch(/^demo\.yaml:23: student\.train\.checkpointSeconds: .*\[0, 1000000000\]/);
    expect(specError(demoWith(23, '  decode: { beamSize: 0 }')).message).toBe('demo.yaml:23: student.decode.beamSize: must be an integer in [1, 256] (got 0)');
    expect(specError(demoWith(23, '  decode: { method: greedy, temperature: 0.5 }')).message).toBe(
      "demo.yaml:23: student.decode.temperature: decode.temperature applies only to decode.method 'sample' (got 'greedy')",
    );
  });

  it('sizes and seeds', () => {
    expect(specError(demoWith(17, 'sizes: [2000, 1000]')).message).toBe('demo.yaml:17: sizes[1]: sizes must be ascending without repeats (1000 after 2000)');
    expect(specError(demoWith(17, 'sizes: [1000, 1500.5]')).message).toBe('demo.yaml:17: sizes[1]: must be an integer >= 1 (got the number 1500.5)');
    expect(specError(demoWith(17, 'sizes: 1000')).message).toBe('demo.yaml:17: sizes: must be a list of training sizes (numbers of pairs) (got the number 1000)');
    expect(specError(demoWith(18, 'seeds: [1, 2, 1]')).message).toBe('demo.yaml:18: seeds[2]: seed 1 is listed twice');
    expect(specError(demoWith(6, '  poolB: 1500')).message).toBe('demo.yaml:17: sizes[1]: 2000 is more than pool B holds (splits.poolB = 1500)');
  });

  it('splits, corpus, direction, tokenizer', () => {
    expect(specError(demoWith(5, '  poolA: rest')).message).toBe("demo.yaml:6: splits.poolB: only one part can be 'rest' (poolA and poolB are)");
    expect(specError(demoWith(7, '  dev: lots')).message).toBe('demo.yaml:7: splits.dev: must be a number of pairs or \'rest\' (got the string "lots")');
    expect(specError(demoWith(2, 'corpus: { kind: tsv, file: x.tsv, src: de }')).message).toBe(
      "demo.yaml:2: corpus: needs tgt: the language of the second side (a language code such as 'de' or 'pt-BR')",
    );
    expect(specError(demoWith(2, 'corpus: { kind: bible, pair: es-fr }')).message).toMatch(/^demo\.yaml:2: corpus\.pair: must be two different languages of en, es/);
    expect(specError(demoWith(2, 'corpus: { kind: csv, file: x }')).message).toMatch(/^demo\.yaml:2: corpus\.kind: must be one of 'bible', 'moses', 'tsv', 'jsonl', 'tmx'/);
    expect(specError(demoWith(3, 'direction: es-de')).message).toBe("demo.yaml:3: direction: must go between the corpus's languages es and en (got es -> de)");
    expect(specError(demoWith(3, 'tokenizer: { vocabSize: 100 }')).message).toBe('demo.yaml:3: tokenizer.vocabSize: must be an integer in [260, 1048576] (got the number 100)');
  });

  it('generators', () => {
    expect(specError(demoWith(10, '  mine: {}')).message).toMatch(/^demo\.yaml:10: generators\.mine: needs a kind \(model, self, apertium, openai\)/);
    expect(specError(demoWith(10, '  apertium: { kind: moses }')).message).toMatch(/^demo\.yaml:10: generators\.apertium\.kind: must be one of 'model', 'self', 'apertium', 'openai'/);
    expect(specError(demoWith(10, '  real: { kind: apertium }')).message).toMatch(/^demo\.yaml:10: generators\.real: is not a usable generator name/);
    expect(specError(demoWith(12, '    trainPairs: 5000')).message).toBe('demo.yaml:12: generators.low.trainPairs: 5000 is more than pool A holds (splits.poolA = 4000)');
    expect(specError(demoWith(10, '  apertium: { kind: apertium, mode: eng-spa }')).message).toBe(
      "demo.yaml:10: generators.apertium.mode: 'eng-spa' translates eng -> spa, but the direction is es -> en (Apertium mode spa-eng)",
    );
    expect(parseSpec(demoWith(10, '  apertium: { mode: spa-eng_US }'), 'd.yaml').generators.apertium).toEqual({ kind: 'apertium', mode: 'spa-eng_US' });
    expect(specError(demoWith(10, '  apertium: { kind: apertium, mode: "spa eng" }')).message).toMatch(/^demo\.yaml:10: generators\.apertium\.mode: "spa eng" is not an Apertium mode/);
  });

  it('OpenAI generators: keys never in the spec, a variable name instead', () => {
    const gpt = (...fields: string[]) => demoWith(10, '  gpt:', '    kind: openai', '    model: gpt-4o', ...fields.map((f) => `    ${f}`));
    expect(specError(gpt('apiKey: sk-abc123')).message).toMatch(/^demo\.yaml:13: generators\.gpt\.apiKey: a spec must not hold API keys: .*apiKeyEnv/);
    expect(specError(gpt('apiKeyEnv: sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c')).message).toMatch(/^demo\.yaml:13: generators\.gpt\.apiKeyEnv: looks like an API key itself/);
    expect(specError(gpt('apiKeyEnv: my key')).message).toMatch(/^demo\.yaml:13: generators\.gpt\.apiKeyEnv: "my key" is not the name of an environment variable/);
    expect(specError(gpt('baseUrl: "https://user:pw@example.com/v1"')).message).toMatch(/^demo\.yaml:13: generators\.gpt\.baseUrl: must not contain credentials/);
    expect(specError(gpt('prompt: "Translate: {text}"')).message).toBe('demo.yaml:13: generators.gpt.prompt: unknown placeholder {text}; known: {source}, {src_lang}, {tgt_lang}');
    expect(specError(gpt('prompt: "Translate into {tgt_lang}"')).message).toMatch(/^demo\.yaml:13: generators\.gpt\.prompt: must contain \{source\}/);
    expect(specError(gpt('concurrency: 0')).message).toBe('demo.yaml:13: generators.gpt.concurrency: must be an integer in [1, 1024] (got the number 0)');
    expect(specError(demoWith(10, '  gpt: { kind: openai }')).message).toMatch(/^demo\.yaml:10: generators\.gpt\.model: must be a non-empty string/);
  });

  it('student init', () => {
    expect(specError(demoWith(23, '  init: { finetune: { pairs: 5000 } }')).message).toBe('demo.yaml:23: student.init.finetune.pairs: 5000 is more than pool A holds (splits.poolA = 4000)');
    expect(specError(demoWith(23, '  init: { finetune: {} }')).message).toBe('demo.yaml:23: student.init.finetune: give exactly one of pairs and checkpoint');
    expect(specError(demoWith(23, '  init: warm')).message).toMatch(/^demo\.yaml:23: student\.init: must be 'scratch' or/);
  });

  it('syntax errors, duplicate keys, JSON, empty and non-mapping files', () => {
    expect(specError(demoWith(17, 'sizes: [1000, 2000')).message).toMatch(/^demo\.yaml:18: .*\(not valid YAML or JSON\)$/);
    expect(specError(demoWith(18, 'sizes: [3000]')).message).toBe('demo.yaml:18: Map keys must be unique (not valid YAML or JSON)');
    expect(specError('{\n  "name": "x",\n  "seeds": [1, "two"]\n}\n', 'x.json').message).toBe('x.json:3: seeds[1]: must be an integer >= 0 (got the string "two")');
    // YAML would take these; a .json file must be strict JSON
    expect(specError('{\n  "name": "x",\n  "seeds": [1, 2,]\n}\n', 'x.json').message).toBe('x.json:3: trailing comma before ] (not valid JSON)');
    expect(specError('{\n  // note\n  "name": "x"\n}\n', 'x.json').message).toBe("x.json:2: expected a quoted property name, found '/' (not valid JSON)");
    expect(specError('{\n  "name": "x\n}\n', 'x.json').message).toBe('x.json:2: control character in a string (write it as an escape such as \\n) (not valid JSON)');
    expect(specError('', 'e.yaml').message).toMatch(/^e\.yaml: the spec is empty/);
    expect(specError('- a\n- b\n', 'l.yaml').message).toBe('l.yaml:1: must be a mapping of spec fields (got a list)');
  });
});

describe('jsonSyntaxError', () => {
  it('accepts exactly what JSON.parse accepts', () => {
    const cases = [
      '{}', '[]', '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', ' 1 ', '"s"', '{"a":{"b":[[],{}]}}', '-0',
      '{,}', '[1,]', '{"a":1,}', "{'a':1}", '{a:1}', '[1 2]', '01', '1.', '.5', '+1', '"\\x"', '"\\u12"', '[', '{"a"}', '{"a":}',
      'nul', 'true false', '', '  ', '"abc', '[1]]', '{"a":1}{', 'NaN', '-', '1e', '"\t"',
    ];
    for (const c of cases) {
      let ok = true;
      try {
        JSON.parse(c);
      } catch {
        ok = false;
      }
      expect(jsonSyntaxError(c) === null, c).toBe(ok);
    }
    expect(jsonSyntaxError('[1,\n2,\n]')).toEqual({ offset: 7, message: 'trailing comma before ]' });
  });
});

describe('presets and specToYaml', () => {
  it('the demo preset: bible, 2 sizes, 2 seeds, apertium and low, tiny students on CPU', () => {
    const d = presetSpec('demo');
    expect(d.sizes).toEqual([1000, 4000]);
    expect(d.seeds).toEqual([1, 2]);
    expect(d.conditions).toEqual(['real', 'generated:apertium', 'generated:low', 'mix:apertium:0.5']);
    expect(d.device).toBe('cpu');
    expect(d.student.model.dModel).toBe(64);
    // a fixed budget: steps, no epochs, no early stopping; a high learning rate with a
    // cosine decay after a warmup of a tenth of the steps
    expect(d.student.train).toMatchObject({ maxSteps: 1000, maxEpochs: 0, patience: 0, restoreBest: false });
    expect(d.student.train).toMatchObject({ maxTokens: 2048, lr: 0.005, schedule: 'cosine', warmupSteps: 100 });
    expect(d.generators.low).toMatchObject({ kind: 'model', trainPairs: 2000, train: { maxSteps: 600, maxEpochs: 0 } });
    expect(d.generators.low).toMatchObject({ train: { maxTokens: 2048, lr: 0.005, schedule: 'cosine', warmupSteps: 60 } });
  });

  it('the paper preset: base students, steps of 1,000, 5 seeds, low/high/self/apertium', () => {
    const p = presetSpec('paper');
    expect(p.sizes).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    expect(p.seeds).toEqual([1, 2, 3, 4, 5]);
    expect(Object.keys(p.generators).sort()).toEqual(['apertium', 'high', 'low', 'self']);
    expect(p.student.model).toMatchObject({ dModel: 512, encoderLayers: 6, decoderLayers: 6, nHeads: 8 });
    expect(p.device).toBe('cuda');
  });

  it('presets return fresh objects', () => {
    const a = presetSpec('demo');
    a.sizes.push(99999);
    expect(presetSpec('demo').sizes).toEqual([1000, 4000]);
    expect(() => presetSpec('nope' as never)).toThrow(RegurgitateError);
  });

  const custom = lines(
    'name: custom study',
    'corpus: { kind: jsonl, file: data/pairs.jsonl, src: de, tgt: en }',
    'splits: { poolA: 3000, poolB: 9000, dev: 300, test: 400, splitSeed: 7 }',
    'tokenizer: { vocabSize: 2000 }',
    'generators:',
    '  self: { train: { maxEpochs: 3 }, decode: { method: greedy } }',
    '  gpt: { kind: openai, model: m, baseUrl: "http://localhost:1234/v1", apiKeyEnv: LOCAL_KEY, temperature: 0.3 }',
    '  odd: { kind: model, model: { preset: small, dModel: 384, nHeads: 6 }, trainPairs: 1234, decode: { method: sample, topK: 20 }, seed: 9 }',
    'conditions: [real, "generated:self", "mix:gpt:0.25", "generated:odd"]',
    'sizes: [500, 1500, 4500]',
    'seeds: [11]',
    'student: { model: small, train: { maxEpochs: 2, lr: 0.002 }, decode: { beamSize: 6 }, init: { finetune: { checkpoint: runs/base } } }',
    'device: cpu',
    'threads: 2',
  );

  it.each([
    ['demo', () => presetSpec('demo')],
    ['paper', () => presetSpec('paper')],
    ['custom', () => parseSpec(custom, 'custom.yaml')],
  ])('specToYaml round-trips the %s spec', (_, make) => {
    const spec: ExperimentSpec = make();
    const yaml = specToYaml(spec);
    expect(yaml).toMatch(/^# regurgitate experiment spec/);
    expect(yaml).toMatch(/\n# real \| generated:NAME \| mix:NAME:P/);
    expect(parseSpec(yaml, 'out.yaml')).toEqual(spec);
  });

  it.each([
    ['demo', () => presetSpec('demo')],
    ['paper', () => presetSpec('paper')],
    ['custom', () => parseSpec(custom, 'custom.yaml')],
  ])('a parsed %s spec written as JSON parses to itself (what the results store keeps)', (_, make) => {
    const spec: ExperimentSpec = make();
    expect(parseSpec(JSON.stringify(spec), 'spec.json')).toEqual(spec);
  });

  it('specToYaml writes short forms (preset names, decoding fields that differ)', () => {
    const yaml = specToYaml(parseSpec(custom, 'custom.yaml'));
    expect(yaml).toContain('  model: small\n');
    expect(yaml).toMatch(/odd:\n(.*\n)*?\s+model:\n\s+preset: small\n\s+dModel: 384\n\s+nHeads: 6\n/);
    expect(yaml).toMatch(/decode:\n\s+method: beam\n\s+beamSize: 6\n/);
    expect(yaml).not.toContain('lnEps');
  });
});

describe('docs/experiments.md', () => {
  it('its example spec parses, and is the demo preset in short', () => {
    const md = readFileSync(join(ROOT, 'docs/experiments.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(md)![1];
    const s = parseSpec(example, 'example.yaml');
    const demo = presetSpec('demo');
    expect(s.conditions).toEqual(demo.conditions);
    expect([s.sizes, s.seeds, s.splits, s.device]).toEqual([demo.sizes, demo.seeds, demo.splits, demo.device]);
    // the same training budgets and schedules as the preset's (the example leaves out
    // what does not change the picture, such as validEvery)
    const pick = <T extends object>(o: T, keys: (keyof T)[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
    expect(s.student.model).toEqual(demo.student.model);
    expect(s.student.train).toMatchObject(pick(demo.student.train, ['maxSteps', 'maxEpochs', 'maxTokens', 'lr', 'schedule', 'warmupSteps', 'patience', 'restoreBest']));
    const low = (x: ExperimentSpec) => {
      const g = x.generators.low;
      if (g.kind !== 'model') throw new Error(`generators.low is a ${g.kind} generator`);
      return g;
    };
    expect(low(s)).toMatchObject({ model: low(demo).model, trainPairs: low(demo).trainPairs });
    expect(low(s).train).toMatchObject(pick(low(demo).train, ['maxSteps', 'maxEpochs', 'lr', 'schedule', 'warmupSteps']));
  });
});

describe('loadSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const f = join(dir, 'study.yaml');
    writeFileSync(f, lines(...DEMO));
    expect(loadSpec(f).name).toBe('demo');
    writeFileSync(f, demoWith(16, '  - mixx:low:0.5'));
    expect(() => loadSpec(f)).toThrow(`${f}:16: conditions[2]: unknown condition`);
  });

  it('resolveSpecPaths resolves corpus files and checkpoints against the spec folder, leaving the spec as written', () => {
    const s = parseSpec('corpus: { kind: moses, srcFile: data/a.de, tgtFile: /abs/a.en }\nstudent: { init: { finetune: { checkpoint: ../base } } }\n', 'x.yaml');
    const r = resolveSpecPaths(s, '/studies/one');
    expect(r.corpus).toMatchObject({ srcFile: '/studies/one/data/a.de', tgtFile: '/abs/a.en' });
    expect(r.student.init).toEqual({ finetune: { checkpoint: '/studies/base' } });
    expect(s.corpus).toMatchObject({ srcFile: 'data/a.de' });
    expect(resolveSpecPaths(parseSpec('corpus: { kind: tmx, file: t.tmx, src: en, tgt: fr }\n', 'y.yaml'), '/d').corpus).toMatchObject({ file: '/d/t.tmx' });
  });

  it('a missing file is ENOENT', () => {
    let err: unknown;
    try {
      loadSpec(join(dir, 'missing.yaml'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegurgitateError);
    expect((err as RegurgitateError).code).toBe('ENOENT');
  });
});
