// Evaluation metrics: BLEU, chrF/chrF++ and TER exactly as sacreBLEU 2.6.0 computes them
// (scores and signatures), paired bootstrap resampling with numpy-identical resamples,
// and lexical diversity compatible with the Python package lexicalrichness.
// Pure TypeScript, no dependencies. Formulas: docs/metrics.md.
export { SACREBLEU_VERSION, pySplit, pyRstrip, pyStrip, numpySum, numpyMean, type RefLine } from './helpers.js';
export {
  TOKENIZERS,
  getTokenizer,
  isTokenizerName,
  tokenize13a,
  tokenizeIntl,
  tokenizeChar,
  tokenizeNone,
  tercomTokenizer,
  type Tokenizer,
  type TokenizerName,
  type TercomOptions,
} from './tokenizers.js';
export {
  BLEU,
  corpusBleu,
  sentenceBleu,
  computeBleu,
  MAX_NGRAM_ORDER,
  SMOOTH_DEFAULTS,
  SMOOTH_METHODS,
  type BleuOptions,
  type BleuScore,
  type SmoothMethod,
  type StatsMetric,
  type MetricScore,
} from './bleu.js';
export { CHRF, corpusChrf, sentenceChrf, removePunctuation, type ChrfOptions, type ChrfScore } from './chrf.js';
export { TER, corpusTer, sentenceTer, translationEditRate, type TerOptions, type TerScore } from './ter.js';
export {
  pairedBootstrap,
  pairedBootstrapSides,
  bootstrapSide,
  type BootstrapSide,
  bootstrapIndices,
  estimateCi,
  resampleScores,
  type PairedBootstrapOptions,
  type PairedBootstrapResult,
  type BootstrapSystemResult,
  type BootstrapMetricName,
} from './bootstrap.js';
export { PCG64, MT19937, seedSequenceState, boundedIntegers, numpyDefaultRngChoice, numpyLegacyChoice, type BitGenerator } from './rng.js';
export {
  diversity,
  distinctN,
  lexicalTokenize,
  lexicalPreprocess,
  hypergeomPmf0,
  LexicalRichness,
  type DiversityOptions,
  type DiversityResult,
} from './diversity.js';
export { readTextLines, decodeUtf8Lines, InputFileError } from './textfile.js';
export { splitLines } from '../common/text.js';
