// Reading hypothesis and reference files the way sacreBLEU's command line does: UTF-8,
// lines split on '\n' only, each line right-stripped of (Python) whitespace. Errors name
// the file and, where it applies, the line.
import { readFile } from 'node:fs/promises';
import { RegurgitateError, type ErrorCode } from '../common/errors.js';
import { splitLines } from '../common/text.js';
import { pyRstrip } from './helpers.js';

/**
 * A problem with an input file; `message` names the file (and line). `code`: ENOENT
 * (missing), EIO (unreadable), EFORMAT (not UTF-8), EINVAL (a directory, or content
 * that does not fit).
 */
export class InputFileError extends RegurgitateError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, message: string, line?: number, code: ErrorCode = 'EINVAL') {
    super(code, message);
    this.file = file;
    this.line = line;
  }
  override get name(): string {
    return 'InputFileError';
  }
}

/** Decodes UTF-8 strictly; on failure, finds the first line with invalid bytes. */
export function decodeUtf8Lines(buf: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let start = 0;
    let line = 1;
    for (let i = 0; i <= buf.length; i++) {
      if (i === buf.length || buf[i] === 0x0a) {
        try {
          dec.decode(buf.subarray(start, i));
        } catch {
          throw new InputFileError(file, `${file} line ${line}: invalid UTF-8`, line, 'EFORMAT');
        }
        start = i + 1;
        line += 1;
      }
    }
    throw new InputFileError(file, `${file}: invalid UTF-8`, undefined, 'EFORMAT');
  }
}

/** Reads a text file as sacreBLEU's CLI does: UTF-8, '\n'-separated, each line rstripped. */
export async function readTextLines(file: string): Promise<string[]> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (e as Error).message;
    // Codes as common/file_errors.ts gives them: a directory is a bad argument.
    const rc = code === 'ENOENT' ? 'ENOENT' : code === 'EISDIR' ? 'EINVAL' : 'EIO';
    throw new InputFileError(file, `cannot read ${file}: ${why}`, undefined, rc);
  }
  return splitLines(decodeUtf8Lines(buf, file)).map(pyRstrip);
}
