// The translation prompt of the openai generator: a template with {source}, {src_lang}
// and {tgt_lang}, and the one-line rule every reply goes through.
//
// The default prompt ends with a line "Text:" followed by the source, so that
// `regurgitate serve` (ts/src/serve/extract.ts) can recover the source sentence from it:
// the source is what follows the last line that ends with ':'.

import { invalid } from '../common/errors.js';

export const DEFAULT_PROMPT =
  'Translate the following text from {src_lang} into {tgt_lang}. ' +
  'Reply with the translation only, on one line, without quotes, notes or explanations.\n' +
  'Text:\n' +
  '{source}';

export interface PromptVars {
  source: string;
  src_lang: string;
  tgt_lang: string;
}

const PLACEHOLDER = /\{(source|src_lang|tgt_lang)\}/g;

/** Checks a template: it must contain {source}, or every request would be the same. */
export function checkPrompt(field: string, template: string): string {
  if (!template.includes('{source}')) throw invalid(`${field} must contain the placeholder {source} (got ${JSON.stringify(template.slice(0, 60))})`);
  return template;
}

/** Fills the placeholders in one pass, so a source that contains "{tgt_lang}" stays as it is. */
export function fillPrompt(template: string, vars: PromptVars): string {
  return template.replace(PLACEHOLDER, (_, k: keyof PromptVars) => vars[k]);
}

/** A translation is one line: line breaks (and the blanks around them) become one space; ends are trimmed. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, ' ').trim();
}
