/**
 * isSharedTokenError runs in catch blocks on whatever was thrown. Found by
 * test/fuzz/error-classifier.test.ts: a revoked proxy (or one whose getPrototypeOf trap throws)
 * made `instanceof` throw a TypeError out of the guard.
 */
import { describe, expect, it } from '@jest/globals';
import { DecryptError, isSharedTokenError } from '../../layer/errors.js';

describe('isSharedTokenError', () => {
  it('answers false for a revoked proxy and for a proxy whose traps throw', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const trapping = new Proxy(new Error('x'), {
      getPrototypeOf() {
        throw new Error('trap');
      },
    });
    for (const value of [proxy, trapping]) {
      expect(isSharedTokenError(value)).toBe(false);
      expect(isSharedTokenError(value, 'DecryptError')).toBe(false);
    }
  });

  it('answers false for an Error whose name getter throws, and still knows our own errors', () => {
    const hostile = Object.defineProperty(new Error('x'), 'name', {
      get() {
        throw new Error('getter');
      },
    });
    expect(isSharedTokenError(hostile)).toBe(false);
    expect(isSharedTokenError(new DecryptError('x'))).toBe(true);
    expect(isSharedTokenError(new DecryptError('x'), 'DecryptError')).toBe(true);
  });
});
