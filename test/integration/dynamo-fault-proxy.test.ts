/**
 * The fault-injecting DynamoDB proxy against DynamoDB Local, with the real SDK client: each fault
 * must look to the SDK like the real thing (typed throttling exception retried as throttling,
 * network errors retried as transient, ECONNREFUSED while down). Then the library under those
 * faults: a cold getToken fails with a TokenStoreError, a warm one makes no DynamoDB call.
 */

import {
  type DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isSharedTokenError, type TokenProvider } from 'lambda-shared-token';
import { SaltCipher, TokenManager, TokenStore } from 'lambda-shared-token/advanced';
import { type DynamoProxy, startDynamoProxy } from '../../scripts/local-stack/dynamo-proxy.js';
import { localDynamoClient } from '../../scripts/local-stack/table.js';
import { useLocalTable } from '../support/local-table.js';
import { rejectionOf } from '../support/rejection-of.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'test-faults-access-tokens';
const SALT = testSecret('salt', 'fault-proxy-salt-');
const TOKEN = testSecret('accessToken', 'fault-proxy-access-token-');

/** Throttling back-off in the SDK is up to 1 s, 2 s, 4 s: the "throttled past retries" cases need room. */
const SLOW_MS = 30_000;

interface Failure extends Error {
  code?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
  throttled?: boolean;
}

/**
 * The Node code of the SDK's network error. Under Jest's VM modules the SDK rewraps Node's error
 * (another realm, not `instanceof Error`) as "AWS SDK error wrapper for <original>", dropping
 * `code`; the code is then read from the message, where both shapes carry it, but for Node's
 * "socket hang up", which is its ECONNRESET without the word.
 */
function networkCode(error: Failure): string | undefined {
  if (error.code) return error.code;
  if (/socket hang up/.test(error.message)) return 'ECONNRESET';
  return /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1];
}

/** Counts the commands a client sends (each before its retries), inside this process. */
function countSends(client: DynamoDBClient): () => number {
  let sends = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      sends++;
      return next(args);
    },
    { step: 'initialize', name: 'countSends' },
  );
  return () => sends;
}

