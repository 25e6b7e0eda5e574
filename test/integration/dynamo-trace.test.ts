/**
 * The bench's timeline reads every DynamoDB call from the proxy (scripts/simulator/dynamo-trace.ts).
 * Here the real TokenStore's calls go through the real proxy to DynamoDB Local, so the kinds are
 * told apart from the expressions the store really sends, and a container is known by its path.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenStore } from 'lambda-shared-token/advanced';
import { type DynamoProxy, startDynamoProxy } from '../../scripts/local-stack/dynamo-proxy.js';
import { localDynamoClient } from '../../scripts/local-stack/table.js';
import { containerPath, DynamoTrace } from '../../scripts/simulator/dynamo-trace.js';
import { useLocalTable } from '../support/local-table.js';

const TABLE = 'trace-access-tokens';

describe('DynamoTrace, behind the proxy in front of DynamoDB Local', () => {
  const table = useLocalTable('dynamodb-local', TABLE);
  const trace = new DynamoTrace();
  let proxy: DynamoProxy;

  beforeAll(async () => {
    proxy = await startDynamoProxy(table.dynamo.endpoint, { onAnswer: trace.record });
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('labels each call of the store with its container and what it was, in the order they were sent', async () => {
    const client = localDynamoClient(`${proxy.endpoint}${containerPath(3)}`);
    const store = new TokenStore({ client, tableName: TABLE });
    const now = Date.now();
    try {
      await store.read('t');
      await store.claim('t', { seenVersion: undefined, owner: 'a', leaseExpiresAt: now + 5_000, now });
      await store.claim('t', { seenVersion: undefined, owner: 'b', leaseExpiresAt: now + 5_000, now });
      await store.read('t', { consistent: false });
      await store.commit('t', { owner: 'a', accessToken: 'ct', expiresAt: 2_000_000_000, updatedAt: 1 });
      await store.claim('t', { seenVersion: 1, owner: 'c', leaseExpiresAt: now + 5_000, now });
      await store.release('t', { owner: 'c' });
      await store.read('t');
    } finally {
      client.destroy();
    }

    const calls = trace.calls();
    expect(calls.map((call) => call.kind)).toEqual([
      'read',
      'claim-won',
      'claim-failed',
      'poll',
      'commit',
      'claim-won',
      'release',
      'read',
    ]);
    expect(calls.every((call) => call.container === 3)).toBe(true);
    expect(calls[0]?.found).toBeUndefined();
    expect(calls[3]?.found).toEqual({ version: 0, leased: true, token: false });
    expect(calls.at(-1)?.found).toEqual({ version: 1, leased: false, token: true });
    for (const call of calls) expect(call.answeredAt).toBeGreaterThanOrEqual(call.receivedAt);
  });
});
