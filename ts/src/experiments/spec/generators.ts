// The `generators` section: a map from name to a model we train on pool A, the students'
// own architecture ('self'), Apertium, or an OpenAI-compatible endpoint. Entries named
// like a built-in (low, high, self, apertium) start from the built-in definition.
import { isPlainObject } from '../../common/validate.js';
// The generator's own default: its marker line lets `regurgitate serve` find the sentence.
import { DEFAULT_PROMPT } from '../../generators/prompt.js';
import { GENERATOR_NAME } from '../recipes/names.js';
import { readDecode, readModel, readTrain } from './options.js';
import type { SpecPath, SpecSource } from './source.js';
import { hashedTrain } from './types.js';
import type {
  Direction,
  GeneratorSpec,
  ModelGeneratorSpec,
  OpenAIGeneratorSpec,
  PoolSize,
  StudentSpec,
} from './types.js';

/** Paper-like generators: a weak and a strong model of ours, the students' own kind, Apertium. */
export const BUILTIN_GENERATORS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.freeze({
  // A tiny model trained briefly on a small part of pool A: many errors.
  low: { kind: 'model', model: 'tiny', trainPairs: 1000, train: { maxEpochs: 5 }, decode: { method: 'greedy' }, seed: 1 },
  // A Transformer-base trained on all of pool A until the dev loss stops improving.
  high: { kind: 'model', model: 'base', trainPairs: 'all', train: { maxEpochs: 40, patience: 5, restoreBest: true }, decode: { method: 'beam' }, seed: 1 },
  // The students' architecture and training, on all of pool A.
  self: { kind: 'self', trainPairs: 'all', seed: 1 },
  // Rule-based MT; the mode follows the direction (spa-eng for es -> en).
  apertium: { kind: 'apertium' },
});

export const GENERATOR_KINDS = ['model', 'self', 'apertium', 'openai'] as const;

const PROMPT_FIELDS = ['source', 'src_lang', 'tgt_lang'];

/** ISO 639-1 to the ISO 639-3 codes Apertium names its modes with. */
const APERTIUM_CODES: Record<string, string> = {
  en: 'eng', es: 'spa', ca: 'cat', fr: 'fra', pt: 'por', it: 'ita', de: 'deu', gl: 'glg', eu: 'eus', oc: 'oci',
  ro: 'ron', nl: 'nld', sv: 'swe', da: 'dan', nb: 'nob', nn: 'nno', is: 'isl', eo: 'epo', ar: 'ara', mt: 'mlt',
  cy: 'cym', br: 'bre', ga: 'gle', kk: 'kaz', tt: 'tat', ru: 'rus', uk: 'ukr', be: 'bel', pl: 'pol', cs: 'ces',
  sk: 'slk', sl: 'slv', hr: 'hbs', sr: 'hbs', bs: 'hbs', mk: 'mkd', bg: 'bul', id: 'ind', ms: 'zlm', an: 'arg', ast: 'ast',
};

export function apertiumMode(d: Direction): string | undefined {
  const code = (l: string) => (/^[a-z]{3}$/.test(l) ? l : APERTIUM_CODES[l.toLowerCase()]);
  const a = code(d.src);
  const b = code(d.tgt);
  return a && b ? `${a}-${b}` : undefined;
}

/** What the section needs from the rest of the spec. */
export interface GeneratorContext {
  direction: Direction;
  vocabSize: number;
  poolA: PoolSize;
  student: StudentSpec;
}

// Field names that would hold a secret: a spec is shared and versioned, keys are not.
const SECRET_FIELDS = /^(api[_-]?key|key|token|secret|password|authorization|bearer|auth)$/i;

export function readGenerators(src: SpecSource, path: SpecPath, v: unknown, ctx: GeneratorContext): Record<string, GeneratorSpec> {
  if (v === undefined || v === null) v = { low: null, high: null, self: null };
  if (!isPlainObject(v)) src.fail(path, 'must be a mapping from generator name to its definition, e.g. { low: {}, apertium: { kind: apertium } }');
  const out: Record<string, GeneratorSpec> = {};
  for (const [name, entry] of Object.entries(v)) {
    const p = [...path, name];
    if (!GENERATOR_NAME.test(name) || name === 'real')
      src.fail(p, "is not a usable generator name: use a letter, then letters, digits, '_' or '-' ('real' is taken)", true);
    out[name] = readGenerator(src, p, name, entry, ctx);
  }
  return out;
}

