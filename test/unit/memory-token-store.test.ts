/**
 * The fake the TokenManager tests run on must keep TokenStore's conditional semantics. Each
 * scenario runs on both, side by side: TokenStore against dynalite (the real expressions,
 * evaluated by an engine) and MemoryTokenStore; every result and every item must be equal.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import type { ClaimRequest, CommitRequest, ReleaseRequest } from 'lambda-shared-token/advanced';
import { TokenStore } from 'lambda-shared-token/advanced';
import { useLocalTable } from '../support/local-table.js';
import { MemoryTokenStore, type StoredItem } from '../support/memory-token-store.js';

const TABLE = 'unit-memory-contract';
const NOW = Date.UTC(2026, 10, 22, 12);

type Step =
  | { op: 'read' }
  | { op: 'claim'; request: ClaimRequest }
  | { op: 'commit'; request: CommitRequest }
  | { op: 'release'; request: ReleaseRequest };

const claim = (owner: string, seenVersion: number | undefined, now = NOW, lease = 10_000): Step => ({
  op: 'claim',
  request: { owner, seenVersion, now, leaseExpiresAt: now + lease },
});
const commit = (owner: string, accessToken: string, refreshToken?: string): Step => ({
  op: 'commit',
  request: {
    owner,
    accessToken,
    expiresAt: NOW / 1000 + 3_600,
    updatedAt: NOW / 1000,
    ...(refreshToken !== undefined && { refreshToken }),
  },
});
const release = (owner: string, retryAfter?: number): Step => ({
  op: 'release',
  request: { owner, ...(retryAfter !== undefined && { retryAfter }) },
});
const read: Step = { op: 'read' };

const SCENARIOS: [string, StoredItem | undefined, Step[]][] = [
  [
    'first claim on a missing item, a second claim losing, commit by the holder only',
    undefined,
    [
      claim('a', undefined),
      claim('b', undefined),
      claim('b', 0),
      commit('b', 'c1'),
      commit('a', 'c1', 'r1'),
      read,
    ],
  ],
  [
    'a live lease ends only after lockExpiresAt (strictly less than now)',
    undefined,
    [claim('a', undefined), claim('b', 0, NOW + 10_000), claim('b', 0, NOW + 10_001), commit('a', 'x'), read],
  ],
  [
    'a claim of a version that moved fails and returns the current item',
    undefined,
    [claim('a', undefined), commit('a', 'c1'), claim('b', 0), claim('b', 1), commit('b', 'c2'), read],
  ],
  [
    'a claim of version 0 creates a missing item (the condition sees an empty item)',
    undefined,
    [claim('a', 0), claim('b', 1), read],
  ],
  [
    'a seed item without version or updating is version 0 and free',
    { tokenType: 'k', accessToken: 'legacy', expiresAt: NOW / 1000 },
    [claim('a', 1), claim('a', 0), commit('a', 'c1'), read],
  ],
  [
    'a seed item with updating but no lockExpiresAt can be taken',
    { tokenType: 'k', accessToken: 'legacy', updating: true },
    [claim('a', 0), read],
  ],
  [
    'a lockExpiresAt without updating is no lease',
    { tokenType: 'k', version: 3, updating: false, lockOwner: 'z', lockExpiresAt: NOW + 60_000 },
    [claim('a', 3), read],
  ],
  [
    'release by a stranger fails; release by the holder counts failures and keeps retryAfter',
    undefined,
    [
      claim('a', undefined),
      release('b', NOW + 1_000),
      release('a', NOW + 1_000),
      claim('c', 0),
      release('c', NOW + 2_000),
      claim('d', 0),
      release('d'),
      read,
    ],
  ],
  [
    'commit clears the lease, the failures and retryAfter, and keeps the refresh token when given none',
    undefined,
    [
      claim('a', undefined),
      commit('a', 'c1', 'r1'),
      claim('b', 1),
      release('b', NOW + 500),
      claim('c', 1),
      commit('c', 'c2'),
      read,
    ],
  ],
  [
    'commit on an item without a version starts it at 1, as DynamoDB does with if_not_exists',
    { tokenType: 'k', updating: true, lockOwner: 'z' },
    [commit('z', 'c1'), read],
  ],
];

describe('MemoryTokenStore matches TokenStore on dynalite', () => {
  const table = useLocalTable('dynalite', TABLE, 20_000);
  let counter = 0;

  it.each(SCENARIOS)('%s', async (_name, seed, steps) => {
    const tokenType = `contract-${++counter}`;
    const real = new TokenStore({ client: table.client, tableName: TABLE });
    const fake = new MemoryTokenStore();
    if (seed) {
      await table.client.send(
        new PutItemCommand({ TableName: TABLE, Item: marshall({ ...seed, tokenType }) }),
      );
      fake.put({ ...seed, tokenType });
    }
    const run = async (store: Pick<TokenStore, 'read' | 'claim' | 'commit' | 'release'>, step: Step) => {
      try {
        if (step.op === 'read') return await store.read(tokenType);
        if (step.op === 'claim') return await store.claim(tokenType, step.request);
        if (step.op === 'commit') return await store.commit(tokenType, step.request);
        return await store.release(tokenType, step.request);
      } catch (error) {
        return { threw: (error as Error).name, cause: ((error as Error).cause as Error | undefined)?.name };
      }
    };

    for (const step of steps) {
      const expected = await run(real, step);
      const actual = await run(fake, step);
      const { Item } = await table.client.send(
        new GetItemCommand({ TableName: TABLE, Key: marshall({ tokenType }), ConsistentRead: true }),
      );

      expect({ step, result: actual }).toEqual({ step, result: expected });
      expect({ step, item: fake.get(tokenType) }).toEqual({
        step,
        item: Item ? unmarshall(Item) : undefined,
      });
    }
  });
});

describe('MemoryTokenStore test hooks', () => {
  const request: ClaimRequest = { owner: 'a', seenVersion: undefined, now: NOW, leaseExpiresAt: NOW + 10 };

  it('keeps its own copy of a seeded item', async () => {
    const store = new MemoryTokenStore();
    const seed: StoredItem = { tokenType: 'k', version: 1, updating: false, accessToken: 'c1' };
    store.put(seed);

    seed.accessToken = 'edited';

    expect((await store.read('k'))?.accessToken).toBe('c1');
  });

  it('hands out copies: editing a record it returned does not change the item', async () => {
    const store = new MemoryTokenStore();
    const result = await store.claim('k', request);
    if (!result.claimed) throw new Error('expected the claim to win');

    result.record.lockOwner = 'mallory';
    const record = await store.read('k');
    if (record) record.version = 99;

    expect(store.get('k')).toEqual({
      tokenType: 'k',
      updating: true,
      lockOwner: 'a',
      lockExpiresAt: NOW + 10,
      lockClaimedAt: NOW,
      version: 0,
    });
  });

  it('counts calls and applied writes separately', async () => {
    const store = new MemoryTokenStore();

    await store.claim('k', request);
    await store.claim('k', request);
    await store.release('k', { owner: 'b' });
    await store.read('k');

    expect(store.counts).toEqual({ reads: 1, claims: 2, commits: 0, releases: 1, confirms: 0 });
    expect(store.applied).toEqual({ claims: 1, commits: 0, releases: 0 });
    expect(store.calls).toBe(4);
  });

  it('runs beforeOperation before looking at the item, so a test can interleave a write', async () => {
    const store = new MemoryTokenStore();
    store.beforeOperation = async (event) => {
      store.beforeOperation = undefined;
      if (event.op === 'claim') await store.claim('k', { ...request, owner: 'sneaky' });
    };

    const result = await store.claim('k', request);

    expect(result.claimed).toBe(false);
    expect(store.get('k')?.lockOwner).toBe('sneaky');
  });

  it('fails the call when beforeOperation throws', async () => {
    const store = new MemoryTokenStore();
    store.beforeOperation = () => {
      throw new Error('ThrottlingException');
    };

    await expect(store.read('k')).rejects.toThrow('ThrottlingException');
  });

  it('reads again after a failed claim when told to behave as dynalite', async () => {
    const store = new MemoryTokenStore({ returnOldOnConditionFailure: false });
    await store.claim('k', request);

    const result = await store.claim('k', { ...request, owner: 'b' });

    expect(result).toEqual({ claimed: false, current: expect.objectContaining({ lockOwner: 'a' }) });
    expect(store.counts.reads).toBe(1);
  });
});
