// `regurgitate score`: BLEU, chrF, chrF++ and TER of a hypothesis file against one or more
// reference files, exactly as sacreBLEU 2.6.0 computes them (signatures included).
// Optionally per-line scores (--sentence) and a paired bootstrap test against a baseline.
import {
  BLEU,
  CHRF,
  SACREBLEU_VERSION,
  SMOOTH_METHODS,
  TER,
  TOKENIZERS,
  pairedBootstrap,
  type BleuOptions,
  type ChrfOptions,
  type PairedBootstrapResult,
  type SmoothMethod,
  type TerOptions,
  type TokenizerName,
} from '../metrics/index.js';
import { parseOrReport, UsageError as SharedUsageError } from './args.js';
import { InputFileError, readTextLines } from '../metrics/textfile.js';

const COMMAND = 'score';
const METRIC_NAMES = ['bleu', 'chrf', 'chrf++', 'ter'] as const;
type MetricName = (typeof METRIC_NAMES)[number];

const HELP = `usage: regurgitate score --ref REF [--ref REF2 ...] --hyp HYP [flags]

Scores HYP against the reference file(s) with BLEU, chrF, chrF++ and/or TER, computed
exactly as sacreBLEU ${SACREBLEU_VERSION} does, and prints each score with its signature.
Files are UTF-8 text, one segment per line; every reference file must have as many lines
as HYP. Several --ref flags give several references per segment.

flags:
  --ref FILE              reference file (repeat for multiple references)
  --hyp FILE              hypothesis (system output) file
  --metrics LIST          comma-separated: bleu, chrf, chrf++, ter (default: bleu)
  --tokenize NAME         BLEU tokenizer: ${TOKENIZERS.join(', ')} (default: 13a)
  --lowercase             case-insensitive BLEU (sacreBLEU's --lowercase)
  --smooth NAME           BLEU smoothing: ${SMOOTH_METHODS.join(', ')} (default: exp)
  --smooth-value X        value for floor (default 0.1) or add-k (default 1)
  --chrf-lowercase        case-insensitive chrF/chrF++
  --chrf-whitespace       keep whitespace in chrF character n-grams
  --chrf-eps-smoothing    chrF++.py-style epsilon smoothing instead of effective order
  --ter-case-sensitive    case-sensitive TER (TER lowercases by default)
  --ter-normalized        TER normalization (tercom -N)
  --ter-no-punct          TER without punctuation
  --ter-asian-support     TER Asian character support
  --sentence              also print per-line scores (BLEU uses effective order, as sacreBLEU)
  --baseline FILE         paired bootstrap resampling of HYP against this baseline output
  --bootstrap-samples N   resamples for --baseline (default 1000; seed 12345, as sacreBLEU)
  --json                  print a JSON array: one object per metric {name, score, signature, ...}
  --help, -h              show this help

exit status: 0 on success, 1 for unreadable or inconsistent input, 2 for bad flags.
`;

class UsageError extends SharedUsageError {
  constructor(message: string) {
    super(COMMAND, message);
  }
}

interface Options {
  refs: string[];
  hyp: string | undefined;
  metrics: MetricName[];
  tokenize: TokenizerName;
  lowercase: boolean;
  smooth: SmoothMethod;
  smoothValue: number | null;
  chrfLowercase: boolean;
  chrfWhitespace: boolean;
  chrfEps: boolean;
  terCaseSensitive: boolean;
  terNormalized: boolean;
  terNoPunct: boolean;
  terAsian: boolean;
  sentence: boolean;
  baseline: string | undefined;
  bootstrapSamples: number;
  json: boolean;
  help: boolean;
}

const BOOLEAN_FLAGS: Record<string, keyof Options> = {
  lowercase: 'lowercase',
  'chrf-lowercase': 'chrfLowercase',
  'chrf-whitespace': 'chrfWhitespace',
  'chrf-eps-smoothing': 'chrfEps',
  'ter-case-sensitive': 'terCaseSensitive',
  'ter-normalized': 'terNormalized',
  'ter-no-punct': 'terNoPunct',
  'ter-asian-support': 'terAsian',
  sentence: 'sentence',
  json: 'json',
};
const VALUE_FLAGS = new Set(['ref', 'hyp', 'metrics', 'tokenize', 'smooth', 'smooth-value', 'baseline', 'bootstrap-samples']);

