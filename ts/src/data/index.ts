// Corpora, cleaning, splits and the tokenizer (docs/data.md).
export { readCorpus, readMoses, readTsv, readJsonl, describeSource, type CorpusSource, type SentencePair } from './corpus.js';
export { readTmx, langMatches, type TmxStats } from './tmx.js';
export { CorpusError } from '../common/file_errors.js';
export { LineReader, readLineBatches, readUtf8, findInvalidUtf8 } from '../common/text.js';
export { Cleaner, DEFAULT_CLEAN_OPTIONS, resolveCleanOptions, tidy, type CleanOptions, type CleanReport, type ResolvedCleanOptions } from './clean.js';
export {
  writeSplits,
  assignParts,
  resolveParts,
  normalizeParts,
  parsePartsText,
  permutation,
  mulberry32,
  type PartSize,
  type PartSpec,
  type CorpusMeta,
  type FileInfo,
  type WriteSplitsOptions,
} from './split.js';
export { prepareCorpus, prepareBible, DEFAULT_PARTS, fileDigest, langsFromFiles, type PrepareOptions } from './prepare.js';
export { BIBLE_MODULES, checkBible, readBible, osisToText, parseBiblePair, type BibleModule, type BibleCheck, type BibleSourceInfo } from './bible.js';
export * from './tokenizer/index.js';
