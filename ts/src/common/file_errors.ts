// Errors about corpus files. Every message starts with `FILE:LINE: ` (or `FILE: ` when
// no line applies), like a compiler's, and the error carries `file` and `line`.
import { RegurgitateError, type ErrorCode } from './errors.js';

export class CorpusError extends RegurgitateError {
  readonly file: string;
  readonly line: number | undefined;

  constructor(code: ErrorCode, file: string, line: number | undefined, message: string, options?: { cause?: unknown }) {
    super(code, `${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.file = file;
    this.line = line;
  }

  override get name(): string {
    return 'CorpusError';
  }
}

/** The error for a file that cannot be opened, with the reason in words. */
export function openError(file: string, e: unknown): CorpusError {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ENOENT') return new CorpusError('ENOENT', file, undefined, 'no such file', { cause: e });
  if (code === 'EISDIR') return new CorpusError('EINVAL', file, undefined, 'is a directory, not a file', { cause: e });
  if (code === 'EACCES') return new CorpusError('EIO', file, undefined, 'permission denied', { cause: e });
  return new CorpusError('EIO', file, undefined, `cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
