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
import { UsageError, type CommandSpec, type Parsed } from './args.js';
import { InputFileError, readTextLines } from '../metrics/textfile.js';
import { runMetricCommand } from './util.js';

const METRIC_NAMES = ['bleu', 'chrf', 'chrf++', 'ter'] as const;
type MetricName = (typeof METRIC_NAMES)[number];

const switchFlag = (name: string, description: string) => ({ name, type: 'boolean' as const, description });

export const spec: CommandSpec = {
  name: 'score',
  args: '--ref REF [--ref REF2 ...] --hyp HYP',
  summary: `Scores HYP against the reference file(s) with BLEU, chrF, chrF++ and/or TER, computed
exactly as sacreBLEU ${SACREBLEU_VERSION} does, and prints each score with its signature.
Files are UTF-8 text, one segment per line; every reference file must have as many lines
as HYP. Several --ref flags give several references per segment.`,
  flags: [
    { name: 'ref', type: 'string', value: 'FILE', multiple: true, description: 'reference file (repeat for multiple references)' },
    { name: 'hyp', type: 'string', value: 'FILE', description: 'hypothesis (system output) file' },
    { name: 'metrics', type: 'string', value: 'LIST', default: 'bleu', description: `comma-separated: ${METRIC_NAMES.join(', ')}` },
    { name: 'tokenize', type: 'string', value: 'NAME', choices: TOKENIZERS, default: '13a', description: `BLEU tokenizer: ${TOKENIZERS.join(', ')}` },
    switchFlag('lowercase', "case-insensitive BLEU (sacreBLEU's --lowercase)"),
    { name: 'smooth', type: 'string', value: 'NAME', choices: SMOOTH_METHODS, default: 'exp', description: `BLEU smoothing: ${SMOOTH_METHODS.join(', ')}` },
    { name: 'smooth-value', type: 'number', value: 'X', min: 0, description: 'value for floor (default 0.1) or add-k (default 1)' },
    switchFlag('chrf-lowercase', 'case-insensitive chrF/chrF++'),
    switchFlag('chrf-whitespace', 'keep whitespace in chrF character n-grams'),
    switchFlag('chrf-eps-smoothing', 'chrF++.py-style epsilon smoothing instead of effective order'),
    switchFlag('ter-case-sensitive', 'case-sensitive TER (TER lowercases by default)'),
    switchFlag('ter-normalized', 'TER normalization (tercom -N)'),
    switchFlag('ter-no-punct', 'TER without punctuation'),
    switchFlag('ter-asian-support', 'TER Asian character support'),
    switchFlag('sentence', 'also print per-line scores (BLEU uses effective order, as sacreBLEU)'),
    { name: 'baseline', type: 'string', value: 'FILE', description: 'paired bootstrap resampling of HYP against this baseline output' },
    { name: 'bootstrap-samples', type: 'int', value: 'N', min: 1, default: 1000, description: 'resamples for --baseline, seed 12345 as in sacreBLEU' },
    switchFlag('json', 'print a JSON array: one object per metric {name, score, signature, ...}'),
  ],
  footer: 'exit status: 0 on success, 1 for unreadable or inconsistent input, 2 for bad flags.',
};

interface Options {
  refs: string[];
  hyp: string;
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
}

function metricList(value: string): MetricName[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  const bad = list.find((m) => !(METRIC_NAMES as readonly string[]).includes(m));
  if (bad !== undefined) throw new UsageError(spec.name, `--metrics: unknown metric '${bad}' (choose from ${METRIC_NAMES.join(', ')})`);
  if (new Set(list).size !== list.length) throw new UsageError(spec.name, `--metrics: a metric is listed twice in '${value}'`);
  return list as MetricName[];
}

function options({ flags: f }: Parsed): Options {
  const refs = f.ref as string[];
  if (refs.length === 0) throw new UsageError(spec.name, '--ref is required');
  if (f.hyp === undefined) throw new UsageError(spec.name, '--hyp is required');
  const smooth = f.smooth as SmoothMethod;
  if (f['smooth-value'] !== undefined && smooth !== 'floor' && smooth !== 'add-k')
    throw new UsageError(spec.name, `--smooth-value applies to --smooth floor or add-k, not '${smooth}'`);
  return {
    refs,
    hyp: f.hyp as string,
    metrics: metricList(f.metrics as string),
    tokenize: f.tokenize as TokenizerName,
    lowercase: Boolean(f.lowercase),
    smooth,
    smoothValue: (f['smooth-value'] as number | undefined) ?? null,
    chrfLowercase: Boolean(f['chrf-lowercase']),
    chrfWhitespace: Boolean(f['chrf-whitespace']),
    chrfEps: Boolean(f['chrf-eps-smoothing']),
    terCaseSensitive: Boolean(f['ter-case-sensitive']),
    terNormalized: Boolean(f['ter-normalized']),
    terNoPunct: Boolean(f['ter-no-punct']),
    terAsian: Boolean(f['ter-asian-support']),
    sentence: Boolean(f.sentence),
    baseline: f.baseline as string | undefined,
    bootstrapSamples: f['bootstrap-samples'] as number,
    json: Boolean(f.json),
  };
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
  const hyp = o.hyp;
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

export function run(argv: string[]): Promise<number> {
  return runMetricCommand(spec, argv, options, async (o) => {
    const { hyps, refs, baseline } = await readAligned(o);
    const results = score(o, hyps, refs, baseline);
    return o.json ? JSON.stringify(results, null, 1) + '\n' : formatText(results);
  });
}
