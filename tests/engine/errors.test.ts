import { describe, expect, it } from 'vitest';

import { RegurgitateError, RegurgitateNativeError, describe as describeValue, toRegurgitateError, wrapNative } from '../../ts/src/common/errors.js';

function nativeError(code: string, msg: string): Error {
  return Object.assign(new Error(msg), { code, native: true });
}

describe('errors', () => {
  it('RegurgitateError carries a code and a name', () => {
    const e = new RegurgitateError('EINVAL', 'bad');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('EINVAL');
    expect(e.name).toBe('RegurgitateError');
    expect(String(e)).toBe('RegurgitateError: bad');
  });

  it('wrapNative converts synchronous native errors, keeping the code', () => {
    let caught: unknown;
    try {
      wrapNative(() => {
        throw nativeError('ERANGE', 'id out of range');
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RegurgitateNativeError);
    expect(caught).toBeInstanceOf(RegurgitateError);
    expect((caught as RegurgitateNativeError).code).toBe('ERANGE');
    expect((caught as RegurgitateNativeError).native).toBe(true);
    expect((caught as Error).message).toBe('id out of range');
    expect((caught as Error).name).toBe('RegurgitateNativeError');
  });

  it('wrapNative converts rejections and passes values through', async () => {
    await expect(wrapNative(() => Promise.reject(nativeError('EIO', 'disk')))).rejects.toMatchObject({ code: 'EIO', native: true, message: 'disk' });
    await expect(wrapNative(() => Promise.resolve(42))).resolves.toBe(42);
    expect(wrapNative(() => 7)).toBe(7);
  });

  it('gives EINTERNAL to errors without a code, and keeps our own errors', () => {
    expect(toRegurgitateError(new TypeError('A number was expected')).code).toBe('EINTERNAL');
    expect(toRegurgitateError('boom').code).toBe('EINTERNAL');
    const ours = new RegurgitateError('EBUSY', 'busy');
    expect(toRegurgitateError(ours)).toBe(ours);
  });

  it('describes values for messages', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue('ab')).toBe('string "ab"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1, 2])).toBe('an array of length 2');
    expect(describeValue(new Int32Array(3))).toBe('a Int32Array of length 3');
    expect(describeValue({})).toBe('an object (Object)');
    expect(describeValue(10n)).toBe('10n');
  });
});
