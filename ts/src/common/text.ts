// Reading text files in bounded memory, with validation that names file and line.
//
// Files are read in chunks of 1 MiB and decoded strictly: invalid UTF-8 and NUL bytes
// are errors (`train.de:1234: invalid UTF-8 (byte 0xff at byte 7 of the line)`), a
// UTF-8 byte-order mark at the start is dropped, CRLF line ends become LF. Memory holds
// one chunk plus the current line, whatever the size of the file.
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

import { CorpusError, openError } from './file_errors.js';

const CHUNK = 1 << 20;
/** A run of this many bytes without a newline is decoded without waiting for the line end. */
const MAX_CARRY = 16 << 20;
/** The longest line accepted (in UTF-16 code units). */
export const MAX_LINE = 64 << 20;

/**
 * The offset of the first byte that is not part of a valid UTF-8 sequence (overlong
 * forms, surrogates and code points above U+10FFFF are invalid, as for TextDecoder's
 * fatal mode), or -1 when all of `b[from, to)` is valid. A sequence cut off by `to` is
 * invalid.
 */
export function findInvalidUtf8(b: Uint8Array, from = 0, to = b.length): number {
  let i = from;
  while (i < to) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= to) return i;
    const c1 = b[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= n; k++) {
      const ck = b[i + k];
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Index just past the last complete UTF-8 character in b (for cutting a chunk). */
function charBoundary(b: Uint8Array): number {
  let i = b.length;
  // Step back over at most 3 continuation bytes to the lead byte of the last character.
  let k = 0;
  while (k < 3 && i - k - 1 >= 0 && (b[i - k - 1] & 0xc0) === 0x80) k++;
  const lead = i - k - 1;
  if (lead < 0) return i;
  const c = b[lead];
  const need = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
  return need > k ? lead : i;
}

function countNewlines(s: string, from = 0, to = s.length): number {
  let n = 0;
  let i = s.indexOf('\n', from);
  while (i >= 0 && i < to) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

function utf8Error(file: string, part: Uint8Array, firstLine: number): CorpusError {
  const at = findInvalidUtf8(part);
  if (at < 0) return new CorpusError('EFORMAT', file, firstLine, 'invalid UTF-8');
  let line = firstLine;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (part[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const hex = part[at].toString(16).padStart(2, '0');
  return new CorpusError('EFORMAT', file, line, `invalid UTF-8 (byte 0x${hex} at byte ${at - lineStart + 1} of the line); the file must be UTF-8 encoded`);
}

async function openFile(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw openError(file, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw openError(file, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  } catch (e) {
    await fh.close();
    throw e instanceof CorpusError ? e : openError(file, e);
  }
  return fh;
}

/**
 * Decoded text of a UTF-8 file in pieces that end at a line end whenever a line fits in
 * 16 MiB. Throws CorpusError (EFORMAT) for invalid UTF-8 or a NUL byte, naming the line.
 */
export async function* readUtf8(file: string, chunkSize = CHUNK): AsyncGenerator<string> {
  const fh = await openFile(file);
  try {
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let carry: Uint8Array = new Uint8Array(0);
    let line = 1;
    let first = true;
    for (;;) {
      const buf = Buffer.allocUnsafe(chunkSize);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, chunkSize, null));
      } catch (e) {
        throw openError(file, e);
      }
      const eof = bytesRead === 0;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let cut: number;
      if (eof) cut = data.length;
      else {
        cut = data.lastIndexOf(10) + 1;
        if (cut === 0) {
          if (data.length < MAX_CARRY) {
            carry = data;
            continue;
          }
          cut = charBoundary(data);
        }
      }
      let part = data.subarray(0, cut);
      carry = data.subarray(cut);
      if (first) {
        first = false;
        if (part.length >= 3 && part[0] === 0xef && part[1] === 0xbb && part[2] === 0xbf) part = part.subarray(3);
      }
      if (part.length > 0) {
        let text: string;
        try {
          text = dec.decode(part);
        } catch {
          throw utf8Error(file, part, line);
        }
        const z = text.indexOf('\0');
        if (z >= 0) throw new CorpusError('EFORMAT', file, line + countNewlines(text, 0, z), 'contains a NUL byte (is it a binary file?)');
        line += countNewlines(text);
        yield text;
      }
      if (eof) break;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Lines of a UTF-8 text file, in batches (without line ends; CRLF and LF both end a
 * line; a last line without a newline counts). Errors name the file and line.
 */
export async function* readLineBatches(file: string, chunkSize = CHUNK): AsyncGenerator<string[]> {
  let carry = '';
  let lineNo = 0;
  for await (const text of readUtf8(file, chunkSize)) {
    const lines = text.split('\n');
    const last = lines.pop() as string; // '' when the text ends with a newline
    if (lines.length > 0) {
      if (carry !== '') {
        lines[0] = carry + lines[0];
        carry = '';
      }
      for (let i = 0; i < lines.length; i++) {
        const s = lines[i];
        if (s.length > 0 && s.charCodeAt(s.length - 1) === 13) lines[i] = s.slice(0, -1);
      }
      lineNo += lines.length;
      yield lines;
    }
    carry += last;
    if (carry.length > MAX_LINE) throw new CorpusError('EFORMAT', file, lineNo + 1, `line longer than ${MAX_LINE} characters`);
  }
  if (carry !== '') {
    if (carry.charCodeAt(carry.length - 1) === 13) carry = carry.slice(0, -1);
    yield [carry];
  }
}

/** One line at a time, with its number (for reading two files in step). */
export class LineReader {
  readonly file: string;
  /** The number of the line last returned by next() (1-based; 0 before the first). */
  lineNo = 0;
  private readonly it: AsyncGenerator<string[]>;
  private batch: string[] = [];
  private i = 0;
  private done = false;

  constructor(file: string, chunkSize = CHUNK) {
    this.file = file;
    this.it = readLineBatches(file, chunkSize);
  }

  /** The next line, or undefined at the end of the file. */
  async next(): Promise<string | undefined> {
    while (this.i >= this.batch.length) {
      if (this.done) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        this.batch = [];
        this.i = 0;
        return undefined;
      }
      this.batch = r.value;
      this.i = 0;
    }
    this.lineNo++;
    return this.batch[this.i++];
  }

  /** Reads to the end and returns the total number of lines. */
  async countAll(): Promise<number> {
    while ((await this.next()) !== undefined) {
      // counting
    }
    return this.lineNo;
  }

  async close(): Promise<void> {
    this.done = true;
    await this.it.return(undefined);
  }
}

/** Unicode NFC; ASCII strings (most lines of many corpora) are returned as they are. */
export function nfc(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : s.normalize('NFC');
}

/** Splits decoded text into lines on '\n'; a final '\n' does not start another line. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * A whole UTF-8 text file as lines (splitLines): ENOENT when it cannot be read, EFORMAT
 * naming the first line with invalid bytes. For files we wrote ourselves (parts,
 * hypotheses); large inputs go through readLineBatches.
 */
export function readLinesSync(file: string): string[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw openError(file, e);
  }
  const bad = findInvalidUtf8(buf);
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (buf[i] === 0x0a) line++;
    throw new CorpusError('EFORMAT', file, line, 'invalid UTF-8');
  }
  return splitLines(buf.toString('utf8'));
}
