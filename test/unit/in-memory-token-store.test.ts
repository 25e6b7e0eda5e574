/**
 * `InMemoryTokenStore` (lambda-shared-token/testing) is the table a user's test runs on: it must
 * answer as TokenStore does on DynamoDB, or a handler passes its tests and fails in Lambda. Each
 * scenario runs on both side by side: TokenStore against dynalite (the real expressions, evaluated
 * by an engine) and the in-memory store; every answer and every item must be equal.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import type {
  ClaimRequest,
  CommitRequest,
  ReleaseRequest,
  TokenRepository,
} from 'lambda-shared-token/advanced';
import { TokenStore } from 'lambda-shared-token/advanced';
import { InMemoryTokenStore } from 'lambda-shared-token/testing';
import { useLocalTable } from '../support/local-table.js';

const TABLE = 'unit-in-memory-contract';
const NOW = Date.UTC(2026, 10, 22, 12);

type Step =
  | { op: 'read' }
  | { op: 'claim'; request: ClaimRequest }
  | { op: 'commit'; request: CommitRequest }
  | { op: 'release'; request: ReleaseRequest }
  | { op: 'confirm'; version: number };

const claim = (owner: string, seenVersion: number | undefined, now = NOW, extra = {}): Step => ({
  op: 'claim',
  request: { owner, seenVersion, now, leaseExpiresAt: now + 10_000, ...extra },
});
const commit = (owner: string, accessToken: string, extra: Partial<CommitRequest> = {}): Step => ({
  op: 'commit',
  request: { owner, accessToken, expiresAt: NOW / 1000 + 3_600, updatedAt: NOW / 1000, ...extra },
});
const release = (owner: string, retryAfter?: number): Step => ({
  op: 'release',
  request: { owner, ...(retryAfter !== undefined && { retryAfter }) },
});
const read: Step = { op: 'read' };
const confirm = (version: number): Step => ({ op: 'confirm', version });

const SCENARIOS: [string, Step[]][] = [
  [
    'the first claim wins the missing item; a second loses; only the holder commits',
    [claim('a', undefined), claim('b', undefined), claim('b', 0), commit('b', 'c1'), commit('a', 'c1'), read],
  ],
  [
    'a live lease ends only after lockExpiresAt',
    [claim('a', undefined), claim('b', 0, NOW + 10_000), claim('b', 0, NOW + 10_001), commit('a', 'x'), read],
  ],
  [
    'a claim of a version that moved loses and answers the current item',
    [claim('a', undefined), commit('a', 'c1'), claim('b', 0), claim('b', 1), commit('b', 'c2'), read],
  ],
  ['a claim of version 0 creates a missing item', [claim('a', 0), claim('b', 1), read]],
  [
    'a claim that holds off TTL removes the expired token',
    [claim('a', undefined), commit('a', 'c1'), claim('b', 1, NOW, { holdUntil: NOW / 1000 + 60 }), read],
  ],
  [
    'a failed refresh backs everyone off until retryAfter; a stranger cannot release',
    [
      claim('a', undefined),
      release('b', NOW + 1_000),
      release('a', NOW + 1_000),
      claim('c', 0, NOW + 999),
      claim('c', 0, NOW + 1_000),
      release('c'),
      read,
    ],
  ],
  [
    'a commit clears the lease and the back-off, and keeps the refresh token',
    [
      claim('a', undefined),
      commit('a', 'c1', { refreshToken: 'r1' }),
      claim('b', 1),
      release('b', NOW + 500),
      claim('c', 1, NOW + 500),
      commit('c', 'c2'),
      read,
    ],
  ],
  [
    'a commit of a rejection is confirmed once, at its own version only',
    [
      claim('a', undefined),
      commit('a', 'c1'),
      claim('b', 1),
      commit('b', 'c2', { rejectedVersion: 1 }),
      confirm(1),
      confirm(2),
      confirm(2),
      read,
    ],
  ],
  [
    'a commit repeated after it applied answers the item as committed',
    [claim('a', undefined), commit('a', 'c1'), commit('a', 'c1'), commit('a', 'c9'), read],
  ],
];

describe('InMemoryTokenStore answers as TokenStore on dynalite', () => {
  const table = useLocalTable('dynalite', TABLE, 20_000);
  let counter = 0;

  it.each(SCENARIOS)('%s', async (_name, steps) => {
    const tokenType = `in-memory-${++counter}`;
    const real = new TokenStore({ client: table.client, tableName: TABLE });
    const fake = new InMemoryTokenStore();
    const run = async (store: TokenRepository, step: Step) => {
      if (step.op === 'read') return store.read(tokenType);
      if (step.op === 'claim') return store.claim(tokenType, step.request);
      if (step.op === 'commit') return store.commit(tokenType, step.request);
      if (step.op === 'confirm') return store.confirmRejectionRefresh?.(tokenType, { version: step.version });
      return store.release(tokenType, step.request);
    };

    for (const step of steps) {
      const expected = await run(real, step);
      const actual = await run(fake, step);
      const { Item } = await table.client.send(
        new GetItemCommand({ TableName: TABLE, Key: { tokenType: { S: tokenType } }, ConsistentRead: true }),
      );

      expect({ step, answer: actual }).toEqual({ step, answer: expected });
      expect({ step, item: fake.item(tokenType) }).toEqual({ step, item: Item && unmarshall(Item) });
    }
  });
});

describe('InMemoryTokenStore for a test', () => {
  const first: ClaimRequest = { owner: 'a', seenVersion: undefined, now: NOW, leaseExpiresAt: NOW + 10 };

  it('counts the calls of each operation', async () => {
    const store = new InMemoryTokenStore();

    await store.claim('k', first);
    await store.claim('k', first);
    await store.release('k', { owner: 'b' });
    await store.read('k');

    expect(store.calls).toEqual({ reads: 1, claims: 2, commits: 0, releases: 1, confirms: 0 });
  });

  it('hands out copies: editing an answer does not change the table', async () => {
    const store = new InMemoryTokenStore();
    const result = await store.claim('k', first);
    if (!result.claimed) throw new Error('expected the claim to win');

    result.record.lockOwner = 'mallory';

    expect(store.item('k')?.lockOwner).toBe('a');
  });

  it('forgets a deleted item, as TTL does: the next claim starts afresh', async () => {
    const store = new InMemoryTokenStore();
    await store.claim('k', first);

    store.delete('k');

    expect(store.item('k')).toBeUndefined();
    expect((await store.claim('k', { ...first, owner: 'b' })).claimed).toBe(true);
  });
});