describe('the DynamoDB fault proxy, in front of DynamoDB Local', () => {
  const table = useLocalTable('dynamodb-local', TABLE);
  let proxy: DynamoProxy;
  const clients: DynamoDBClient[] = [];
  const viaProxy = (config: DynamoDBClientConfig = {}): DynamoDBClient => {
    const client = localDynamoClient(proxy.endpoint, config);
    clients.push(client);
    return client;
  };
  const getItem = (tokenType = 'absent') =>
    new GetItemCommand({ TableName: TABLE, Key: marshall({ tokenType }) });

  beforeAll(async () => {
    proxy = await startDynamoProxy(table.dynamo.endpoint);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await proxy.setReachable(true);
    proxy.clearFaults();
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it(
    "answers a throttled GetItem as DynamoDB does, and the SDK's standard retry gets through on the third attempt",
    async () => {
      const client = viaProxy();
      proxy.inject({ kind: 'throttle', operations: ['GetItem'], count: 2 });

      const output = await client.send(getItem());

      expect(output.$metadata.httpStatusCode).toBe(200);
      expect(output.$metadata.attempts).toBe(3);
      expect(proxy.faultStats()).toMatchObject({ throttle: 2, byOperation: { GetItem: { throttle: 2 } } });
      expect(proxy.counts().reads).toBe(1);
    },
    SLOW_MS,
  );

  it(
    'makes the SDK throw ProvisionedThroughputExceededException once every GetItem is throttled',
    async () => {
      const client = viaProxy();
      const maxAttempts = await client.config.maxAttempts();
      proxy.inject({ kind: 'throttle', operations: ['GetItem'] });

      const error = await rejectionOf<Failure>(client.send(getItem()));

      expect(error.name).toBe('ProvisionedThroughputExceededException');
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: maxAttempts });
      expect(maxAttempts).toBeGreaterThan(1);
      expect(proxy.faultStats().throttle).toBe(maxAttempts);
      expect(proxy.counts().reads).toBe(0);
    },
    SLOW_MS,
  );

  it('throttles with ThrottlingException when asked, and only the operations named', async () => {
    const client = viaProxy({ maxAttempts: 1 });
    proxy.inject({ kind: 'throttle', operations: ['UpdateItem'], error: 'ThrottlingException' });

    const read = await client.send(getItem());
    const error = await rejectionOf<Failure>(
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: marshall({ tokenType: 'throttled-write' }),
          UpdateExpression: 'SET version = :one',
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      ),
    );

    expect(read.$metadata.httpStatusCode).toBe(200);
    expect(error.name).toBe('ThrottlingException');
    expect(proxy.counts()).toMatchObject({ reads: 1, writes: 0 });
    expect(proxy.faultStats()).toMatchObject({ throttle: 1, byOperation: { UpdateItem: { throttle: 1 } } });
  });

  it('resets the connection without an answer: a network error the SDK retries', async () => {
    const once = viaProxy({ maxAttempts: 1 });
    const retrying = viaProxy();
    proxy.inject({ kind: 'reset', count: 1 });
    proxy.inject({ kind: 'reset', count: 1 });

    const error = await rejectionOf<Failure>(once.send(getItem()));
    const output = await retrying.send(getItem());

    expect(networkCode(error)).toBe('ECONNRESET');
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(output.$metadata.attempts).toBe(2);
    expect(proxy.faultStats().reset).toBe(2);
    expect(proxy.counts().reads).toBe(1);
  });

  it('drops the answer of a write the engine carried out: the client sees a reset, the item changed', async () => {
    const client = viaProxy({ maxAttempts: 1 });
    const tokenType = 'answer-dropped';
    proxy.inject({ kind: 'drop-answer', operations: ['UpdateItem'], count: 1 });

    const error = await rejectionOf<Failure>(
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: marshall({ tokenType }),
          UpdateExpression: 'SET version = :one',
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      ),
    );
    const read = await client.send(getItem(tokenType));

    expect(networkCode(error)).toBe('ECONNRESET');
    expect(read.Item?.version).toEqual({ N: '1' });
    expect(proxy.faultStats()).toMatchObject({
      'drop-answer': 1,
      byOperation: { UpdateItem: { 'drop-answer': 1 } },
    });
    expect(proxy.counts()).toMatchObject({ reads: 1, writes: 1 });
  });

  it("gives one generation when a commit's answer is dropped and the SDK sends it again", async () => {
    const store = new TokenStore({ client: viaProxy(), tableName: TABLE });
    const tokenType = 'commit-answer-dropped';
    const now = Date.now();
    await store.claim(tokenType, { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: now + 5_000, now });
    proxy.inject({ kind: 'drop-answer', operations: ['UpdateItem'], count: 1 });

    const committed = await store.commit(tokenType, {
      owner: 'a:1',
      accessToken: 'ct-dropped-once',
      expiresAt: 2_000_000_000,
      updatedAt: 1_800_000_000,
    });

    // The SDK's second attempt failed the fence (the first had applied): still our commit.
    expect(proxy.counts().writes).toBe(3);
    expect(committed).toMatchObject({ accessToken: 'ct-dropped-once', version: 1, updating: false });
    expect(await store.read(tokenType)).toMatchObject({ version: 1, accessToken: 'ct-dropped-once' });
  });

  it('delays a request by the latency asked for, and it still succeeds', async () => {
    const client = viaProxy({ maxAttempts: 1 });
    proxy.inject({ kind: 'latency', ms: 250, operations: ['GetItem'], count: 1 });

    const output = await client.send(getItem());

    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(proxy.faultStats()).toMatchObject({ latency: 1, delayedMs: 250 });
    expect(proxy.counts().reads).toBe(1);
  });

  it('refuses connections while unreachable, breaks the open ones, and answers again on the same endpoint', async () => {
    const pooled = viaProxy({ maxAttempts: 1 });
    const fresh = viaProxy({ maxAttempts: 1 });
    const endpoint = proxy.endpoint;
    await pooled.send(getItem()); // leaves a keep-alive connection open

    await proxy.setReachable(false);
    const refused = await rejectionOf<Failure>(fresh.send(getItem()));
    const broken = await rejectionOf<Failure>(pooled.send(getItem()));
    await proxy.setReachable(true);
    const outputs = [await fresh.send(getItem()), await pooled.send(getItem())];

    expect(networkCode(refused)).toBe('ECONNREFUSED');
    // A connection open when the endpoint went down may be used before its close is seen: reset.
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(networkCode(broken));
    expect(outputs.map((output) => output.$metadata.httpStatusCode)).toEqual([200, 200]);
    expect(proxy.endpoint).toBe(endpoint);
    expect(proxy.counts().reads).toBe(3);
  });

  it('applies a fault at the rate given, drawing from the injected random source', async () => {
    const draws = [0.9, 0.1, 0.7, 0.2];
    const seeded = await startDynamoProxy(table.dynamo.endpoint, { random: () => draws.shift() ?? 1 });
    const client = localDynamoClient(seeded.endpoint, { maxAttempts: 1 });
    clients.push(client);
    try {
      seeded.inject({ kind: 'throttle', rate: 0.5 });

      const outcomes = [];
      for (let i = 0; i < 4; i++) {
        outcomes.push(
          await client.send(getItem()).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      }

      expect(outcomes).toEqual([
        'ok',
        'ProvisionedThroughputExceededException',
        'ok',
        'ProvisionedThroughputExceededException',
      ]);
      expect(seeded.faultStats().throttle).toBe(2);
    } finally {
      await seeded.stop();
    }
  });

  it('ends a fault after its durationMs, on the injected clock', async () => {
    let now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const clocked = await startDynamoProxy(table.dynamo.endpoint, { now: () => now });
    const client = localDynamoClient(clocked.endpoint, { maxAttempts: 1 });
    clients.push(client);
    try {
      clocked.inject({ kind: 'reset', durationMs: 1_000 });

      now += 1_000;
      const during = await rejectionOf<Failure>(client.send(getItem()));
      now += 1;
      const after = await client.send(getItem());

      expect(networkCode(during)).toBe('ECONNRESET');
      expect(after.$metadata.httpStatusCode).toBe(200);
      expect(clocked.faultStats().reset).toBe(1);
    } finally {
      await clocked.stop();
    }
  });

  it('names the field of a malformed fault in a TypeError', () => {
    expect(() => proxy.inject({ kind: 'throttle', rate: 2 })).toThrow(/"rate"/);
    expect(() => proxy.inject({ kind: 'latency', ms: -1 })).toThrow(/"ms"/);
    expect(() => proxy.inject({ kind: 'reset', count: 0 })).toThrow(/"count"/);
  });

  describe('the library behind it', () => {
    let providerCalls = 0;
    const provider: TokenProvider = {
      fetchToken: async () => {
        providerCalls++;
        return { accessToken: TOKEN, expiresAt: Date.now() + 3_600_000 };
      },
    };
    let tokenTypeCounter = 0;
    const managerFor = (tokenType: string, client: DynamoDBClient) =>
      new TokenManager({
        tokenType,
        store: new TokenStore({ client, tableName: TABLE }),
        cipher: new SaltCipher({ salts: [SALT] }),
        provider,
      });
    /** A tokenType whose token is already in the table, as another container left it. */
    const storedToken = async (): Promise<string> => {
      const tokenType = `faults-${++tokenTypeCounter}`;
      await managerFor(tokenType, table.client).getToken();
      return tokenType;
    };
    const expectNoSecretIn = (message: string) => {
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain(SALT);
    };

    it(
      'fails a cold getToken with a TokenStoreError when DynamoDB throttles past the retries',
      async () => {
        const tokenType = await storedToken();
        const calls = providerCalls;
        proxy.inject({ kind: 'throttle', operations: ['GetItem'] });

        const error = await rejectionOf<Failure>(managerFor(tokenType, viaProxy()).getToken());

        expect(isSharedTokenError(error, 'TokenStoreError')).toBe(true);
        expect(error.message).toMatch(/\bread\b/);
        expect(error.message).toContain('GetItem');
        expect(error.message).toContain('ProvisionedThroughputExceededException');
        expectNoSecretIn(error.message);
        expect(error.throttled).toBe(true);
        expect((error.cause as Failure).name).toBe('ProvisionedThroughputExceededException');
        expect(providerCalls).toBe(calls);
      },
      SLOW_MS,
    );

    it(
      'fails a cold getToken with a TokenStoreError naming ECONNREFUSED when DynamoDB is unreachable',
      async () => {
        const tokenType = await storedToken();
        const calls = providerCalls;
        await proxy.setReachable(false);

        const error = await rejectionOf<Failure>(managerFor(tokenType, viaProxy()).getToken());

        expect(isSharedTokenError(error, 'TokenStoreError')).toBe(true);
        expect(error.message).toContain('GetItem');
        expect(error.message).toContain('ECONNREFUSED');
        expectNoSecretIn(error.message);
        expect(error.throttled).toBe(false);
        expect(networkCode(error.cause as Failure)).toBe('ECONNREFUSED');
        expect(providerCalls).toBe(calls);
      },
      SLOW_MS,
    );

    it("abandons a cold getToken's stalled read at the caller's deadline: LockWaitTimeoutError, the TokenStoreError its cause", async () => {
      const tokenType = await storedToken();
      // Far longer than the deadline: the read can only end by being abandoned.
      proxy.inject({ kind: 'latency', ms: 20_000, operations: ['GetItem'] });

      const error = await rejectionOf<Failure>(
        managerFor(tokenType, viaProxy()).getToken({ deadline: Date.now() + 1_500 }),
      );

      expect(isSharedTokenError(error, 'LockWaitTimeoutError')).toBe(true);
      expect(error).toMatchObject({ reason: 'store-call-abandoned' });
      const cause = error.cause as Failure;
      expect(isSharedTokenError(cause, 'TokenStoreError')).toBe(true);
      expect(cause.message).toContain('GetItem (read)');
      expect(cause.message).toContain("before the caller's deadline");
      expectNoSecretIn(error.message);
      expectNoSecretIn(cause.message);
      expect(proxy.faultStats().latency).toBe(1);
      expect(proxy.counts().reads).toBe(0);
    });

    it('keeps serving a warm token from memory with zero DynamoDB calls while DynamoDB is unreachable', async () => {
      const tokenType = await storedToken();
      const client = viaProxy();
      const sends = countSends(client);
      const manager = managerFor(tokenType, client);
      const warm = await manager.getToken();
      const sendsWhenWarm = sends();
      await proxy.setReachable(false);

      const served = [];
      for (let i = 0; i < 5; i++) served.push(await manager.getToken());

      expect(sendsWhenWarm).toBe(1);
      expect(sends()).toBe(sendsWhenWarm);
      expect(served.every((token) => token.value === warm.value && token.version === warm.version)).toBe(
        true,
      );
    });
  });
});