function parseArgs(argv: string[]): Options {
  const o: Options = {
    refs: [],
    hyp: undefined,
    metrics: ['bleu'],
    tokenize: '13a',
    lowercase: false,
    smooth: 'exp',
    smoothValue: null,
    chrfLowercase: false,
    chrfWhitespace: false,
    chrfEps: false,
    terCaseSensitive: false,
    terNormalized: false,
    terNoPunct: false,
    terAsian: false,
    sentence: false,
    baseline: undefined,
    bootstrapSamples: 1000,
    json: false,
    help: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      o.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`unexpected argument '${arg}' (files are given with --ref and --hyp)`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (BOOLEAN_FLAGS[name] !== undefined) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      (o as unknown as Record<string, boolean>)[BOOLEAN_FLAGS[name]] = true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`--${name} expects a value`);
      value = argv[++i];
    }
    if (value === '') throw new UsageError(`--${name} expects a non-empty value`);
    if (name !== 'ref' && seen.has(name)) throw new UsageError(`--${name} given twice`);
    seen.add(name);
    switch (name) {
      case 'ref':
        o.refs.push(value);
        break;
      case 'hyp':
        o.hyp = value;
        break;
      case 'baseline':
        o.baseline = value;
        break;
      case 'metrics': {
        const list = value.split(',').map((s) => s.trim().toLowerCase());
        for (const m of list) {
          if (!(METRIC_NAMES as readonly string[]).includes(m)) {
            throw new UsageError(`--metrics: unknown metric '${m}' (choose from ${METRIC_NAMES.join(', ')})`);
          }
        }
        if (new Set(list).size !== list.length) throw new UsageError(`--metrics: a metric is listed twice in '${value}'`);
        o.metrics = list as MetricName[];
        break;
      }
      case 'tokenize':
        if (!(TOKENIZERS as readonly string[]).includes(value)) {
          throw new UsageError(`--tokenize must be one of ${TOKENIZERS.join(', ')} (got '${value}')`);
        }
        o.tokenize = value as TokenizerName;
        break;
      case 'smooth':
        if (!(SMOOTH_METHODS as readonly string[]).includes(value)) {
          throw new UsageError(`--smooth must be one of ${SMOOTH_METHODS.join(', ')} (got '${value}')`);
        }
        o.smooth = value as SmoothMethod;
        break;
      case 'smooth-value': {
        const x = Number(value);
        if (!Number.isFinite(x) || x < 0) throw new UsageError(`--smooth-value expects a non-negative number (got '${value}')`);
        o.smoothValue = x;
        break;
      }
      case 'bootstrap-samples': {
        const x = Number(value);
        if (!Number.isInteger(x) || x < 1) throw new UsageError(`--bootstrap-samples expects a positive integer (got '${value}')`);
        o.bootstrapSamples = x;
        break;
      }
    }
  }
  if (o.help) return o;
  if (o.refs.length === 0) throw new UsageError('--ref is required');
  if (o.hyp === undefined) throw new UsageError('--hyp is required');
  if (o.smoothValue !== null && o.smooth !== 'floor' && o.smooth !== 'add-k') {
    throw new UsageError(`--smooth-value applies to --smooth floor or add-k, not '${o.smooth}'`);
  }
  return o;
}

type AnyMetric = BLEU | CHRF | TER;

function makeMetric(name: MetricName, o: Options, sentence: boolean): AnyMetric {
  switch (name) {
    case 'bleu': {
      const opts: BleuOptions = {
        tokenize: o.tokenize,
        lowercase: o.lowercase,
        smoothMethod: o.smooth,
        smoothValue: o.smoothValue,
        effectiveOrder: sentence, // sacreBLEU turns effective order on in sentence-level mode
      };
      return new BLEU(opts);
    }
    case 'chrf':
    case 'chrf++': {
      const opts: ChrfOptions = {
        wordOrder: name === 'chrf++' ? 2 : 0,
        lowercase: o.chrfLowercase,
        whitespace: o.chrfWhitespace,
        epsSmoothing: o.chrfEps,
      };
      return new CHRF(opts);
    }
    case 'ter': {
      const opts: TerOptions = {
        caseSensitive: o.terCaseSensitive,
        normalized: o.terNormalized,
        noPunct: o.terNoPunct,
        asianSupport: o.terAsian,
      };
      return new TER(opts);
    }
  }
}

interface MetricOutput {
  name: string;
  score: number;
  signature: string;
  verbose_score?: string;
  sentences?: number[];
  sentence_signature?: string;
  paired_bs?: PairedBootstrapResult;
}

