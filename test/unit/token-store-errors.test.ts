import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { isSharedTokenError, type TokenStoreError } from 'lambda-shared-token';
import { TokenStore } from 'lambda-shared-token/advanced';
import { awsErrorName } from '../../layer/aws/aws-error-name.js';
import { rejectionOf } from '../support/rejection-of.js';

const TABLE = 'unit-access-tokens';

/** A client whose every call fails with `error`: the store's error mapping in one process. */
function failingStore(error: unknown): TokenStore {
  const client = { send: async () => Promise.reject(error) } as unknown as DynamoDBClient;
  return new TokenStore({ client, tableName: TABLE });
}

function awsError(name: string, message = 'the service said so'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts: 4 } });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:8000`), {
    code,
    errno: -111,
    syscall: 'connect',
  });
}

async function storeError(promise: Promise<unknown>): Promise<TokenStoreError> {
  const error = await rejectionOf<unknown>(promise);
  expect(isSharedTokenError(error, 'TokenStoreError')).toBe(true);
  return error as TokenStoreError;
}

describe('TokenStore errors', () => {
  it('names the step, the DynamoDB operation and the AWS error of a throttled read, and marks it throttled', async () => {
    const cause = awsError('ProvisionedThroughputExceededException');

    const error = await storeError(failingStore(cause).read('salesforce'));

    expect(error.message).toBe(
      `DynamoDB GetItem (read) of "salesforce" in table "${TABLE}" failed: ProvisionedThroughputExceededException`,
    );
    expect(error).toMatchObject({
      code: 'ProvisionedThroughputExceededException',
      throttled: true,
      transient: true,
      // A copy keeping the name and code, never the SDK's message (layer/errors/foreign-error.ts).
      cause: expect.objectContaining({ name: 'ProvisionedThroughputExceededException' }),
    });
  });

  it('names the Node code of a network failure, not the generic "Error", and does not mark it throttled', async () => {
    const cause = networkError('ECONNREFUSED');

    const error = await storeError(
      failingStore(cause).claim('salesforce', { seenVersion: 1, owner: 'a:1', leaseExpiresAt: 2, now: 1 }),
    );

    expect(error.message).toBe(
      `DynamoDB UpdateItem (claim) of "salesforce" in table "${TABLE}" failed: ECONNREFUSED`,
    );
    expect(error).toMatchObject({
      code: 'ECONNREFUSED',
      throttled: false,
      transient: true,
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
  });

  it.each([
    ['ECONNRESET', true, networkError('ECONNRESET')],
    ['InternalServerError', true, awsError('InternalServerError')],
    ['ServiceUnavailable', true, awsError('ServiceUnavailable')],
    ['ValidationException', false, awsError('ValidationException')],
    ['AccessDeniedException', false, awsError('AccessDeniedException')],
    ['an unknown failure', false, new Error('something else')],
  ])('marks %s transient: %s', async (_name, transient, cause) => {
    const error = await storeError(failingStore(cause).read('salesforce'));

    expect(error.transient).toBe(transient);
  });

  it("never copies the SDK's message into its own", async () => {
    const cause = awsError('ValidationException', 'value secret-token-value is invalid');

    const error = await storeError(
      failingStore(cause).commit('salesforce', {
        owner: 'a:1',
        accessToken: 'ciphertext',
        expiresAt: 2_000_000_000,
        updatedAt: 1_800_000_000,
      }),
    );

    expect(error.message).not.toContain('secret-token-value');
    expect(error.message).toContain('UpdateItem (commit)');
    expect(error.message).toContain('ValidationException');
  });
});

/** A client that never answers, but gives up when its call's abort signal fires, as the SDK does. */
function stalledStore(): TokenStore {
  const client = {
    send: (_command: unknown, options?: { abortSignal?: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        options?.abortSignal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
        );
      }),
  } as unknown as DynamoDBClient;
  return new TokenStore({ client, tableName: TABLE });
}

describe("TokenStore calls bounded by the caller's time", () => {
  it('abandons a read that gets no answer within timeoutMs, saying so', async () => {
    const error = await storeError(stalledStore().read('salesforce', { timeoutMs: 20 }));

    expect(error.message).toBe(
      `DynamoDB GetItem (read) of "salesforce" in table "${TABLE}" was abandoned after 20 ms, the time left before the caller's deadline (AbortError)`,
    );
    // No time is left to try again: not transient.
    expect(error).toMatchObject({ code: 'AbortError', throttled: false, transient: false });
    expect((error.cause as Error).name).toBe('AbortError');
  });

  it('abandons a claim the same way', async () => {
    const error = await storeError(
      stalledStore().claim('salesforce', {
        seenVersion: undefined,
        owner: 'a:1',
        leaseExpiresAt: 2,
        now: 1,
        timeoutMs: 20,
      }),
    );

    expect(error.message).toContain('UpdateItem (claim)');
    expect(error.code).toBe('AbortError');
  });
});

describe('awsErrorName', () => {
  it('reads the Node code from the message of an error the SDK rewrapped from another realm', () => {
    const wrapped = new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:8000');

    expect(awsErrorName(wrapped)).toBe('ECONNREFUSED');
  });

  it('keeps a specific name over a code, and falls back to "Error" or the type of a non-object', () => {
    expect(awsErrorName(Object.assign(new Error('x'), { name: 'TimeoutError', code: 'ECONNRESET' }))).toBe(
      'TimeoutError',
    );
    expect(awsErrorName(new Error('AWS SDK error wrapper for nothing known'))).toBe('Error');
    expect(awsErrorName('a string')).toBe('string');
  });
});
