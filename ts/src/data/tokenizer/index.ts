// Byte-level BPE tokenizer (Hugging Face tokenizer.json compatible).
export { Tokenizer, WordCounter, SPECIAL_TOKENS, PAD_ID, BOS_ID, EOS_ID, UNK_ID, BYTE_OFFSET, type TokenizerTrainOptions, type TrainStats, type TokenizerJson, type EncodeOptions } from './tokenizer.js';
export { BYTE_LEVEL_PATTERN, BYTE_TO_CHAR, bytesToTokenString, tokenStringToBytes, splitSpecials } from './bytelevel.js';
export { trainBpe, MAX_VOCAB, type BpeTrainOptions, type BpeTrainInput, type BpeTrainResult } from './train.js';
