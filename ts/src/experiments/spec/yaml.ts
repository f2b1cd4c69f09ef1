// A spec as commented YAML (`regurgitate experiment init`): the short forms a person
// would write (model presets by name, decoding fields that differ from their method's
// defaults), every other field spelled out, and one comment per section. Parsing the
// output gives back the same spec.
import { Document, isMap, isPair, isScalar, isSeq } from 'yaml';

import { archInput, decodeInput } from './options.js';
import type { ExperimentSpec, GeneratorSpec } from './types.js';

const COMMENTS: Record<string, string> = {
  name: 'Name of the study (reports show it; it does not change any result).',
  corpus: "Parallel corpus: 'bible' (built-in, pair es-en), or kind moses (srcFile, tgtFile), tsv, jsonl or\ntmx (file), with src and tgt languages. Relative paths start at this file's folder.",
  direction: 'Translation direction, SRC-TGT.',
  splits:
    "Disjoint parts of the cleaned corpus (numbers of pairs, or 'rest'): poolA trains the generators,\npoolB gives the students' sources, dev and test hold real references only.",
  tokenizer: 'Byte-level BPE, trained on real text.',
  generators:
    'Who writes the generated targets. kind: model (ours, trained on trainPairs of pool A), self (the\n' +
    "students' architecture and training, on pool A), apertium (mode), openai (any OpenAI-compatible\n" +
    'endpoint; apiKeyEnv names the environment variable that holds the key, never the key).',
  conditions: 'real | generated:NAME | mix:NAME:P (a fraction P of the targets from NAME, the rest real).',
  sizes: "Training sizes in pairs of pool B. A seed's samples are nested: 2,000 pairs include the 1,000.",
  seeds: 'One student per condition, size and seed.',
  student:
    'The model trained in every cell. train and decode are the engine options of docs/model.md\n' +
    '(the seed is the cell\'s); init: scratch, or { finetune: { pairs: N } } / { finetune: { checkpoint: DIR } }.',
  chains:
    'Collapse chains: generation k+1 trains on what generation k wrote. regime: replace, accumulate\n' +
    '(real pairs plus every earlier generation\'s) or fresh:P (a share P of new real pairs each generation);\n' +
    'generations: K (1 to 20); size: pairs per generation; seeds, model, train, decode: default the students\'.',
  device: 'cpu, cuda or auto (cuda when a GPU is usable).',
  threads: 'CPU worker threads; 0 = one per hardware thread.',
};

function generatorInput(g: GeneratorSpec): Record<string, unknown> {
  switch (g.kind) {
    case 'model':
      return { kind: g.kind, model: archInput(g.model), trainPairs: g.trainPairs, train: g.train, decode: decodeInput(g.decode), seed: g.seed };
    case 'self':
      return {
        kind: g.kind,
        trainPairs: g.trainPairs,
        ...(g.train ? { train: g.train } : {}),
        ...(g.decode ? { decode: decodeInput(g.decode) } : {}),
        seed: g.seed,
      };
    default:
      return { ...g };
  }
}

/** An arithmetic progression of at least 4 sizes as { from, to, step }, else the list. */
function sizesInput(sizes: number[]): unknown {
  const step = sizes[1] - sizes[0];
  if (sizes.length >= 4 && sizes.every((n, i) => i === 0 || n - sizes[i - 1] === step)) return { from: sizes[0], to: sizes[sizes.length - 1], step };
  return sizes;
}

/** The input form of a spec (what specToYaml writes, before comments). */
export function specInput(spec: ExperimentSpec): Record<string, unknown> {
  const { direction: d } = spec;
  return {
    name: spec.name,
    corpus: { ...spec.corpus },
    direction: d.src.includes('-') || d.tgt.includes('-') ? { ...d } : `${d.src}-${d.tgt}`,
    splits: { ...spec.splits },
    tokenizer: { ...spec.tokenizer },
    generators: Object.fromEntries(Object.entries(spec.generators).map(([k, g]) => [k, generatorInput(g)])),
    conditions: [...spec.conditions],
    sizes: sizesInput(spec.sizes),
    seeds: [...spec.seeds],
    student: { model: archInput(spec.student.model), train: spec.student.train, decode: decodeInput(spec.student.decode), init: spec.student.init },
    ...(spec.chains
      ? { chains: spec.chains.map((c) => ({ regime: c.regime, generations: c.generations, size: c.size, seeds: [...c.seeds], model: archInput(c.model), train: c.train, decode: decodeInput(c.decode) })) }
      : {}),
    device: spec.device,
    threads: spec.threads,
  };
}

/** Commented YAML that parseSpec() reads back into `spec`. */
export function specToYaml(spec: ExperimentSpec, header?: string): string {
  const doc = new Document(specInput(spec));
  const lines = [...(header ? header.split('\n') : []), 'regurgitate experiment spec (docs/experiments.md). Run it with:', '  regurgitate experiment run THIS_FILE'];
  doc.commentBefore = lines.map((l) => ` ${l}`).join('\n');
  const top = doc.contents;
  if (isMap(top)) {
    top.items.forEach((pair, i) => {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const c = COMMENTS[String(pair.key.value)];
      if (c) pair.key.commentBefore = (i > 0 ? '\n' : '') + c.split('\n').map((l) => ` ${l}`).join('\n');
      // Short lists and small mappings read best on one line.
      const v = pair.value;
      if (isSeq(v) && v.items.every((x) => isScalar(x) && typeof x.value === 'number')) v.flow = true;
      if (isMap(v) && ['sizes', 'direction'].includes(String(pair.key.value))) v.flow = true;
    });
  }
  return doc.toString({ lineWidth: 0 });
}
