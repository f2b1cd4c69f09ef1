// Options of the openai generator: defaults, and validation with messages that name the
// field. The API key is read here from the environment variable named by apiKeyEnv and
// never appears in a message.
import { describe, invalid } from '../common/errors.js';
import { checkBool, checkInt, checkKeys, checkNumber, checkSeed, checkString, isPlainObject } from '../common/validate.js';
import { checkPrompt, DEFAULT_PROMPT } from './prompt.js';

export interface OpenAIGeneratorOptions {
  /** Short name used in conditions and reports: letters, digits, '.', '_', '-'. */
  name: string;
  /** The API root, e.g. 'http://localhost:8000/v1'; requests go to `${baseUrl}/chat/completions`. */
  baseUrl: string;
  /** The endpoint's model name. */
  model: string;
  /** NAME of the environment variable holding the API key (read once, at construction). */
  apiKeyEnv?: string;
  /** User message template with {source}, {src_lang}, {tgt_lang} (default DEFAULT_PROMPT). */
  prompt?: string;
  /** System message, if any. */
  system?: string;
  /** Language names as the prompt should say them, e.g. 'German'. */
  srcLang: string;
  tgtLang: string;
  /** Sampling temperature (default 0). */
  temperature?: number;
  /** Limit on the reply's tokens (default 256). */
  maxTokens?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Extra attempts after a retryable failure (default 5). */
  retries?: number;
  /** First backoff, in ms (default 1000); it doubles with each attempt. */
  retryBaseMs?: number;
  /** Longest backoff, in ms (default 60000); a server's Retry-After is honoured even if longer. */
  retryMaxMs?: number;
  /** Per attempt, for the whole exchange (default 60000). */
  timeoutMs?: number;
  /** Rate limit: requests (attempts) per minute, evenly spaced (default unlimited). */
  requestsPerMinute?: number;
  /** Sent as the request's `seed`, and seeds the retry jitter (default: not sent, jitter seed 0). */
  seed?: number;
  /** Ask for token log-probabilities (`logprobs: true`) so each result carries `logprob` (default false). */
  logprobs?: boolean;
}

export interface ResolvedOpenAIOptions {
  name: string;
  baseUrl: string;
  model: string;
  apiKeyEnv: string | null;
  prompt: string;
  system: string | null;
  srcLang: string;
  tgtLang: string;
  temperature: number;
  maxTokens: number;
  concurrency: number;
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  requestsPerMinute: number | null;
  seed: number | null;
  logprobs: boolean;
}

const KEYS: (keyof OpenAIGeneratorOptions)[] = [
  'name', 'baseUrl', 'model', 'apiKeyEnv', 'prompt', 'system', 'srcLang', 'tgtLang', 'temperature', 'maxTokens',
  'concurrency', 'retries', 'retryBaseMs', 'retryMaxMs', 'timeoutMs', 'requestsPerMinute', 'seed', 'logprobs',
];

function nonEmpty(field: string, v: unknown): string {
  const s = checkString(field, v);
  if (s.trim() === '') throw invalid(`${field} must be a non-empty string (got ${describe(v)})`);
  return s;
}