async function readAligned(o: Options): Promise<{ hyps: string[]; refs: string[][]; baseline?: string[] }> {
  const hyp = o.hyp as string;
  const hyps = await readTextLines(hyp);
  if (hyps.length === 0) throw new InputFileError(hyp, `${hyp} is empty`);
  const refs: string[][] = [];
  for (const f of o.refs) {
    const lines = await readTextLines(f);
    if (lines.length !== hyps.length) {
      throw new InputFileError(f, `${hyp} has ${hyps.length} lines, ${f} has ${lines.length}`);
    }
    refs.push(lines);
  }
  // sacreBLEU drops empty references and fails if a segment is left with none
  for (let i = 0; i < hyps.length; i++) {
    if (refs.every((r) => r[i] === '')) {
      const where = o.refs.length === 1 ? `${o.refs[0]} line ${i + 1} is empty` : `line ${i + 1} is empty in every reference file`;
      throw new InputFileError(o.refs[0], `${where}: every segment needs a non-empty reference (as in sacreBLEU)`, i + 1);
    }
  }
  let baseline: string[] | undefined;
  if (o.baseline !== undefined) {
    baseline = await readTextLines(o.baseline);
    if (baseline.length !== hyps.length) {
      throw new InputFileError(o.baseline, `${hyp} has ${hyps.length} lines, ${o.baseline} has ${baseline.length}`);
    }
  }
  return { hyps, refs, baseline };
}

function verboseBleu(s: { precisions: number[]; bp: number; sys_len: number; ref_len: number }): string {
  const ratio = s.ref_len ? s.sys_len / s.ref_len : 0;
  return `${s.precisions.map((p) => p.toFixed(1)).join('/')} (BP = ${s.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${s.sys_len} ref_len = ${s.ref_len})`;
}

function score(o: Options, hyps: string[], refs: string[][], baseline: string[] | undefined): MetricOutput[] {
  const out: MetricOutput[] = [];
  for (const name of o.metrics) {
    const metric = makeMetric(name, o, false);
    const s = metric.corpusScore(hyps, refs);
    const entry: MetricOutput = { name: s.name, score: s.score, signature: s.signature };
    if ('precisions' in s) entry.verbose_score = verboseBleu(s);
    if (o.sentence) {
      const sm = makeMetric(name, o, true);
      const perLine: number[] = [];
      let sig = '';
      for (let i = 0; i < hyps.length; i++) {
        const r = sm.sentenceScore(
          hyps[i],
          refs.map((stream) => stream[i]),
        );
        perLine.push(r.score);
        sig = r.signature;
      }
      entry.sentences = perLine;
      if (sig !== s.signature) entry.sentence_signature = sig;
    }
    if (baseline !== undefined) {
      entry.paired_bs = pairedBootstrap(baseline, hyps, refs, { metric, nSamples: o.bootstrapSamples });
    }
    out.push(entry);
  }
  return out;
}

function formatText(results: MetricOutput[]): string {
  const lines: string[] = [];
  for (const r of results) {
    let line = `${r.name}|${r.signature} = ${r.score.toFixed(2)}`;
    if (r.verbose_score) line += ` ${r.verbose_score}`;
    lines.push(line);
    if (r.paired_bs) {
      const p = r.paired_bs;
      lines.push(
        `  paired bootstrap (${p.nSamples} resamples, seed ${p.seed}): baseline ${p.baseline.score.toFixed(2)} (μ = ${p.baseline.mean.toFixed(2)} ± ${p.baseline.ci.toFixed(2)}), ` +
          `system ${p.system.score.toFixed(2)} (μ = ${p.system.mean.toFixed(2)} ± ${p.system.ci.toFixed(2)}), p = ${p.system.pValue.toFixed(4)}${p.system.pValue < 0.05 ? '*' : ''}`,
      );
    }
    if (r.sentences) {
      r.sentences.forEach((x, i) => lines.push(`  ${i + 1}\t${x.toFixed(4)}`));
    }
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOrReport(() => parseArgs(argv));
  if (o === null) return 2;
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const { hyps, refs, baseline } = await readAligned(o);
    const results = score(o, hyps, refs, baseline);
    process.stdout.write(o.json ? JSON.stringify(results, null, 1) + '\n' : formatText(results));
    return 0;
  } catch (e) {
    if (e instanceof InputFileError) {
      process.stderr.write(`regurgitate ${COMMAND}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
