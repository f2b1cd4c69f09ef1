// GPT-2's byte-level pieces, as Hugging Face tokenizers implements them: text is split
// by the GPT-2 regular expression, each piece is taken as UTF-8 bytes, and each byte is
// shown as one printable character (bytes_to_unicode), so that every string has a
// representation and nothing is ever unknown.

/**
 * The GPT-2 pre-tokenizer pattern, exactly as @huggingface/tokenizers (tokenizers.js)
 * writes it for ByteLevel with use_regex: contractions, optionally space-prefixed runs
 * of letters, of digits and of other symbols, and runs of whitespace (the last space
 * before a word stays with the word).
 */
export const BYTE_LEVEL_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** byte -> the character that stands for it (bytes_to_unicode in GPT-2 and HF). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out: string[] = new Array(256);
  for (let i = 0; i < 256; i++) out[bs[i]] = String.fromCharCode(cs[i]);
  return out;
})();

/** character code -> byte (-1 for characters that stand for no byte). */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => {
    t[c.charCodeAt(0)] = b;
  });
  return t;
})();

/** The byte-level string of some bytes (e.g. ' world' -> 'Ġworld'). */
export function bytesToTokenString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** The bytes of a byte-level string, or undefined if a character stands for no byte. */
export function tokenStringToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 512 ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}

/** UTF-8 bytes of a string into `out` (which must hold 3 bytes per UTF-16 unit); returns the length. */
export function utf8Into(s: string, out: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[n++] = 0xf0 | (c >> 18);
          out[n++] = 0x80 | ((c >> 12) & 63);
          out[n++] = 0x80 | ((c >> 6) & 63);
          out[n++] = 0x80 | (c & 63);
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate, as TextEncoder does
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/**
 * Splits text at occurrences of the given special strings, as tokenizers.js does for
 * added tokens that are not normalized: at each position the longest special string
 * that starts there wins, scanning left to right. Returns alternating pieces: even
 * indices plain text (possibly ''), odd indices special strings.
 */
export function splitSpecials(text: string, specials: readonly string[]): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    let match: string | undefined;
    if (text.charCodeAt(i) === 60 /* < */ || specials.some((s) => s.charCodeAt(0) === text.charCodeAt(i))) {
      for (const s of specials) if (text.startsWith(s, i) && (match === undefined || s.length > match.length)) match = s;
    }
    if (match !== undefined) {
      out.push(text.slice(start, i), match);
      i += match.length;
      start = i;
    } else i++;
  }
  out.push(text.slice(start));
  return out;
}