/** An http(s) URL without credentials, query or fragment; trailing slashes dropped. */
function checkBaseUrl(v: unknown): string {
  const s = nonEmpty('openai.baseUrl', v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw invalid(`openai.baseUrl must be an absolute http(s) URL such as http://localhost:8000/v1 (got ${describe(s)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`openai.baseUrl must use http or https (got ${describe(u.protocol)})`);
  // Credentials in the URL would end up in identity() and in messages: they belong in apiKeyEnv.
  if (u.username !== '' || u.password !== '') throw invalid('openai.baseUrl must not contain credentials (user:password@); put the key in an environment variable and name it in apiKeyEnv');
  if (u.search !== '' || u.hash !== '') throw invalid(`openai.baseUrl must not have a query or fragment (got ${describe(s)})`);
  return u.href.replace(/\/+$/, '');
}

/** Validates options and fills defaults; returns them with the API key (undefined without apiKeyEnv). */
export function resolveOpenAIOptions(input: unknown, env: NodeJS.ProcessEnv = process.env): { options: ResolvedOpenAIOptions; apiKey: string | undefined } {
  if (!isPlainObject(input)) throw invalid(`openai generator options must be an object (got ${describe(input)})`);
  checkKeys(input, KEYS, 'openai');
  const o = input as Partial<Record<keyof OpenAIGeneratorOptions, unknown>>;
  for (const k of ['name', 'baseUrl', 'model', 'srcLang', 'tgtLang'] as const)
    if (o[k] === undefined) throw invalid(`openai.${k} is required`);
  const name = nonEmpty('openai.name', o.name);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
    throw invalid(`openai.name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (got ${describe(name)})`);
  let apiKeyEnv: string | null = null;
  let apiKey: string | undefined;
  if (o.apiKeyEnv !== undefined) {
    apiKeyEnv = nonEmpty('openai.apiKeyEnv', o.apiKeyEnv);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))
      throw invalid(`openai.apiKeyEnv must be the NAME of an environment variable, e.g. OPENAI_API_KEY (got a value that is not a variable name)`);
    apiKey = env[apiKeyEnv];
    if (apiKey === undefined || apiKey.trim() === '') throw invalid(`openai.apiKeyEnv: the environment variable ${apiKeyEnv} is not set or empty`);
    apiKey = apiKey.trim();
    if (/[\u0000-\u001f\u007f-\uffff]/.test(apiKey) || apiKey.includes(' '))
      throw invalid(`openai.apiKeyEnv: the value of ${apiKeyEnv} contains characters not allowed in an HTTP header`);
  }
  const num = (k: keyof OpenAIGeneratorOptions, def: number, check: (f: string, v: unknown) => number) =>
    o[k] === undefined ? def : check(`openai.${k}`, o[k]);
  const options: ResolvedOpenAIOptions = {
    name,
    baseUrl: checkBaseUrl(o.baseUrl),
    model: nonEmpty('openai.model', o.model),
    apiKeyEnv,
    prompt: o.prompt === undefined ? DEFAULT_PROMPT : checkPrompt('openai.prompt', checkString('openai.prompt', o.prompt)),
    system: o.system === undefined ? null : checkString('openai.system', o.system),
    srcLang: nonEmpty('openai.srcLang', o.srcLang),
    tgtLang: nonEmpty('openai.tgtLang', o.tgtLang),
    temperature: num('temperature', 0, (f, v) => checkNumber(f, v, { min: 0, max: 2 })),
    maxTokens: num('maxTokens', 256, (f, v) => checkInt(f, v, 1, 1_000_000)),
    concurrency: num('concurrency', 4, (f, v) => checkInt(f, v, 1, 1024)),
    retries: num('retries', 5, (f, v) => checkInt(f, v, 0, 100)),
    retryBaseMs: num('retryBaseMs', 1000, (f, v) => checkNumber(f, v, { min: 0, max: 3_600_000 })),
    retryMaxMs: num('retryMaxMs', 60_000, (f, v) => checkNumber(f, v, { min: 0, max: 3_600_000 })),
    timeoutMs: num('timeoutMs', 60_000, (f, v) => checkNumber(f, v, { min: 1, max: 3_600_000 })),
    requestsPerMinute: o.requestsPerMinute === undefined ? null : checkNumber('openai.requestsPerMinute', o.requestsPerMinute, { min: 0, max: 6_000_000, minOpen: true }),
    seed: o.seed === undefined ? null : checkSeed('openai.seed', o.seed),
    logprobs: o.logprobs === undefined ? false : checkBool('openai.logprobs', o.logprobs),
  };
  return { options, apiKey };
}
