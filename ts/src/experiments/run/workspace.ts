// An experiment folder's data: the corpus split into pool A, pool B, dev and test
// (DIR/data, Moses-style, prepared once), the tokenizer trained on the real text of both
// pools, and the four parts read in the experiment's direction.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegurgitateError } from '../../common/errors.js';
import { prepareBible, prepareCorpus } from '../../data/prepare.js';
import type { CorpusSource } from '../../data/corpus.js';
import type { PartSpec } from '../../data/split.js';
import type { Tokenizer } from '../../data/tokenizer/index.js';
import type { Pair } from '../../engine/pairs.js';
import { openCorpus, readPart, type PreparedCorpus, type Sides } from '../../rundir/corpus.js';
import { encodePairs, ensureTokenizer } from '../../rundir/tokenize.js';
import { writeFileAtomic } from '../../common/atomic.js';
import { canonicalJson } from '../../common/canonical.js';
import type { CorpusSpec, Direction, ExperimentSpec, SplitsSpec } from '../spec/types.js';

export interface Workspace {
  dir: string;
  /** The dev part encoded for a model of this maxLen (encoded once, shared by every run). */
  devPairs(maxLen: number): Pair[];
  corpus: PreparedCorpus;
  tokenizer: Tokenizer;
  poolA: Sides;
  poolB: Sides;
  dev: Sides;
  test: Sides;
}

/** What the workspace is made from: the data sections of the spec, nothing else. */
export interface WorkspaceSettings {
  /** The corpus as written (paths to read). */
  corpus: CorpusSpec;
  /** The corpus with files as content identities (grid/identity.ts): what stamps the prepared data. */
  corpusIdentity: CorpusSpec;
  direction: Direction;
  splits: SplitsSpec;
  vocabSize: number;
}

/** The workspace settings of a spec (`hashed`: its identity spec). */
export function workspaceSettings(spec: ExperimentSpec, hashed: ExperimentSpec = spec): WorkspaceSettings {
  return { corpus: spec.corpus, corpusIdentity: hashed.corpus, direction: spec.direction, splits: spec.splits, vocabSize: spec.tokenizer.vocabSize };
}

/** Test first, so the test set depends only on the split seed and its size. */
function parts(spec: WorkspaceSettings): PartSpec[] {
  const s = spec.splits;
  return [
    { name: 'test', size: s.test },
    { name: 'dev', size: s.dev },
    { name: 'poolA', size: s.poolA },
    { name: 'poolB', size: s.poolB },
  ];
}

function source(spec: WorkspaceSettings): CorpusSource {
  const c = spec.corpus;
  switch (c.kind) {
    case 'moses':
      return { kind: 'moses', src: c.srcFile, tgt: c.tgtFile };
    case 'tmx':
      return { kind: 'tmx', file: c.file, langs: [c.src, c.tgt] };
    case 'tsv':
    case 'jsonl':
      return { kind: c.kind, file: c.file };
    default:
      throw new RegurgitateError('EINTERNAL', `no reader for corpus kind ${(c as { kind: string }).kind}`);
  }
}

/** Reads a part as (source, target) in the experiment's direction. */
function directed(c: PreparedCorpus, part: string, spec: WorkspaceSettings): Sides {
  const s = readPart(c, part);
  if (c.src === spec.direction.src && c.tgt === spec.direction.tgt) return s;
  if (c.src === spec.direction.tgt && c.tgt === spec.direction.src) return { src: s.tgt, tgt: s.src };
  throw new RegurgitateError('EINVAL', `direction ${spec.direction.src}-${spec.direction.tgt} does not match the corpus languages ${c.src}, ${c.tgt}`);
}

/** The corpus identity stamps the prepared data, so a moved corpus file is not prepared again. */
export async function prepareWorkspace(spec: WorkspaceSettings, dir: string, log: (s: string) => void): Promise<Workspace> {
  const dataDir = join(dir, 'data');
  const stampFile = join(dataDir, 'experiment-data.json');
  const stamp = canonicalJson({ corpus: spec.corpusIdentity, splits: spec.splits });
  const fresh = existsSync(join(dataDir, 'meta.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (!fresh) {
    log(`preparing the corpus in ${dataDir}`);
    const o = { out: dataDir, seed: spec.splits.splitSeed, parts: parts(spec) };
    if (spec.corpus.kind === 'bible') await prepareBible(spec.corpus.pair, o);
    else await prepareCorpus(source(spec), { ...o, langs: [spec.corpus.src, spec.corpus.tgt] });
    writeFileAtomic(stampFile, stamp);
  }
  const corpus = openCorpus(dataDir);
  const { tokenizer } = await ensureTokenizer(corpus, { part: ['poolA', 'poolB'], vocabSize: spec.vocabSize }, log);
  const dev = directed(corpus, 'dev', spec);
  const devByLen = new Map<number, Pair[]>();
  return {
    dir,
    devPairs: (maxLen) => {
      let d = devByLen.get(maxLen);
      if (!d) devByLen.set(maxLen, (d = encodePairs(tokenizer, dev, maxLen).pairs));
      return d;
    },
    corpus,
    tokenizer,
    poolA: directed(corpus, 'poolA', spec),
    poolB: directed(corpus, 'poolB', spec),
    dev,
    test: directed(corpus, 'test', spec),
  };
}