function readGenerator(src: SpecSource, path: SpecPath, name: string, v: unknown, ctx: GeneratorContext): GeneratorSpec {
  if (v !== null && v !== undefined && !isPlainObject(v)) src.fail(path, `must be a mapping with a kind (${GENERATOR_KINDS.join(', ')})`);
  const given = (v ?? {}) as Record<string, unknown>;
  const builtin = BUILTIN_GENERATORS[name];
  const kind = given.kind ?? builtin?.kind;
  if (kind === undefined) src.fail(path, `needs a kind (${GENERATOR_KINDS.join(', ')}); only ${Object.keys(BUILTIN_GENERATORS).join(', ')} have defaults`);
  src.oneOf([...path, 'kind'], kind, GENERATOR_KINDS);
  const base = builtin && builtin.kind === kind ? builtin : { kind };
  const merged = { ...base, ...given };
  // Sub-mappings merge field by field: `low: { train: { lr: 0.001 } }` keeps low's epochs,
  // `low: { model: { dropout: 0 } }` keeps its preset.
  const sub = (k: string) => {
    const b = base[k];
    const g = given[k];
    if (isPlainObject(b) && isPlainObject(g)) return { ...b, ...g };
    if (typeof b === 'string' && isPlainObject(g) && g.preset === undefined) return { preset: b, ...g };
    return merged[k];
  };
  switch (kind) {
    case 'model': {
      src.object(path, given, ['kind', 'model', 'train', 'trainPairs', 'decode', 'seed']);
      const g: ModelGeneratorSpec = {
        kind: 'model',
        model: readModel(src, [...path, 'model'], sub('model') ?? 'small', ctx.vocabSize),
        train: readTrain(src, [...path, 'train'], sub('train'), {}),
        trainPairs: readTrainPairs(src, [...path, 'trainPairs'], merged.trainPairs ?? 'all', ctx.poolA),
        decode: readDecode(src, [...path, 'decode'], sub('decode'), {}),
        seed: src.int([...path, 'seed'], merged.seed ?? 1, 0),
      };
      return g;
    }
    case 'self': {
      src.object(path, given, ['kind', 'train', 'trainPairs', 'decode', 'seed']);
      return {
        kind: 'self',
        trainPairs: readTrainPairs(src, [...path, 'trainPairs'], merged.trainPairs ?? 'all', ctx.poolA),
        ...(merged.train !== undefined && merged.train !== null ? { train: readTrain(src, [...path, 'train'], merged.train, ctx.student.train) } : {}),
        ...(merged.decode !== undefined && merged.decode !== null ? { decode: readDecode(src, [...path, 'decode'], merged.decode, ctx.student.decode) } : {}),
        seed: src.int([...path, 'seed'], merged.seed ?? 1, 0),
      };
    }
    case 'apertium': {
      src.object(path, given, ['kind', 'mode']);
      const auto = apertiumMode(ctx.direction);
      if (merged.mode === undefined && !auto)
        src.fail(path, `needs a mode: no Apertium language code is known for ${ctx.direction.src} -> ${ctx.direction.tgt} (e.g. mode: spa-eng)`);
      const mode = src.str([...path, 'mode'], merged.mode ?? auto, /^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)+$/, "an Apertium mode such as 'spa-eng'");
      // A mode for the other direction is a likely slip (eng-spa for es -> en).
      const [a, b] = mode.split('-').map((x) => x.split('_')[0]);
      if (auto && `${a}-${b}` !== auto)
        src.fail([...path, 'mode'], `'${mode}' translates ${a} -> ${b}, but the direction is ${ctx.direction.src} -> ${ctx.direction.tgt} (Apertium mode ${auto})`);
      return { kind: 'apertium', mode };
    }
    default:
      return readOpenAI(src, path, given);
  }
}

function readTrainPairs(src: SpecSource, path: SpecPath, v: unknown, poolA: PoolSize): number | 'all' {
  if (v === 'all') return 'all';
  if (typeof v !== 'number') src.fail(path, `must be a number of pool-A pairs or 'all' (got ${JSON.stringify(v)})`);
  const n = src.int(path, v, 1);
  if (typeof poolA === 'number' && n > poolA) src.fail(path, `${n} is more than pool A holds (splits.poolA = ${poolA})`);
  return n;
}

const OPENAI_KEYS = ['kind', 'baseUrl', 'model', 'apiKeyEnv', 'prompt', 'concurrency', 'retries', 'timeoutMs', 'requestsPerMinute', 'temperature', 'maxTokens'];

