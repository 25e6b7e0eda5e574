/**
 * TokenStore and TokenManager against the real engines: every condition expression is
 * evaluated by DynamoDB Local (and dynalite, which returns no ALL_OLD item), not by us.
 */

import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { isSharedTokenError, type TokenProvider } from 'lambda-shared-token';
import { type Clock, SaltCipher, TokenManager, TokenStore } from 'lambda-shared-token/advanced';
import type { DynamoEngine } from '../../scripts/local-stack/dynamodb-local.js';
import { useLocalTable } from '../support/local-table.js';
import { testSecret } from '../support/test-secrets.js';

const TABLE = 'test-local-access-tokens';
const SALT = testSecret('salt', 'integration-salt-');

/** A clock tests move by hand; starts at a real epoch (ms), never at 0. */
function manualClock(start = Date.UTC(2026, 10, 22, 12, 0, 0)): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** A provider whose answers the test releases one by one. */
function gatedProvider() {
  const pending: ((token: string) => void)[] = [];
  let calls = 0;
  const provider: TokenProvider = {
    fetchToken: () => {
      calls++;
      return new Promise((resolve) => {
        pending.push((accessToken) => resolve({ accessToken, expiresAt: Date.now() + 3_600_000 }));
      });
    },
  };
  return {
    provider,
    calls: () => calls,
    answer: (index: number, token: string) => pending[index]!(token),
    waitForCalls: async (count: number) => {
      while (pending.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}

/** Claims the item over `seenVersion` and commits a generation as `owner` (its ciphertext `ct-<owner>`). */
async function commitGeneration(
  store: TokenStore,
  tokenType: string,
  generation: { owner: string; seenVersion: number | undefined; rejectedVersion?: number | undefined },
) {
  const { owner, seenVersion, rejectedVersion } = generation;
  const now = Date.now();
  await store.claim(tokenType, { seenVersion, owner, leaseExpiresAt: now + 5_000, now });
  return store.commit(tokenType, {
    owner,
    accessToken: `ct-${owner}`,
    expiresAt: 2_000_000_000,
    updatedAt: 1_800_000_000,
    ...(rejectedVersion !== undefined && { rejectedVersion }),
  });
}

describe.each(['dynamodb-local', 'dynalite'] as DynamoEngine[])('TokenStore on %s', (engine) => {
  const table = useLocalTable(engine, TABLE);
  let tokenTypeCounter = 0;
  const nextTokenType = () => `it-${engine}-${++tokenTypeCounter}`;

  it('lets exactly one of two claims on the same seen version win, and tells the loser who holds the lease', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();

    const [first, second] = await Promise.all([
      store.claim(tokenType, { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: now + 5_000, now }),
      store.claim(tokenType, { seenVersion: undefined, owner: 'b:1', leaseExpiresAt: now + 5_000, now }),
    ]);

    const winners = [first, second].filter((result) => result.claimed);
    const losers = [first, second].filter((result) => !result.claimed);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const loser = losers[0]!;
    expect(loser.claimed).toBe(false);
    if (!loser.claimed) expect(loser.current?.lockOwner).toMatch(/^(a|b):1$/);
  });

  it('refuses the commit of a holder whose lease was taken over, keeping the newer token (I3)', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const start = Date.now();
    await store.claim(tokenType, {
      seenVersion: undefined,
      owner: 'old:1',
      leaseExpiresAt: start + 1_000,
      now: start,
    });
    const later = start + 1_001;
    const takeover = await store.claim(tokenType, {
      seenVersion: 0,
      owner: 'new:1',
      leaseExpiresAt: later + 1_000,
      now: later,
    });
    expect(takeover.claimed).toBe(true);
    const committed = await store.commit(tokenType, {
      owner: 'new:1',
      accessToken: 'ct-new',
      expiresAt: 2_000_000_000,
      updatedAt: 1_800_000_000,
    });

    const stale = await store.commit(tokenType, {
      owner: 'old:1',
      accessToken: 'ct-old',
      expiresAt: 2_000_000_001,
      updatedAt: 1_800_000_001,
    });

    expect(committed?.version).toBe(1);
    expect(stale).toBeUndefined();
    const record = await store.read(tokenType);
    expect(record).toMatchObject({ accessToken: 'ct-new', version: 1, updating: false });
    expect(record?.lockOwner).toBeUndefined();
  });

  it('answers a claim repeated after its answer was lost as granted, and nobody else', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();
    const request = { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: now + 5_000, now };
    await store.claim(tokenType, request);

    // The same request again, as the SDK sends it after a reset connection.
    const repeated = await store.claim(tokenType, request);
    const other = await store.claim(tokenType, { ...request, owner: 'b:1' });

    expect(repeated.claimed).toBe(true);
    if (repeated.claimed) expect(repeated.record).toMatchObject({ lockOwner: 'a:1', updating: true });
    expect(other.claimed).toBe(false);
  });

  it('answers a commit repeated after its answer was lost as committed, once: one generation', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();
    await store.claim(tokenType, { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: now + 5_000, now });
    const request = {
      owner: 'a:1',
      accessToken: 'ct-a',
      expiresAt: 2_000_000_000,
      updatedAt: 1_800_000_000,
    };
    const first = await store.commit(tokenType, request);

    const repeated = await store.commit(tokenType, request);
    // Another holder's commit with its own ciphertext stays refused (I3).
    const stranger = await store.commit(tokenType, { ...request, accessToken: 'ct-b' });

    expect(first?.version).toBe(1);
    expect(repeated).toMatchObject({ accessToken: 'ct-a', version: 1, updating: false });
    expect(stranger).toBeUndefined();
    expect(await store.read(tokenType)).toMatchObject({ accessToken: 'ct-a', version: 1 });
  });

  it('records the rejected version with a rejection-driven commit and removes it with the next plain one', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const commit = (owner: string, seenVersion: number | undefined, rejectedVersion?: number) =>
      commitGeneration(store, tokenType, { owner, seenVersion, rejectedVersion });

    await commit('a:1', undefined);
    const rejectionDriven = await commit('b:1', 1, 1);
    const expiryDriven = await commit('c:1', 2);

    expect(rejectionDriven).toMatchObject({ version: 2, rejectedVersion: 1 });
    expect(expiryDriven?.version).toBe(3);
    expect(expiryDriven?.rejectedVersion).toBeUndefined();
    expect((await store.read(tokenType))?.rejectedVersion).toBeUndefined();
  });

  it('confirms a rejection-driven generation only at its own version, and only once', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    await commitGeneration(store, tokenType, { owner: 'a:1', seenVersion: undefined });
    await commitGeneration(store, tokenType, { owner: 'b:1', seenVersion: 1, rejectedVersion: 1 });

    const wrongVersion = await store.confirmRejectionRefresh(tokenType, { version: 1 });
    const confirmed = await store.confirmRejectionRefresh(tokenType, { version: 2 });
    const again = await store.confirmRejectionRefresh(tokenType, { version: 2 });

    expect([wrongVersion, confirmed, again]).toEqual([false, true, false]);
    expect(await store.read(tokenType)).toMatchObject({ version: 2, accessToken: 'ct-b:1' });
    expect((await store.read(tokenType))?.rejectedVersion).toBeUndefined();
  });

  it("commits the holder's token when TTL deleted the expired item during its lease", async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();
    await store.claim(tokenType, {
      seenVersion: undefined,
      owner: 'holder:1',
      leaseExpiresAt: now + 5_000,
      now,
    });
    await table.client.send(new DeleteItemCommand({ TableName: TABLE, Key: marshall({ tokenType }) }));

    const committed = await store.commit(tokenType, {
      owner: 'holder:1',
      accessToken: 'ct-after-ttl',
      expiresAt: 2_000_000_000,
      updatedAt: 1_800_000_000,
    });

    expect(committed).toMatchObject({ accessToken: 'ct-after-ttl', version: 1, updating: false });
    expect((await store.read(tokenType))?.lockOwner).toBeUndefined();
  });

  it('holds TTL off an expired item it claims: expiresAt moved past the lease, the stale token removed', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();
    await store.claim(tokenType, {
      seenVersion: undefined,
      owner: 'first:1',
      leaseExpiresAt: now + 1_000,
      now,
    });
    // About to expire, not yet expired: the engine's TTL must not delete it before the claim.
    const nowSeconds = Math.floor(now / 1000);
    await store.commit(tokenType, {
      owner: 'first:1',
      accessToken: 'ct-old',
      expiresAt: nowSeconds + 2,
      updatedAt: nowSeconds,
    });
    const holdUntil = Math.ceil((now + 15_000) / 1000);

    const claim = await store.claim(tokenType, {
      seenVersion: 1,
      owner: 'next:1',
      leaseExpiresAt: now + 10_000,
      now,
      holdUntil,
    });

    expect(claim.claimed).toBe(true);
    const record = await store.read(tokenType);
    expect(record).toMatchObject({ expiresAt: holdUntil, version: 1, updating: true, lockOwner: 'next:1' });
    expect(record?.accessToken).toBeUndefined();
  });

  it('refuses a claim while a live lease is held, and grants it once the lease has ended', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    const now = Date.now();
    await store.claim(tokenType, { seenVersion: undefined, owner: 'a:1', leaseExpiresAt: now + 1_000, now });

    const during = await store.claim(tokenType, {
      seenVersion: 0,
      owner: 'b:1',
      leaseExpiresAt: now + 2_000,
      now: now + 999,
    });
    const after = await store.claim(tokenType, {
      seenVersion: 0,
      owner: 'b:2',
      leaseExpiresAt: now + 3_000,
      now: now + 1_001,
    });

    expect(during.claimed).toBe(false);
    expect(after.claimed).toBe(true);
  });

  it('treats an item written before versions existed as version 0', async () => {
    const store = new TokenStore({ client: table.client, tableName: TABLE });
    const tokenType = nextTokenType();
    await table.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({ tokenType, accessToken: 'legacy', expiresAt: 1, updating: false }),
      }),
    );

    const claim = await store.claim(tokenType, {
      seenVersion: 0,
      owner: 'a:1',
      leaseExpiresAt: Date.now() + 1_000,
      now: Date.now(),
    });

    expect(claim.claimed).toBe(true);
    if (claim.claimed) expect(claim.record.version).toBe(0);
  });

  it('names the missing table in a TableNotFoundError', async () => {
    const store = new TokenStore({ client: table.client, tableName: 'no-such-table' });

    const failure = await store.read('anything').catch((error: unknown) => error);

    expect(isSharedTokenError(failure, 'TableNotFoundError')).toBe(true);
    expect((failure as Error).message).toContain('"no-such-table"');
    expect((failure as Error).cause).toBeDefined();
  });

  it('lets a manager whose lease was taken over end up with the newer token, having overwritten nothing', async () => {
    const tokenType = nextTokenType();
    const clock = manualClock(Date.now());
    const gate = gatedProvider();
    const managerOptions = {
      tokenType,
      store: new TokenStore({ client: table.client, tableName: TABLE }),
      cipher: new SaltCipher({ salts: [SALT] }),
      provider: gate.provider,
      clock,
      leaseMs: 1_000,
      skewMs: 1_000,
      refreshAheadMs: 0,
      sleep: async (ms: number) => clock.advance(ms),
    };
    const frozen = new TokenManager({ ...managerOptions, ownerId: 'frozen' });
    const taker = new TokenManager({ ...managerOptions, ownerId: 'taker' });

    const frozenResult = frozen.getToken({ deadline: clock.now() + 60_000 });
    await gate.waitForCalls(1);
    clock.advance(1_500); // the frozen holder's lease runs out
    const takerResult = taker.getToken({ deadline: clock.now() + 60_000 });
    await gate.waitForCalls(2);
    gate.answer(1, 'token-of-the-taker');
    const takerToken = await takerResult;
    gate.answer(0, 'token-of-the-frozen-holder');
    const frozenToken = await frozenResult;

    expect(takerToken.value).toBe('token-of-the-taker');
    expect(frozenToken.value).toBe('token-of-the-taker');
    expect(frozenToken.version).toBe(1);
    expect(gate.calls()).toBe(2);
  });
});
