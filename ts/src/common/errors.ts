// One error type for the whole toolkit (better-sqlite3 style): every error we throw is a
// RegurgitateError with a stable machine-readable `code`; errors raised by the native
// addon arrive as plain Error objects carrying `code` and `native: true` and are turned
// into RegurgitateNativeError by wrapNative().

/**
 * Codes: EINVAL (bad argument or option), ERANGE (id/size out of range), ENOENT (missing
 * file or directory), EIO (file), EFORMAT (corrupt or foreign file), ECANCELED,
 * EBUSY (model in use by a running fit()), ENOMEM, EBACKEND, ENOADDON (native addon
 * missing or unloadable), EINTERNAL.
 */
export type ErrorCode =
  | 'EINVAL'
  | 'ERANGE'
  | 'ENOENT'
  | 'EIO'
  | 'EFORMAT'
  | 'ECANCELED'
  | 'EBUSY'
  | 'ENOMEM'
  | 'EBACKEND'
  | 'ENOADDON'
  | 'EINTERNAL'
  | (string & {});

export class RegurgitateError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'RegurgitateError';
  }
}

/** An error raised inside the native addon. */
export class RegurgitateNativeError extends RegurgitateError {
  readonly native = true as const;

  override get name(): string {
    return 'RegurgitateNativeError';
  }
}

/** Shorthand for a validation error. */
export function invalid(message: string): RegurgitateError {
  return new RegurgitateError('EINVAL', message);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/**
 * Converts anything thrown by a native call into a RegurgitateError: errors marked
 * `native: true` keep their code; other errors (N-API type errors, bad_alloc surfacing
 * without a code) get EINTERNAL; our own errors pass through unchanged.
 */
export function toRegurgitateError(e: unknown): RegurgitateError {
  if (e instanceof RegurgitateError) return e;
  if (e instanceof Error) {
    const code = isObject(e) && typeof e.code === 'string' && e.code !== '' ? e.code : 'EINTERNAL';
    const err = new RegurgitateNativeError(code, e.message, { cause: e });
    return err;
  }
  return new RegurgitateNativeError('EINTERNAL', `native code threw a non-Error value: ${String(e)}`, { cause: e });
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return isObject(x) && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` (a call into native code) and converts whatever it throws, or whatever its
 * returned promise rejects with, into a RegurgitateError.
 */
export function wrapNative<T>(fn: () => Promise<T>): Promise<T>;
export function wrapNative<T>(fn: () => T): T;
export function wrapNative<T>(fn: () => T | Promise<T>): T | Promise<T> {
  let out: T | Promise<T>;
  try {
    out = fn();
  } catch (e) {
    throw toRegurgitateError(e);
  }
  if (isPromiseLike(out)) {
    return Promise.resolve(out).catch((e: unknown) => {
      throw toRegurgitateError(e);
    });
  }
  return out;
}

/** A short description of a value for error messages: `got string "abc"`, `got NaN`. */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : String(x);
  if (typeof x === 'string') return `string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`;
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'boolean') return String(x);
  if (typeof x === 'function') return 'a function';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of length ${(x as unknown as { length?: number }).length ?? x.byteLength}`;
  if (typeof x === 'symbol') return 'a symbol';
  return `an object (${Object.prototype.toString.call(x).slice(8, -1)})`;
}