function readOpenAI(src: SpecSource, path: SpecPath, v: Record<string, unknown>): OpenAIGeneratorSpec {
  for (const k of Object.keys(v))
    if (SECRET_FIELDS.test(k))
      src.fail([...path, k], 'a spec must not hold API keys: put the key in an environment variable and name it with apiKeyEnv (e.g. apiKeyEnv: OPENAI_API_KEY)', true);
  src.object(path, v, OPENAI_KEYS);
  const baseUrl = src.str([...path, 'baseUrl'], v.baseUrl ?? 'https://api.openai.com/v1');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    src.fail([...path, 'baseUrl'], `${JSON.stringify(baseUrl)} is not a URL (e.g. https://api.openai.com/v1 or http://localhost:8000/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') src.fail([...path, 'baseUrl'], `must be an http or https URL (got ${url.protocol})`);
  if (url.username || url.password) src.fail([...path, 'baseUrl'], 'must not contain credentials: name an environment variable with apiKeyEnv');
  for (const k of url.searchParams.keys())
    if (/key|token|secret|auth/i.test(k)) src.fail([...path, 'baseUrl'], `must not carry a secret in its query ('${k}'): name an environment variable with apiKeyEnv`);
  let apiKeyEnv: string | null = 'OPENAI_API_KEY';
  if (v.apiKeyEnv === null) apiKeyEnv = null;
  else if (v.apiKeyEnv !== undefined) {
    const s = src.str([...path, 'apiKeyEnv'], v.apiKeyEnv);
    if (/^sk-|^Bearer\s/i.test(s) || (s.length >= 32 && /[a-z]/.test(s) && /\d/.test(s)))
      src.fail([...path, 'apiKeyEnv'], 'looks like an API key itself: put the key in an environment variable and give its name here (e.g. OPENAI_API_KEY)');
    apiKeyEnv = src.str([...path, 'apiKeyEnv'], s, /^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable in capitals, digits and _ (e.g. OPENAI_API_KEY)');
  }
  const prompt = src.str([...path, 'prompt'], v.prompt ?? DEFAULT_PROMPT);
  for (const m of prompt.matchAll(/\{(\w*)\}/g))
    if (!PROMPT_FIELDS.includes(m[1])) src.fail([...path, 'prompt'], `unknown placeholder {${m[1]}}; known: ${PROMPT_FIELDS.map((f) => `{${f}}`).join(', ')}`);
  if (!prompt.includes('{source}')) src.fail([...path, 'prompt'], 'must contain {source} (where the sentence to translate goes)');
  return {
    kind: 'openai',
    baseUrl,
    model: src.str([...path, 'model'], v.model, undefined, 'the model name the endpoint serves'),
    apiKeyEnv,
    prompt,
    concurrency: src.int([...path, 'concurrency'], v.concurrency ?? 4, 1, 1024),
    retries: src.int([...path, 'retries'], v.retries ?? 5, 0, 100),
    timeoutMs: src.int([...path, 'timeoutMs'], v.timeoutMs ?? 60_000, 1, 3_600_000),
    requestsPerMinute: src.int([...path, 'requestsPerMinute'], v.requestsPerMinute ?? 0, 0, 1_000_000),
    temperature: src.num([...path, 'temperature'], v.temperature ?? 0, 0, 2),
    maxTokens: src.int([...path, 'maxTokens'], v.maxTokens ?? 512, 1, 1_000_000),
  };
}

/** A generator with the parts that determine its output (its settings), `self` resolved to a model. */
export function resolveGenerator(g: GeneratorSpec, student: StudentSpec): GeneratorSpec {
  if (g.kind !== 'self') return g;
  return {
    kind: 'model',
    model: student.model,
    train: g.train ?? student.train,
    trainPairs: g.trainPairs,
    decode: g.decode ?? student.decode,
    seed: g.seed,
  };
}

/** The fields of a generator that change what it writes (not how fast, not its key's name). */
export function generatorIdentity(g: GeneratorSpec, student: StudentSpec): Record<string, unknown> {
  const r = resolveGenerator(g, student);
  if (r.kind === 'model') return { ...r, train: hashedTrain(r.train) };
  if (r.kind !== 'openai') return { ...r };
  return { kind: r.kind, baseUrl: r.baseUrl, model: r.model, prompt: r.prompt, temperature: r.temperature, maxTokens: r.maxTokens };
}
