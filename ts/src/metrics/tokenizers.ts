// Tokenizers, ported from sacreBLEU 2.6.0 (sacrebleu/tokenizers/tokenizer_13a.py,
// tokenizer_re.py, tokenizer_intl.py, tokenizer_char.py, tokenizer_none.py,
// tokenizer_ter.py). Each returns the tokenized line with tokens separated by one space.
import { RegurgitateError } from '../common/errors.js';
import { pyNormalizeSpaces } from './helpers.js';

export type TokenizerName = '13a' | 'intl' | 'char' | 'none';

export const TOKENIZERS: readonly TokenizerName[] = ['13a', 'intl', 'char', 'none'];

export interface Tokenizer {
  (line: string): string;
  /** The name in the metric signature (`tok:...`). */
  readonly signature: string;
}

function makeTokenizer(signature: string, fn: (line: string) => string): Tokenizer {
  return Object.assign((line: string) => fn(line), { signature }) as Tokenizer;
}

// tokenizer_re.py (TokenizerRegexp), the language-dependent part of 13a:
//   ([\{-\~\[-\` -\&\(-\+\:-\@\/])  -> ' \1 '   (ASCII punctuation and symbols, not . , - ' ! ?)
//   ([^0-9])([\.,])                -> '\1 \2 '  period/comma unless preceded by a digit
//   ([\.,])([^0-9])                -> ' \1 \2'  period/comma unless followed by a digit
//   ([0-9])(-)                     -> '\1 \2 '  dash preceded by a digit
const RE_PUNCT = /([\{-~\[-` -&\(-\+:-@\/])/gu;
const RE_PERIOD_COMMA_UNLESS_PRECEDED_BY_DIGIT = /([^0-9])([.,])/gu;
const RE_PERIOD_COMMA_UNLESS_FOLLOWED_BY_DIGIT = /([.,])([^0-9])/gu;
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/** sacreBLEU's TokenizerRegexp (the post-tokenizer of 13a and zh). */
export function tokenizeRegexp(line: string): string {
  line = line.replace(RE_PUNCT, ' $1 ');
  line = line.replace(RE_PERIOD_COMMA_UNLESS_PRECEDED_BY_DIGIT, '$1 $2 ');
  line = line.replace(RE_PERIOD_COMMA_UNLESS_FOLLOWED_BY_DIGIT, ' $1 $2');
  line = line.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return pyNormalizeSpaces(line);
}

/** mteval-v13a.pl tokenization as in sacreBLEU's Tokenizer13a. */
export function tokenize13a(line: string): string {
  // language-independent part
  line = line.replaceAll('<skipped>', '');
  line = line.replaceAll('-\n', '');
  line = line.replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line.replaceAll('&quot;', '"');
    line = line.replaceAll('&amp;', '&');
    line = line.replaceAll('&lt;', '<');
    line = line.replaceAll('&gt;', '>');
  }
  return tokenizeRegexp(` ${line} `);
}

// tokenizer_intl.py (TokenizerV14International, mteval-v14.pl's international tokenizer):
//   (\P{N})(\p{P}) -> '\1 \2 '   punctuation preceded by a non-digit
//   (\p{P})(\P{N}) -> ' \1 \2'   punctuation followed by a non-digit
//   (\p{S})        -> ' \1 '     symbols
// Unicode categories come from the JavaScript engine's ICU tables rather than Python's
// `regex` module; they agree except for characters added in very recent Unicode versions.
const RE_INTL_1 = /(\P{N})(\p{P})/gu;
const RE_INTL_2 = /(\p{P})(\P{N})/gu;
const RE_INTL_3 = /(\p{S})/gu;

export function tokenizeIntl(line: string): string {
  line = line.replace(RE_INTL_1, '$1 $2 ');
  line = line.replace(RE_INTL_2, ' $1 $2');
  line = line.replace(RE_INTL_3, ' $1 ');
  return pyNormalizeSpaces(line);
}

/** sacreBLEU's TokenizerChar: every code point (including spaces) separated by a space. */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/** sacreBLEU's NoneTokenizer: the identity. */
export function tokenizeNone(line: string): string {
  return line;
}

const BY_NAME: Record<TokenizerName, Tokenizer> = {
  '13a': makeTokenizer('13a', tokenize13a),
  intl: makeTokenizer('intl', tokenizeIntl),
  char: makeTokenizer('char', tokenizeChar),
  none: makeTokenizer('none', tokenizeNone),
};

export function isTokenizerName(name: string): name is TokenizerName {
  return Object.prototype.hasOwnProperty.call(BY_NAME, name);
}

/** The tokenizer for a name; throws EINVAL naming the valid choices otherwise. */
export function getTokenizer(name: string): Tokenizer {
  if (!isTokenizerName(name)) {
    throw new RegurgitateError('EINVAL', `tokenize: unknown tokenizer '${name}' (choose one of: ${TOKENIZERS.join(', ')})`);
  }
  return BY_NAME[name];
}

// ---------------------------------------------------------------------------------
// Tercom tokenizer (sacrebleu/tokenizers/tokenizer_ter.py), used by TER.

export interface TercomOptions {
  /** Enable character normalization (tercom's -N). Default false. */
  normalized?: boolean;
  /** Remove punctuation. Default false. */
  noPunct?: boolean;
  /** Special treatment of Asian (CJK) characters (with normalized and/or noPunct). Default false. */
  asianSupport?: boolean;
  /** Keep case; by default TER lowercases. Default false. */
  caseSensitive?: boolean;
}

function normalizeGeneralAndWestern(sent: string): string {
  // language-independent (general) part
  sent = sent.replace(/\n-/g, ''); // strip end-of-line hyphenation and join lines
  sent = sent.replace(/\n/g, ' '); // join lines
  sent = sent.replace(/&quot;/g, '"');
  sent = sent.replace(/&amp;/g, '&');
  sent = sent.replace(/&lt;/g, '<');
  sent = sent.replace(/&gt;/g, '>');
  // language-dependent (Western) part
  sent = ` ${sent} `;
  sent = sent.replace(RE_PUNCT, ' $1 '); // tokenize punctuation
  sent = sent.replace(/'s /g, " 's "); // possessives
  sent = sent.replace(/'s$/g, " 's");
  sent = sent.replace(RE_PERIOD_COMMA_UNLESS_PRECEDED_BY_DIGIT, '$1 $2 ');
  sent = sent.replace(RE_PERIOD_COMMA_UNLESS_FOLLOWED_BY_DIGIT, ' $1 $2');
  sent = sent.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return sent;
}

const ASIAN_PUNCT = /([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])/g;
const FULL_WIDTH_PUNCT = /([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])/g;

function normalizeAsian(sent: string): string {
  // Chinese characters and Japanese kanji down to character level:
  // 4E00-9FFF CJK Unified Ideographs, 3400-4DBF Extension A
  sent = sent.replace(/([\u4e00-\u9fff\u3400-\u4dbf])/g, ' $1 ');
  // 31C0-31EF CJK Strokes, 2E80-2EFF CJK Radicals Supplement
  sent = sent.replace(/([\u31c0-\u31ef\u2e80-\u2eff])/g, ' $1 ');
  // 3300-33FF CJK Compatibility, F900-FAFF Compatibility Ideographs, FE30-FE4F Compatibility Forms
  sent = sent.replace(/([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])/g, ' $1 ');
  // 3200-32FF Enclosed CJK Letters and Months (sacreBLEU's range goes to 3F22)
  sent = sent.replace(/([\u3200-\u3f22])/g, ' $1 ');
  // Hiragana, Katakana, Katakana Phonetic Extensions "only when adjacent to something
  // else" -- the patterns are ported literally, quirks included.
  sent = sent.replace(/(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])/g, '$1 $2 ');
  sent = sent.replace(/(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])/g, '$1 $2 ');
  sent = sent.replace(/(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])/g, '$1 $2 ');
  sent = sent.replace(ASIAN_PUNCT, ' $1 ');
  sent = sent.replace(FULL_WIDTH_PUNCT, ' $1 ');
  return sent;
}

function removePunct(sent: string): string {
  return sent.replace(/[.,?:;!"()]/g, '');
}

function removeAsianPunct(sent: string): string {
  sent = sent.replace(ASIAN_PUNCT, '');
  sent = sent.replace(FULL_WIDTH_PUNCT, '');
  return sent;
}

/** sacreBLEU's TercomTokenizer. Its signature is always 'tercom'. */
export function tercomTokenizer(opts: TercomOptions = {}): Tokenizer {
  const normalized = opts.normalized ?? false;
  const noPunct = opts.noPunct ?? false;
  const asian = opts.asianSupport ?? false;
  const caseSensitive = opts.caseSensitive ?? false;
  return makeTokenizer('tercom', (sent: string) => {
    if (!sent) return '';
    if (!caseSensitive) sent = sent.toLowerCase();
    if (normalized) {
      sent = normalizeGeneralAndWestern(sent);
      if (asian) sent = normalizeAsian(sent);
    }
    if (noPunct) {
      sent = removePunct(sent);
      if (asian) sent = removeAsianPunct(sent);
    }
    return pyNormalizeSpaces(sent);
  });
}
