/**
 * The proxy's blackhole fault, with the real SDK client: a blackholed request is read and never
 * answered nor forwarded, so only the caller's own deadline ends it; `bodyIncludes` picks the
 * request by its body (the commit's UpdateItem, not the claim's); and no held connection outlives
 * `clearFaults()`, `setReachable(false)` or `stop()`. Dynalite is the engine: the fault is the
 * proxy's, and a blackholed request never reaches the engine anyway.
 */

import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isSharedTokenError } from 'lambda-shared-token';
import { TokenStore } from 'lambda-shared-token/advanced';
import { type DynamoProxy, startDynamoProxy } from '../../scripts/local-stack/dynamo-proxy.js';
import { localDynamoClient } from '../../scripts/local-stack/table.js';
import { useLocalTable } from '../support/local-table.js';
import { rejectionOf } from '../support/rejection-of.js';

const TABLE = 'test-blackhole-access-tokens';
/**
 * The client's deadline on a call that should be held: the only thing that ends it. Not asserted on;
 * long enough that a loaded machine still delivers the request first (the stats count it), and
 * calls that should be answered get no deadline at all, so a slow answer cannot pass for a stall.
 */
const PATIENCE_MS = 500;

interface Failure extends Error {
  code?: string;
}

/** Polls until `condition` holds; the test's own timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("the DynamoDB proxy's blackhole fault", () => {
  const table = useLocalTable('dynalite', TABLE);
  let proxy: DynamoProxy;
  const clients: DynamoDBClient[] = [];
  /** One attempt per send: a retry would hide what the fault did to the first. */
  const viaProxy = (): DynamoDBClient => {
    const client = localDynamoClient(proxy.endpoint, { maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  const getItem = (tokenType = 'absent') =>
    new GetItemCommand({ TableName: TABLE, Key: marshall({ tokenType }) });
  const patience = () => ({ abortSignal: AbortSignal.timeout(PATIENCE_MS) });

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

  it("leaves a blackholed GetItem unanswered until the client's AbortSignal ends it with AbortError", async () => {
    proxy.inject({ kind: 'blackhole', operations: ['GetItem'] });

    const error = await rejectionOf<Failure>(viaProxy().send(getItem(), patience()));

    expect(error.name).toBe('AbortError');
    expect(proxy.faultStats()).toMatchObject({ blackhole: 1, byOperation: { GetItem: { blackhole: 1 } } });
    expect(proxy.counts().reads).toBe(0);
  });

  it('keeps nothing open once the client that gave up has closed its connection', async () => {
    proxy.inject({ kind: 'blackhole' });
    const giveUp = new AbortController();
    const abandoned = viaProxy().send(getItem(), { abortSignal: giveUp.signal });
    await until(() => proxy.heldOpen() === 1);

    giveUp.abort();
    const error = await rejectionOf<Failure>(abandoned);
    await until(() => proxy.heldOpen() === 0);

    expect(error.name).toBe('AbortError');

    expect(proxy.heldOpen()).toBe(0);
    expect(proxy.faultStats().blackhole).toBe(1);
  });

  it('answers the next request normally once the count is spent', async () => {
    const client = viaProxy();
    proxy.inject({ kind: 'blackhole', operations: ['GetItem'], count: 1 });

    const stalled = await rejectionOf<Failure>(client.send(getItem(), patience()));
    const answered = await client.send(getItem());

    expect(stalled.name).toBe('AbortError');
    expect(answered.$metadata.httpStatusCode).toBe(200);
    expect(proxy.faultStats().blackhole).toBe(1);
    expect(proxy.counts().reads).toBe(1);
  });

  it("blackholes only requests whose body holds bodyIncludes: the store's commit stalls, its claim does not", async () => {
    const store = new TokenStore({ client: viaProxy(), tableName: TABLE });
    const tokenType = 'commit-blackholed';
    const now = Date.now();
    proxy.inject({ kind: 'blackhole', operations: ['UpdateItem'], bodyIncludes: 'SET accessToken' });

    const claim = await store.claim(tokenType, {
      seenVersion: undefined,
      owner: 'a:1',
      leaseExpiresAt: now + 5_000,
      now,
    });
    const commitError = await rejectionOf<Failure>(
      store.commit(tokenType, {
        owner: 'a:1',
        accessToken: 'ct-never-committed',
        expiresAt: 2_000_000_000,
        updatedAt: 1_800_000_000,
        timeoutMs: PATIENCE_MS,
      }),
    );

    expect(claim.claimed).toBe(true);
    expect(isSharedTokenError(commitError, 'TokenStoreError')).toBe(true);
    expect(commitError.code).toBe('AbortError');
    expect(await new TokenStore({ client: table.client, tableName: TABLE }).read(tokenType)).toMatchObject({
      updating: true,
      lockOwner: 'a:1',
      version: 0,
    });
    expect(proxy.faultStats()).toMatchObject({ blackhole: 1, byOperation: { UpdateItem: { blackhole: 1 } } });
    expect(proxy.counts().writes).toBe(1);
  });

  it('applies bodyIncludes to the other kinds too: a throttle hits only the matching write', async () => {
    const client = viaProxy();
    const update = (expression: string) =>
      new UpdateItemCommand({
        TableName: TABLE,
        Key: marshall({ tokenType: 'throttled-by-body' }),
        UpdateExpression: expression,
        ExpressionAttributeValues: marshall({ ':one': 1 }),
      });
    proxy.inject({ kind: 'throttle', bodyIncludes: 'SET failures' });

    const passed = await client.send(update('SET version = :one'));
    const error = await rejectionOf<Failure>(client.send(update('SET failures = :one')));

    expect(passed.$metadata.httpStatusCode).toBe(200);
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(proxy.faultStats().throttle).toBe(1);
  });

  it('destroys the held connections on clearFaults: the waiting client fails, the next request is answered', async () => {
    proxy.inject({ kind: 'blackhole', operations: ['GetItem'] });
    const client = viaProxy();
    const waiting = client.send(getItem()); // no deadline of its own: only the release ends it
    await until(() => proxy.heldOpen() === 1);

    proxy.clearFaults();
    const error = await rejectionOf<Failure>(waiting);
    const answered = await client.send(getItem());

    expect(error.name).not.toBe('AbortError');
    expect(proxy.heldOpen()).toBe(0);
    expect(proxy.faultStats().blackhole).toBe(0);
    expect(answered.$metadata.httpStatusCode).toBe(200);
  });

  it('releases a blackholed request still delayed by a latency fault on clearFaults, without waiting the delay', async () => {
    proxy.inject({ kind: 'latency', ms: 60_000, operations: ['GetItem'] });
    proxy.inject({ kind: 'blackhole', operations: ['GetItem'] });
    const waiting = viaProxy().send(getItem());
    await until(() => proxy.heldOpen() === 1);

    proxy.clearFaults();

    await expect(waiting).rejects.toThrow();
    expect(proxy.heldOpen()).toBe(0);
  });

  it('destroys the held connections when it goes unreachable', async () => {
    proxy.inject({ kind: 'blackhole' });
    const waiting = viaProxy().send(getItem());
    await until(() => proxy.heldOpen() === 1);

    await proxy.setReachable(false);

    await expect(waiting).rejects.toThrow();
    expect(proxy.heldOpen()).toBe(0);
  });

  it('stops with a held connection open, and the waiting client fails instead of hanging', async () => {
    const own = await startDynamoProxy(table.dynamo.endpoint);
    const client = localDynamoClient(own.endpoint, { maxAttempts: 1 });
    clients.push(client);
    own.inject({ kind: 'blackhole' });
    const waiting = client.send(getItem());
    await until(() => own.heldOpen() === 1);

    await own.stop();

    await expect(waiting).rejects.toThrow();
    expect(own.heldOpen()).toBe(0);
  });

  it('names bodyIncludes in the TypeError for an empty one', () => {
    expect(() => proxy.inject({ kind: 'blackhole', bodyIncludes: '' })).toThrow(/"bodyIncludes"/);
    expect(() => proxy.inject({ kind: 'blackhole', count: 0 })).toThrow(/"count"/);
  });
});
