/**
 * isSharedTokenError runs in catch blocks on whatever was thrown. Found by
 * test/fuzz/error-classifier.test.ts: a revoked proxy (or one whose getPrototypeOf trap throws)
 * made `instanceof` throw a TypeError out of the guard.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import {
  DecryptError,
  isSharedTokenError,
  KmsError,
  LockWaitTimeoutError,
  TokenRefreshError,
  TokenStoreError,
} from 'lambda-shared-token';
import { awsErrorName } from '../../layer/aws/aws-error-name.js';
import { ForeignErrorCopy, MAX_CAUSE_DEPTH } from '../../layer/errors/foreign-error.js';

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

/**
 * A foreign error's message, stack and properties may quote a URL with its
 * credentials, a response body or a secret; our errors keep only its class. What readers of
 * `cause` use (the name, awsErrorName, the Node code, the HTTP status) is kept.
 */
describe('the cause of our errors', () => {
  const SECRET = 'Zm9vYmFyYmF6cXV4cXV1eA-secret';

  it('is one of ours as it is, identity kept, along a chain', () => {
    const store = new TokenStoreError('DynamoDB GetItem (read) failed: ECONNRESET', 'sf', {
      code: 'ECONNRESET',
    });
    const timeout = new LockWaitTimeoutError('sf', 10, { cause: store, reason: 'store-call-abandoned' });
    expect(timeout.cause).toBe(store);
    expect(new TokenRefreshError('x', 'sf', { cause: timeout }).cause).toBe(timeout);
  });

  it('is a copy of a foreign error with its name, code, status and fault, and none of its text', () => {
    const sdk = Object.assign(new Error(`Rate exceeded for ${SECRET}`), {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: SECRET, attempts: 3, totalRetryDelay: 120 },
      $response: { body: SECRET },
    });
    const error = new TokenStoreError('DynamoDB GetItem (read) failed', 'sf', { cause: sdk });
    const cause = error.cause as Error & Record<string, unknown>;
    expect(cause).not.toBe(sdk);
    expect(cause).toBeInstanceOf(Error);
    expect(cause).toBeInstanceOf(ForeignErrorCopy);
    expect(cause.name).toBe('ProvisionedThroughputExceededException');
    expect(cause.$fault).toBe('client');
    expect(cause.$metadata).toEqual({ httpStatusCode: 400, attempts: 3, totalRetryDelay: 120 });
    expect(cause.message).toContain('HTTP 400');
    expect(cause).not.toHaveProperty('$response');
    expect(inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(SECRET);
  });

  it.each([
    ['an AWS error name', Object.assign(new Error(SECRET), { name: 'ThrottlingException' })],
    ['a Node code', Object.assign(new Error(`connect ECONNREFUSED ${SECRET}`), { code: 'ECONNREFUSED' })],
    [
      'an SDK wrapper of another realm',
      new Error(`AWS SDK error wrapper for Error: connect ECONNRESET ${SECRET}`),
    ],
    ['a TimeoutError', new DOMException(SECRET, 'TimeoutError')],
    ['an AbortError', new DOMException(SECRET, 'AbortError')],
    ['a name that is not an identifier', Object.assign(new Error('x'), { name: `{"salt":"${SECRET}"}` })],
  ])('keeps what awsErrorName reads of %s', (_label, raw) => {
    const cause = new KmsError('KMS Decrypt failed', 'Decrypt', { cause: raw }).cause;
    expect(awsErrorName(cause)).toBe(awsErrorName(raw));
    expect(String(cause)).not.toContain(SECRET);
    expect(inspect(cause)).not.toContain(SECRET);
  });

  it('copies the chain: a fetch TypeError around an ECONNREFUSED keeps both names and the code', () => {
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${SECRET}`), { code: 'ECONNREFUSED' });
    const fetchFailed = new TypeError('fetch failed', { cause: refused });
    const cause = new TokenRefreshError('x', 'sf', { cause: fetchFailed }).cause as Error;
    expect(cause.name).toBe('TypeError');
    expect(cause.cause).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    expect(String(cause.cause)).toMatch(/ECONNREFUSED/);
  });

  it("copies an AggregateError's errors the same way", () => {
    const aggregate = new AggregateError(
      [Object.assign(new Error(SECRET), { code: 'ECONNREFUSED' }), new Error(SECRET)],
      SECRET,
    );
    const cause = new TokenStoreError('x', 'sf', { cause: aggregate }).cause as { errors: unknown[] };
    expect(cause.errors).toHaveLength(2);
    expect(cause.errors[0]).toMatchObject({ code: 'ECONNREFUSED' });
    expect(inspect(cause, { depth: Number.POSITIVE_INFINITY })).not.toContain(SECRET);
  });

  it("copies an error named like ours that is not ours (a user function's own ConfigurationError)", () => {
    const theirs = Object.assign(new Error(`bad key ${SECRET}`), { name: 'ConfigurationError' });
    const cause = new TokenRefreshError('x', 'sf', { cause: theirs }).cause;
    expect(cause).not.toBe(theirs);
    expect(cause).toMatchObject({ name: 'ConfigurationError' });
    expect(inspect(cause)).not.toContain(SECRET);
  });

  it('says what kind of value was thrown when it was not an object, never the value', () => {
    for (const thrown of [SECRET, 42n, Symbol(SECRET), null]) {
      const cause = new DecryptError('x', { cause: thrown }).cause as Error;
      expect(cause).toBeInstanceOf(Error);
      expect(cause.message).toContain('was thrown');
      expect(inspect(cause)).not.toContain(SECRET);
    }
  });

  it(`cuts a cycle after ${MAX_CAUSE_DEPTH} causes, so loggers that recurse end`, () => {
    const cyclic = new Error(SECRET) as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    let cause = new TokenStoreError('x', 'sf', { cause: cyclic }).cause as { cause?: unknown } | undefined;
    let depth = 0;
    // Bounded: on a raw cycle the walk would never end.
    while (cause !== undefined && depth <= 100) {
      depth++;
      cause = cause.cause as { cause?: unknown } | undefined;
    }
    expect(depth).toBe(MAX_CAUSE_DEPTH);
  });

  it('never throws on a hostile cause: a revoked proxy, throwing getters', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const getters = Object.defineProperties(new Error('x'), {
      name: {
        get: () => {
          throw new Error('name');
        },
      },
      code: {
        get: () => {
          throw new Error('code');
        },
      },
      $metadata: {
        get: () => {
          throw new Error('$metadata');
        },
      },
      cause: {
        get: () => {
          throw new Error('cause');
        },
      },
    });
    for (const hostile of [proxy, getters]) {
      const error = new TokenStoreError('x', 'sf', { cause: hostile });
      expect(error.cause).toBeInstanceOf(ForeignErrorCopy);
      expect(awsErrorName(hostile)).toBe('Error');
    }
  });

  it('is absent when none was given, and undefined when undefined was', () => {
    expect('cause' in new DecryptError('x')).toBe(false);
    expect('cause' in new DecryptError('x', {})).toBe(false);
    const error = new DecryptError('x', { cause: undefined });
    expect(error.cause).toBeUndefined();
  });
});

describe('codes on our errors', () => {
  it('are kept only when they are identifiers', () => {
    expect(new TokenStoreError('x', 'sf', { code: 'ECONNREFUSED' }).code).toBe('ECONNREFUSED');
    expect(new TokenStoreError('x', 'sf', { code: 'token=abc def' }).code).toBeUndefined();
    expect(new KmsError('x', 'Decrypt', { code: 'ThrottlingException' }).code).toBe('ThrottlingException');
    expect(new KmsError('x', 'Decrypt', { code: '{"salt":"x"}' }).code).toBeUndefined();
  });
});
