// Generator jobs: build a generator (train our model on pool A, or open Apertium or an
// OpenAI-compatible endpoint), translate the pool-B sources the students need (cached
// by content), and score that output against the real references.
import { join } from 'node:path';

import { DEFAULT_MODEL_CONFIG, type ModelConfigInput } from '../../engine/config.js';
import { RegurgitateError } from '../../common/errors.js';
import { ApertiumGenerator } from '../../generators/apertium.js';
import { generateCached } from '../../generators/cache.js';
import { CachedOnlyGenerator } from '../../generators/cached_only.js';
import { ModelGenerator } from '../../generators/model.js';
import { OpenAIGenerator } from '../../generators/openai.js';
import type { Generator } from '../../generators/types.js';
import { diversity } from '../../metrics/diversity.js';
import { scoreCorpus } from '../../rundir/score.js';
import { encodePairs } from '../../rundir/tokenize.js';
import { trainRun } from '../../rundir/train.js';
import type { Sides } from '../../rundir/corpus.js';
import { poolASample } from '../grid/sampling.js';
import type { GeneratorCell } from '../kinds/generator.js';
import type { CellContext } from '../kinds/types.js';
import type { GeneratedTarget } from '../recipes/types.js';
import type { GeneratorQuality } from '../types.js';

/** What training and generating need from the cell context. */
export type JobContext = Pick<CellContext, 'ws' | 'signal' | 'log' | 'device' | 'onTrain' | 'onGenerate'>;

export function sample(s: Sides, idx: ArrayLike<number>): Sides {
  const src: string[] = [];
  const tgt: string[] = [];
  for (let i = 0; i < idx.length; i++) {
    src.push(s.src[idx[i]]);
    tgt.push(s.tgt[idx[i]]);
  }
  return { src, tgt };
}

/** Trains a model on a seeded sample of pool A (all of it for 'all'); returns the run dir. */
export async function trainOnPoolA(
  ctx: JobContext,
  out: string,
  model: ModelConfigInput,
  train: Record<string, unknown>,
  pairs: number | 'all',
  seed: number,
  stream: string,
): Promise<string> {
  const { ws } = ctx;
  const n = ws.poolA.src.length;
  if (pairs !== 'all' && pairs > n) throw new RegurgitateError('ERANGE', `${out}: asks for ${pairs} pool-A pairs but pool A has ${n}`);
  const idx = pairs === 'all' ? Uint32Array.from({ length: n }, (_, i) => i) : poolASample(n, pairs, seed, stream);
  const maxLen = model.maxLen ?? DEFAULT_MODEL_CONFIG.maxLen;
  const enc = encodePairs(ws.tokenizer, sample(ws.poolA, idx), maxLen);
  await trainRun({
    out,
    tokenizer: ws.tokenizer,
    train: enc.pairs,
    dev: ws.devPairs(maxLen),
    model,
    trainOptions: { ...train },
    seed,
    info: { poolAPairs: idx.length, droppedLong: enc.dropped },
    device: ctx.device,
    signal: ctx.signal,
    onProgress: ctx.onTrain,
  });
  return out;
}

/** 'es' -> 'Spanish': prompts read better with names than with codes. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Opens (training first, for model generators) the generator of a generator cell. */
export async function buildGenerator(ctx: JobContext, cell: GeneratorCell): Promise<Generator> {
  const { name, generator: r } = cell;
  switch (r.kind) {
    case 'model': {
      const dir = join(ctx.ws.dir, 'generators', name);
      await trainOnPoolA(ctx, dir, { ...r.model }, { ...r.train }, r.trainPairs, r.seed, `generator:${name}`);
      if (ctx.signal?.aborted) throw new RegurgitateError('ECANCELED', `generator ${name}: training stopped`);
      return new ModelGenerator({ name, run: dir, decode: { ...r.decode, seed: r.seed }, device: ctx.device });
    }
    case 'apertium':
      try {
        return new ApertiumGenerator({ name, mode: r.mode });
      } catch (e) {
        // Not installed here: output cached where it was (a folder prepared elsewhere) still serves.
        if ((e as { code?: string }).code !== 'ENOENT') throw e;
        ctx.log(`${(e as Error).message}; using its output cached in ${join(ctx.ws.dir, 'cache')}`);
        const mode = r.mode;
        return new CachedOnlyGenerator({ name, kind: 'apertium', accept: (id) => id.kind === 'apertium' && id.mode === mode, reason: e as RegurgitateError });
      }
    case 'openai':
      return new OpenAIGenerator({
        name,
        baseUrl: r.baseUrl,
        model: r.model,
        apiKeyEnv: r.apiKeyEnv ?? undefined,
        prompt: r.prompt,
        srcLang: languageName(cell.direction.src),
        tgtLang: languageName(cell.direction.tgt),
        temperature: r.temperature,
        maxTokens: r.maxTokens,
        concurrency: r.concurrency,
        retries: r.retries,
        timeoutMs: r.timeoutMs,
        requestsPerMinute: r.requestsPerMinute || undefined,
      });
    default:
      throw new RegurgitateError('EINTERNAL', `generator ${name}: unknown kind`);
  }
}

export interface GeneratedPool {
  /** Pool-B index -> generated target and its scores (logprob where the generator has one). */
  targets: Map<number, GeneratedTarget>;
  quality: Pick<GeneratorQuality, 'sentences' | 'bleu' | 'chrf' | 'ter' | 'signatures' | 'diversity'> & { realDiversity: GeneratorQuality['diversity'] };
  seconds: number;
  cacheHit: boolean;
}

function div(lines: readonly string[]) {
  const d = diversity(lines);
  return { mtld: d.mtld ?? NaN, distinct_2: d.distinct_2 ?? NaN, ttr: d.ttr ?? NaN };
}

/** Translates the pool-B sources at `indices` (cached by content): pool-B position -> target with its scores. */
export async function generateTargets(ctx: JobContext, gen: Generator, indices: readonly number[]): Promise<{ targets: Map<number, GeneratedTarget>; seconds: number; hit: boolean }> {
  const sources = indices.map((i) => ctx.ws.poolB.src[i]);
  const cache = join(ctx.ws.dir, 'cache');
  const r = gen instanceof CachedOnlyGenerator ? gen.fromCache(cache, sources) : await generateCached(gen, sources, cache, { onProgress: ctx.onGenerate, signal: ctx.signal });
  const targets = new Map<number, GeneratedTarget>();
  indices.forEach((i, k) => {
    const lp = r.outputs[k].logprob;
    targets.set(i, { text: r.outputs[k].text, scores: typeof lp === 'number' && Number.isFinite(lp) ? { logprob: lp } : {} });
  });
  return { targets, seconds: r.seconds, hit: r.hit };
}

/** Translates the pool-B sources at `indices` (sorted) and scores them against the real targets. */
export async function generatePool(ctx: JobContext, gen: Generator, indices: readonly number[]): Promise<GeneratedPool> {
  const { targets, seconds, hit } = await generateTargets(ctx, gen, indices);
  const hyps = indices.map((i) => targets.get(i)!.text);
  const refs = indices.map((i) => ctx.ws.poolB.tgt[i]);
  return { targets, quality: { sentences: hyps.length, ...scoreCorpus(hyps, refs), diversity: div(hyps), realDiversity: div(refs) }, seconds, cacheHit: hit };
}
